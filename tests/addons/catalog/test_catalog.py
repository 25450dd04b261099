from decimal import Decimal

import pytest
from sqlalchemy import select

from addons.catalog import services as s
from addons.catalog.models import Brand, Category, PriceList, Product, TaxClass, Variant
from core.errors import NotFound, UserError


@pytest.fixture
def vn(runtime, make_business):
    return make_business(country="VN", addons=["catalog"])


def test_enable_creates_country_tax_classes(runtime, vn, make_business):
    with runtime.session(vn.id) as session:
        rates = dict(session.execute(select(TaxClass.code, TaxClass.rate)).all())
        assert rates["vat10"] == Decimal("0.10") and rates["vat8"] == Decimal("0.08") and "exempt" in rates
    mx = make_business(country="MX", addons=["catalog"])
    with runtime.session(mx.id) as session:
        assert session.scalar(select(TaxClass.rate).where(TaxClass.code == "iva16")) == Decimal("0.16")


def test_simple_product_has_one_default_variant_and_margin(runtime, vn):
    with runtime.transaction(vn.id) as session:
        product = s.create_product(session, sku="TEA-01", name="Trà xanh", sale_price="45000",
                                   cost_price="30000.5", tax_class_code="vat8", translations={"ko": "녹차"})
        variant = product.variants[0]
    assert [v.sku for v in product.variants] == ["TEA-01"]
    assert product.margin == Decimal("14999.5") and product.margin_pct == Decimal("33.33")
    assert product.name_in("ko") == "녹차" and product.name_in("ru") == "Trà xanh"
    with runtime.session(vn.id) as session:
        assert s.variant_price(session, variant.id) == Decimal("45000")
        assert s.tax_rate(session, variant.id) == Decimal("0.08")


def test_attributes_generate_every_combination(runtime, vn):
    with runtime.transaction(vn.id) as session:
        product = s.create_product(session, sku="SHIRT", name="Áo thun", sale_price=199000,
                                   attributes={"colour": ["Đỏ", "Xanh"], "size": ["S", "M", "L"]})
        skus = [v.sku for v in product.variants]
        attrs = product.variants[0].attributes
    assert len(skus) == 6 and len(set(skus)) == 6
    assert skus[0] == "SHIRT-DO-S" and attrs == {"colour": "Đỏ", "size": "S"}


def test_more_than_three_attributes_or_bad_values_are_refused(runtime, vn):
    bad = [
        dict(attributes={"a": ["1"], "b": ["1"], "c": ["1"], "d": ["1"]}),
        dict(attributes={"colour": []}),
        dict(attributes={"colour": ["Red", "Red"]}),
        dict(sale_price="12.5"),          # VND has no decimals
        dict(sale_price=12.5),            # float refused
        dict(sale_price="-1"),
        dict(sale_price="NaN"),
        dict(tax_class_code="vat99"),
        dict(sku="bad sku"),
        dict(weight_g="heavy"),
    ]
    for extra in bad:
        fields = dict(sku="P1", name="Thing", sale_price="1000")
        fields.update(extra)
        with pytest.raises(UserError):
            with runtime.transaction(vn.id) as session:
                s.create_product(session, **fields)
    with runtime.session(vn.id) as session:
        assert session.scalars(select(Product)).all() == []


def test_duplicate_skus_are_refused(runtime, vn):
    with runtime.transaction(vn.id) as session:
        s.create_product(session, sku="A", name="A", sale_price=1000, attributes={"size": ["S"]})
    with pytest.raises(UserError, match="already used"):
        with runtime.transaction(vn.id) as session:
            s.create_product(session, sku="A", name="Again", sale_price=1000)
    with pytest.raises(UserError, match="already used"):
        with runtime.transaction(vn.id) as session:
            s.create_product(session, sku="A-S", name="Clash with variant", sale_price=1000)


def test_channel_price_list_wins_over_variant_and_product_price(runtime, vn):
    with runtime.transaction(vn.id) as session:
        product = s.create_product(session, sku="CUP", name="Cốc", sale_price=50000,
                                   attributes={"colour": ["Trắng", "Đen"]})
        white, black = product.variants
        s.update_variant(session, black.id, price="55000")
        s.create_price_list(session, "Shopee prices", "shopee")
        s.set_list_price(session, "shopee", white.id, "48000")
    with runtime.session(vn.id) as session:
        assert s.variant_price(session, white.id, "shopee") == Decimal("48000")
        assert s.variant_price(session, black.id, "shopee") == Decimal("55000")
        assert s.variant_price(session, white.id, "web") == Decimal("50000")
        with pytest.raises(UserError, match="channel"):
            s.variant_price(session, white.id, "ebay")
    with pytest.raises(UserError, match="already has a price list"):
        with runtime.transaction(vn.id) as session:
            s.create_price_list(session, "Again", "shopee")


def test_selling_terms_read_the_channel_price_like_variant_price(runtime, vn, make_business):
    """One statement for many variants, the channel's list price as its column: the same answer
    as ``variant_price``; an inactive list, another channel and another business's list do not count."""
    from addons.catalog.models import PriceList as Lists
    other = make_business(country="VN", addons=["catalog"])
    with runtime.transaction(vn.id) as session:
        product = s.create_product(session, sku="MUG", name="Ly", sale_price=30000,
                                   attributes={"colour": ["Xanh", "Đỏ"]})
        blue, red = (v.id for v in product.variants)
        s.create_price_list(session, "Lazada", "lazada")
        s.set_list_price(session, "lazada", blue, "27000")
        s.create_price_list(session, "TikTok", "tiktok")
        s.set_list_price(session, "tiktok", blue, "26000")
        session.scalar(select(Lists).where(Lists.channel == "tiktok")).active = False
    with runtime.transaction(other.id) as session:
        s.create_price_list(session, "Theirs", "lazada")
    with runtime.session(vn.id) as session:
        for channel in ("lazada", "tiktok", "web", None):
            terms = s.selling_terms(session, [blue, red], channel=channel)
            assert {v: t["price"] for v, t in terms.items()} == {
                v: s.variant_price(session, v, channel) for v in (blue, red)}, channel
        assert s.selling_terms(session, [blue], channel="lazada")[blue]["price"] == Decimal("27000")
        assert s.selling_terms(session, [blue], channel="tiktok")[blue]["price"] == Decimal("30000")


def test_exempt_tax_has_no_rate_but_is_distinguishable(runtime, vn):
    with runtime.transaction(vn.id) as session:
        product = s.create_product(session, sku="BOOK", name="Sách", sale_price=90000, tax_class_code="exempt")
        vid = product.variants[0].id
    with runtime.session(vn.id) as session:
        assert s.tax_rate(session, vid) is None
        assert s.tax_class_of(session, vid).exempt


def test_category_tree_and_cycle_refused(runtime, vn):
    with runtime.transaction(vn.id) as session:
        shirts = s.category_by_path(session, "Clothing/Shirts", create=True)
        clothing = shirts.parent
        assert shirts.path == "Clothing/Shirts"
        assert s.category_by_path(session, "Clothing/Shirts").id == shirts.id
    with pytest.raises(UserError, match="under itself"):
        with runtime.transaction(vn.id) as session:
            s.move_category(session, clothing.id, shirts.id)


def test_tenancy_catalog_rows_of_another_business_are_invisible(runtime, vn, make_business):
    other = make_business(country="VN", addons=["catalog"])
    with runtime.transaction(vn.id) as session:
        product = s.create_product(session, sku="MINE", name="Mine", sale_price=1000)
        s.category_by_path(session, "Secret", create=True)
        s.brand_by_name(session, "Hidden", create=True)
        s.create_price_list(session, "Web", "web")
        vid = product.variants[0].id
    with runtime.session(other.id) as session:
        for model in (Product, Variant, Category, Brand, PriceList):
            assert session.scalars(select(model)).all() == []
        with pytest.raises(NotFound):
            s.variant_price(session, vid)
        with pytest.raises(NotFound):
            s.variant_by_sku(session, "MINE")
    # the same SKU is free in another business
    with runtime.transaction(other.id) as session:
        s.create_product(session, sku="MINE", name="Also mine", sale_price=1000)
