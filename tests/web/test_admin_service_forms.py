"""Admin create/edit forms that go through services: saved when valid, a flashed reason and nothing
saved when the service refuses (einvoice series, payment terms, purchase orders, stock counts,
reorder points, supplier prices)."""
from __future__ import annotations

from sqlalchemy import func, select

from addons.catalog.services import create_product
from addons.einvoice.models import Series
from addons.partners.services import create_partner
from addons.sales.models import PaymentTerm
from addons.warehouse import services as wh
from addons.warehouse.models import PurchaseOrder, ReorderPoint, StockCount, SupplierProduct


def _shop(runtime, make_business):
    business = make_business(country="VN", addons=["einvoice", "warehouse"])
    with runtime.transaction(business.id) as s:
        supplier = create_partner(s, name="Nhà cung cấp", country="VN", kind="company", is_supplier=True).id
        warehouse = wh.create_warehouse(s, code="WH-A", name="A").id
        variant = create_product(s, sku="FORM-1", name="Form product", sale_price="1000").variants[0].id
    return business, supplier, warehouse, variant


def _count(runtime, business_id, model):
    with runtime.session(business_id) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_service_backed_forms_save_or_explain(runtime, make_business, make_user, client_for):
    business, supplier, warehouse, variant = _shop(runtime, make_business)
    client = client_for(make_user(business))
    cases = [  # (endpoint, good form, bad form, model, words of the refusal)
        ("einvoice_series", {"doc_type": "sales_invoice", "code": "FORM", "name": "Form", "active": "y",
                             "number_format": "{series}-{year}-{number:06d}"},
         {"doc_type": "sales_invoice", "code": "FORM", "name": "Again", "active": "y",
          "number_format": "{series}-{year}-{number:06d}"}, Series, "FORM"),
        ("sales_term", {"code": "NET45", "name": "Net 45", "days": "45", "discount_percent": "0",
                        "discount_days": "0", "active": "y"},
         {"code": "BAD", "name": "Bad", "days": "-3", "discount_percent": "0", "discount_days": "0"},
         PaymentTerm, "days"),
        ("warehouse_purchase_order", {"supplier": str(supplier), "warehouse": str(warehouse)},
         {"supplier": "", "warehouse": str(warehouse)}, PurchaseOrder, "supplier"),
        ("warehouse_stock_count", {"warehouse": str(warehouse), "note": "form"},
         {"warehouse": str(warehouse), "note": "second open count"}, StockCount, "open"),
        ("warehouse_reorder_point", {"warehouse": str(warehouse), "variant": str(variant), "min_qty": "5",
                                     "max_qty": "20"},
         {"warehouse": str(warehouse), "variant": str(variant), "min_qty": "30", "max_qty": "20"},
         ReorderPoint, "max"),
        ("warehouse_supplier_product", {"partner": str(supplier), "variant": str(variant), "unit_cost": "700",
                                        "min_qty": "0", "lead_time_days": "3", "preferred": "y"},
         {"partner": str(supplier), "variant": str(variant), "unit_cost": "-1", "min_qty": "0",
          "lead_time_days": "3"}, SupplierProduct, "cost"),
    ]
    for endpoint, good, bad, model, words in cases:
        before = _count(runtime, business.id, model)
        client.post(f"/admin/{endpoint}/new/", good, follow_redirects=True)
        assert _count(runtime, business.id, model) == before + 1, endpoint
        page = client.post(f"/admin/{endpoint}/new/", bad, follow_redirects=True).get_data(as_text=True)
        assert _count(runtime, business.id, model) == before + 1, endpoint
        assert words in page, (endpoint, words)


def test_series_edit_goes_through_the_service(runtime, make_business, make_user, client_for):
    business, *_ = _shop(runtime, make_business)
    client = client_for(make_user(business))
    client.post("/admin/einvoice_series/new/", {"doc_type": "sales_invoice", "code": "EDIT", "name": "Before",
                                                "active": "y", "number_format": "{series}-{number:06d}"})
    with runtime.session(business.id) as s:
        series_id = s.scalar(select(Series.id).where(Series.code == "EDIT"))
    client.post(f"/admin/einvoice_series/edit/?id={series_id}",
                {"doc_type": "sales_invoice", "code": "EDIT", "name": "After", "active": "y",
                 "number_format": "{series}-{number:06d}"})
    page = client.post(f"/admin/einvoice_series/edit/?id={series_id}",
                       {"doc_type": "sales_invoice", "code": "EDIT", "name": "Broken", "active": "y",
                        "number_format": "no number here"}, follow_redirects=True).get_data(as_text=True)
    with runtime.session(business.id) as s:
        assert s.get(Series, series_id).name == "After"
    assert "number" in page


def test_new_partner_form_leaves_the_language_to_the_country(runtime, make_business, make_user, client_for):
    """The form's language starts blank ("From the country"): left so, a Vietnamese partner of a Korean
    shop reads Vietnamese, a Swiss one the shop's Korean; a language picked is kept."""
    import re

    from addons.partners.models import Partner
    business = make_business(country="KR", languages=["ko", "en"], addons=["partners"])
    client = client_for(make_user(business))
    form = client.get("/admin/partners_partner/new/").get_data(as_text=True)
    assert re.search(r'<option selected value="">From the country</option>|<option value="" selected>From the country',
                     form), re.search(r'<select[^>]*id="language".*?</select>', form, re.S).group(0)
    for name, country, language in (("Trần", "VN", ""), ("Hans", "CH", ""), ("Kim", "VN", "en")):
        response = client.post("/admin/partners_partner/new/", {"kind": "person", "name": name, "country": country,
                                                                 "language": language})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with runtime.session(business.id) as s:
        got = dict(s.execute(select(Partner.name, Partner.language)).all())
    assert got == {"Trần": "vi", "Hans": "ko", "Kim": "en"}
