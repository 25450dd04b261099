"""The newcomer's demo: every New order confirms, orders have distinct realistic times, paying
issues and e-mails the invoice; ``run --port`` points links in mail at that port."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.cli.conftest import Cli, cli_env
from tests.conftest import base_overrides, fresh_database_url


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    import dramatiq
    from core import runtime as runtime_module
    from core.addons.migrate import install_all
    from core.demo import seed_demo
    saved_runtime, saved_broker = runtime_module._current, dramatiq.get_broker()
    rt = runtime_module.build_runtime(base_overrides(tmp_path_factory,
                                                     fresh_database_url(tmp_path_factory, "demoflow")))
    try:
        install_all(rt)
        result = seed_demo(rt)
        yield rt, result["business_id"]
    finally:
        rt.db.dispose()
        runtime_module.set_current(saved_runtime)
        dramatiq.set_broker(saved_broker)


def _new_orders(rt, business_id):
    from addons.sales.models import Order
    with rt.session(business_id) as s:
        return s.scalars(select(Order.id).where(Order.state == "new").order_by(Order.id)).all()


def test_every_new_demo_order_can_be_confirmed(demo):
    from addons.sales import services
    rt, business_id = demo
    new = _new_orders(rt, business_id)
    assert len(new) >= 10                  # the demo leaves a realistic queue of New orders
    with rt.session(business_id) as s:
        for order_id in new:
            assert services.confirm_order(s, order_id).state == "processing"
        s.rollback()                       # leave them New for the other tests


def test_demo_orders_have_distinct_times_in_shop_hours_of_the_last_month(demo):
    from addons.sales.models import Order, Return
    from core.models import Business
    rt, business_id = demo
    with rt.session(business_id) as s:
        zone = ZoneInfo(s.scalar(select(Business.timezone).where(Business.id == business_id)))
        replacements = set(s.scalars(select(Return.replacement_order_id)
                                     .where(Return.replacement_order_id.is_not(None))))
        rows = [r for r in s.execute(select(Order.id, Order.created_at, Order.order_date, Order.confirmed_at,
                                            Order.completed_at)) if r.id not in replacements]
    assert len(rows) >= 290
    stamps = [r.created_at.replace(tzinfo=r.created_at.tzinfo or timezone.utc) for r in rows]
    assert len(set(stamps)) == len(stamps)
    now = datetime.now(timezone.utc)
    assert all(now - timedelta(days=31) <= t <= now for t in stamps)
    assert (max(stamps) - min(stamps)) > timedelta(days=20)           # spread over the month
    assert len({t.astimezone(zone).date() for t in stamps}) >= 20
    for row, stamp in zip(rows, stamps):
        local = stamp.astimezone(zone)
        assert row.order_date == local.date() and 8 <= local.hour < 22, (row.id, local)
        for later in (row.confirmed_at, row.completed_at):
            if later is not None:
                assert later.replace(tzinfo=later.tzinfo or timezone.utc) >= stamp
    # numbers follow time: the list sorted by date is the list sorted by id
    by_time = [r.id for _, r in sorted(zip(stamps, rows), key=lambda p: p[0])]
    assert by_time == sorted(by_time)


def test_paying_a_demo_order_issues_and_mails_its_invoice(demo):
    from addons.einvoice.models import Document
    from addons.partners.models import Partner
    from addons.sales import services
    from addons.sales.models import Order
    from core.jobs import execute
    from core.models import OutboxJob
    rt, business_id = demo
    with rt.transaction(business_id) as s:
        order = s.scalars(select(Order).join(Partner, Partner.id == Order.partner_id)
                          .where(Order.state == "new", Partner.email.is_not(None)).order_by(Order.id)).first()
        services.confirm_order(s, order.id)
        services.register_payment(s, order.id, order.total, "bank_transfer")
        order_id = order.id
    states = []
    for _ in range(3):
        with rt.session(business_id) as s:
            jobs = s.execute(select(OutboxJob.id, OutboxJob.actor).where(
                OutboxJob.state == "pending", OutboxJob.actor.startswith("einvoice."))).all()
        for job_id, actor in jobs:
            states.append((actor, execute(rt, actor, job_id)))
    assert ("einvoice.issue_for_order", "done") in states and ("einvoice.send_document", "done") in states
    with rt.session(business_id) as s:
        doc = s.scalar(select(Document).where(Document.order_id == order_id))
        assert doc is not None and doc.state in ("paid", "issued", "sent") and doc.sent_at is not None


@pytest.fixture
def served(monkeypatch):
    """``run`` up to the point it would serve: the app it would serve is captured instead."""
    import werkzeug.serving
    captured = {}

    def fake_run_simple(host, port, app, **_kw):
        captured.update(host=host, port=port, base_url=app.extensions["tessera"].config["BASE_URL"])
    monkeypatch.setattr(werkzeug.serving, "run_simple", fake_run_simple)
    return captured


def test_run_port_sets_the_links_in_mail_unless_base_url_is_set(cli_db, served):
    env = cli_env(cli_db.db.url)
    out = Cli(env)("run", "--port", "5123").output
    assert served["base_url"] == "http://127.0.0.1:5123" and served["port"] == 5123
    assert "http://127.0.0.1:5123" in out
    Cli(env)("run", "--port", "5124", "--host", "0.0.0.0")
    assert served["base_url"] == "http://127.0.0.1:5124"
    Cli(dict(env, TESSERA_BASE_URL="https://shop.example.com"))("run", "--port", "5125")
    assert served["base_url"] == "https://shop.example.com" and served["port"] == 5125


def test_served_base_url_forms():
    from core.cli_serve import served_base_url
    assert served_base_url("127.0.0.1", 8080) == "http://127.0.0.1:8080"
    assert served_base_url("0.0.0.0", 80) == "http://127.0.0.1:80"
    assert served_base_url("::", 5000) == "http://[::1]:5000"
    assert served_base_url("fe80::1", 5000) == "http://[fe80::1]:5000"
    assert served_base_url("backoffice.local", 5000) == "http://backoffice.local:5000"


def test_config_knows_which_keys_were_set():
    from core.config import load_config
    assert "BASE_URL" not in load_config({}, environ={}).explicit
    assert "BASE_URL" in load_config({}, environ={"TESSERA_BASE_URL": "https://x.example"}).explicit
    assert "BASE_URL" in load_config({"BASE_URL": "https://x.example"}, environ={}).explicit
