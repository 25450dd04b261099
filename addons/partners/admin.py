"""Partner screens: list, search, filter, detail; create and edit go through the services,
so the admin validates tax ids exactly like the API. Partners are archived, not deleted."""
from __future__ import annotations

from flask_admin.contrib.sqla.filters import BooleanEqualFilter, FilterEqual

from core.admin import SecureModelView, ServiceForms

from . import services
from .models import KINDS, LANGUAGES, Partner


class PartnerView(ServiceForms, SecureModelView):
    addon = "partners"
    permission = "partners.partner"
    allow_delete = False
    service_create = staticmethod(services.create_partner)
    service_update = staticmethod(services.update_partner)
    column_list = ("code", "name", "kind", "country", "tax_id", "email", "phone", "is_customer", "is_supplier",
                   "active")
    code_columns = {"kind": "partner_kind"}
    column_default_sort = ("name", False)
    column_sortable_list = ("name",)            # (business_id, name) index
    column_searchable_list = ("name", "email", "phone", "tax_id")
    column_filters = (
        FilterEqual(Partner.kind, "Kind", options=[(k, k.capitalize()) for k in KINDS]),
        FilterEqual(Partner.country, "Country"),
        BooleanEqualFilter(Partner.is_customer, "Customer"),
        BooleanEqualFilter(Partner.is_supplier, "Supplier"),
        BooleanEqualFilter(Partner.active, "Active"),
    )
    form_columns = services.FIELDS
    form_choices = {"kind": [(k, k.capitalize()) for k in KINDS], "language": [(lang, lang) for lang in LANGUAGES]}
    column_details_list = ("code",) + services.FIELDS + ("created_at", "updated_at")


def register(admin, ctx):
    admin.add_view(PartnerView(Partner, ctx.session, name="Partners", endpoint="partners_partner"))
