"""Catalog services: tax classes, categories, brands, products with generated
variants, prices per channel, and the lookups sales and warehouse rely on.

They validate, raise UserError with a clear message, flush, and never commit.
"""
from __future__ import annotations

import itertools
import re
import unicodedata
from decimal import Decimal

from sqlalchemy import bindparam, func, select

from core.db import get_in_business, get_or_not_found
from core.errors import NotFound, UserError
from core.i18n import LANGUAGES, _
from core.text import clean_text

from . import validate as v
from .models import (CHANNELS, MAX_ATTRIBUTES, Brand, Category, PriceList, PriceListItem, Product, TaxClass,
                     Variant)

# Tax classes a new business gets, by country (VAT rates in force; "exempt" is not 0 %).
DEFAULT_TAX_CLASSES = {
    "VN": [("vat10", "VAT 10%", "0.10"), ("vat8", "VAT 8%", "0.08"), ("vat5", "VAT 5%", "0.05"),
           ("vat0", "VAT 0%", "0"), ("exempt", "Not subject to VAT", None)],
    "KR": [("vat10", "VAT 10%", "0.10"), ("vat0", "Zero-rated", "0"), ("exempt", "VAT exempt", None)],
    "MX": [("iva16", "IVA 16%", "0.16"), ("iva8", "IVA 8% (border)", "0.08"), ("iva0", "IVA 0%", "0"),
           ("exempt", "Exento", None)],
}
FALLBACK_TAX_CLASSES = [("standard", "Standard rate", "0"), ("exempt", "Exempt", None)]


# ---------------------------------------------------------------- tax classes

def create_tax_class(session, code: str, name: str, rate, exempt: bool = False) -> TaxClass:
    code = v.sku(code, "code").lower()
    rate = Decimal(0) if exempt else v.rate(rate)
    if session.scalar(select(TaxClass.id).where(TaxClass.code == code)):
        raise UserError(_("tax class %(code)s already exists", code=repr(code)))
    tax_class = TaxClass(code=code, name=v.name(name, max_len=100), rate=rate, exempt=bool(exempt))
    session.add(tax_class)
    session.flush()
    return tax_class


def ensure_default_tax_classes(session, country: str) -> list[TaxClass]:
    """Create the country's usual VAT classes if missing (idempotent; on_enable calls it)."""
    have = set(session.scalars(select(TaxClass.code)))
    made = []
    for code, label, rate in DEFAULT_TAX_CLASSES.get(country, FALLBACK_TAX_CLASSES):
        if code not in have:
            made.append(create_tax_class(session, code, label, rate or 0, exempt=rate is None))
    return made


def tax_class_by_code(session, code: str) -> TaxClass:
    found = session.scalar(select(TaxClass).where(TaxClass.code == (code or "").strip().lower()))
    if found is None:
        known = ", ".join(session.scalars(select(TaxClass.code).order_by(TaxClass.code))) or "none"
        raise UserError(_("tax class %(code)s does not exist (known: %(known)s)", code=repr(code), known=known))
    return found


def on_enable(session, business_id: int) -> None:
    from core.models import Business
    country = session.scalar(select(Business.country).where(Business.id == business_id))
    ensure_default_tax_classes(session, country)


# ---------------------------------------------------------------- categories, brands

def create_category(session, name: str, parent_id: int | None = None) -> Category:
    name = v.name(name, max_len=120)
    if "/" in name:
        raise UserError(_("category name %(name)s must not contain '/' (it separates levels)", name=repr(name)))
    if parent_id is not None and get_in_business(session, Category, parent_id) is None:
        raise NotFound(_("category #%(id)s not found", id=parent_id))
    clash = select(Category.id).where(Category.name == name, Category.parent_id.is_(None) if parent_id is None
                                      else Category.parent_id == parent_id)
    if session.scalar(clash):
        raise UserError(_("category %(name)s already exists there", name=repr(name)))
    category = Category(name=name, parent_id=parent_id)
    session.add(category)
    session.flush()
    return category


def move_category(session, category_id: int, parent_id: int | None) -> Category:
    """Re-parent a category; refused when it would sit under itself (a cycle)."""
    category = get_or_not_found(session, Category, category_id, "category")
    node = get_or_not_found(session, Category, parent_id, "category") if parent_id is not None else None
    while node is not None:
        if node.id == category.id:
            raise UserError(_("category %(name)s cannot be placed under itself or its children",
                              name=repr(category.name)))
        node = node.parent
    category.parent_id = parent_id
    session.flush()
    return category


def category_by_path(session, path: str, create: bool = False) -> Category | None:
    """'Clothing/Shirts' -> the category, created level by level when ``create``."""
    parent = None
    for part in [p.strip() for p in (path or "").split("/") if p.strip()]:
        query = select(Category).where(Category.name == part, Category.parent_id == parent.id if parent else
                                       Category.parent_id.is_(None))
        found = session.scalar(query)
        if found is None:
            if not create:
                raise UserError(_("category %(path)s does not exist", path=repr(path)))
            found = create_category(session, part, parent.id if parent else None)
        parent = found
    return parent


def brand_by_name(session, name: str, create: bool = False) -> Brand | None:
    name = (name or "").strip()
    if not name:
        return None
    found = session.scalar(select(Brand).where(Brand.name == name))
    if found is None:
        if not create:
            raise UserError(_("brand %(name)s does not exist", name=repr(name)))
        found = Brand(name=v.name(name, "brand", 120))
        session.add(found)
        session.flush()
    return found


# ---------------------------------------------------------------- products and variants


def get_product(session, product_id: int) -> Product:
    return get_or_not_found(session, Product, product_id, "product")


def get_variant(session, variant_id: int) -> Variant:
    return get_or_not_found(session, Variant, variant_id, "variant")


def variant_by_sku(session, sku: str) -> Variant:
    found = session.scalar(select(Variant).where(Variant.sku == (sku or "").strip()))
    if found is None:
        raise NotFound(_("no variant with SKU %(sku)s", sku=repr(sku)))
    return found


def _translations(value) -> dict:
    value = value or {}
    if not isinstance(value, dict):
        raise UserError(_("translations: must be {language: name}"))
    out = {}
    for lang, text in value.items():
        if lang not in LANGUAGES:
            raise UserError(_("translations: language %(lang)s must be one of %(choices)s", lang=repr(lang),
                              choices=", ".join(LANGUAGES)))
        if text and str(text).strip():
            out[lang] = v.name(text, f"name ({lang})")
    return out


def _attributes(attributes) -> list[tuple[str, list[str]]]:
    attributes = attributes or {}
    if not isinstance(attributes, dict):
        raise UserError(_("attributes: must be {name: [values]}"))
    if len(attributes) > MAX_ATTRIBUTES:
        raise UserError(_("attributes: at most %(max)s (got %(count)s: %(names)s)", max=MAX_ATTRIBUTES,
                          count=len(attributes), names=", ".join(attributes)))
    out = []
    for name, values in attributes.items():
        name = v.name(name, "attribute name", 32)
        if isinstance(values, str) or not values:
            raise UserError(_("attribute %(name)s: needs a list of values", name=repr(name)))
        clean = [v.name(str(value), f"attribute {name!r} value", 64) for value in values]
        if len(set(clean)) != len(clean):
            raise UserError(_("attribute %(name)s: values repeat (%(values)s)", name=repr(name),
                              values=", ".join(clean)))
        out.append((name, clean))
    return out


def _sku_part(value: str, index: int) -> str:
    ascii_text = unicodedata.normalize("NFKD", value.replace("đ", "d").replace("Đ", "D"))
    ascii_text = re.sub(r"[^A-Za-z0-9]+", "", ascii_text.encode("ascii", "ignore").decode()).upper()
    return ascii_text[:12] or str(index + 1)


def _check_sku_free(session, model, sku: str, label: str, exclude_id=None):
    """SKUs are unique per business ignoring case (the lower(sku) indexes are the backstop)."""
    query = select(model.sku).where(func.lower(model.sku) == sku.lower())
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    taken = session.scalar(query)
    if taken is not None:
        if label == "variant":
            raise UserError(_("variant SKU %(sku)s is already used", sku=repr(sku)) if taken == sku else
                            _("variant SKU %(sku)s is already used as %(taken)s (SKUs ignore case)", sku=repr(sku),
                              taken=repr(taken)))
        raise UserError(_("product SKU %(sku)s is already used", sku=repr(sku)) if taken == sku else
                        _("product SKU %(sku)s is already used as %(taken)s (SKUs ignore case)", sku=repr(sku),
                          taken=repr(taken)))


def create_product(session, *, sku: str, name: str, sale_price, cost_price=0, tax_class_code: str | None = None,
                   category_id: int | None = None, brand_id: int | None = None, barcode: str | None = None,
                   unit: str = "pc", weight_g=None, length_mm=None, width_mm=None, height_mm=None,
                   images=(), translations=None, description: str | None = None, active: bool = True,
                   attributes: dict | None = None) -> Product:
    """Create a product and its variants.

    Without ``attributes`` the product gets one default variant with the product's
    SKU and barcode. With ``{"colour": ["Red", "Blue"], "size": ["S", "M"]}`` (up to
    three) every combination becomes a variant, SKU ``<sku>-RED-S`` and so on.
    """
    fields = _product_fields(session, dict(
        sku=sku, name=name, sale_price=sale_price, cost_price=cost_price, tax_class_code=tax_class_code,
        category_id=category_id, brand_id=brand_id, barcode=barcode, unit=unit, weight_g=weight_g,
        length_mm=length_mm, width_mm=width_mm, height_mm=height_mm, images=images, translations=translations,
        description=description, active=active))
    attrs = _attributes(attributes)
    product = _insert_product(session, fields, [a for a, _ in attrs])
    if not attrs:
        _check_sku_free(session, Variant, product.sku, "variant")
        product.variants.append(Variant(sku=product.sku, barcode=product.barcode))
    else:
        seen = set()
        for combo in itertools.product(*[values for _, values in attrs]):
            parts = [_sku_part(value, i) for i, value in enumerate(combo)]
            variant_sku = "-".join([product.sku] + parts)[:64]
            while variant_sku in seen:
                variant_sku = f"{variant_sku[:60]}-{len(seen)}"
            seen.add(variant_sku)
            _check_sku_free(session, Variant, variant_sku, "variant")
            padded = list(combo) + [None] * (MAX_ATTRIBUTES - len(combo))
            product.variants.append(Variant(sku=variant_sku, value1=padded[0], value2=padded[1], value3=padded[2]))
    session.flush()
    return product


def _insert_product(session, fields: dict, attribute_names: list[str]) -> Product:
    _check_sku_free(session, Product, fields["sku"], "product")
    product = Product(attribute_names=attribute_names, **fields)
    session.add(product)
    return product


def create_product_shell(session, attribute_names: list[str], **fields) -> Product:
    """A product with attributes but no variants yet; ``add_variant`` adds exactly the ones wanted
    (the CSV import lists variants explicitly instead of generating every combination)."""
    if not attribute_names:
        raise UserError(_("a product without attributes is created with create_product (it gets a default variant)"))
    names = [name for name, _ in _attributes({n: ["x"] for n in attribute_names})]
    if len(names) != len(attribute_names):
        raise UserError(_("attributes repeat: %(names)s", names=", ".join(attribute_names)))
    fields.setdefault("cost_price", 0)
    product = _insert_product(session, _product_fields(session, fields), names)
    session.flush()
    return product


PRODUCT_FIELDS = ("sku", "name", "sale_price", "cost_price", "tax_class_code", "category_id", "brand_id", "barcode",
                  "unit", "weight_g", "length_mm", "width_mm", "height_mm", "images", "translations", "description",
                  "active")


def _product_fields(session, raw: dict) -> dict:
    unknown = sorted(set(raw) - set(PRODUCT_FIELDS))
    if unknown:
        raise UserError(_("product: unknown field(s) %(fields)s", fields=", ".join(unknown)))
    out = {"sku": v.sku(raw["sku"]), "name": v.name(raw["name"]),
           "sale_price": v.price(session, raw["sale_price"], "sale_price"),
           "cost_price": v.cost(session, raw["cost_price"]), "barcode": v.barcode(raw.get("barcode")),
           "unit": v.name(raw.get("unit") or "pc", "unit", 16), "translations": _translations(raw.get("translations")),
           "description": clean_text(raw.get("description"), "description", multiline=True),
           "active": bool(raw.get("active", True))}
    for dim in ("weight_g", "length_mm", "width_mm", "height_mm"):
        out[dim] = v.optional_int(raw.get(dim), dim)
    images = list(raw.get("images") or ())
    if any(not isinstance(p, str) or ".." in p or p.startswith("/") for p in images):
        raise UserError(_("images: relative paths inside the media folder only"))
    out["images"] = images
    code = raw.get("tax_class_code")
    out["tax_class_id"] = tax_class_by_code(session, code).id if code else None
    for key, model, label in (("category_id", Category, "category"), ("brand_id", Brand, "brand")):
        ident = raw.get(key)
        if ident is not None:
            get_or_not_found(session, model, ident, label)
        out[key] = ident
    return out


def update_product(session, product_id: int, **fields) -> Product:
    """Change product fields (re-validated together); a simple product's variant follows its SKU/barcode."""
    product = get_product(session, product_id)
    current = {key: getattr(product, key) for key in PRODUCT_FIELDS}
    current.update(fields)
    clean = _product_fields(session, current)
    if clean["sku"] != product.sku:
        _check_sku_free(session, Product, clean["sku"], "product", exclude_id=product.id)
    simple = not product.attribute_names and len(product.variants) == 1
    for key, value in clean.items():
        setattr(product, key, value)
    if simple:
        variant = product.variants[0]
        if variant.sku != product.sku:
            _check_sku_free(session, Variant, product.sku, "variant", exclude_id=variant.id)
        variant.sku, variant.barcode = product.sku, product.barcode
    session.flush()
    return product


def add_variant(session, product_id: int, *, sku: str, values: dict, barcode: str | None = None,
                price=None, cost_price=None) -> Variant:
    """Add one variant whose ``values`` name exactly the product's attributes."""
    product = get_product(session, product_id)
    names = product.attribute_names or []
    if not names:
        raise UserError(_("product %(sku)s has no attributes; it keeps its single default variant", sku=product.sku))
    if set(values) != set(names):
        raise UserError(_("variant of %(sku)s needs values for %(names)s (got %(values)s)", sku=product.sku,
                          names=", ".join(names), values=", ".join(values)))
    combo = [v.name(str(values[n]), f"attribute {n!r} value", 64) for n in names]
    for other in product.variants:
        if other.values == combo:
            raise UserError(_("product %(sku)s already has a variant %(values)s (%(variant)s)", sku=product.sku,
                              values=" / ".join(combo), variant=other.sku))
    clean_sku = v.sku(sku)
    _check_sku_free(session, Variant, clean_sku, "variant")
    padded = combo + [None] * (MAX_ATTRIBUTES - len(combo))
    variant = Variant(sku=clean_sku, barcode=v.barcode(barcode), value1=padded[0], value2=padded[1],
                      value3=padded[2],
                      price=None if price in (None, "") else v.price(session, price),
                      cost_price=None if cost_price in (None, "") else v.cost(session, cost_price))
    product.variants.append(variant)
    session.flush()
    return variant


def update_variant(session, variant_id: int, **fields) -> Variant:
    """Change sku, barcode, price, cost_price or active; price/cost None means 'use the product's'."""
    variant = get_variant(session, variant_id)
    unknown = sorted(set(fields) - {"sku", "barcode", "price", "cost_price", "active"})
    if unknown:
        raise UserError(_("variant: unknown field(s) %(fields)s", fields=", ".join(unknown)))
    if "sku" in fields:
        new_sku = v.sku(fields["sku"])
        _check_sku_free(session, Variant, new_sku, "variant", exclude_id=variant.id)
        variant.sku = new_sku
    if "barcode" in fields:
        variant.barcode = v.barcode(fields["barcode"])
    if "price" in fields:
        variant.price = None if fields["price"] in (None, "") else v.price(session, fields["price"])
    if "cost_price" in fields:
        variant.cost_price = None if fields["cost_price"] in (None, "") else v.cost(session, fields["cost_price"])
    if "active" in fields:
        variant.active = bool(fields["active"])
    session.flush()
    return variant


def set_variant_cost(session, variant_id: int, cost) -> Variant:
    """Record a new unit cost (the warehouse's moving average after a goods receipt)."""
    return update_variant(session, variant_id, cost_price=cost)


# ---------------------------------------------------------------- prices and taxes

def create_price_list(session, name: str, channel: str) -> PriceList:
    if channel not in CHANNELS:
        raise UserError(_("channel %(channel)s must be one of %(choices)s", channel=repr(channel),
                          choices=", ".join(CHANNELS)))
    if session.scalar(select(PriceList.id).where(PriceList.channel == channel)):
        raise UserError(_("channel %(channel)s already has a price list", channel=repr(channel)))
    price_list = PriceList(name=v.name(name, max_len=120), channel=channel)
    session.add(price_list)
    session.flush()
    return price_list


def set_list_price(session, channel: str, variant_id: int, price) -> PriceListItem:
    """Set the channel price of a variant (creating the channel's list item)."""
    price_list = session.scalar(select(PriceList).where(PriceList.channel == channel))
    if price_list is None:
        raise UserError(_("channel %(channel)s has no price list; create one first", channel=repr(channel)))
    get_variant(session, variant_id)
    amount = v.price(session, price)
    item = session.scalar(select(PriceListItem).where(PriceListItem.price_list_id == price_list.id,
                                                      PriceListItem.variant_id == variant_id))
    if item is None:
        item = PriceListItem(price_list_id=price_list.id, variant_id=variant_id, price=amount)
        session.add(item)
    else:
        item.price = amount
    session.flush()
    return item


def variant_price(session, variant_id: int, channel: str | None = None) -> Decimal:
    """The unit price to sell at: the channel's active price list item, else the variant's, else the product's."""
    variant = get_variant(session, variant_id)
    if channel is not None:
        if channel not in CHANNELS:
            raise UserError(_("channel %(channel)s must be one of %(choices)s", channel=repr(channel),
                              choices=", ".join(CHANNELS)))
        listed = session.scalar(select(PriceListItem.price).join(PriceList).where(
            PriceList.channel == channel, PriceList.active.is_(True), PriceListItem.variant_id == variant_id))
        if listed is not None:
            return Decimal(listed)
    return Decimal(variant.effective_price)


_TERMS: list = []


def selling_terms(session, variant_ids, channel: str | None = None) -> dict[int, dict]:
    """Variant, product name, unit price and tax rate for many variants in one query.

    What an order needs per line, without a round trip per line; the same rules
    as ``variant_price`` and ``tax_rate``. Missing ids are simply absent.
    """
    from sqlalchemy.orm import contains_eager
    if channel is not None and channel not in CHANNELS:
        raise UserError(_("channel %(channel)s must be one of %(choices)s", channel=repr(channel),
                          choices=", ".join(CHANNELS)))
    ids = {int(v) for v in variant_ids}
    if not ids:
        return {}
    if not _TERMS:  # built once: every order asks, and building and keying it cost more than running it
        # The channel's price (one active list per channel, one item per variant) as a column of
        # the variants' statement, with the business bound in the subquery like the fence binds it.
        listed = (select(PriceListItem.price).join(PriceList, PriceList.id == PriceListItem.price_list_id)
                  .where(PriceList.channel == bindparam("terms_channel"), PriceList.active.is_(True),
                         PriceListItem.variant_id == Variant.id, PriceListItem.business_id == Variant.business_id,
                         PriceList.business_id == Variant.business_id)
                  .correlate(Variant).scalar_subquery())
        _TERMS.append(select(Variant, listed.label("listed_price")).join(Variant.product)
                      .outerjoin(Product.tax_class)
                      .options(contains_eager(Variant.product).contains_eager(Product.tax_class))
                      .where(Variant.id.in_(bindparam("terms_ids", expanding=True))))
    rows = session.execute(_TERMS[0], {"terms_ids": sorted(ids), "terms_channel": channel}).unique().all()
    variants = [variant for variant, _price in rows]
    listed = {variant.id: price for variant, price in rows if price is not None}
    terms = {}
    for variant in variants:
        tax_class = variant.product.tax_class
        rate = None if tax_class is None or tax_class.exempt else Decimal(tax_class.rate)
        price = listed.get(variant.id)
        terms[variant.id] = {"variant": variant, "product_name": variant.product.name, "tax_rate": rate,
                             "price": Decimal(price) if price is not None else Decimal(variant.effective_price)}
    return terms


def tax_class_of(session, variant_id: int) -> TaxClass | None:
    return get_variant(session, variant_id).product.tax_class


def tax_rate(session, variant_id: int) -> Decimal | None:
    """The VAT rate of the variant's product (0.10 = 10 %); None when it has no tax class or is exempt.

    Callers that must tell exempt from zero-rated (e-invoices) use ``tax_class_of``.
    """
    tax_class = tax_class_of(session, variant_id)
    if tax_class is None or tax_class.exempt:
        return None
    return Decimal(tax_class.rate)
