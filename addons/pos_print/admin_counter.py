"""The counter screen: scan, pay, print; find a receipt and reprint it; open and close the shift.

One page (``templates/pos_print/counter.html``), keyboard- and scanner-first: the scan field has the focus, a
barcode or SKU + Enter adds a line (the lookup is sales' own ``find_sellable``, fenced and on indexed columns),
Enter in the cash field pays. The form posts plain fields with the CSRF token; the server, which is the truth
for every amount, calls ``services.counter_sale``, and a refusal shows every problem with the clerk's lines
kept. The find box takes a typed receipt code or a scanner's QR payload + Enter. Script: ``static/counter.js``
(no inline script, no ``on*=`` attributes, so the CSP holds); without it the form still posts one SKU line.
"""
from __future__ import annotations

from pathlib import Path

from flask import flash, jsonify, redirect, request, url_for
from flask_admin import expose

from addons.sales.services import entry_lookup
from core.admin import SecureView, run_service
from core.errors import UserError
from core.formatting import amount, code_label
from core.i18n import _
from core.web.context import can, current_business, db

from . import services
from .models import REASONS

STATIC_DIR = str(Path(__file__).parent / "static")
ACTIONS = {"counter_view": "read", "lookup_view": "read", "sell_view": "sell", "open_shift_view": "sell",
           "close_shift_view": "sell", "reprint_view": "read"}


class CounterView(SecureView):
    addon = "pos_print"
    permission = "pos_print.counter"

    def action_for(self, name):
        return ACTIONS.get(name) or super().action_for(name)

    def _page(self, **extra):
        session = db()
        found, find_error = None, None
        text = (request.args.get("find") or "").strip()
        if text:
            try:
                found = services.find_receipt(session, text)
            except UserError as exc:
                find_error = str(exc)
        sale = None
        if (request.args.get("sale") or "").isdigit():
            try:
                sale = services.get_receipt(session, int(request.args["sale"]))
            except UserError:
                sale = None
        shift = services.current_shift(session)
        biz = current_business()
        return self.render("pos_print/counter.html", shift=shift, found=found, find_error=find_error,
                           find_text=text, sale=sale, change=request.args.get("change", ""),
                           printers=[p for p in services.list_printers(session) if p.active],
                           default_printer=services.receipts.settings(session).get("default_printer") or "",
                           reasons=[(r, code_label("reprint_reason", r)) for r in REASONS],
                           money=entry_lookup.money_format(biz.currency), amount=amount,
                           may_sell=self.allowed("sell"), may_reprint=can("pos_print.receipt.reprint"),
                           lines=extra.get("lines", []), values=extra.get("values", {}),
                           error=extra.get("error"))

    @expose("/")
    def counter_view(self):
        return self._page()

    @expose("/lookup/")
    def lookup_view(self):
        return jsonify(results=entry_lookup.find_sellable(db(), request.args.get("q", ""), channel="counter"))

    @expose("/sell/", methods=("POST",))
    def sell_view(self):
        form = request.form
        lines = [{"sku": sku.strip(), "qty": qty.strip()}
                 for sku, qty in zip(form.getlist("line_sku"), form.getlist("line_qty")) if sku.strip()]
        payload = {"lines": lines, "printer": form.get("printer") or None,
                   **{key: (form.get(key) or "").strip() for key in ("cash", "card", "bank_transfer")}}
        session = db()
        try:
            sale = services.counter_sale(session, payload)
            session.commit()
        except UserError as exc:
            session.rollback()
            return self._page(lines=lines, values=payload, error=exc)
        flash(_("order %(number)s paid; receipt %(code)s", number=sale.order.number, code=sale.receipt.code),
              "success")
        return redirect(url_for(".counter_view", sale=sale.receipt.id,
                                change=amount(sale.change, sale.order.currency)))

    @expose("/shift/open/", methods=("POST",))
    def open_shift_view(self):
        run_service(lambda s: services.open_shift(s, request.form.get("opening_float"),
                                                  printer_name=request.form.get("printer") or None),
                    _("shift opened"))
        return redirect(url_for(".counter_view"))

    @expose("/shift/close/", methods=("POST",))
    def close_shift_view(self):
        run_service(lambda s: services.close_shift(s, request.form.get("counted_cash")),
                    _("shift closed; the report is printing"))
        return redirect(url_for(".counter_view"))

    @expose("/reprint/", methods=("POST",))
    def reprint_view(self):
        form = request.form
        code = form.get("code", "")
        if not can("pos_print.receipt.reprint"):
            flash(_("you may not reprint receipts (permission %(permission)s)",
                    permission="pos_print.receipt.reprint"), "error")
            return redirect(url_for(".counter_view", find=code))
        done, result = run_service(lambda s: services.reprint_receipt(
            s, code, reason=form.get("reason", ""), note=form.get("note"), pin=form.get("pin") or None,
            printer_name=form.get("printer") or None))
        if done:
            flash(_("copy %(n)s of %(code)s queued", n=result[0].number, code=code), "success")
        return redirect(url_for(".counter_view", find=code))
