"""Partner screens: list, search, filter, detail; create and edit go through the services,
so the admin validates tax ids exactly like the API. Partners are archived, not deleted."""
from __future__ import annotations

from flask_admin.contrib.sqla.filters import BooleanEqualFilter, FilterEqual

from core.admin import SecureModelView, ServiceForms
from core.formatting import register_labels
from core.i18n import LANGUAGE_NAMES, _l

from . import services
from .models import Partner

KIND_LABELS = {"person": _l("Person"), "company": _l("Company")}
register_labels("partner_kind", KIND_LABELS)


class PartnerView(ServiceForms, SecureModelView):
    addon = "partners"
    permission = "partners.partner"
    allow_delete = False
    service_create = staticmethod(services.create_partner)
    service_update = staticmethod(services.update_partner)
    column_list = ("code", "name", "kind", "country", "tax_id", "email", "phone", "is_customer", "is_supplier",
                   "active")
    code_columns = {"kind": "partner_kind"}
    column_labels = {"code": _l("Code"), "name": _l("Name"), "kind": _l("Type"), "country": _l("Country"),
                     "tax_id": _l("Tax ID"), "email": _l("E-mail"), "phone": _l("Phone"),
                     "language": _l("Language"), "street": _l("Street"), "city": _l("City"),
                     "region": _l("Region"), "postal_code": _l("Postal code"), "peppol_id": _l("Peppol ID"),
                     "is_customer": _l("Customer"), "is_supplier": _l("Supplier"),
                     "payment_term_code": _l("Payment term"), "notes": _l("Notes"), "active": _l("Active"),
                     "created_at": _l("Created"), "updated_at": _l("Updated")}
    column_default_sort = ("name", False)
    column_sortable_list = ("name",)            # (business_id, name) index
    column_searchable_list = ("name", "email", "phone", "tax_id")
    column_filters = (
        FilterEqual(Partner.kind, _l("Type"), options=list(KIND_LABELS.items())),
        FilterEqual(Partner.country, _l("Country")),
        BooleanEqualFilter(Partner.is_customer, _l("Customer")),
        BooleanEqualFilter(Partner.is_supplier, _l("Supplier")),
        BooleanEqualFilter(Partner.active, _l("Active")),
    )
    form_columns = services.FIELDS
    form_choices = {"kind": list(KIND_LABELS.items()), "language": list(LANGUAGE_NAMES.items())}
    column_details_list = ("code",) + services.FIELDS + ("created_at", "updated_at")

    def create_form(self, obj=None):
        """A new partner's language starts blank: the service then picks the country's language
        (else the business's), so a clerk who leaves it is not filing every partner as English."""
        form = super().create_form(obj)
        form.language.choices = [("", _l("From the country"))] + list(LANGUAGE_NAMES.items())
        if not form.language.raw_data:
            form.language.data = ""
        return form


def register(admin, ctx):
    admin.add_view(PartnerView(Partner, ctx.session, name=_l("Customers and suppliers"),
                               endpoint="partners_partner"), menu="contacts")
