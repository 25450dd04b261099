"""Courier admin: shipments (list, document page, creation from the order page, quotes, labels),
COD payout statements (list, upload), carrier areas, partners' delivery addresses; and the public
webhook endpoint.

Views are thin: each change is one service call in the request's transaction
(``run_service``); a UserError rolls back and is flashed. Outside calls happen in
jobs, except the read-only quote and the label the clerk asked for.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual

from sqlalchemy import select

from addons.sales.models import Order
from core.admin import SecureModelView, run_service
from core.admin_document import extend_document
from core.errors import UserError
from core.formatting import register_labels
from core.i18n import _, _l
from core.jobs import enqueue
from core.web.context import current_business_id, current_runtime, db

from . import states
from .carriers import OutcomeUnknown, enabled_codes, instantiate, registered
from .models import Area, CodStatement, PartnerAddress, Shipment
from .page import REQUEST_LABELS, ShipmentDocument, order_actions, order_links
from .services import cod, labels, shipments, tracking

register_labels("shipment_state", states.STATE_LABELS)
register_labels("shipment_request", {**REQUEST_LABELS, "done": _l("accepted by the carrier")})

# The labels and help texts of addon.toml (the settings screen translates them through the catalog).
SETTING_TEXTS = (
    _l("Couriers"), _l("Ship orders through couriers: shipments, parcels, tracking, labels and COD reconciliation"),
    _l("Who pays the delivery fee"), _l("Note for the courier"),
    _l("CHOXEMHANGKHONGTHU: the receiver may look but not try; CHOTHUHANG: may try; KHONGCHOXEMHANG: may not look"),
    _l("Weight of a product without one (grams)"), _l("Fee of the manual carrier"),
    _l("Manual (own staff or any courier)"),
)


def _choices(values, labels):
    return [(v, labels[v]) for v in values]


def _parcels(text: str):
    return [part for part in (text or "").replace(";", " ").replace(",", " ").split() if part] or None


class ShipmentView(ShipmentDocument, SecureModelView):
    addon = "courier"
    permission = "courier.shipment"
    allow_create = allow_edit = allow_delete = False   # made from the order page, changed by actions
    column_list = ("number", "created_at", "order", "carrier", "service", "state", "tracking_number", "cod_amount",
                   "fee")
    column_labels = {"number": _l("Number"), "created_at": _l("Created"), "order": _l("Order"),
                     "carrier": _l("Carrier"), "service": _l("Service"), "state": _l("Status"),
                     "tracking_number": _l("Tracking number"), "cod_amount": _l("COD"), "fee": _l("Fee"),
                     # not list columns: they name the changes in the shipment page's activity timeline
                     "carrier_status": _l("Carrier status"), "state_at": _l("Last change"),
                     "request_state": _l("Creation"), "goods_left_at": _l("Dispatched")}
    code_columns = {"request_state": "shipment_request"}
    column_formatters = {"order": lambda v, c, m, n: m.order.number,
                         "cod_amount": lambda v, c, m, n: v.format_amount(m.cod_amount, m.currency),
                         "fee": lambda v, c, m, n: "" if m.fee is None else v.format_amount(m.fee, m.currency)}
    status_column, status_kind, status_colours = "state", "shipment_state", states.STATE_COLOURS
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at",)
    column_filters = (FilterEqual(Shipment.state, _l("State"), options=_choices(states.STATES, states.STATE_LABELS)),
                      FilterEqual(Shipment.carrier, _l("Carrier")),
                      FilterEqual(Shipment.tracking_number, _l("Tracking number")))
    column_searchable_list = ("number", "tracking_number")
    exact_search = True
    column_details_exclude_list = ("receiver", "area")

    def format_amount(self, value, currency):
        from core.admin_document import money
        return money(value, currency)

    def search_placeholder(self):
        return _("Number or tracking number (exact)")

    def _require(self, name):
        if not self.allowed(name):
            abort(403)

    def _back(self, shipment_id):
        return redirect(url_for(".details_view", id=shipment_id))

    def _order(self, raw) -> Order:
        try:
            order_id = int(raw)
        except (TypeError, ValueError):
            abort(404)
        order = db().get(Order, order_id)
        if order is None or order.business_id != current_business_id():
            abort(404)
        return order

    @expose("/create/", methods=("POST",))
    def create_view(self):
        self._require("create")
        order = self._order(request.args.get("order_id") or request.form.get("order_id"))
        form = request.form
        done, shipment = run_service(lambda s: shipments.create_shipment(
            s, order.id, carrier=form.get("carrier", ""), service=form.get("service", ""), cod=form.get("cod"),
            parcels=_parcels(form.get("parcels", "")), payer=form.get("payer") or None,
            required_note=form.get("required_note") or None, insurance_value=form.get("insurance"),
            tracking_number=form.get("tracking_number") or None, service_label=form.get("service_label") or None),
            _("Shipment created; it is being sent to the carrier."))
        if done:
            return self._back(shipment.id)
        return redirect(url_for("sales_order.details_view", id=order.id))

    @expose("/quote/", methods=("GET", "POST"))
    def quote_view(self):
        self._require("read")
        order = self._order(request.args.get("order_id"))
        runtime, session, business_id = current_runtime(), db(), current_business_id()
        rows, asks = [], []
        for code in enabled_codes(runtime, session, business_id):
            try:
                carrier = instantiate(runtime, session, business_id, code)
                asks.append((code, carrier, shipments.draft_data(session, order.id, code)))
            except UserError as exc:
                rows.append({"carrier": code, "label": registered(runtime)[code][2], "error": str(exc)})
        session.rollback()     # nothing was written; no transaction stays open during the calls
        for code, carrier, data in asks:
            try:
                for q in carrier.quote(data):
                    rows.append({"carrier": code, "label": carrier.name, "service": q.service,
                                 "service_label": q.label, "fee": q.fee, "lead_time": q.lead_time,
                                 "currency": data.currency})
            except (UserError, OutcomeUnknown) as exc:
                rows.append({"carrier": code, "label": carrier.name, "error": str(exc)})
        return self.render("courier/quote.html", order=order, rows=rows)

    @expose("/act/", methods=("POST",))
    def act_view(self):
        shipment = self.get_one(request.args.get("id", ""))
        form = request.form
        name = form.get("act", "")
        calls = {
            "state": lambda s: tracking.set_state(s, shipment.id, form.get("state", ""), form.get("note", "")),
            "cancel": lambda s: tracking.request_cancel(s, shipment.id),
            "return": lambda s: tracking.request_return(s, shipment.id),
            "retry": lambda s: shipments.retry_creation(s, shipment.id),
            "refresh": lambda s: enqueue(s, "courier.refresh_shipment", shipment_id=shipment.id, source="pull"),
        }
        if name not in calls:
            flash(_("Unknown action %(name)s.", name=repr(name)), "error")
            return self._back(shipment.id)
        self._require("edit")
        run_service(calls[name], _("Done."))
        return self._back(shipment.id)

    @expose("/label/")
    def label_view(self):
        """The labels as a PDF download: ``id`` (one shipment) or ``ids`` (a list selection, comma-separated)."""
        self._require("read")
        if request.args.get("ids"):
            try:
                ids = [int(part) for part in request.args["ids"].split(",")[:500]]
            except ValueError:
                abort(404)
            numbers = list(db().scalars(select(Shipment.number).where(Shipment.id.in_(ids))))  # fenced
            if len(numbers) != len(set(ids)):
                abort(404)
            return self._labels(numbers, request.args.get("size", "a6"))
        shipment = self.get_one(request.args.get("id", ""))
        if shipment is None:
            abort(404)
        return self._labels([shipment.number], request.args.get("size", "a6"), shipment.id)

    def _labels(self, refs, size, back_id=None):
        session = db()
        try:
            data = labels.print_labels(session, refs, size)
            session.commit()
        except (UserError, OutcomeUnknown) as exc:
            session.rollback()
            flash(str(exc), "error")
            return self._back(back_id) if back_id else redirect(url_for(".index_view"))
        return Response(data, mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="labels-{size}.pdf"'})

    @action("labels", _l("Print labels (A6)"))
    def action_labels(self, ids):
        """One PDF for the selection: the download is a GET of the label view (the form only chooses)."""
        self._require("read")
        return redirect(url_for(".label_view", ids=",".join(str(int(i)) for i in ids), size="a6"))


class CodStatementView(SecureModelView):
    addon = "courier"
    permission = "courier.statement"
    allow_create = allow_edit = allow_delete = False
    list_template = "courier/statement_list.html"
    column_list = ("imported_at", "carrier", "filename", "transfer_date", "cod_total", "fee_total", "transfer_fee",
                   "transferred", "lines_count", "registered")
    column_labels = {"imported_at": _l("Imported"), "carrier": _l("Carrier"), "filename": _l("File"),
                     "transfer_date": _l("Transfer date"), "cod_total": _l("COD"), "fee_total": _l("Fees"),
                     "transfer_fee": _l("Transfer fee"), "transferred": _l("Transferred"),
                     "lines_count": _l("Lines"), "registered": _l("Payments registered")}
    column_default_sort = ("imported_at", True)
    column_sortable_list = ("imported_at",)

    @expose("/upload/", methods=("GET", "POST"))
    def upload_view(self):
        self._require_create()
        summary = None
        if request.method == "POST":
            upload = request.files.get("file")
            carrier = request.form.get("carrier", "")
            dry_run = bool(request.form.get("dry_run"))
            if upload is None or not upload.filename:
                flash(_("file: choose the statement to import"), "error")
            else:
                data = upload.read()
                done, summary = run_service(lambda s: _checked(cod.import_statement(
                    s, carrier, upload.filename, data, dry_run=dry_run)))
                if done and not summary["already_imported"] and not dry_run:
                    flash(_("%(n)s COD payments registered.", n=summary["registered"]), "success")
                elif done and summary["already_imported"]:
                    flash(_("This statement was imported before; nothing was registered."), "warning")
        return self.render("courier/statement_upload.html", summary=summary, carriers=cod.STATEMENT_CARRIERS)

    def _require_create(self):
        if not self.allowed("create"):
            abort(403)


def _checked(summary):
    """A statement that does not add up is refused as a whole (the transaction rolls back)."""
    if not summary["balanced"] and not summary["dry_run"]:
        raise UserError("; ".join(m["problem"] for m in summary["mismatches"] if m["line"] is None))
    return summary


class AreaView(SecureModelView):
    addon = "courier"
    permission = "courier.area"
    allow_create = allow_edit = allow_delete = False
    column_list = ("carrier", "level", "code", "name", "parent_code")
    column_labels = {"carrier": _l("Carrier"), "level": _l("Level"), "code": _l("Code"), "name": _l("Name"),
                     "parent_code": _l("Parent code")}
    column_filters = (FilterEqual(Area.carrier, _l("Carrier")),)
    column_default_sort = ("id", False)
    column_sortable_list = ()


class PartnerAddressView(SecureModelView):
    addon = "courier"
    permission = "courier.shipment"
    column_list = ("partner_id", "street", "ward", "district", "province", "country")
    form_columns = ("partner_id", "street", "ward", "district", "province", "country")
    column_labels = {"partner_id": _l("Partner id"), "street": _l("Street"), "ward": _l("Ward"),
                     "district": _l("District (empty: 2025 two-level address)"), "province": _l("Province"),
                     "country": _l("Country")}
    column_default_sort = ("id", True)
    column_sortable_list = ()

    def create_model(self, form):
        return run_service(lambda s: _address(s, form))[1] or False

    def update_model(self, form, model):
        return run_service(lambda s: _address(s, form, model.partner_id))[0]


def _address(session, form, partner_id=None):
    from .services.addresses import set_partner_address
    return set_partner_address(session, partner_id or form.partner_id.data,
                               **{key: getattr(form, key).data for key in
                                  ("street", "ward", "district", "province", "country")})


# ---------------------------------------------------------------- public: carrier webhooks

public = Blueprint("courier_public", __name__)


@public.route("/courier/webhook/<carrier>/<token>", methods=("POST",))
def webhook(carrier, token):
    """Answered fast: the body is stored once and the parcel's state is read back in a job."""
    body = request.get_data(cache=False)[:1_000_000]
    status, message = tracking.receive_webhook(current_runtime(), carrier, token, body, dict(request.headers))
    return {"code": status, "message": message}, status


def register(admin, ctx):
    app = getattr(admin, "app", None)
    if app is not None and "courier_public" not in app.blueprints:
        app.register_blueprint(public)
        csrf = app.extensions.get("csrf")
        if csrf is not None:
            csrf.exempt(public)    # carriers post without a session; the secret path is the credential
    admin.add_view(ShipmentView(Shipment, ctx.session, name=_l("Shipments"), endpoint="courier_shipment"),
                   menu="sales")
    extend_document(admin, "sales_order", "courier", links=order_links, actions=order_actions)
    admin.add_view(CodStatementView(CodStatement, ctx.session, name=_l("COD statements"),
                                    endpoint="courier_statement"), menu="sales")
    admin.add_view(PartnerAddressView(PartnerAddress, ctx.session, name=_l("Delivery addresses"),
                                      endpoint="courier_address"), menu="contacts")
    admin.add_view(AreaView(Area, ctx.session, name=_l("Courier areas"), endpoint="courier_area"), menu="settings")
