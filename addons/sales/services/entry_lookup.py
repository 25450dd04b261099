"""What the entry screens search: sellable variants (barcode, SKU, product name) and customers.

Every query runs on indexed columns of the session's business and is limited:
an exact barcode or SKU (the unique (business_id, sku) index, the barcode
indexes), or a *prefix* of an SKU or a product name as a range on the
(business_id, sku) and (business_id, name) indexes, never ``LIKE '%x%'`` over the
whole catalog. Results are plain dicts ready for JSON; Decimals travel as text.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import or_, select

from core.money import minor_units

MAX_RESULTS = 20
_TOP = "\U0010ffff"   # sorts after every character: [text, text + _TOP) is "starts with text"


def _starts_with(column, text: str):
    return (column >= text) & (column < text + _TOP)


def _spellings(text: str) -> list[str]:
    """As typed, upper-case (SKUs) and capitalised (names): the index is case-sensitive."""
    return list(dict.fromkeys([text, text.upper(), text[:1].upper() + text[1:]]))


def find_sellable(session, text: str, *, channel: str | None = None, limit: int = MAX_RESULTS) -> list[dict]:
    """Active variants for a scanned barcode, a typed SKU or the start of a product name.

    Exact matches (a scanner's barcode, a full SKU) come first and are flagged
    ``exact``, so a screen can add the line straight away.
    """
    from addons.catalog import services as catalog
    from addons.catalog.models import Product, Variant
    text = (text or "").strip()[:64]
    if not text or "\x00" in text:
        return []
    limit = max(1, min(int(limit), MAX_RESULTS))
    active = (Variant.active.is_(True), Product.active.is_(True))
    base = select(Variant.id).join(Variant.product).where(*active)
    exact = list(session.scalars(base.where(or_(Variant.barcode == text, Variant.sku == text,
                                                Product.barcode == text)).limit(limit)))
    found = list(exact)
    for spelling in _spellings(text):
        if len(found) >= limit:
            break
        found += session.scalars(base.where(_starts_with(Variant.sku, spelling)).order_by(Variant.sku)
                                 .limit(limit)).all()
        found += session.scalars(base.where(_starts_with(Product.name, spelling))
                                 .order_by(Product.name, Variant.id).limit(limit)).all()
    ids = list(dict.fromkeys(found))[:limit]
    terms = catalog.selling_terms(session, ids, channel=channel)
    return [_sellable_row(terms[i], i in exact) for i in ids if i in terms]


def _sellable_row(terms: dict, exact: bool) -> dict:
    variant = terms["variant"]
    rate = terms["tax_rate"]
    return {"sku": variant.sku, "name": variant.display_name, "barcode": variant.barcode or variant.product.barcode,
            "price": _plain(terms["price"]), "tax_rate": None if rate is None else _plain(rate),
            "unit": variant.product.unit, "exact": exact}


def sellable_by_sku(session, skus, *, channel: str | None = None) -> dict[str, dict]:
    """The same rows for SKUs already on a form (to redraw its lines), by SKU; unknown SKUs are absent."""
    from addons.catalog import services as catalog
    from addons.catalog.models import Variant
    skus = {s for s in skus if s and "\x00" not in s}   # a NUL byte can match no SKU (and no query takes it)
    if not skus:
        return {}
    ids = session.scalars(select(Variant.id).where(Variant.sku.in_(skus))).all()
    return {t["variant"].sku: _sellable_row(t, True) for t in catalog.selling_terms(session, ids,
                                                                                  channel=channel).values()}


def find_customers(session, text: str, *, limit: int = 10) -> list[dict]:
    """Customers by code ("C00042"), exact tax id, or the start of the name."""
    from addons.partners import services as partners
    from addons.partners.models import Partner
    from core.errors import NotFound
    text = (text or "").strip()[:100]
    if not text or "\x00" in text:
        return []
    limit = max(1, min(int(limit), MAX_RESULTS))
    found = []
    try:
        found.append(partners.partner_by_code(session, text))
    except NotFound:
        pass
    customers = select(Partner).where(Partner.is_customer.is_(True), Partner.active.is_(True))
    found += session.scalars(customers.where(Partner.tax_id == text.replace(" ", "").replace("-", ""))
                             .limit(limit)).all()
    for spelling in _spellings(text):
        found += session.scalars(customers.where(_starts_with(Partner.name, spelling))
                                 .order_by(Partner.name, Partner.id).limit(limit)).all()
    rows = {p.id: p for p in found if p.is_customer and p.active}
    return [_customer_row(p) for p in list(rows.values())[:limit]]


def _customer_row(partner) -> dict:
    return {"code": partner.code, "name": partner.name, "phone": partner.phone, "email": partner.email,
            "tax_id": partner.tax_id, "country": partner.country, "payment_term": partner.payment_term_code,
            "address": ", ".join(p for p in (partner.street, partner.city, partner.region) if p)}


def money_format(currency: str) -> dict:
    """What a screen needs to show amounts like the server: the currency and its decimals."""
    return {"currency": currency, "decimals": minor_units(currency)}


def _plain(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")
