"""Screens: cash receipts (with their cancellation button), e-tax invoices, business-number checks,
and the order page's receipt chain and *Issue cash receipt* button.

Identity numbers are never in a form or a list: only their masked form is shown.
"""
from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual

from core.admin import SecureModelView, run_service
from core.admin_document import Action, Field, Link, extend_document
from core.formatting import register_labels
from core.i18n import _, _l

from .models import CANCEL_REASONS, RECEIPT_STATE_LABELS, RECEIPT_STATES, BrnStatus, CashReceipt, TaxInvoice
from .services import receipts

STATE_COLOURS = {"requested": "secondary", "issued": "info", "transmitted": "success", "cancelled": "dark",
                 "failed": "danger"}
TRADE_TYPE_LABELS = {"approval": _l("Approval"), "cancel": _l("Cancellation")}
PURPOSE_LABELS = {"deduction": _l("Income deduction (소득공제)"), "proof": _l("Expense proof (지출증빙)")}


def _safe_back(default: str) -> str:
    back = request.form.get("back") or ""
    return back if back.startswith("/") and not back.startswith("//") else default


class CashReceiptView(SecureModelView):
    addon = "einvoice_kr"
    permission = "einvoice_kr.receipt"
    allow_create = allow_edit = allow_delete = False
    column_list = ("number", "trade_type", "purpose", "identity_masked", "state", "confirm_num", "trade_date",
                   "total", "original")
    column_details_list = column_list + ("trade_opt", "self_issued", "supply_cost", "tax", "tax_free", "service_fee",
                                         "mgt_key", "org_confirm_num", "org_trade_date", "cancel_reason", "partial",
                                         "provider", "attempts", "error_code", "last_error", "mailed_at")
    column_export_list = column_list
    column_labels = {"number": _l("Number"), "trade_type": _l("Type"), "purpose": _l("Purpose"),
                     "identity_masked": _l("Identity"), "state": _l("State"), "confirm_num": _l("NTS approval number"),
                     "trade_date": _l("Trade date"), "total": _l("Total"), "original": _l("Cancels"),
                     "trade_opt": _l("Trade type"), "self_issued": _l("Self-issued"), "supply_cost": _l("Supply value"),
                     "tax": _l("VAT"), "tax_free": _l("Tax-free"), "service_fee": _l("Service charge"),
                     "mgt_key": _l("Document key (mgtKey)"), "org_confirm_num": _l("Original approval number"),
                     "org_trade_date": _l("Original trade date"), "cancel_reason": _l("Cancellation reason"),
                     "partial": _l("Partial"), "provider": _l("Provider"), "attempts": _l("Attempts"),
                     "error_code": _l("Error code"), "last_error": _l("Last error"), "mailed_at": _l("Mailed")}
    status_column, status_kind, status_colours = "state", "kr_receipt_state", STATE_COLOURS
    column_default_sort = ("id", True)
    column_sortable_list = ()
    column_searchable_list = ("number",)
    exact_search = True
    column_filters = (FilterEqual(CashReceipt.state, _l("State"),
                                  options=[(s, RECEIPT_STATE_LABELS[s]) for s in RECEIPT_STATES]),)

    @expose("/cancel/", methods=("POST",))
    def cancel_view(self):
        row = self.get_one(request.args.get("id", ""))
        if row is None:
            abort(404)
        if not self.allowed("cancel"):
            abort(403)
        amount = (request.form.get("amount") or "").strip() or None
        run_service(lambda s: receipts.request_cancel(s, row.id, reason=request.form.get("reason", ""),
                                                      amount=amount),
                    _("Cancellation of %(number)s requested.", number=row.number))
        return redirect(_safe_back(url_for(".details_view", id=row.id)))

    @expose("/issue/", methods=("POST",))
    def issue_view(self):
        order_id = request.args.get("order_id", type=int)
        if not order_id:
            abort(404)
        if not self.allowed("create"):
            abort(403)
        value = (request.form.get("identity") or "").strip() or None
        purpose = request.form.get("purpose") or None
        run_service(lambda s: receipts.request_receipt(s, order_id, value=value, purpose=purpose),
                    _("Cash receipt requested."))
        return redirect(_safe_back(url_for(".index_view")))

    @expose("/identity/", methods=("POST",))
    def identity_view(self):
        """The customer's receipt identity on an order (what ``PUT /orders/{number}/cash-receipt`` sets)."""
        order_id = request.args.get("order_id", type=int)
        if not order_id:
            abort(404)
        if not self.allowed("identity"):
            abort(403)
        run_service(lambda s: receipts.capture_identity(s, order_id, request.form.get("identity") or "",
                                                        request.form.get("purpose") or "",
                                                        email=request.form.get("email") or None),
                    _("Cash receipt identity recorded."))
        return redirect(_safe_back(url_for(".index_view")))


class TaxInvoiceView(SecureModelView):
    addon = "einvoice_kr"
    permission = "einvoice_kr.taxinvoice"
    allow_create = allow_edit = allow_delete = False
    column_list = ("number", "kind", "purpose", "write_date", "state", "nts_confirm_num", "total", "amendment_code",
                   "original")
    column_details_list = column_list + ("supply_total", "tax_total", "org_nts_confirm_num", "mgt_key", "provider",
                                         "attempts", "error_code", "last_error", "mailed_at")
    column_labels = {"number": _l("Number"), "kind": _l("Kind"), "purpose": _l("Purpose"),
                     "write_date": _l("Date of preparation"), "state": _l("State"),
                     "nts_confirm_num": _l("NTS confirmation number"), "total": _l("Total"),
                     "amendment_code": _l("Amendment reason"), "original": _l("Amends"),
                     "supply_total": _l("Supply value"), "tax_total": _l("VAT"),
                     "org_nts_confirm_num": _l("Original NTS number"), "mgt_key": _l("Document key (mgtKey)"),
                     "provider": _l("Provider"), "attempts": _l("Attempts"), "error_code": _l("Error code"),
                     "last_error": _l("Last error"), "mailed_at": _l("Mailed")}
    column_default_sort = ("id", True)
    column_sortable_list = ()


class BrnStatusView(SecureModelView):
    addon = "einvoice_kr"
    permission = "einvoice_kr.brn"
    allow_create = allow_edit = allow_delete = False
    column_list = ("brn", "status", "tax_type", "closed_on", "checked_on", "validated")
    column_labels = {"brn": _l("Business number"), "status": _l("Status"), "tax_type": _l("Tax type"),
                     "closed_on": _l("Closed on"), "checked_on": _l("Checked on"), "validated": _l("Validated")}
    column_sortable_list = ()


def order_links(session, order) -> list:
    """The order page shows its chain of receipts: each approval and the cancellations of it."""
    out = []
    for row in receipts.chain(session, order.id):
        note = f"{RECEIPT_STATE_LABELS[row.state]} · {row.identity_masked} · {int(row.total):,} KRW"
        if row.original_id:
            note += " · " + _("cancels %(number)s", number=row.original.number)
        if row.confirm_num:
            note += f" · {row.confirm_num}"
        out.append(Link(row.number, url_for("einvoice_kr_receipt.details_view", id=row.id),
                        str(TRADE_TYPE_LABELS[row.trade_type]), note))
    return out


def order_actions(session, order) -> list:
    if order.currency != "KRW":
        return []
    approval = receipts.live_approval(session, order.id)
    if approval is not None:
        if approval.state not in ("issued", "transmitted"):
            return []
        return [Action(_l("Cancel cash receipt"), url_for("einvoice_kr_receipt.cancel_view", id=approval.id),
                       "einvoice_kr.receipt.cancel", {"back": url_for("sales_order.details_view", id=order.id)},
                       (Field("amount", _l("Amount (KRW; empty: all that is left)")),
                        Field("reason", _l("Reason"), "select", required=True,
                              options=tuple((k, str(v)) for k, v in CANCEL_REASONS.items()))),
                       _l("Cancel this cash receipt at the NTS?"), "outline-danger")]
    return [identity_action(session, order), Action(_l("Issue cash receipt"), url_for("einvoice_kr_receipt.issue_view", order_id=order.id),
                   "einvoice_kr.receipt.create", {"back": url_for("sales_order.details_view", id=order.id)},
                   (Field("identity", _l("Mobile, card or business number (empty: as asked at checkout)")),
                    Field("purpose", _l("Purpose"), "select",
                          options=tuple((k, str(v)) for k, v in PURPOSE_LABELS.items()))),
                   "", "outline-primary")]


def identity_action(session, order) -> Action:
    """*Cash receipt identity*: purpose and number the customer gave; the number is never put back in the form."""
    asked = receipts.receipt_request(session, order.id)
    label = _l("Mobile, card, business or resident number")
    if asked is not None:
        label = _("Mobile, card, business or resident number (now: %(identity)s, %(purpose)s)",
                  identity=asked.identity_masked, purpose=PURPOSE_LABELS[asked.purpose])
    return Action(_l("Cash receipt identity"), url_for("einvoice_kr_receipt.identity_view", order_id=order.id),
                  "einvoice_kr.receipt.identity", {"back": url_for("sales_order.details_view", id=order.id)},
                  (Field("purpose", _l("Purpose"), "select", value=asked.purpose if asked else "deduction",
                         required=True, options=tuple((k, str(v)) for k, v in PURPOSE_LABELS.items())),
                   Field("identity", label, required=True),
                   Field("email", _l("E-mail for the receipt (empty: the customer's)"),
                         value=(asked.email or "") if asked else "")),
                  "", "outline-secondary")


def order_notices(session, order) -> list[str]:
    return [_("Cash receipt %(number)s failed: %(error)s", number=row.number, error=row.last_error or "")
            for row in receipts.chain(session, order.id) if row.state == "failed"]


def register(admin, ctx):
    register_labels("kr_receipt_state", RECEIPT_STATE_LABELS)
    admin.add_view(CashReceiptView(CashReceipt, ctx.session, name=_l("Cash receipts (Korea)"),
                                   endpoint="einvoice_kr_receipt"), menu="invoicing")
    admin.add_view(TaxInvoiceView(TaxInvoice, ctx.session, name=_l("E-tax invoices (Korea)"),
                                  endpoint="einvoice_kr_taxinvoice"), menu="invoicing")
    admin.add_view(BrnStatusView(BrnStatus, ctx.session, name=_l("Business number checks"),
                                 endpoint="einvoice_kr_brn"), menu="contacts")
    extend_document(admin, "sales_order", "einvoice_kr", links=order_links, actions=order_actions,
                    notices=order_notices)

