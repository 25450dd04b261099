"""``manage.py sales list|show|confirm|cancel|complete|pay``: output, --json, one-line errors."""
from __future__ import annotations

import json

import pytest

from addons.sales import services
from addons.sales.models import Order
from core.models import Business
from tests.cli.conftest import Cli, cli_env
from tests.conftest import GOOD_ADDONS


@pytest.fixture
def cli(runtime, tmp_path):
    return Cli(cli_env(runtime.db.url, addons_path=(GOOD_ADDONS,), instance=tmp_path))


def test_sales_cli_round_trip(runtime, shop, cli):
    with runtime.session(all_businesses=True) as s:
        slug = s.get(Business, shop.id).slug
    with shop.tx() as s:
        order = services.create_order(s, channel="lazada", external_ref="LZ-9", partner_id=shop.customer_id,
                                      lines=[{"variant_id": shop.variants[0], "qty": "2"}])
        number = order.number
    rows = cli.json("sales", "list", "--business", slug)
    assert [(r["number"], r["channel"], r["status"], r["total"]) for r in rows] == [(number, "lazada", "New", "200000")]
    assert cli.json("sales", "list", "--business", slug, "--state", "completed") == []
    assert cli("sales", "confirm", number, "--business", slug).stdout.strip() == \
        f"order {number} confirmed: Awaiting payment"
    failed = cli("sales", "pay", "LZ-9", "250000", "--method", "cash", "--business", slug, ok=False)
    assert failed.exit_code == 1 and failed.stderr.strip() == (
        f"error: payment of 250000 VND is more than the 200000 VND still due on order {number}; "
        f"overpayments are refused")
    paid = cli.json("sales", "pay", "LZ-9", "200000", "--method", "bank_transfer", "--business", slug)
    assert paid["payment_status"] == "paid"
    assert "completed: Completed" in cli("sales", "complete", number, "--business", slug).stdout
    shown = cli.json("sales", "show", number, "--business", slug)
    assert shown["lines"][0]["qty"] == "2" and shown["lines"][0]["delivered"] == "2"
    assert shown["payments"] == [{"paid_on": shown["payments"][0]["paid_on"], "kind": "payment",
                                  "method": "bank_transfer", "amount": "200000", "reference": None}]
    refused = cli("sales", "cancel", number, "--business", slug, ok=False)
    assert refused.stderr.strip() == (f"error: order {number} is Completed; only New or Processing orders can "
                                      f"be cancelled")
    assert "no order 'NOPE'" in cli("sales", "show", "NOPE", "--business", slug, ok=False).stderr


# ---- sales create ----------------------------------------------------------------

def _slug(runtime, shop):
    with runtime.session(all_businesses=True) as s:
        return s.get(Business, shop.id).slug


def test_sales_create_from_file_prints_the_number(runtime, shop, cli, tmp_path):
    slug = _slug(runtime, shop)
    order_file = tmp_path / "order.json"
    # A JSON decimal (12.5 %) stays exact: the file is read with Decimal, never float.
    order_file.write_text('{"channel": "phone", "customer": {"code": "C%05d"}, "external_ref": "CALL-1",\n'
                          ' "lines": [{"sku": "%s", "qty": 2, "discount_percent": 12.5}], "shipping_fee": "20000"}'
                          % (shop.customer_id, shop.skus[0]), encoding="utf-8")
    created = cli("sales", "create", "--business", slug, "--file", order_file)
    number = created.stdout.strip()
    assert number.startswith("SO-") and "\n" not in number
    with shop.session() as s:
        order = services.find_order(s, number)
        assert (order.state, order.total, order.lines[0].discount_percent) == ("new", 175000 + 20000, 12.5)
    again = cli.json("sales", "create", "--business", slug, "--file", order_file)
    assert again == {"number": number, "state": "new", "total": "195000", "currency": "VND"}


def test_sales_create_confirm_and_json_contract(runtime, shop, cli, tmp_path):
    slug = _slug(runtime, shop)
    order_file = tmp_path / "order.json"
    order_file.write_text(json.dumps({"customer": {"name": "Kim Min-jun", "country": "VN"},
                                      "lines": [{"sku": shop.skus[1], "qty": "1"}]}))
    result = cli.json("sales", "create", "--business", slug, "--file", order_file, "--confirm")
    assert sorted(result) == ["currency", "number", "state", "total"]
    assert (result["state"], result["total"], result["currency"]) == ("processing", "250000", "VND")


@pytest.mark.parametrize("content, expected", [
    (None, "error: --file: no file "),
    ('{"lines": [\n  {"sku": "A" "qty": 1}]}', "error: --file: order.json is not valid JSON: Expecting ',' "
                                               "delimiter at line 2, column 15"),
    ('{"customer": {"code": "C%(customer)05d"}, "lines": [{"sku": "X", "qty": 1}]}',
     "error: lines[0].sku: no product with SKU 'X'"),
    ('{"customer": {"code": "C%(customer)05d"}, "lines": [{"sku": "%(sku)s", "qty": "-1"}]}',
     "error: lines[0].qty: must be greater than 0"),
    ('[1, 2]', "error: payload: must be an object, got list; customer: required"),
])
def test_sales_create_errors_are_one_line(runtime, shop, cli, tmp_path, content, expected):
    slug = _slug(runtime, shop)
    order_file = tmp_path / "order.json"
    if content is not None:
        order_file.write_text(content % {"customer": shop.customer_id, "sku": shop.skus[0]}
                              if "%(" in content else content)
    line = cli.fails("sales", "create", "--business", slug, "--file", order_file)
    assert line.startswith(expected), line
    with shop.session() as s:
        assert s.query(Order).count() == 0
