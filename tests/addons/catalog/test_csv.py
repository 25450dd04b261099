from decimal import Decimal

import pytest
from sqlalchemy import func, select

from addons.catalog import csvio
from addons.catalog import services as s
from addons.catalog.models import Category, Product, Variant

HEADER = ("product_sku,name,category,brand,tax_class,sale_price,cost_price,name_ko,"
          "variant_sku,barcode,variant_price,attribute1,value1,attribute2,value2\n")
GOOD = HEADER + (
    "TEA,Trà xanh,Drinks/Tea,Phúc Long,vat8,45000,30000,녹차,,8935001234567,,,,,\n"
    "TEE,Áo thun,Clothing,Coolmate,vat10,199000,90000,,TEE-RED-S,,,colour,Red,size,S\n"
    "TEE,,,,,,,,TEE-RED-M,,209000,colour,Red,size,M\n"
    "TEE,,,,,,,,TEE-BLU-M,,,colour,Blue,size,M\n"
)


@pytest.fixture
def biz(runtime, make_business):
    return make_business(country="VN", addons=["catalog"])


def counts(runtime, biz):
    with runtime.session(biz.id) as session:
        return (session.scalar(select(func.count(Product.id))), session.scalar(select(func.count(Variant.id))),
                session.scalar(select(func.count(Category.id))))


def test_import_creates_products_variants_categories_with_progress(runtime, biz):
    ticks = []
    with runtime.transaction(biz.id) as session:
        report = csvio.import_products(session, GOOD, progress=ticks.append)
    assert report.written and sum(ticks) == 4
    assert (report.products_created, report.variants_created) == (2, 4)
    assert counts(runtime, biz) == (2, 4, 3)
    with runtime.session(biz.id) as session:
        tee_m = s.variant_by_sku(session, "TEE-RED-M")
        assert tee_m.attributes == {"colour": "Red", "size": "M"} and tee_m.price == Decimal("209000")
        tea = s.variant_by_sku(session, "TEA")
        assert tea.barcode == "8935001234567" and tea.product.translations == {"ko": "녹차"}
        assert tea.product.category.path == "Drinks/Tea"


def test_dry_run_reports_and_writes_nothing(runtime, biz):
    with runtime.transaction(biz.id) as session:
        report = csvio.import_products(session, GOOD, dry_run=True)
    assert report.ok and not report.written and report.products_created == 2
    assert counts(runtime, biz) == (0, 0, 0)


def test_bad_rows_are_reported_by_line_and_nothing_is_written(runtime, biz):
    bad = GOOD + (
        "MUG,Cốc,,,vat10,12.5,1000,,,,,,,,\n"           # line 6: VND has no decimals
        "PEN,Bút,,,vat99,5000,1000,,,,,,,,\n"           # line 7: unknown tax class
        "TEE,,,,,,,,TEE-RED-S,,,colour,Red,size,S\n"     # line 8: repeated variant
        ",Nameless,,,,1000,,,,,,,,,\n"                   # line 9: no product sku
    )
    with pytest.raises(csvio.CsvImportError) as err:
        with runtime.transaction(biz.id) as session:
            csvio.import_products(session, bad)
    lines = [line for line, _ in err.value.report.errors]
    assert lines == [6, 7, 8, 9]
    reasons = dict(err.value.report.errors)
    assert "decimal" in reasons[6] and "vat99" in reasons[7] and "line 3" in reasons[8]
    assert "line 6" in str(err.value)
    assert counts(runtime, biz) == (0, 0, 0)


def test_unknown_column_is_refused(runtime, biz):
    with pytest.raises(csvio.CsvImportError, match="unknown column"):
        with runtime.transaction(biz.id) as session:
            csvio.import_products(session, "product_sku,colour\nA,red\n")


def test_export_round_trips_and_reimport_updates(runtime, biz):
    with runtime.transaction(biz.id) as session:
        csvio.import_products(session, GOOD)
    with runtime.session(biz.id) as session:
        text = csvio.export_products(session)
    assert text.splitlines()[0].startswith("product_sku,name,")
    assert len(text.splitlines()) == 5
    changed = text.replace("209000", "219000")
    with runtime.transaction(biz.id) as session:
        report = csvio.import_products(session, changed)
    assert (report.products_created, report.products_updated) == (0, 2)
    assert (report.variants_created, report.variants_updated) == (0, 4)
    with runtime.session(biz.id) as session:
        assert s.variant_by_sku(session, "TEE-RED-M").price == Decimal("219000")
        assert csvio.export_products(session) == changed
