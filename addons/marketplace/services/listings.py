"""Listings: pulled from the shop and matched by SKU, mapped by hand, or published from the catalog."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from addons.catalog.models import Product, Variant
from core.errors import NotFound, UserError
from core.i18n import _

from ..models import Listing
from ..platforms import ProductData
from .images import platform_images
from .shops import call, get_shop, mark_synced
from .stock import available_for, on_hand_minus_reserved


def _upsert(session, shop_id: int, unit) -> tuple[Listing, bool]:
    row = session.scalar(select(Listing).where(Listing.shop_id == shop_id, Listing.item_id == str(unit.item_id),
                                               Listing.model_id == str(unit.model_id or "")))
    new = row is None
    if new:
        row = Listing(shop_id=shop_id, item_id=str(unit.item_id), model_id=str(unit.model_id or ""))
        session.add(row)
    row.sku = (unit.sku or "")[:64] or None
    row.name = (unit.name or "")[:255] or None
    row.platform_status = (unit.status or "")[:32] or None
    row.platform_price = unit.price
    row.platform_stock = unit.stock
    return row, new


def pull_listings(runtime, business_id: int, shop_id: int, *, create_missing: bool = False) -> dict:
    """Import every sellable unit of the shop; match unmapped ones to our variants by SKU.

    ``create_missing``: a unit whose SKU is not in the catalog becomes a simple product (its name
    and price as the platform shows them) and is mapped to it."""
    units = list(call(runtime, business_id, shop_id, lambda p, t: list(p.listings(t))))
    added = matched = created = 0
    with runtime.transaction(business_id) as session:
        shop = get_shop(session, shop_id)
        skus = {u.sku for u in units if u.sku}
        by_sku = dict(session.execute(select(Variant.sku, Variant.id).where(Variant.sku.in_(skus))).all()) if skus else {}
        for unit in units:
            row, new = _upsert(session, shop.id, unit)
            added += new
            if row.variant_id is None and row.sku:
                if row.sku in by_sku:
                    row.variant_id = by_sku[row.sku]
                    matched += 1
                elif create_missing:
                    from addons.catalog.services import create_product
                    product = create_product(session, sku=row.sku, name=row.name or row.sku,
                                             sale_price=unit.price if unit.price is not None else Decimal(0))
                    row.variant_id = by_sku[row.sku] = product.variants[0].id
                    created += 1
        session.flush()
    mark_synced(runtime, business_id, shop_id)
    return {"units": len(units), "added": added, "matched": matched, "created": created}


def listings(session, *, shop_id: int | None = None, unmapped: bool = False, limit: int = 500) -> list[Listing]:
    query = select(Listing).order_by(Listing.shop_id, Listing.id).limit(limit)
    if shop_id is not None:
        query = query.where(Listing.shop_id == shop_id)
    if unmapped:
        query = query.where(Listing.variant_id.is_(None))
    return list(session.scalars(query))


def map_sku(session, sku: str, shop_id: int, item_id: str, model_id: str = "") -> Listing:
    """Map our variant ``sku`` to the shop's item / model (the unit is created if the pull has not seen it)."""
    sku = (sku or "").strip()
    item_id, model_id = str(item_id or "").strip(), str(model_id or "").strip()
    if not item_id or len(item_id) > 64 or len(model_id) > 64:
        raise UserError(_("item: the platform's item id is required (at most 64 characters)"))
    variant = session.scalar(select(Variant).where(Variant.sku == sku))
    if variant is None:
        raise NotFound(_("sku: no variant %(sku)r in the catalog", sku=sku))
    shop = get_shop(session, shop_id)
    row = session.scalar(select(Listing).where(Listing.shop_id == shop.id, Listing.item_id == item_id,
                                               Listing.model_id == model_id))
    if row is None:
        row = Listing(shop_id=shop.id, item_id=item_id, model_id=model_id, sku=variant.sku)
        session.add(row)
    other = session.scalar(select(Listing).where(Listing.shop_id == shop.id, Listing.variant_id == variant.id,
                                                 Listing.id != row.id) if row.id else
                           select(Listing).where(Listing.shop_id == shop.id, Listing.variant_id == variant.id))
    if other is not None:
        raise UserError(_("sku: %(sku)s is already mapped to item %(item)s / model %(model)s on this shop",
                          sku=variant.sku, item=other.item_id, model=other.model_id or "-"))
    row.variant_id, row.stock_dirty = variant.id, True
    session.flush()
    return row


def set_variant(session, listing_id: int, variant_id: int | None = None, **_ignored) -> Listing:
    """The admin's manual map: the unit ``listing_id`` sells our variant ``variant_id`` (None: unmapped)."""
    row = session.get(Listing, listing_id)
    if row is None or row.business_id != session.info.get("business_id"):
        raise NotFound(_("listing #%(id)s does not exist", id=listing_id))
    if variant_id is None:
        return unmap(session, listing_id)
    variant = session.get(Variant, variant_id)
    if variant is None or variant.business_id != session.info.get("business_id"):
        raise NotFound(_("variant: #%(id)s does not exist", id=variant_id))
    return map_sku(session, variant.sku, row.shop_id, row.item_id, row.model_id)


def unmap(session, listing_id: int) -> Listing:
    row = session.get(Listing, listing_id)
    if row is None or row.business_id != session.info.get("business_id"):
        raise NotFound(_("listing #%(id)s does not exist", id=listing_id))
    row.variant_id = None
    session.flush()
    return row


def publish(runtime, business_id: int, shop_id: int, product_id: int, category_id: str = "") -> dict:
    """Create the product with its variants, price, stock, images and description at the platform.

    The product's images (paths under the media folder) are uploaded to the shop first, once per shop
    and file (``images.platform_images``); a missing or refused image publishes nothing."""
    from addons.catalog.services import variant_price
    from addons.sales.states import CHANNELS
    with runtime.session(business_id) as session:
        shop = get_shop(session, shop_id)
        product = session.get(Product, product_id)
        if product is None or product.business_id != business_id:
            raise NotFound(_("product #%(id)s does not exist", id=product_id))
        channel = shop.price_channel or (shop.platform if shop.platform in CHANNELS else None)
        active = [v for v in product.variants if v.active]
        if not active:
            raise UserError(_("product %(sku)s has no active variant to publish", sku=product.sku))
        free = on_hand_minus_reserved(session, [v.id for v in active])
        names = list(product.attribute_names or ())
        variants = tuple((v.sku, dict(zip(names, v.values or ())), variant_price(session, v.id, channel),
                          available_for(shop.stock_buffer, free[v.id])) for v in active)
        paths = list(product.images or ())
        name, description, weight = product.name, product.description or product.name, int(product.weight_g or 0)
    images = platform_images(runtime, business_id, shop_id, paths)
    data = ProductData(name=name, description=description, variants=variants, images=images,
                       category_id=category_id, weight_g=weight)
    units = call(runtime, business_id, shop_id, lambda p, t: p.publish(t, data))
    by_sku = {v[0]: v for v in variants}
    with runtime.transaction(business_id) as session:
        variant_ids = dict(session.execute(select(Variant.sku, Variant.id).where(Variant.sku.in_(list(by_sku)))).all())
        for unit in units:
            row, _new = _upsert(session, shop_id, unit)
            if unit.sku in variant_ids:
                row.variant_id = variant_ids[unit.sku]
                row.pushed_stock = by_sku[unit.sku][3]
                row.pushed_price = by_sku[unit.sku][2]
    return {"units": [{"sku": u.sku, "item_id": u.item_id, "model_id": u.model_id} for u in units]}
