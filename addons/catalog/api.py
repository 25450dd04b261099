"""Catalog resources of the REST API: products with their variants and prices per channel (read).

``GET /api/v1/products`` pages by product id (``?cursor=``, ``?limit=``); ``?channel=web`` makes each variant's ``price`` that channel's (its active
price list item, else the variant's own price, the rule ``services.selling_terms``
sells at). ``channel_prices`` lists every active price list price of the variant.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.api.pagination import Page, PageQuery, keyset_page
from core.api.problems import not_found
from core.api.schemas import Number, Out, Query, Timestamp
from core.i18n import _, _l

from .models import CHANNELS, PriceList, PriceListItem, Product

Channel = Literal[CHANNELS]  # type: ignore[valid-type]


class VariantOut(Out):
    id: int
    sku: str
    barcode: str | None
    attributes: dict[str, str]
    price: Number = Field(description="The selling price (of ?channel when given).")
    channel_prices: dict[str, Number] = Field(description="Active price list prices by channel.")
    active: bool


class ProductOut(Out):
    id: int
    sku: str
    name: str
    translations: dict[str, str]
    description: str | None
    unit: str
    tax_class: str | None
    active: bool
    updated_at: Timestamp
    variants: list[VariantOut]


class ProductQuery(PageQuery):
    channel: Channel | None = Field(None, description="Price the variants for this sales channel.")


class ProductsQuery(Query):
    channel: Channel | None = Field(None, description="Price the variants for this sales channel.")


def _listed(session, variant_ids) -> dict[int, dict[str, object]]:
    prices: dict[int, dict[str, object]] = {}
    if variant_ids:
        for variant_id, channel, price in session.execute(
                select(PriceListItem.variant_id, PriceList.channel, PriceListItem.price).join(PriceList)
                .where(PriceList.active.is_(True), PriceListItem.variant_id.in_(variant_ids))):
            prices.setdefault(variant_id, {})[channel] = price
    return prices


def product_out(product: Product, listed: dict, channel: str | None) -> ProductOut:
    variants = []
    for v in product.variants:
        channel_prices = listed.get(v.id, {})
        price = channel_prices.get(channel) if channel else None
        variants.append(VariantOut(id=v.id, sku=v.sku, barcode=v.barcode, attributes=v.attributes,
                                   price=price if price is not None else v.effective_price,
                                   channel_prices=channel_prices, active=v.active))
    return ProductOut(id=product.id, sku=product.sku, name=product.name, translations=product.translations or {},
                      description=product.description, unit=product.unit, tax_class=product.tax_class_code,
                      active=product.active, updated_at=product.updated_at, variants=variants)


def _with_variants(statement):
    return statement.options(selectinload(Product.variants), selectinload(Product.tax_class))


def register(api):
    @api.get("/products", scope="catalog.product.read", summary=_l("Products with variants and prices"),
             query=ProductQuery, response=Page[ProductOut])
    def list_products(ctx, query: ProductQuery):
        statement = _with_variants(select(Product))
        rows, next_url = keyset_page(ctx.session, statement, (Product.id,), query, "products")
        listed = _listed(ctx.session, [v.id for p in rows for v in p.variants])
        return Page[ProductOut](data=[product_out(p, listed, query.channel) for p in rows], next=next_url)

    @api.get("/products/{product_id}", scope="catalog.product.read", summary=_l("A product"),
             query=ProductsQuery, response=ProductOut)
    def get_product(ctx, product_id: int, query: ProductsQuery):
        product = ctx.session.scalar(_with_variants(select(Product)).where(Product.id == product_id))
        if product is None:
            raise not_found(_("product %(id)s does not exist", id=product_id))
        return product_out(product, _listed(ctx.session, [v.id for v in product.variants]), query.channel)
