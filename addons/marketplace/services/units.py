"""A platform's units (item + model, or SKU) to our variants: the mapped listing first, else the SKU."""
from __future__ import annotations

from sqlalchemy import select

from ..models import Listing, Shop


def variants_by_unit(session, shop: Shop, lines) -> dict[tuple[str, str], int]:
    """{(item_id, model_id): variant id} for ``lines`` (anything with item_id, model_id and sku).

    A unit is found by its mapped listing; one without an item id (a TikTok return names only
    the SKU id) by the listing's model id; else by our variant's SKU."""
    wanted = {(ln.item_id or "", ln.model_id or "") for ln in lines}
    found: dict[tuple[str, str], int] = {}
    items = {i for i, _m in wanted if i}
    if items:
        rows = session.execute(select(Listing.item_id, Listing.model_id, Listing.variant_id).where(
            Listing.shop_id == shop.id, Listing.item_id.in_(items), Listing.variant_id.is_not(None))).all()
        found = {(i, m or ""): v for i, m, v in rows if (i, m or "") in wanted}
    models = {m for i, m in wanted if not i and m}
    if models:
        rows = session.execute(select(Listing.model_id, Listing.variant_id).where(
            Listing.shop_id == shop.id, Listing.model_id.in_(models), Listing.variant_id.is_not(None))).all()
        found.update({("", m): v for m, v in rows})
    missing = [ln for ln in lines if (ln.item_id or "", ln.model_id or "") not in found and ln.sku]
    if missing:
        from addons.catalog.models import Variant
        by_sku = dict(session.execute(select(Variant.sku, Variant.id).where(
            Variant.sku.in_({ln.sku for ln in missing}))).all())
        for ln in missing:
            if ln.sku in by_sku:
                found[(ln.item_id or "", ln.model_id or "")] = by_sku[ln.sku]
    return found
