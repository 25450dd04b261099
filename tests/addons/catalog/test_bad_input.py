"""Issue #7 items 7-8 in the catalog: SKUs unique whatever their case (service and index), huge
numbers and non-ASCII digits refused by field, and ``catalog import`` answering bad files with
one line instead of a traceback."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from addons.catalog import csvio
from addons.catalog import services as s
from addons.catalog.models import Product, Variant
from core.errors import UserError
from core.models import Business
from tests.cli.conftest import Cli, cli_env
from tests.conftest import GOOD_ADDONS


@pytest.fixture
def biz(runtime, make_business):
    return make_business(country="VN", addons=["catalog"])


def test_skus_differing_only_in_case_are_refused(runtime, biz):
    with runtime.transaction(biz.id) as session:
        s.create_product(session, sku="P0001", name="Original", sale_price="1000")
    with pytest.raises(UserError, match="'p0001' is already used as 'P0001'"):
        with runtime.transaction(biz.id) as session:
            s.create_product(session, sku="p0001", name="Lower-case twin", sale_price="1000")
    with runtime.transaction(biz.id) as session:
        other = s.create_product(session, sku="P0002", name="Other", sale_price="1000")
    with pytest.raises(UserError, match="already used"):
        with runtime.transaction(biz.id) as session:
            s.update_variant(session, other.variants[0].id, sku="p0001")
    with runtime.transaction(biz.id) as session:   # a product may change the case of its own SKU
        s.update_product(session, other.id, sku="p0002")


def test_the_database_refuses_case_twins_too(runtime, biz):
    """The lower(sku) unique indexes are the backstop for writers that skip the service."""
    with runtime.transaction(biz.id) as session:
        s.create_product(session, sku="IDX-1", name="Indexed", sale_price="1000")
    for model, fields in ((Product, dict(name="Twin", sale_price=1, cost_price=0, attribute_names=[])),
                          (Variant, dict(product_id=None))):
        with pytest.raises(UserError, match=f"ux_{model.__tablename__}_business_sku_ci"):
            with runtime.transaction(biz.id) as session:
                if model is Variant:
                    fields["product_id"] = session.scalar(select(Product.id).where(Product.sku == "IDX-1"))
                session.add(model(sku="idx-1", **fields))
                session.flush()


@pytest.mark.parametrize("value, words", [("1e309", "too large"), ("NaN", "not a number"),
                                          ("9" * 29, "too large"), ("१२", "not a number"),
                                          ("Infinity", "not a number")])
def test_prices_refuse_hostile_numbers_naming_the_field(runtime, biz, value, words):
    with pytest.raises(UserError) as err:
        with runtime.transaction(biz.id) as session:
            s.create_product(session, sku="HOSTILE", name="Hostile", sale_price=value)
    assert str(err.value).startswith("sale_price: ") and words in str(err.value)


def test_negative_zero_is_stored_as_zero(runtime, biz):
    with runtime.transaction(biz.id) as session:
        product = s.create_product(session, sku="ZERO", name="Free sample", sale_price="-0", cost_price="-0.00")
        assert not product.sale_price.is_signed() and not product.cost_price.is_signed()


def test_a_top_level_category_is_created_with_no_parent(runtime, biz):
    with runtime.transaction(biz.id) as session:
        assert s.create_category(session, "Drinks", parent_id=None).parent_id is None


@pytest.fixture
def cli(runtime, tmp_path):
    return Cli(cli_env(runtime.db.url, addons_path=(GOOD_ADDONS,), instance=tmp_path))


def test_catalog_import_answers_bad_files_with_one_line(runtime, biz, cli, tmp_path):
    with runtime.session(all_businesses=True) as session:
        slug = session.get(Business, biz.id).slug
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("product_sku,name,sale_price\nA-1,Caf\xe9,100\n".encode("latin-1"))
    result = cli("catalog", "import", latin1, "--business", slug, ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"error: {latin1}: not valid UTF-8 (line 2); save the file as UTF-8"
    huge = tmp_path / "huge.csv"
    huge.write_text("product_sku,name,sale_price,cost_price\nH-1,Huge,1e309,0\nH-2,Nan,100,NaN\n"
                    f"H-3,Long,{'9' * 29},0\n", encoding="utf-8")
    result = cli("catalog", "import", huge, "--business", slug, ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "line 2: sale_price: '1e309' is too large" in result.stderr
    assert "line 3: cost_price: 'NaN' is not a number" in result.stderr
    assert f"line 4: sale_price: '{'9' * 29}' is too large" in result.stderr
    with runtime.session(biz.id) as session:
        assert session.scalar(select(func.count()).select_from(Product)) == 0


def test_csv_import_refuses_case_twins_within_one_file(runtime, biz):
    text = "product_sku,name,sale_price\nCASE-1,One,100\ncase-1,Two,100\n"
    with pytest.raises(csvio.CsvImportError) as err:
        with runtime.transaction(biz.id) as session:
            csvio.import_products(session, text)
    assert any("already used" in reason for _, reason in err.value.report.errors), err.value.report.errors
