"""``manage.py sales list|show|confirm|cancel|complete|pay``: output, --json, one-line errors."""
from __future__ import annotations

import pytest

from addons.sales import services
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
