"""Issue #7 items 7-8 through the admin screens: a clear message on the field, no 500 and
nothing saved, for the cases the hostile-forms property test found on the original code."""
from __future__ import annotations

from sqlalchemy import func, select

from addons.catalog.models import Category, PriceListItem, Product
from addons.catalog.services import create_price_list, create_product
from addons.partners.services import create_partner
from addons.sales.models import Payment
from addons.sales.services import confirm_order, create_order
from addons.warehouse import services as wh
from addons.warehouse.models import ReorderPoint


def _count(runtime, business_id, model):
    with runtime.session(business_id) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_top_level_category_is_created_from_the_form(runtime, make_business, make_user, client_for):
    business = make_business(addons=["catalog"])
    client = client_for(make_user(business))
    response = client.post("/admin/catalog_category/new/", {"name": "Drinks", "parent": "__None"})
    assert response.status_code == 302
    with runtime.session(business.id) as s:
        assert s.scalar(select(Category.parent_id).where(Category.name == "Drinks")) is None


def test_hostile_numbers_and_nul_bytes_are_field_errors(runtime, make_business, make_user, client_for):
    business = make_business(addons=["catalog"])
    client = client_for(make_user(business))
    base = {"sku": "FORM-1", "name": "Form", "unit": "pc", "sale_price": "1000", "cost_price": "0", "active": "y"}
    for field, value, words in (("sale_price", "1e309", "too large"), ("sale_price", "NaN", "not a number"),
                                ("cost_price", "9" * 29, "too large"), ("weight_g", "१२", "not a number"),
                                ("name", "Nul\x00name", "NUL byte"), ("sku", "BAD\x00SKU", "NUL byte")):
        page = client.post("/admin/catalog_product/new/", {**base, field: value}).get_data(as_text=True)
        assert words in page, (field, value)
        assert _count(runtime, business.id, Product) == 0


def test_a_bad_payment_date_is_flashed_not_a_500(runtime, make_business, make_user, client_for):
    business = make_business(addons=["sales"])
    with runtime.transaction(business.id) as s:
        customer = create_partner(s, name="Khách", country="VN", is_customer=True).id
        variant = create_product(s, sku="PAY-1", name="Pay", sale_price="1000").variants[0].id
        order = create_order(s, partner_id=customer, lines=[{"variant_id": variant, "qty": "1"}])
        confirm_order(s, order.id)
        order_id = order.id
    client = client_for(make_user(business))
    for paid_on in ("2026-13-45", "99999-01-01", "\x00"):
        response = client.post(f"/admin/sales_order/pay/?id={order_id}",
                               {"amount": "1000", "method": "cash", "paid_on": paid_on}, follow_redirects=True)
        assert response.status_code == 200 and "paid_on" in response.get_data(as_text=True)
    page = client.post(f"/admin/sales_order/pay/?id={order_id}", {"amount": "1e309", "method": "cash"},
                       follow_redirects=True).get_data(as_text=True)
    assert "amount: &#39;1e309&#39; is too large" in page
    assert _count(runtime, business.id, Payment) == 0


def test_another_business_id_in_a_select_is_an_error_on_the_field(runtime, make_business, make_user,
                                                                    client_for):
    """The fence hides the other business's rows, so WTForms found "nothing chosen" and the
    form went on as if the field were empty; now the form says so."""
    mine, theirs = make_business(addons=["warehouse"]), make_business(addons=["warehouse"])
    with runtime.transaction(theirs.id) as s:
        foreign_warehouse = wh.create_warehouse(s, code="THEIRS", name="Theirs").id
        foreign_variant = create_product(s, sku="THEIRS-1", name="Theirs", sale_price="10").variants[0].id
    with runtime.transaction(mine.id) as s:
        warehouse = wh.create_warehouse(s, code="MINE", name="Mine").id
        variant = create_product(s, sku="MINE-1", name="Mine", sale_price="10").variants[0].id
        create_price_list(s, "Shopee", "shopee")
    client = client_for(make_user(mine))
    for endpoint, data, model in (
            ("warehouse_reorder_point", {"warehouse": str(foreign_warehouse), "variant": str(variant),
                                         "min_qty": "1", "max_qty": "5"}, ReorderPoint),
            ("warehouse_reorder_point", {"warehouse": str(warehouse), "variant": str(foreign_variant),
                                         "min_qty": "1", "max_qty": "5"}, ReorderPoint),
            ("catalog_price_list_item", {"price_list": "1", "variant": "987654321", "price": "5"}, PriceListItem)):
        page = client.post(f"/admin/{endpoint}/new/", data).get_data(as_text=True)
        assert "is not one of the choices of this business" in page, (endpoint, data)
        assert _count(runtime, mine.id, model) == 0
