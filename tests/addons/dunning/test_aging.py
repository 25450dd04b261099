"""AR aging (buckets, as of any date, CSV), the CLI's pause/dispute/aging, and the screens."""
from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from .conftest import TODAY
from .test_runs import cli
from .test_statements import cli_raw
from tests.web.conftest import app, client_for, make_user  # noqa: F401  (fixtures)


@pytest.fixture(scope="module")
def aged(runtime):
    from .conftest import make_books
    b = make_books(runtime)
    a = b.customer(name="An Co")
    z = b.customer(name="Zed Co")
    for days, amount in ((-5, "1000"), (10, "2000"), (45, "3000"), (75, "4000"), (200, "5000")):
        b.invoice(a, amount, due=TODAY - timedelta(days=days))
    paid = b.invoice(z, "7000", due=TODAY - timedelta(days=31))
    from addons.dunning.services import receivables
    with b.tx() as s:
        receivables.pay_invoice(s, paid, "7000", paid_on=TODAY - timedelta(days=10))
    return b, a, z, paid


def test_buckets_per_customer_and_total(aged):
    from addons.dunning.services.aging import aging
    b, a, z, _ = aged
    with b.session() as s:
        report = aging(s, TODAY)
    assert [r.customer for r in report.rows] == ["An Co"]
    assert report.rows[0].buckets == {"not_due": Decimal(1000), "d1_30": Decimal(2000), "d31_60": Decimal(3000),
                                      "d61_90": Decimal(4000), "over_90": Decimal(5000)}
    assert report.total == Decimal(15000)


def test_as_of_a_past_day_replays_the_ledger(aged):
    from addons.dunning.services.aging import aging
    b, a, z, _ = aged
    with b.session() as s:
        before = aging(s, TODAY - timedelta(days=20))  # Zed's invoice was not paid yet, 11 days overdue
        after = aging(s, TODAY - timedelta(days=5))
    zed = {r.customer: r for r in before.rows}["Zed Co"]
    assert zed.buckets["d1_30"] == Decimal(7000) and zed.total == Decimal(7000)
    assert "Zed Co" not in {r.customer for r in after.rows}


def test_cli_aging_json_and_csv(aged):
    b, *_ = aged
    data = json.loads(cli(b, "aging", "--as-of", TODAY.isoformat(), "--json").output)
    assert data["totals"] == {"not_due": "1000", "d1_30": "2000", "d31_60": "3000", "d61_90": "4000",
                              "over_90": "5000", "total": "15000"}
    assert data["currency"] == "VND" and data["as_of"] == TODAY.isoformat()
    csv_text = cli(b, "aging", "--as-of", TODAY.isoformat(), "--csv").output.splitlines()
    assert csv_text[0].startswith("customer,partner_id,not_due") and csv_text[-1].startswith("TOTAL,,1000,2000")


def test_cli_pause_and_dispute_contracts(aged):
    b, a, z, paid = aged
    until = (TODAY + timedelta(days=3650)).isoformat()
    out = json.loads(cli(b, "pause", "An Co", "--until", until, "--json").output)
    assert out["customer"] == "An Co" and out["paused_until"] == until
    bad = cli_raw(b, "pause", "An Co", "--until", "2020-01-01")
    assert bad.exit_code == 1 and "until: 2020-01-01 is in the past" in bad.output and "Traceback" not in bad.output
    nobody = cli_raw(b, "pause", "Nobody Ltd", "--until", until)
    assert nobody.exit_code == 1 and "no customer" in nobody.output
    assert json.loads(cli(b, "resume", "An Co", "--json").output)["paused_until"] is None
    number = b.receivable(paid).number
    assert json.loads(cli(b, "dispute", number, "--json").output)["disputed"] is True
    assert json.loads(cli(b, "dispute", number, "--clear", "--json").output)["disputed"] is False
    missing = cli_raw(b, "dispute", "INV-NOPE")
    assert missing.exit_code == 1 and "no issued invoice" in missing.output


def test_screens_render_and_send_posts_with_csrf(aged, make_user, client_for):
    from sqlalchemy import select
    from addons.dunning.models import Reminder
    b, *_ = aged
    c = client_for(make_user(b.business))
    for url in ("/admin/dunning_aging/", "/admin/dunning_run/", "/admin/dunning_statement_import/",
                "/admin/dunning_receivable/", "/admin/dunning_reminder/", "/admin/dunning_payment/",
                "/admin/dunning_statement_line/", "/admin/dunning_policy/", "/admin/dunning_account/",
                "/admin/dunning_policy/new/", "/admin/dunning_account/new/"):
        assert c.get(url).status_code == 200, url
    page = c.get(f"/admin/dunning_aging/?as_of={TODAY.isoformat()}").get_data(as_text=True)
    assert "<svg" in page and "An Co" in page and "/admin/dunning_receivable/?flt" in page
    export = c.get(f"/admin/dunning_aging/export?as_of={TODAY.isoformat()}")
    assert export.mimetype == "text/csv" and b"TOTAL" in export.data
    preview = c.get(f"/admin/dunning_run/?as_of={TODAY.isoformat()}").get_data(as_text=True)
    assert "An Co" in preview and 'action="/admin/dunning_run/send"' in preview
    refused = c.post("/admin/dunning_run/send", {"as_of": TODAY.isoformat()}, csrf=False)
    assert refused.status_code in (400, 302)
    with b.session() as s:
        assert s.scalar(select(Reminder.id)) is None  # no CSRF token, nothing written
    sent = c.post("/admin/dunning_run/send", {"as_of": TODAY.isoformat()})
    assert sent.status_code == 302
    with b.session() as s:
        assert [r.partner.name for r in s.scalars(select(Reminder))] == ["An Co"]
    b_number = next(iter(_open_numbers(b)))
    before = b.receivable(b_number).open_amount
    refused = c.post("/admin/dunning_statement_import/pay", {"invoice": b_number, "amount": "12x"})
    assert refused.status_code == 302 and b.receivable(b_number).open_amount == before
    c.post("/admin/dunning_statement_import/pay", {"invoice": b_number, "amount": "500",
                                                  "paid_on": TODAY.isoformat(), "reference": "cash at the desk"})
    assert b.receivable(b_number).open_amount == before - 500


def _open_numbers(b):
    from sqlalchemy import select
    from addons.dunning.models import Receivable
    with b.session() as s:
        return list(s.scalars(select(Receivable.number).where(Receivable.state == "open").order_by(Receivable.id)))



def test_send_with_a_bad_day_sends_nothing(aged, make_user, client_for):
    from sqlalchemy import func, select
    from addons.dunning.models import Reminder
    b, *_ = aged
    c = client_for(make_user(b.business))
    with b.session() as s:
        before = s.scalar(select(func.count(Reminder.id)))
    response = c.post("/admin/dunning_run/send", {"as_of": "99999999999999999999"})
    assert response.status_code == 302
    with b.session() as s:
        assert s.scalar(select(func.count(Reminder.id))) == before
