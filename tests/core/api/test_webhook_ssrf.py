"""The webhook SSRF guard (core.api.ssrf): private, loopback, link-local, multicast, reserved and
unspecified addresses (IPv4, IPv6, IPv4-mapped) refused at registration and again at delivery,
unless TESSERA_WEBHOOK_ALLOW_PRIVATE; a delivery connects to the address it checked (no second
lookup), follows no redirect and times out; a refused delivery is a failed one with its reason."""
from __future__ import annotations

import socket
import threading
import uuid

import pytest
from sqlalchemy import select

from core.api import ssrf, webhooks
from core.api.models import WebhookDelivery
from core.db import utcnow
from core.errors import FieldErrors
from core.jobs import enqueue
from core.models import OutboxJob

from .helpers import allow_private_webhooks, make_world
from .test_webhooks import Receiver, deliver_all

REFUSED = ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
           "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
           "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254"]
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", REFUSED)
def test_private_and_reserved_addresses_are_forbidden(address):
    assert ssrf.forbidden(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address):
    assert not ssrf.forbidden(address)


@pytest.fixture(scope="module")
def world(runtime):
    return make_world(runtime)


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture
def dns(monkeypatch):
    """Names the tests make up, resolved as told; each lookup is counted."""
    table, calls = {}, []

    def resolve(host, port):
        calls.append(host)
        if host in table:
            return list(table[host]) if not callable(table[host]) else table[host]()
        return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    monkeypatch.setattr(ssrf, "resolve", resolve)
    return table, calls


def register(runtime, world, url, allow_private=False):
    with runtime.transaction(world.business.id) as session:
        row, _secret = webhooks.create_endpoint(session, runtime.registry, runtime.config["SECRET_KEY"], url=url,
                                                events=["order.paid"], allow_private=allow_private)
        return row.id


def refused(runtime, world, url):
    with pytest.raises(FieldErrors) as caught:
        register(runtime, world, url)
    return " ".join(caught.value.problems)


@pytest.mark.parametrize("url", ["http://10.1.2.3/hooks", "http://169.254.169.254/latest/meta-data",
                                 "http://[::1]:8080/hooks", "http://[::ffff:127.0.0.1]/hooks",
                                 "https://localhost/hooks"])
def test_registration_refuses_private_urls(runtime, world, url):
    assert "points at a private or reserved address" in refused(runtime, world, url)


def test_a_name_resolving_to_loopback_refused_unless_allowed(runtime, world, dns):
    table, _calls = dns
    table["hooks.shop.example"] = ["127.0.0.1"]
    table["mixed.shop.example"] = ["93.184.216.34", "10.0.0.7"]    # one bad address in a round robin is enough
    table["public.shop.example"] = ["93.184.216.34"]
    assert "127.0.0.1" in refused(runtime, world, "https://hooks.shop.example/in")
    assert "10.0.0.7" in refused(runtime, world, "https://mixed.shop.example/in")
    assert register(runtime, world, "https://hooks.shop.example/in", allow_private=True)
    assert register(runtime, world, "https://public.shop.example/in")
    assert register(runtime, world, "https://not-live-yet.invalid/in")    # checked again at each delivery


def queue_delivery(runtime, world, endpoint_id) -> int:
    with runtime.transaction(world.business.id) as session:
        delivery = WebhookDelivery(endpoint_id=endpoint_id, event="order.paid", event_id="evt_" + uuid.uuid4().hex,
                                   state="pending", attempts=0, created_at=utcnow(), payload={"data": {"n": 1}})
        session.add(delivery)
        session.flush()
        enqueue(session, "core.deliver_webhook", delivery_id=delivery.id)
        return delivery.id


def delivered(runtime, world, delivery_id):
    deliver_all(runtime, world.business.id)
    with runtime.session(world.business.id) as session:
        return session.get(WebhookDelivery, delivery_id)


def test_delivery_checks_again_and_connects_to_the_checked_address(runtime, world, receiver, dns):
    table, calls = dns
    port = receiver.server.server_port
    table["rebind.shop.example"] = ["93.184.216.34"]
    endpoint_id = register(runtime, world, f"http://rebind.shop.example:{port}/hooks")
    table["rebind.shop.example"] = ["127.0.0.1"]        # DNS changed after registration
    receiver.received.clear()
    row = delivered(runtime, world, queue_delivery(runtime, world, endpoint_id))
    assert row.state == "failed" and row.attempts == 1 and row.response_status is None
    assert row.error.startswith("refused: url:") and "127.0.0.1" in row.error and receiver.received == []
    with runtime.session(all_businesses=True) as session:
        job = session.scalars(select(OutboxJob).where(OutboxJob.actor == "core.deliver_webhook")
                              .order_by(OutboxJob.id.desc())).first()
        assert job.state == "pending" and "refused" in job.last_error     # retried with backoff, no crash
    with allow_private_webhooks(runtime):
        calls.clear()
        row = delivered(runtime, world, queue_delivery(runtime, world, endpoint_id))
    # one lookup, and the POST went to 127.0.0.1 under the name (which real DNS cannot resolve)
    assert row.state == "delivered" and row.response_status == 200 and calls == ["rebind.shop.example"]
    headers, _body = receiver.received[-1]
    assert headers["Host"] == f"rebind.shop.example:{port}"


def test_a_redirect_is_a_failed_delivery_and_not_followed(runtime, world, receiver):
    with allow_private_webhooks(runtime):
        endpoint_id = register(runtime, world, receiver.url, allow_private=True)
        receiver.status, before = 302, len(receiver.received)
        try:
            row = delivered(runtime, world, queue_delivery(runtime, world, endpoint_id))
        finally:
            receiver.status = 200
    assert row.state == "failed" and row.response_status == 302 and "redirects are not followed" in row.error
    assert len(receiver.received) == before + 1


def test_a_silent_endpoint_times_out(runtime, world, monkeypatch):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)       # accepts the connection (backlog) and never answers
    monkeypatch.setattr(webhooks, "TIMEOUT_SECONDS", 0.3)
    try:
        with allow_private_webhooks(runtime):
            endpoint_id = register(runtime, world, f"http://127.0.0.1:{silent.getsockname()[1]}/hooks",
                                   allow_private=True)
            row = delivered(runtime, world, queue_delivery(runtime, world, endpoint_id))
    finally:
        silent.close()
    assert row.state == "failed" and row.response_status is None and "timed out" in row.error.lower()


def test_https_sends_the_name_as_sni_to_the_pinned_address(runtime, world, dns):
    """The TLS ClientHello that reaches the checked address names the host (SNI); this listener
    speaks no TLS, so the delivery fails cleanly with the TLS error as its reason."""
    table, _calls = dns
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    hello = []

    def accept():
        conn, _peer = listener.accept()
        hello.append(conn.recv(4096))
        conn.close()
    threading.Thread(target=accept, daemon=True).start()
    table["tls.shop.example"] = ["127.0.0.1"]
    try:
        with allow_private_webhooks(runtime):
            endpoint_id = register(runtime, world, f"https://tls.shop.example:{listener.getsockname()[1]}/hooks",
                                   allow_private=True)
            row = delivered(runtime, world, queue_delivery(runtime, world, endpoint_id))
    finally:
        listener.close()
    assert hello and b"tls.shop.example" in hello[0]
    assert row.state == "failed" and row.response_status is None and "SSL" in row.error


def test_editing_an_endpoint_to_a_private_url_is_refused_and_changes_nothing(runtime, world, dns):
    table, _calls = dns
    table["edit.shop.example"] = ["93.184.216.34"]
    endpoint_id = register(runtime, world, "https://edit.shop.example/hooks")
    with runtime.transaction(world.business.id) as session, pytest.raises(FieldErrors) as caught:
        webhooks.update_endpoint(session, runtime.registry, endpoint_id, url="http://[::ffff:169.254.169.254]/",
                                 events=["order.paid"])
    assert "private or reserved address" in " ".join(caught.value.problems)
    with runtime.session(world.business.id) as session:
        assert webhooks.get_endpoint(session, endpoint_id).url == "https://edit.shop.example/hooks"
