"""The issued e-tax invoice to the buyer's e-mail (setting ``taxinvoice_mail``).

``ours`` (default): our mail in Korean with the invoice as a Korean PDF
(``templates/einvoice_kr/pdf/taxinvoice.html``) and its NTS standard XML (``kec.build``)
attached; Popbill gets no buyer e-mail (``invoiceeEmail1`` empty), so it sends no
notice of its own and the buyer gets one mail. ``popbill``: Popbill's own mail, the
documented SendEmail (``POST /Taxinvoice/SELL/{mgtKey}``, ``X-HTTP-Method-Override:
EMAIL``, ``{"receiver": ...}``; popbill SDK ``taxinvoiceService.sendEmail``).
``off``: nothing. The job is safe to run twice: a sent invoice keeps ``mailed_at``.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from core.errors import UserError
from core.formatting import amount as fmt_amount
from core.formatting import date_
from flask_babel import pgettext

from core.i18n import _, in_language
from core.mail import queue_mail
from core.pdf import font_stack, render_pdf

from .. import kec
from ..models import AMENDMENT_REASONS, TaxInvoice
from . import common

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
LANGUAGE = "ko"
MAILABLE = ("issued", "transmitted")


def wants_mail(session, row: TaxInvoice) -> bool:
    return bool((row.buyer or {}).get("email")) and common.settings(session)["taxinvoice_mail"] != "off"


def popbill_mails(session) -> bool:
    """Whether Popbill's own mail is the one sent (then ``invoiceeEmail1`` carries the buyer's address)."""
    return common.settings(session)["taxinvoice_mail"] == "popbill"


def _brn(number: str) -> str:
    return f"{number[:3]}-{number[3:5]}-{number[5:]}" if len(number or "") == 10 else (number or "")


def title_of(row: TaxInvoice) -> str:
    title = _("Electronic invoice (tax-exempt)") if row.kind == "exempt" else _("Electronic tax invoice")
    return _("Amended %(title)s", title=title) if row.amendment_code else title


def tax_invoice_pdf(session, row: TaxInvoice, language: str = LANGUAGE) -> bytes:
    biz = common.business(session)

    def won(value):
        return fmt_amount(Decimal(value), "KRW", language)

    def party(block):
        out = [(_("Business number"), _brn(block.get("brn", ""))), (_("Name"), block.get("name") or "")]
        for key, label in (("branch_id", _("Branch number")), ("ceo", _("Representative")),
                           ("business_type", _("Business type")), ("business_class", _("Business item")),
                           ("address", _("Address"))):
            if block.get(key):
                out.append((label, block[key]))
        return out
    with in_language(language):
        title = title_of(row)
        head = [(_("Number"), row.number), (_("NTS confirmation number"), row.nts_confirm_num or "-"),
                (_("Date of preparation"), date_(row.write_date, language)),
                (_("Purpose"), _("receipt (영수)") if row.purpose == "receipt" else _("charge (청구)"))]
        if row.amendment_code:
            head += [(_("Amendment reason"), str(AMENDMENT_REASONS[row.amendment_code])),
                     (_("Original NTS number"), row.org_nts_confirm_num or "-")]
        columns = (_("Item"), _("Quantity"), _("Unit price"), _("Supply value"), _("VAT"))
        lines = [(line["name"], line["quantity"], won(line["unit_price"]), won(line["supply"]), won(line["tax"]))
                 for line in row.lines]
        totals = [(_("Supply value"), won(row.supply_total)), (_("VAT"), won(row.tax_total))]
        context = {"language": language, "fonts": font_stack(language), "title": title, "head": head,
                   "supplier_label": pgettext("tax invoice party", "Supplier"), "supplier": party(row.supplier),
                   "buyer_label": pgettext("tax invoice party", "Buyer"), "buyer": party(row.buyer), "columns": columns, "lines": lines,
                   "totals": totals, "total_label": _("Total"), "total": won(row.total)}
    return render_pdf("einvoice_kr/pdf/taxinvoice.html", context, search_paths=[TEMPLATES],
                      title=f"{title} {row.number}", author=biz.legal_name or biz.name)


def mail_tax_invoice(session, tax_invoice_id: int) -> TaxInvoice:
    row = session.get(TaxInvoice, tax_invoice_id)
    if row is None or row.state not in MAILABLE:
        raise UserError("the tax invoice is not issued")
    email = (row.buyer or {}).get("email")
    if not email:
        raise UserError("email: the buyer has no e-mail address")
    if row.mailed_at is not None:
        return row
    mode = common.settings(session)["taxinvoice_mail"]
    if mode == "popbill" and row.provider == "popbill":
        common.make_provider(session, "popbill").send_taxinvoice_email(row.mgt_key, email)
    elif mode != "off":
        biz = common.business(session)
        pdf = tax_invoice_pdf(session, row)
        with in_language(LANGUAGE):
            title = title_of(row)
        queue_mail(session, email, "einvoice_kr/mail/taxinvoice",
                   {"t": row, "title": title, "shop": biz.legal_name or biz.name,
                    "total": fmt_amount(row.total, "KRW", LANGUAGE)}, LANGUAGE,
                   attachments=[(f"{row.number}.pdf", "application/pdf", pdf),
                                (f"{row.number}.xml", "application/xml", kec.build(row))],
                   reference=f"einvoice_kr:{row.number}")
    else:
        return row
    row.mailed_at = datetime.now(timezone.utc)
    return row
