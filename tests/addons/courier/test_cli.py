"""``manage.py courier ...``: the issue's command names, options and --json keys; one-line errors."""
from __future__ import annotations

import pytest

from addons.courier.models import Shipment
from core.models import Business
from tests.cli.conftest import Cli, cli_env
from tests.conftest import GOOD_ADDONS

LIST_KEYS = {"number", "order", "carrier", "service", "state", "tracking_number", "cod", "fee"}


@pytest.fixture
def cli(runtime, tmp_path):
    return Cli(cli_env(runtime.db.url, addons_path=(GOOD_ADDONS,), instance=tmp_path))


def _slug(runtime, shop):
    with runtime.session(all_businesses=True) as s:
        return s.get(Business, shop.id).slug


def test_ship_list_track_label_cancel(runtime, ghn_shop, cli, tmp_path):
    slug = _slug(runtime, ghn_shop)
    order_id = ghn_shop.order(cod=True)
    number = ghn_shop.order_row(order_id).number
    quotes = cli.json("courier", "quote", number, "--business", slug)
    assert {(q["carrier"], q["service"]) for q in quotes} >= {("manual", "own"), ("ghn", "2"), ("ghn", "5")}
    shipped = cli.json("courier", "ship", number, "--carrier", "ghn", "--service", "2", "--cod", "100000",
                       "--parcel", "1200:30x20x10", "--parcel", "300:10x10x5", "--business", slug)
    assert (shipped["state"], shipped["cod"], shipped["fee"]) == ("requested", "100000", "27000")   # 1,500 g: 22,000 + 5,000
    rows = cli.json("courier", "list", "--business", slug)
    assert [set(r) for r in rows] == [LIST_KEYS] and rows[0]["tracking_number"] == shipped["tracking_number"]
    assert cli.json("courier", "list", "--state", "delivered", "--business", slug) == []
    tracked = cli.json("courier", "track", shipped["number"], "--business", slug)
    assert tracked["state"] == "ready_to_pick"
    assert {e["state"] for e in tracked["events"]} == {"requested", "ready_to_pick"}
    out = tmp_path / "labels.pdf"
    cli("courier", "label", shipped["number"], "--size", "a5", "--out", out, "--business", slug)
    assert out.read_bytes()[:4] == b"%PDF"
    assert cli.json("courier", "cancel", shipped["number"], "--business", slug)["state"] == "cancelled"
    assert "only shipments not yet picked up" in cli.fails("courier", "cancel", shipped["number"],
                                                          "--business", slug)


def test_errors_are_one_line(runtime, shop, cli):
    slug = _slug(runtime, shop)
    number = shop.order_row(shop.order()).number
    assert "cod: 999999999 is more than the order's total" in cli.fails(
        "courier", "ship", number, "--carrier", "manual", "--service", "own", "--cod", "999999999",
        "--business", slug)
    assert "not WEIGHT_G:LxWxH" in cli.fails("courier", "ship", number, "--carrier", "manual", "--service", "own",
                                             "--parcel", "500:1x2", "--business", slug)
    assert "no shipment 'NOPE'" in cli.fails("courier", "track", "NOPE", "--business", slug)
    assert "no GHN areas" not in cli.fails("courier", "sync-areas", "--carrier", "dhl", "--business", slug)


def test_manual_states_and_cod_import(runtime, shop, cli, tmp_path):
    slug = _slug(runtime, shop)
    number = shop.order_row(shop.order(cod=True)).number
    shipped = cli.json("courier", "ship", number, "--carrier", "manual", "--service", "own",
                       "--tracking-number", "OWN-1", "--business", slug)
    for state in ("picked", "delivered"):
        assert cli.json("courier", "set-state", "OWN-1", state, "--business", slug)["state"] == state
    assert "cannot become" in cli.fails("courier", "set-state", "OWN-1", "picked", "--business", slug)
    with shop.tx() as s:   # the statement format test: as if the parcel had gone through Viettel Post
        s.get(Shipment, s.query(Shipment.id).filter(Shipment.tracking_number == "OWN-1").scalar()).carrier = \
            "viettelpost"
    statement = tmp_path / "vtp.csv"
    statement.write_text(f"tracking_number,cod,fee,transfer_fee,transferred\nOWN-1,{shipped['cod']},20000,0,"
                         f"{int(shipped['cod']) - 20000}\n", encoding="utf-8")
    dry = cli.json("courier", "cod-import", statement, "--carrier", "viettelpost", "--dry-run", "--business", slug)
    assert (dry["matched"], dry["registered"], dry["dry_run"]) == (1, 0, True)
    done = cli.json("courier", "cod-import", statement, "--carrier", "viettelpost", "--business", slug)
    assert (done["registered"], done["mismatches"]) == (1, [])
    again = cli.json("courier", "cod-import", statement, "--carrier", "viettelpost", "--business", slug)
    assert again["already_imported"] and again["registered"] == 0
    assert cli.json("sales", "show", number, "--business", slug)["state"] == "completed"


def test_return_sends_a_failed_delivery_back(runtime, ghn_shop, fake_ghn, cli):
    slug = _slug(runtime, ghn_shop)
    number = ghn_shop.order_row(ghn_shop.order(pay=True)).number
    shipped = cli.json("courier", "ship", number, "--carrier", "ghn", "--service", "2", "--business", slug)
    assert "only a shipment whose delivery failed" in cli.fails("courier", "return", shipped["number"],
                                                                "--business", slug)
    fake_ghn.set_status(shipped["tracking_number"], "delivery_fail", "2026-12-02T10:00:00Z")
    assert cli.json("courier", "track", shipped["number"], "--business", slug)["state"] == "delivery_failed"
    assert cli.json("courier", "return", shipped["number"], "--business", slug)["state"] == "returning"
