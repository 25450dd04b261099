"""Partner (customer) resources of the REST API: create, read, update and list.

The partner services validate (the tax id by the partner's country through
``core.taxid``, e-mail, phone, language); every problem is a 422 naming its field,
and nothing is written. ``PATCH`` changes only the fields sent, and the whole
partner is checked again (a new country re-checks the tax id).
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field
from sqlalchemy import select

from core.api.pagination import Page, PageQuery, keyset_page
from core.api.schemas import In, Out, Timestamp
from core.errors import FieldErrors
from core.i18n import _l

from . import services
from .models import Partner

Text = lambda n: Field(None, max_length=n)  # noqa: E731


class PartnerFields(In):
    kind: Literal["person", "company"] | None = None
    name: str | None = Field(None, max_length=200)
    tax_id: str | None = Text(64)
    country: str | None = Field(None, min_length=2, max_length=2, description="ISO 3166 two-letter code.")
    email: str | None = Text(200)
    phone: str | None = Text(64)
    language: str | None = Field(None, max_length=8, description="en, ko, vi, zh, ru or es (default: the "
                                                                  "country's language).")
    street: str | None = Text(300)
    city: str | None = Text(120)
    region: str | None = Text(120)
    postal_code: str | None = Text(20)
    peppol_id: str | None = Text(100)
    is_customer: bool | None = None
    is_supplier: bool | None = None
    payment_term_code: str | None = Text(32)
    notes: str | None = Field(None, max_length=5000)
    active: bool | None = None


class PartnerCreate(PartnerFields):
    name: str = Field(max_length=200)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166 two-letter code.")


class PartnerOut(Out):
    id: int
    code: str
    kind: str
    name: str
    tax_id: str | None
    country: str
    email: str | None
    phone: str | None
    language: str
    street: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    peppol_id: str | None
    is_customer: bool
    is_supplier: bool
    payment_term_code: str | None
    active: bool
    created_at: Timestamp
    updated_at: Timestamp


def _checked(values: dict) -> None:
    """Every problem of the full set of fields at once, each named by its field (nothing written)."""
    _cleaned, problems = services.clean_partner(values)
    if problems:
        raise FieldErrors(problems)


def register(api):
    @api.post("/partners", scope="partners.partner.create", summary=_l("Create a partner"), body=PartnerCreate,
              response=PartnerOut, status=201)
    def create_partner(ctx, body: PartnerCreate):
        values = body.model_dump(exclude_none=True)
        defaults = {"kind": "person", "is_customer": True, "is_supplier": False, "active": True,
                    "language": values.get("language") or "en"}
        _checked({key: None for key in services.FIELDS} | defaults | values)
        return services.create_partner(ctx.session, **values)

    @api.get("/partners", scope="partners.partner.read", summary=_l("Partners"), query=PageQuery,
             response=Page[PartnerOut])
    def list_partners(ctx, query: PageQuery):
        rows, next_url = keyset_page(ctx.session, select(Partner), (Partner.id,), query, "partners")
        return Page[PartnerOut](data=[PartnerOut.model_validate(p) for p in rows], next=next_url)

    @api.get("/partners/{partner_id}", scope="partners.partner.read", summary=_l("A partner"), response=PartnerOut)
    def get_partner(ctx, partner_id: int):
        return services.get_partner(ctx.session, partner_id)

    @api.patch("/partners/{partner_id}", scope="partners.partner.edit", summary=_l("Change a partner"),
               body=PartnerFields, response=PartnerOut)
    def update_partner(ctx, partner_id: int, body: PartnerFields):
        partner = services.get_partner(ctx.session, partner_id)
        changes = body.model_dump(exclude_unset=True)
        _checked({key: getattr(partner, key) for key in services.FIELDS} | changes)
        return services.update_partner(ctx.session, partner_id, **changes)
