"""``manage.py einvoice_kr ...`` and ``einvoice export --format kr``: the contracts of the issue, one-line errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from addons.einvoice_kr import kec
from tests.cli.conftest import Cli, cli_env

from .conftest import BUYER_BRN, CLOSED_BRN

RECEIPT_KEYS = {"number", "trade_type", "purpose", "trade_opt", "identity", "self_issued", "state", "mgt_key",
                "confirm_num", "trade_date", "supply_cost", "tax", "tax_free", "service_fee", "total", "original",
                "org_confirm_num", "org_trade_date", "cancel_reason", "partial", "error"}


@pytest.fixture(scope="module")
def cli(runtime, tmp_path_factory):
    return Cli(cli_env(runtime.db.engine.url.render_as_string(hide_password=False),
                       instance=tmp_path_factory.mktemp("kr-cli-instance")))


def _number(kr, order_id):
    from addons.sales.models import Order
    with kr.session() as s:
        return s.get(Order, order_id).number


def test_cashreceipt_and_cancel(cli, kr, popbill):
    slug = kr.business.slug
    order = _number(kr, kr.order(lines=(("0", "3"),)))
    shown = cli.json("einvoice_kr", "cashreceipt", order, "--identity", "010-2222-3333", "--purpose", "deduction",
                     "--business", slug)
    assert set(shown) == RECEIPT_KEYS and shown["state"] == "requested" and shown["identity"] == "010-****-3333"
    assert shown["total"] == 108900
    kr.run_jobs()
    assert "already has cash receipt" in cli.fails("einvoice_kr", "cashreceipt", order, "--business", slug)
    partial = cli.json("einvoice_kr", "cancel", shown["number"], "--amount", "36300", "--reason", "1",
                       "--business", slug)
    assert partial["trade_type"] == "cancel" and partial["partial"] and partial["total"] == 36300
    assert partial["original"] == shown["number"]
    kr.run_jobs()
    rest = cli.json("einvoice_kr", "cancel", shown["number"], "--reason", "3", "--business", slug)
    assert rest["total"] == 72600 and rest["partial"]   # the rest: still less than the original
    kr.run_jobs()
    chain = cli.json("einvoice_kr", "receipts", order, "--business", slug)
    assert [r["state"] for r in chain] == ["cancelled", "issued", "issued"]
    assert "error: " in cli.fails("einvoice_kr", "cancel", shown["number"], "--reason", "4", "--business", slug)
    assert "already cancelled in full" in cli.fails("einvoice_kr", "cancel", shown["number"], "--reason", "1",
                                                    "--business", slug)


def test_cashreceipt_errors_are_one_line(cli, kr):
    slug = kr.business.slug
    order = _number(kr, kr.order())
    assert "Luhn" in cli.fails("einvoice_kr", "cashreceipt", order, "--identity", "4111111111111112",
                               "--purpose", "proof", "--business", slug)
    assert "--identity VALUE" in cli.fails("einvoice_kr", "cashreceipt", order, "--business", slug)
    assert "no cash receipt numbered" in cli.fails("einvoice_kr", "cancel", "CR-0000-000000", "--reason", "1",
                                                   "--business", slug)
    assert "closed" in cli.fails("einvoice_kr", "cashreceipt", order, "--identity", CLOSED_BRN, "--purpose", "proof",
                                 "--business", slug)


def test_brn_status_json(cli, kr):
    rows = cli.json("einvoice_kr", "brn-status", BUYER_BRN, "101-82-13065", "--business", kr.business.slug)
    assert [(r["number"], r["status"]) for r in rows] == [("104-81-25258", "active"), ("101-82-13065", "closed")]
    assert set(rows[0]) == {"number", "status", "tax_type", "closed_on", "checked_on", "validated", "cached"}
    assert "not a valid business registration number" in cli.fails("einvoice_kr", "brn-status", "1234567890",
                                                                    "--business", kr.business.slug)


def test_self_issue_json(cli, kr):
    kr.settings(designated_trade=True)
    try:
        order = _number(kr, kr.order(lines=(("0", "5"),)))
        result = cli.json("einvoice_kr", "self-issue", "--as-of", "2099-01-01", "--business", kr.business.slug)
        assert result["as_of"] == "2099-01-01" and order in [o["order"] for o in result["overdue"]]
        from addons.einvoice_kr.services import common
        with kr.session() as s:
            today = common.today(s).isoformat()
        result = cli.json("einvoice_kr", "self-issue", "--as-of", today, "--business", kr.business.slug)
        assert {k for k in result} == {"as_of", "designated_trade", "threshold", "issued", "overdue"}
        assert [r["identity"] for r in result["issued"] if r["order"] == order] == ["010-000-1234"]
    finally:
        kr.settings(designated_trade=False)
    assert "error: " in cli.fails("einvoice_kr", "self-issue", "--as-of", "yesterday", "--business", kr.business.slug)


def test_export_format_kr(cli, kr, tmp_path):
    from addons.einvoice_kr.services import taxinvoices
    with kr.tx() as s:
        taxinvoices.create(s, buyer={"brn": BUYER_BRN, "name": "주식회사 한빛", "ceo": "최한빛"},
                           lines=[{"name": "녹차", "quantity": "10", "unit_price": "33000"}])
    kr.run_jobs()
    out = tmp_path / "kr"
    exported = cli.json("einvoice", "export", "--format", "kr", "--out", out, "--business", kr.business.slug)
    assert exported and all(Path(r["file"]).name == f"{r['number']}.xml" for r in exported)
    for row in exported:
        data = Path(row["file"]).read_bytes()
        assert kec.NS.encode() in data and kec.check(data) == []
