"""Admin screens of partners, catalog and warehouse: lists, actions, and tenancy on every screen."""
import io
from decimal import Decimal

import pytest
from sqlalchemy import select

from addons.catalog.models import Product
from addons.partners.models import Partner
from addons.warehouse import services as wh
from addons.warehouse.models import PurchaseOrder, StockCount
from core.models import Business

from .conftest import level, put

D = Decimal
SCREENS = ["partners_partner", "catalog_product", "catalog_variant", "catalog_category", "catalog_brand",
           "catalog_tax_class", "catalog_price_list", "catalog_price_list_item", "warehouse_warehouse",
           "warehouse_stock_balance", "warehouse_stock_move", "warehouse_purchase_order", "warehouse_stock_count",
           "warehouse_reorder_point", "warehouse_supplier_product", "warehouse_receipt", "warehouse_stock_transfer",
           "warehouse_transfer"]


def business(runtime, shop):
    with runtime.session(all_businesses=True) as session:
        return session.get(Business, shop.business_id)


@pytest.fixture
def admin(runtime, shop, make_user, client_for):
    return client_for(make_user(business(runtime, shop)))


@pytest.mark.parametrize("endpoint", SCREENS)
def test_every_list_renders(admin, endpoint):
    assert admin.get(f"/admin/{endpoint}/").status_code == 200


def test_tenancy_other_business_rows_are_invisible_on_every_screen(runtime, shop, make_business, make_user,
                                                                  client_for):
    put(runtime, shop, "SKU-1", 3)
    with runtime.transaction(shop.business_id) as session:
        po = wh.create_purchase_order(session, shop.supplier, [(shop.variants["SKU-1"], D(2))])
        count = wh.create_count(session, shop.main)
        product_id = session.scalar(select(Product.id).where(Product.sku == "SKU-1"))
    other = make_business(country="VN", addons=["warehouse"])
    intruder = client_for(make_user(other))
    for endpoint in SCREENS:
        page = intruder.get(f"/admin/{endpoint}/").get_data(as_text=True)
        for secret in ("SKU-1", "WH-MAIN", "Sao Mai", po.number, count.number):
            assert secret not in page, (endpoint, secret)
    for url in (f"/admin/catalog_product/details/?id={product_id}", f"/admin/catalog_product/edit/?id={product_id}",
                f"/admin/warehouse_purchase_order/details/?id={po.id}",
                f"/admin/warehouse_stock_count/details/?id={count.id}",
                f"/admin/partners_partner/details/?id={shop.supplier}"):
        assert intruder.get(url).status_code == 404, url
    response = intruder.post(f"/admin/warehouse_purchase_order/transition/?id={po.id}", {"transition": "send"})
    assert response.status_code == 404
    response = intruder.post("/admin/warehouse_purchase_order/action/", {"action": "send", "rowid": [str(po.id)]})
    assert response.status_code == 404
    with runtime.session(shop.business_id) as session:
        assert wh.get_purchase_order(session, po.id).state == "draft"


def test_partner_form_validates_tax_id_through_the_service(runtime, shop, admin):
    bad = admin.post("/admin/partners_partner/new/", {"kind": "company", "name": "Bad Co", "country": "VN",
                                                      "tax_id": "0100109105", "language": "vi", "is_customer": "y",
                                                      "active": "y"})
    assert "is not a valid" in bad.get_data(as_text=True)   # the service's message, flashed on the form
    with runtime.session(shop.business_id) as session:
        assert session.scalar(select(Partner).where(Partner.name == "Bad Co")) is None
    admin.post("/admin/partners_partner/new/", {"kind": "company", "name": "Good Co", "country": "VN",
                                                "tax_id": "0100109106", "language": "vi", "is_customer": "y",
                                                "active": "y"})
    with runtime.session(shop.business_id) as session:
        assert session.scalar(select(Partner.tax_id).where(Partner.name == "Good Co")) == "0100109106"


def test_product_create_with_attributes(runtime, shop, admin):
    admin.post("/admin/catalog_product/new/", {"sku": "HAT", "name": "Mũ", "unit": "pc", "sale_price": "90000",
                                               "cost_price": "40000", "active": "y",
                                               "attributes": "colour=Red,Blue; size=M,L"})
    with runtime.session(shop.business_id) as session:
        product = session.scalar(select(Product).where(Product.sku == "HAT"))
        assert product is not None and len(product.variants) == 4


def test_csv_import_page_dry_run_and_errors(runtime, shop, admin):
    csv = "product_sku,name,sale_price\nNEW-9,Phở,abc\n"
    page = admin.post("/admin/catalog_import/", {"file": (io.BytesIO(csv.encode()), "p.csv"), "dry_run": "1"},
                      content_type="multipart/form-data").get_data(as_text=True)
    assert "import-errors" in page and "is not a number" in page
    csv = "product_sku,name,sale_price\nNEW-9,Phở,45000\n"
    page = admin.post("/admin/catalog_import/", {"file": (io.BytesIO(csv.encode()), "p.csv")},
                      content_type="multipart/form-data").get_data(as_text=True)
    assert "import-ok" in page
    with runtime.session(shop.business_id) as session:
        assert session.scalar(select(Product.name).where(Product.sku == "NEW-9")) == "Phở"
    export = admin.get("/admin/catalog_import/export")
    assert export.status_code == 200 and "NEW-9,Phở" in export.get_data(as_text=True)


def test_receive_purchase_order_and_apply_count_from_the_admin(runtime, shop, admin):
    a = shop.variants["SKU-1"]
    with runtime.transaction(shop.business_id) as session:
        po = wh.create_purchase_order(session, shop.supplier, [(a, D(6))])
    admin.post(f"/admin/warehouse_purchase_order/transition/?id={po.id}", {"transition": "send"})
    admin.post(f"/admin/warehouse_purchase_order/transition/?id={po.id}", {"transition": "receive", f"qty_{a}": "2"})
    with runtime.session(shop.business_id) as session:
        assert wh.get_purchase_order(session, po.id).state == "partial"
    assert level(runtime, shop, "SKU-1") == (D(2), D(0))
    details = admin.get(f"/admin/warehouse_purchase_order/details/?id={po.id}").get_data(as_text=True)
    assert "doc-lines" in details and "Partially received" in details

    with runtime.transaction(shop.business_id) as session:
        count = wh.create_count(session, shop.main)
    admin.post(f"/admin/warehouse_stock_count/transition/?id={count.id}", {"transition": "start"})
    admin.post(f"/admin/warehouse_stock_count/transition/?id={count.id}", {"transition": "record", f"counted_{a}": "5"})
    page = admin.get(f"/admin/warehouse_stock_count/details/?id={count.id}").get_data(as_text=True)
    assert "doc-lines" in page
    admin.post(f"/admin/warehouse_stock_count/transition/?id={count.id}", {"transition": "apply"})
    with runtime.session(shop.business_id) as session:
        assert session.get(StockCount, count.id).state == "applied"
    assert level(runtime, shop, "SKU-1") == (D(5), D(0))


def test_read_only_role_cannot_receive_or_apply(runtime, shop, make_user, client_for):
    a = shop.variants["SKU-1"]
    with runtime.transaction(shop.business_id) as session:
        po = wh.create_purchase_order(session, shop.supplier, [(a, D(1))])
        wh.send_purchase_order(session, po.id)
    viewer = client_for(make_user(business(runtime, shop), permissions=["warehouse.purchase.read"]))
    assert viewer.get("/admin/warehouse_purchase_order/").status_code == 200
    assert viewer.post(f"/admin/warehouse_purchase_order/transition/?id={po.id}",
                       {"transition": "receive"}).status_code == 403
    with runtime.session(shop.business_id) as session:
        assert session.get(PurchaseOrder, po.id).state == "sent"
