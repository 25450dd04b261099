"""Screens: SAT data of products and customers, the CSD certificates, and the CFDIs.

Every change goes through a service (``fiscal``, ``csd``), so the catalogs are
checked the same way from the admin and the CLI. The CSD screen takes the
``.cer``, the ``.key`` and the password in a form; the list shows the number,
RFC and validity only: the key and the password are never shown again.
"""
from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from wtforms import FileField, Form, PasswordField

from core.admin import SecureModelView, ServiceForms, run_service
from core.admin_document import Action, Field, Link, extend_document
from core.formatting import register_labels
from core.i18n import _, _l

from .models import CANCEL_MOTIVE_LABELS, CANCEL_MOTIVES, CFDI_STATE_LABELS, CFDI_STATES, Cfdi, Csd, PartnerSat, \
    ProductSat
from .services import cancel, csd, fiscal

STATE_COLOURS = {"signed": "secondary", "stamped": "success", "cancel_requested": "warning",
                 "cancelled": "dark", "cancel_rejected": "danger"}


def _update_product(session, row_id, product_id, **values):
    return fiscal.set_product_sat(session, product_id, **values)


def _update_partner(session, row_id, partner_id, **values):
    return fiscal.set_partner_sat(session, partner_id, **values)


class ProductSatView(ServiceForms, SecureModelView):
    addon = "einvoice_mx"
    permission = "einvoice_mx.product"
    allow_delete = False
    service_create = staticmethod(fiscal.set_product_sat)
    service_update = staticmethod(_update_product)
    column_list = ("product", "clave_prod_serv", "clave_unidad", "objeto_imp", "ieps_rate")
    column_sortable_list = ()
    form_columns = ("product", "clave_prod_serv", "clave_unidad", "objeto_imp", "ieps_rate")
    form_ajax_refs = {"product": {"fields": ("sku",), "page_size": 20}}
    column_labels = {"product": _l("Product"), "clave_prod_serv": _l("Product or service key (SAT)"),
                     "clave_unidad": _l("Unit key (SAT)"), "objeto_imp": _l("Tax object (ObjetoImp)"),
                     "ieps_rate": _l("IEPS rate")}


class PartnerSatView(ServiceForms, SecureModelView):
    addon = "einvoice_mx"
    permission = "einvoice_mx.partner"
    allow_delete = False
    service_create = staticmethod(fiscal.set_partner_sat)
    service_update = staticmethod(_update_partner)
    column_list = ("partner", "legal_name", "regimen_fiscal", "fiscal_postcode", "uso_cfdi", "retains_isr_rate",
                   "retains_iva_rate")
    column_sortable_list = ()
    form_columns = ("partner", "legal_name", "regimen_fiscal", "fiscal_postcode", "uso_cfdi", "retains_isr_rate",
                    "retains_iva_rate")
    form_ajax_refs = {"partner": {"fields": ("name",), "page_size": 20}}
    column_labels = {"partner": _l("Customer"), "legal_name": _l("Name as registered at SAT"),
                     "regimen_fiscal": _l("Régimen fiscal"), "fiscal_postcode": _l("Fiscal postcode"),
                     "uso_cfdi": _l("CFDI use"), "retains_isr_rate": _l("ISR withheld"),
                     "retains_iva_rate": _l("IVA withheld")}


class CsdForm(Form):
    certificate = FileField(_l("Certificate (.cer)"))
    key = FileField(_l("Private key (.key)"))
    password = PasswordField(_l("Key password"))


def _file_bytes(field) -> bytes:
    data = field.data
    return data.read() if isinstance(data, FileStorage) else b""


class CsdView(SecureModelView):
    addon = "einvoice_mx"
    permission = "einvoice_mx.csd"
    allow_edit = False
    allow_delete = False
    allow_export = False
    form = CsdForm
    column_list = ("certificate_number", "rfc", "legal_name", "valid_from", "valid_to", "active")
    column_details_list = column_list
    column_sortable_list = ()
    column_labels = {"certificate_number": _l("Certificate number"), "rfc": _l("RFC"), "legal_name": _l("Name"),
                     "valid_from": _l("Valid from"), "valid_to": _l("Valid until"), "active": _l("Active")}

    def create_model(self, form):
        done, row = run_service(lambda s: csd.upload_csd(s, certificate=_file_bytes(form.certificate),
                                                          key=_file_bytes(form.key), password=form.password.data or ""))
        return row if done else False


class CfdiView(SecureModelView):
    addon = "einvoice_mx"
    permission = "einvoice_mx.cfdi"
    allow_create = allow_edit = allow_delete = False
    column_list = ("created_at", "document", "tipo", "state", "uuid", "receptor_rfc", "total", "acceptance",
                   "cancel_motive")
    column_details_list = column_list + ("serie", "folio", "pac", "certificate_number", "sat_certificate_number",
                                         "stamped_at", "replacement_uuid", "sat_status", "cancel_status",
                                         "cancelled_at")
    column_labels = {"created_at": _l("Created"), "document": _l("Document"), "tipo": _l("Type"),
                     "state": _l("State"), "uuid": _l("Fiscal UUID"), "receptor_rfc": _l("Receiver RFC"),
                     "total": _l("Total"), "acceptance": _l("Receiver acceptance"),
                     "cancel_motive": _l("Cancellation motive"), "serie": _l("Series"), "folio": _l("Folio"),
                     "pac": _l("PAC"), "certificate_number": _l("Certificate number"),
                     "sat_certificate_number": _l("SAT certificate number"), "stamped_at": _l("Stamped"),
                     "replacement_uuid": _l("Replaced by"), "sat_status": _l("SAT status"),
                     "cancel_status": _l("Cancellation status"), "cancelled_at": _l("Cancelled")}
    currency_attr = "document.currency"
    status_column, status_kind, status_colours = "state", "cfdi_state", STATE_COLOURS
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at",)
    column_filters = (FilterEqual(Cfdi.state, _l("State"), options=[(s, CFDI_STATE_LABELS[s]) for s in CFDI_STATES]),)

    @expose("/cancel/", methods=("POST",))
    def cancel_view(self):
        """Ask SAT to cancel the CFDI (the document page's button); the service says why not."""
        row = self.get_one(request.args.get("id", ""))
        if not self.allowed("cancel"):
            abort(403)
        motive, replacement = request.form.get("motive", ""), request.form.get("replacement") or None
        run_service(lambda s: cancel.request_cancel(s, row.uuid or "", motive, replacement),
                    _("Cancellation of %(uuid)s requested; SAT's answer follows.", uuid=row.uuid))
        back = request.form.get("back") or ""
        return redirect(back if back.startswith("/") and not back.startswith("//") else
                        url_for(".details_view", id=row.id))


def _cfdi_of(session, doc):
    return session.scalar(select(Cfdi).where(Cfdi.document_id == doc.id))


def document_links(session, doc) -> list:
    """The einvoice document page links its CFDI."""
    row = _cfdi_of(session, doc)
    if row is None:
        return []
    return [Link(row.uuid or _("CFDI #%(id)s", id=row.id), url_for("einvoice_mx_cfdi.details_view", id=row.id),
                 _("CFDI"), str(CFDI_STATE_LABELS.get(row.state, row.state)))]


def document_actions(session, doc) -> list:
    """"Cancel CFDI" on the einvoice document page while its CFDI is stamped."""
    row = _cfdi_of(session, doc)
    if row is None or row.state not in cancel.CANCELLABLE_STATES:
        return []
    return [Action(_l("Cancel CFDI at SAT"), url_for("einvoice_mx_cfdi.cancel_view", id=row.id),
                   "einvoice_mx.cfdi.cancel",
                   {"back": url_for("einvoice_document.details_view", id=doc.id)},
                   (Field("motive", _l("Motive"), "select", options=tuple((m, CANCEL_MOTIVE_LABELS[m])
                                                                         for m in CANCEL_MOTIVES), required=True),
                    Field("replacement", _l("Replacing CFDI UUID (motive 01)"))),
                   _l("Ask SAT to cancel this CFDI?"), "outline-danger")]


def register(admin, ctx):
    register_labels("cfdi_state", CFDI_STATE_LABELS)
    admin.add_view(CfdiView(Cfdi, ctx.session, name=_l("CFDI (Mexico)"), endpoint="einvoice_mx_cfdi"),
                   menu="invoicing")
    admin.add_view(CsdView(Csd, ctx.session, name=_l("CSD certificates"), endpoint="einvoice_mx_csd"),
                   menu="settings")
    extend_document(admin, "einvoice_document", "einvoice_mx", links=document_links, actions=document_actions)
    admin.add_view(ProductSatView(ProductSat, ctx.session, name=_l("SAT keys of products"),
                                  endpoint="einvoice_mx_product"), menu="inventory")
    admin.add_view(PartnerSatView(PartnerSat, ctx.session, name=_l("SAT data of customers"),
                                  endpoint="einvoice_mx_partner"), menu="contacts")
