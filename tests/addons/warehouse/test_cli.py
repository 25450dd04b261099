"""``manage.py catalog import|export`` and ``manage.py warehouse check|stock|count|reorder``."""
import json
from decimal import Decimal

import pytest
from sqlalchemy import update

from addons.warehouse.models import StockBalance
from core.models import Business
from tests.cli.conftest import Cli, cli_env
from tests.conftest import GOOD_ADDONS

from .conftest import put


@pytest.fixture
def cli(runtime, tmp_path):
    return Cli(cli_env(runtime.db.url, addons_path=(GOOD_ADDONS,), instance=tmp_path))


def slug_of(runtime, shop):
    with runtime.session(all_businesses=True) as session:
        return session.get(Business, shop.business_id).slug


def test_catalog_import_dry_run_errors_and_export(runtime, shop, cli, tmp_path):
    slug = slug_of(runtime, shop)
    good = tmp_path / "good.csv"
    good.write_text("product_sku,name,sale_price,tax_class\nNEW-1,Bánh mì,20000,vat8\n", encoding="utf-8")
    dry = cli.json("catalog", "import", good, "--dry-run", "--business", slug)
    assert dry["dry_run"] and dry["products_created"] == 1 and not dry["written"]
    bad = tmp_path / "bad.csv"
    bad.write_text("product_sku,name,sale_price\nNEW-2,Phở,abc\nNEW-3,,100\n", encoding="utf-8")
    result = cli("catalog", "import", bad, "--business", slug, ok=False)
    assert result.exit_code == 1
    assert "line 2: sale_price: 'abc' is not a number" in result.stderr
    assert "line 3: name" in result.stderr and "error: 2 bad row(s); nothing was written" in result.stderr
    done = cli.json("catalog", "import", good, "--business", slug)
    assert done["written"] and done["variants_created"] == 1
    exported = cli("catalog", "export", "--business", slug).stdout
    assert "NEW-1,Bánh mì" in exported and "SKU-1,Trà xanh" in exported


def test_warehouse_stock_check_and_count(runtime, shop, cli, tmp_path):
    slug = slug_of(runtime, shop)
    put(runtime, shop, "SKU-1", 5)
    rows = cli.json("warehouse", "stock", "--business", slug, "--sku", "SKU-1")
    assert rows == [{"warehouse": "WH-MAIN", "sku": "SKU-1", "on_hand": "5", "reserved": "0", "available": "5"}]
    assert cli.json("warehouse", "check", "--business", slug)["consistent"] is True
    with runtime.transaction(shop.business_id) as session:
        session.execute(update(StockBalance).values(on_hand=Decimal(9)))
    assert "disagree with the ledger" in cli.fails("warehouse", "check", "--business", slug)
    repaired = cli.json("warehouse", "check", "--repair", "--business", slug)
    assert repaired["repaired"] and repaired["mismatches"][0]["ledger_on_hand"] == "5"
    assert "consistent" in cli("warehouse", "check", "--business", slug).stdout

    count = cli.json("warehouse", "count", "new", "WH-MAIN", "--business", slug)
    assert count["state"] == "counting" and count["lines"] == 1
    sheet = tmp_path / "count.csv"
    sheet.write_text("sku,counted\nSKU-1,4\n")
    cli("warehouse", "count", "import", count["number"], sheet, "--business", slug)
    variance = cli.json("warehouse", "count", "variance", count["number"], "--business", slug)
    assert variance[0]["variance"] == "-1"
    assert cli.json("warehouse", "count", "apply", count["number"], "--business", slug)["state"] == "applied"
    assert "is Applied" in cli.fails("warehouse", "count", "apply", count["number"], "--business", slug)
    assert cli.json("warehouse", "stock", "--business", slug, "--sku", "SKU-1")[0]["on_hand"] == "4"


def test_warehouse_command_refused_where_addon_disabled(runtime, make_business, cli):
    other = make_business(country="VN")
    assert "not enabled" in cli.fails("warehouse", "stock", "--business", other.slug)
