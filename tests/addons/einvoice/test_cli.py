"""``manage.py einvoice ...``: list, issue, send, pdf, gaps, export, series; one-line errors."""
from __future__ import annotations

import pytest

from core.models import Business
from tests.cli.conftest import Cli, cli_env
from tests.conftest import GOOD_ADDONS


@pytest.fixture
def cli(runtime, tmp_path):
    return Cli(cli_env(runtime.db.url, addons_path=(GOOD_ADDONS,), instance=tmp_path))


def test_einvoice_cli_round_trip(runtime, shop, cli, tmp_path):
    with runtime.session(all_businesses=True) as s:
        slug = s.get(Business, shop.id).slug
    order_id = shop.order(paid=True)
    from addons.sales.models import Order
    with shop.session() as s:
        order_number = s.get(Order, order_id).number
    issued = cli.json("einvoice", "issue", order_number, "--business", slug, "--type", "vat_invoice")
    number = issued["number"]
    assert number == "VAT-" + number.split("-")[1] + "-000001" and issued["state"] == "paid"
    again = cli("einvoice", "issue", order_number, "--business", slug, "--type", "vat_invoice", ok=False)
    assert again.exit_code == 1 and again.stderr.strip().startswith(f"error: order {order_number} already has")
    rows = cli.json("einvoice", "list", "--business", slug)
    assert rows[0]["number"] == number
    assert {k: rows[0][k] for k in ("type", "buyer_name", "buyer_country", "language", "total", "currency")} == {
        "type": "vat_invoice", "buyer_name": "Công ty Cổ phần Phần mềm Đông Á", "buyer_country": "VN",
        "language": "vi", "total": "200000", "currency": "VND"}
    sent = cli.json("einvoice", "send", number, "--business", slug)
    assert sent["to"] == "muahang@donga.vn" and sent["mail_id"]
    out = tmp_path / "doc.pdf"
    cli("einvoice", "pdf", number, "--out", out, "--business", slug)
    assert out.read_bytes().startswith(b"%PDF-")
    gaps = cli.json("einvoice", "gaps", "--business", slug)
    assert [(g["series"], g["issued"], g["ok"]) for g in gaps] == [("VAT", 1, True)]
    export = tmp_path / "ubl"
    files = cli.json("einvoice", "export", "--format", "ubl", "--out", export, "--number", number, "--business", slug)
    assert files[0]["number"] == number and (export / f"{number}.xml").read_bytes().startswith(b"<?xml")
    assert "no e-invoice document numbered 'NOPE'" in cli("einvoice", "send", "NOPE", "--business", slug,
                                                          ok=False).stderr
    added = cli.json("einvoice", "series-add", "--type", "vat_invoice", "--code", "1C26TAA", "--format",
                     "{series}-{number:08d}", "--business", slug)
    assert added["code"] == "1C26TAA"
    bad = cli("einvoice", "series-add", "--type", "receipt", "--code", "X", "--format", "{year}", "--business", slug,
              ok=False)
    assert bad.stderr.startswith("error: number format") and "Traceback" not in bad.stderr
