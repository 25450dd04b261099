"""Partner services: create, update, look up, snapshot.

Every function validates all fields first and raises one UserError listing every
problem, so a form or an import can show them together; nothing is written then.
They never commit: the caller's transaction does.
"""
from __future__ import annotations

import re

from babel import Locale
from sqlalchemy import select

from core.db import get_in_business, get_or_not_found
from core.errors import NotFound, UserError
from core.i18n import LANGUAGES, _, buyer_language
from core.models import Business
from core.taxid import validate_tax_id

from .models import CODE_PREFIX, KINDS, Partner

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[0-9 ().\-/]{5,32}$")
FIELDS = ("kind", "name", "tax_id", "country", "email", "phone", "language", "street", "city", "region",
          "postal_code", "peppol_id", "is_customer", "is_supplier", "payment_term_code", "notes", "active")
PEPPOL_ID_RE = re.compile(r"^(\d{4}):([A-Za-z0-9.\-_:]{1,60})$")
_TERRITORIES = None


def _territories():
    global _TERRITORIES
    if _TERRITORIES is None:
        _TERRITORIES = {code for code in Locale("en").territories if len(code) == 2 and code.isalpha()}
    return _TERRITORIES


def _clean(values: dict) -> dict:
    """Normalise and validate a full set of partner fields; raise UserError listing every problem."""
    out, problems = clean_partner(values)
    if problems:
        raise UserError(_("partner: %(problems)s", problems="; ".join(problems)))
    return out


def clean_partner(values: dict) -> tuple[dict, list[str]]:
    """Normalised fields and every problem ("tax_id: ..."), each naming its field.

    For callers that report a partner's problems under their own name (an order
    entry says ``customer.tax_id: ...``) before anything is written.
    """
    problems = []
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        problems.append(_("unknown field(s): %(fields)s", fields=", ".join(unknown)))
    out = {}
    for key in FIELDS:
        value = values.get(key)
        out[key] = value.strip() if isinstance(value, str) else value
    for key in ("tax_id", "email", "phone", "street", "city", "region", "postal_code", "peppol_id",
                "payment_term_code", "notes"):
        out[key] = out[key] or None
    if out["kind"] not in KINDS:
        problems.append(_("kind: %(value)s must be one of %(choices)s", value=repr(out["kind"]), choices=", ".join(KINDS)))
    if not out["name"]:
        problems.append(_("name: required"))
    elif len(out["name"]) > 200:
        problems.append(_("name: at most %(count)s characters", count=200))
    country = (out["country"] or "").upper()
    out["country"] = country
    if country not in _territories():
        problems.append(_("country: %(value)s is not an ISO 3166 two-letter code", value=repr(out["country"])))
    elif out["tax_id"]:
        try:
            out["tax_id"] = validate_tax_id(country, out["tax_id"])
        except UserError as exc:
            problems.append(f"tax_id: {exc}")  # the field's name, then core.taxid's reason
    if out["email"]:
        out["email"] = out["email"].lower()
        if not EMAIL_RE.match(out["email"]):
            problems.append(_("email: %(value)s is not an e-mail address", value=repr(out["email"])))
    if out["peppol_id"]:
        problems.extend(_peppol_problems(out["peppol_id"]))
    if out["phone"] and not PHONE_RE.match(out["phone"]):
        problems.append(_("phone: %(value)s is not a phone number", value=repr(out["phone"])))
    if out["language"] not in LANGUAGES:
        problems.append(_("language: %(value)s must be one of %(choices)s", value=repr(out["language"]),
                          choices=", ".join(LANGUAGES)))
    for flag in ("is_customer", "is_supplier", "active"):
        if not isinstance(out[flag], bool):
            problems.append(_("%(field)s: must be true or false", field=flag))
    if out["payment_term_code"] and len(out["payment_term_code"]) > 32:
        problems.append(_("payment_term_code: at most %(count)s characters", count=32))
    return out, problems


def _peppol_problems(value: str) -> list[str]:
    """A Peppol address is "scheme:identifier"; a GLN (scheme 0088) must carry its check digit."""
    match = PEPPOL_ID_RE.match(value)
    if not match:
        return [_("peppol_id: %(value)s must read scheme:identifier, e.g. 0088:8935012345677", value=repr(value))]
    from stdnum import ean   # python-stdnum is imported on first use, not at start-up
    if match.group(1) == "0088" and not ean.is_valid(match.group(2)):
        return [_("peppol_id: %(value)s is not a valid GLN (13 digits with check digit)", value=repr(match.group(2)))]
    return []


def create_partner(session, *, name: str, country: str, kind: str = "person", tax_id: str | None = None,
                   email: str | None = None, phone: str | None = None, language: str | None = None,
                   street: str | None = None, city: str | None = None, region: str | None = None,
                   postal_code: str | None = None, peppol_id: str | None = None, is_customer: bool = True,
                   is_supplier: bool = False,
                   payment_term_code: str | None = None, notes: str | None = None,
                   active: bool = True) -> Partner:
    """Validate and add a partner to the session's business (flushed, not committed).

    Without a ``language`` the partner gets the one their documents would go out in anyway
    (``core.i18n.buyer_language``: their country's, else the business's), the rule order entry
    uses for a new customer, so a Vietnamese partner of a Korean shop is not filed as English."""
    if language is None or not str(language).strip():
        language = buyer_language(None, country, _business_language(session))
    values = _clean(dict(kind=kind, name=name, tax_id=tax_id, country=country, email=email, phone=phone,
                         language=language, street=street, city=city, region=region, postal_code=postal_code,
                         peppol_id=peppol_id, is_customer=is_customer, is_supplier=is_supplier,
                         payment_term_code=payment_term_code, notes=notes, active=active))
    partner = Partner(**values)
    session.add(partner)
    session.flush()
    return partner


def _business_language(session) -> str | None:
    """The first language of the session's business (None for a session of no one business)."""
    business_id = session.info.get("business_id")
    business = session.get(Business, business_id) if business_id else None
    return (business.languages or [None])[0] if business else None


def get_partner(session, partner_id: int) -> Partner:
    """The partner of the session's business, or NotFound (another business's id is not found either)."""
    return get_or_not_found(session, Partner, partner_id, "partner")


def find_partner(session, ref: str) -> Partner:
    """A partner by id, tax id or e-mail: what staff type into the CLI."""
    ref = str(ref).strip()
    if ref.isdigit():
        try:
            return get_partner(session, int(ref))
        except NotFound:
            pass  # digits may be a tax id too
    matches = session.scalars(select(Partner).where((Partner.tax_id == ref.upper().replace(" ", ""))
                                                    | (Partner.email == ref.lower())).limit(2)).all()
    if len(matches) > 1:
        raise UserError(_("%(ref)s names several partners; give the id", ref=repr(ref)))
    if not matches:
        raise NotFound(_("no partner %(ref)s (give the id, the tax id or the e-mail)", ref=repr(ref)))
    return matches[0]


def partner_by_code(session, code) -> Partner:
    """The partner whose ``code`` is ``code`` ("C00042", or the bare number), or NotFound."""
    text = str(code or "").strip().upper()
    digits = text[len(CODE_PREFIX):] if text.startswith(CODE_PREFIX) else text
    # isascii: "²".isdigit() holds, but only 0-9 make a code
    well_formed = digits.isascii() and digits.isdigit() and len(digits) < 10
    partner = get_in_business(session, Partner, int(digits)) if well_formed else None
    if partner is None:
        raise NotFound(_("no partner with code %(code)s", code=repr(code)))
    return partner


def partner_by_tax_id(session, country: str, tax_id: str) -> Partner | None:
    """An active partner with this (compact, validated) tax id in ``country``: the index on tax id finds it."""
    return session.scalar(select(Partner).where(Partner.tax_id == tax_id, Partner.country == country,
                                                Partner.active.is_(True)).order_by(Partner.id).limit(1))


def update_partner(session, partner_id: int, **fields) -> Partner:
    """Change some fields; the whole partner is re-validated (a new country re-checks the tax id)."""
    partner = get_partner(session, partner_id)
    current = {key: getattr(partner, key) for key in FIELDS}
    current.update(fields)
    values = _clean(current)
    for key, value in values.items():
        setattr(partner, key, value)
    session.flush()
    return partner


def find_partners(session, text: str | None = None, *, customers: bool | None = None,
                  suppliers: bool | None = None, active: bool | None = True, limit: int = 100) -> list[Partner]:
    """Search by name, e-mail, phone or tax id (case-insensitive substring)."""
    query = select(Partner).order_by(Partner.name, Partner.id).limit(limit)
    if text:
        like = f"%{text.strip()}%"
        query = query.where(Partner.name.ilike(like) | Partner.email.ilike(like) | Partner.phone.ilike(like)
                            | Partner.tax_id.ilike(like))
    if customers is not None:
        query = query.where(Partner.is_customer == customers)
    if suppliers is not None:
        query = query.where(Partner.is_supplier == suppliers)
    if active is not None:
        query = query.where(Partner.active == active)
    return list(session.scalars(query))


def partner_snapshot(partner: Partner) -> dict:
    """The partner's identity and address as plain values, frozen onto documents (orders, invoices)
    so that later edits to the partner never change an issued document."""
    return {
        "partner_id": partner.id, "kind": partner.kind, "name": partner.name, "tax_id": partner.tax_id,
        "country": partner.country, "email": partner.email, "phone": partner.phone,
        "language": partner.language, "street": partner.street, "city": partner.city,
        "region": partner.region, "postal_code": partner.postal_code, "peppol_id": partner.peppol_id,
    }
