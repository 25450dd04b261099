"""The receipt to the customer: Popbill's own mail (setting ``receipt_mail = popbill``) or ours,
the receipt as a PDF attached (``templates/einvoice_kr/pdf/receipt.html``), both in Korean.

Every word on the PDF comes from this addon's catalog (``_`` under ``in_language``),
so the receipt can be printed in any of the six languages; the mail job uses Korean.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from core.errors import UserError
from core.formatting import amount as fmt_amount
from core.formatting import date_
from core.i18n import _, in_language
from core.mail import queue_mail
from core.pdf import font_stack, render_pdf

from ..models import CANCEL_REASONS, RECEIPT_STATE_LABELS, TRADE_OPTS, CashReceipt
from ..identity import PURPOSE_POPBILL
from . import common

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
LANGUAGE = "ko"


def _purpose(row) -> str:
    return _("income deduction") if row.purpose == "deduction" else _("expense proof")


def receipt_pdf(session, row: CashReceipt, language: str = LANGUAGE) -> bytes:
    biz = common.business(session)

    def won(value):
        return fmt_amount(value, "KRW", language)
    with in_language(language):
        title = _("Cash receipt") if row.trade_type == "approval" else _("Cash receipt (cancellation)")
        identity = row.identity_masked + (" (" + _("self-issued") + ")" if row.self_issued else "")
        head = [(_("Number"), row.number), (_("NTS approval number"), row.confirm_num or "-"),
                (_("Trade date"), date_(row.trade_date, language)),
                (_("Purpose"), f"{_purpose(row)} ({PURPOSE_POPBILL[row.purpose]})"),
                (_("Trade type"), TRADE_OPTS[row.trade_opt]), (_("Identity"), identity),
                (_("State"), str(RECEIPT_STATE_LABELS[row.state]))]
        if row.trade_type == "cancel":
            reason = str(CANCEL_REASONS[row.cancel_reason]) + (" · " + _("Partial") if row.partial else "")
            head += [(_("Original approval number"), row.org_confirm_num),
                     (_("Original trade date"), date_(row.org_trade_date, language)),
                     (_("Cancellation reason"), reason)]
        amounts = [(_("Item"), row.item_name), (_("Supply value"), won(row.supply_cost)), (_("VAT"), won(row.tax)),
                   (_("Tax-free"), won(row.tax_free)), (_("Service charge"), won(row.service_fee))]
        seller = [(_("Seller"), biz.legal_name or biz.name), (_("Business number"), biz.tax_id or "")]
        if biz.address:
            seller.append((_("Address"), biz.address))
        context = {"language": language, "fonts": font_stack(language), "title": title, "head": head,
                   "amounts": amounts, "total_label": _("Total"), "total": won(row.total), "seller": seller}
    return render_pdf("einvoice_kr/pdf/receipt.html", context, search_paths=[TEMPLATES],
                      title=f"{title} {row.number}", author=biz.legal_name or biz.name)


def mail_receipt(session, receipt_id: int) -> CashReceipt:
    row = session.get(CashReceipt, receipt_id)
    if row is None or row.state not in ("issued", "transmitted", "cancelled"):
        raise UserError("the cash receipt is not issued")
    if not row.email:
        raise UserError("email: the customer has no e-mail address")
    conf = common.settings(session)
    if conf["receipt_mail"] == "popbill" and row.provider == "popbill":
        common.make_provider(session, "popbill").send_cashbill_email(row.mgt_key, row.email)
    elif conf["receipt_mail"] != "off":
        biz = common.business(session)
        pdf = receipt_pdf(session, row)
        with in_language(LANGUAGE):
            purpose = _purpose(row)
        queue_mail(session, row.email, "einvoice_kr/mail/receipt",
                   {"r": row, "shop": biz.legal_name or biz.name, "total": fmt_amount(row.total, "KRW", LANGUAGE),
                    "purpose": purpose}, LANGUAGE,
                   attachments=[(f"{row.number}.pdf", "application/pdf", pdf)], reference=f"einvoice_kr:{row.number}")
    row.mailed_at = datetime.now(timezone.utc)
    return row
