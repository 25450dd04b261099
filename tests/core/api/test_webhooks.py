"""Webhooks out, to a receiver on loopback: signed deliveries of order.created / order.paid /
stock.changed through the outbox, the signature a receiver verifies, a failing endpoint retried
with backoff and its answer kept, replay by hand, and the secret encrypted at rest."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from core.api import webhooks
from core.api.models import WebhookDelivery, WebhookEndpoint
from core.errors import FieldErrors
from core.jobs import execute
from core.models import OutboxJob

from .helpers import allow_private_webhooks, app_for, bearer, make_world, token_for


class Receiver:
    """An HTTP endpoint on 127.0.0.1 that records what it is sent and answers ``status``."""

    def __init__(self):
        self.status, self.received = 200, []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                owner.received.append((dict(self.headers), body))
                self.send_response(owner.status)
                self.end_headers()
                self.wfile.write(b"thanks" if owner.status < 300 else b"down for maintenance")

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture(scope="module", autouse=True)
def private_receivers(runtime):
    """The receiver lives on 127.0.0.1: this module allows private webhook addresses explicitly."""
    with allow_private_webhooks(runtime):
        yield


@pytest.fixture(scope="module")
def hooked(runtime, receiver, private_receivers):
    world = make_world(runtime)
    with runtime.transaction(world.business.id) as session:
        row, secret = webhooks.create_endpoint(session, runtime.registry, runtime.config["SECRET_KEY"],
                                               url=receiver.url, events=["order.created", "order.paid",
                                                                         "stock.changed"], allow_private=True)
    return world, row.id, secret


def deliver_all(runtime, business_id):
    """Run every pending deliver_webhook job of the business, as a worker would."""
    with runtime.session(all_businesses=True) as session:
        ids = list(session.scalars(select(OutboxJob.id).where(OutboxJob.business_id == business_id,
                                                              OutboxJob.actor == "core.deliver_webhook",
                                                              OutboxJob.state == "pending")))
    return [execute(runtime, "core.deliver_webhook", job_id) for job_id in ids]


def test_signed_deliveries_of_an_order_paid_through_the_api(runtime, receiver, hooked):
    world, endpoint_id, secret = hooked
    client = app_for(runtime).test_client()
    token = bearer(token_for(runtime, world.business))
    order = client.post("/api/v1/orders", json={"customer": {"id": world.customer_id}, "external_ref": "HOOK-1",
                                                "lines": [{"sku": world.skus[0], "qty": 1}]}, headers=token).get_json()
    client.post(f"/api/v1/orders/{order['id']}/confirm", headers=token)
    client.post(f"/api/v1/orders/{order['id']}/payments", json={"amount": order["total"], "method": "card"},
                headers=token)
    receiver.received.clear()
    assert set(deliver_all(runtime, world.business.id)) == {"done"}
    events = {}
    for headers, body in receiver.received:
        assert webhooks.verify(secret, headers[webhooks.SIGNATURE_HEADER], body)
        assert not webhooks.verify(secret, headers[webhooks.SIGNATURE_HEADER], body + b" ")
        assert not webhooks.verify("whsec_other", headers[webhooks.SIGNATURE_HEADER], body)
        event = json.loads(body)
        assert event["type"] == headers["Tessera-Event"] and event["id"] == headers["Tessera-Event-Id"]
        events.setdefault(event["type"], []).append(event["data"])
    assert set(events) == {"order.created", "order.paid", "stock.changed"}    # not order.confirmed: not wanted
    assert events["order.created"][0]["number"] == order["number"]
    assert events["order.paid"][0]["payment_status"] == "paid"
    reserved = [b for data in events["stock.changed"] for b in data["balances"] if b["sku"] == world.skus[0]]
    assert reserved and reserved[-1]["reserved"] == "1"
    with runtime.session(world.business.id) as session:
        rows = session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)).all()
        assert {r.state for r in rows} == {"delivered"} and {r.response_status for r in rows} == {200}


def test_a_failing_endpoint_is_retried_with_backoff_and_can_be_replayed(runtime, receiver, hooked):
    world, endpoint_id, secret = hooked
    receiver.status = 503
    with runtime.transaction(world.business.id) as session:
        from addons.sales.services import create_order_from_entry
        create_order_from_entry(session, {"customer": {"code": str(world.customer_id)},
                                          "lines": [{"sku": world.skus[1], "qty": 1}]})
    try:
        assert deliver_all(runtime, world.business.id) == ["pending"]   # pending again, after a backoff
    finally:
        receiver.status = 200
    with runtime.session(world.business.id) as session:
        delivery = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id.desc())).first()
        assert (delivery.state, delivery.response_status, delivery.attempts) == ("failed", 503, 1)
        assert delivery.response_body == "down for maintenance" and "HTTP 503" in delivery.error
        job = session.scalars(select(OutboxJob).where(OutboxJob.actor == "core.deliver_webhook")
                              .order_by(OutboxJob.id.desc()), execution_options={"all_businesses": True}).first()
        assert job.state == "pending" and job.attempts == 1 and job.available_at > job.created_at
        assert "HTTP 503" in job.last_error
    with runtime.transaction(world.business.id) as session:
        webhooks.replay(session, delivery.id)
    assert "done" in deliver_all(runtime, world.business.id)
    headers, body = receiver.received[-1]
    assert json.loads(body)["id"] == delivery.event_id and webhooks.verify(secret, headers[webhooks.SIGNATURE_HEADER], body)
    with runtime.session(world.business.id) as session:
        assert session.get(WebhookDelivery, delivery.id).state == "delivered"


def test_secret_encrypted_at_rest_and_endpoint_checks(runtime, hooked):
    world, endpoint_id, secret = hooked
    with runtime.session(world.business.id) as session:
        row = session.get(WebhookEndpoint, endpoint_id)
        assert secret not in row.secret and row.secret.startswith("enc:") and secret.endswith(row.secret_hint)
        assert webhooks.unseal(row.secret, runtime.config["SECRET_KEY"]) == secret
    with runtime.transaction(world.business.id) as session, pytest.raises(FieldErrors) as refused:
        webhooks.create_endpoint(session, runtime.registry, "k", url="ftp://x", events=["order.nope"])
    assert {p.split(":")[0] for p in refused.value.problems} == {"url", "events"}


def test_signature_is_stripe_style_and_expires():
    header = webhooks.signature_header("whsec_test", b'{"a":1}', timestamp=1_700_000_000)
    import hashlib
    import hmac
    expected = hmac.new(b"whsec_test", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert webhooks.verify("whsec_test", header, b'{"a":1}', now=1_700_000_100)
    assert not webhooks.verify("whsec_test", header, b'{"a":1}', now=1_700_001_000)   # outside the window


def test_a_broken_payload_function_never_costs_the_order(runtime, hooked, monkeypatch):
    from addons.sales.services import create_order_from_entry
    world, endpoint_id, _secret = hooked
    import addons.sales.api as sales_api
    monkeypatch.setattr(sales_api.services, "get_order", lambda *a, **k: 1 / 0)
    with runtime.transaction(world.business.id) as session:
        order = create_order_from_entry(session, {"customer": {"code": str(world.customer_id)},
                                                  "lines": [{"sku": world.skus[0], "qty": 1}]}).order
        order_id = order.id
    with runtime.session(world.business.id) as session:
        delivery = session.scalars(select(WebhookDelivery).where(WebhookDelivery.event == "order.created")
                                   .order_by(WebhookDelivery.id.desc())).first()
        assert delivery.payload["data"] == {"order_id": order_id}
