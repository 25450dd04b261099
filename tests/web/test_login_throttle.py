"""Login throttling (per address across accounts, per account, growing delays), login audit, proxies."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from core.login import LOGIN_MODEL, LoginThrottle
from core.models import AuditEntry

from .conftest import PASSWORD, Client

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _ip(n=1):
    return f"172.16.{os.getpid() % 250}.{n}"


@pytest.fixture
def clock():
    now = [START]
    return now


def _fail(runtime, throttle, ip, email, times=1):
    for _ in range(times):
        with runtime.transaction() as s:
            throttle.failed(s, ip, email)


def _wait(runtime, throttle, ip, email):
    with runtime.session() as s:
        return throttle.retry_after(s, ip, email)


def test_count_is_in_the_database_and_shared_by_every_process(runtime, clock):
    ip = _ip(1)
    one = LoginThrottle(account_limit=2, address_limit=50, clock=lambda: clock[0])
    other_process = LoginThrottle(account_limit=2, address_limit=50, clock=lambda: clock[0])
    _fail(runtime, one, ip, "a1@x")
    _fail(runtime, other_process, ip, "a1@x")
    assert _wait(runtime, one, ip, "a1@x") > 0
    assert _wait(runtime, other_process, ip, "a1@x") > 0
    assert _wait(runtime, one, ip, "b1@x") == 0          # another account from the same address


def test_delay_doubles_per_failure_and_expires_instead_of_locking(runtime, clock):
    ip = _ip(2)
    throttle = LoginThrottle(account_limit=3, address_limit=50, base_delay=2, max_delay=16, window=3600,
                             clock=lambda: clock[0])
    _fail(runtime, throttle, ip, "a2@x", times=2)
    assert _wait(runtime, throttle, ip, "a2@x") == 0
    waits = []
    for _ in range(5):
        _fail(runtime, throttle, ip, "a2@x")
        waits.append(_wait(runtime, throttle, ip, "a2@x"))
    assert waits == [2, 4, 8, 16, 16]                     # growing, with a ceiling
    clock[0] += timedelta(seconds=16)
    assert _wait(runtime, throttle, ip, "a2@x") == 0      # waiting it out always works
    clock[0] += timedelta(seconds=3600)
    _fail(runtime, throttle, ip, "a2@x")
    assert _wait(runtime, throttle, ip, "a2@x") == 0      # old failures expired with the window


def test_spraying_many_accounts_from_one_address_is_limited(runtime, clock):
    ip = _ip(3)
    throttle = LoginThrottle(account_limit=5, address_limit=4, clock=lambda: clock[0])
    for n in range(4):
        assert _wait(runtime, throttle, ip, f"victim{n}@x") == 0
        _fail(runtime, throttle, ip, f"victim{n}@x")
    assert _wait(runtime, throttle, ip, "never-tried@x") > 0   # the address is slowed for every account
    assert _wait(runtime, throttle, _ip(4), "never-tried@x") == 0


def test_success_forgets_the_account_failures_but_not_the_address(runtime, clock):
    ip = _ip(5)
    throttle = LoginThrottle(account_limit=2, address_limit=3, clock=lambda: clock[0])
    _fail(runtime, throttle, ip, "a5@x", times=2)
    with runtime.transaction() as s:
        throttle.succeeded(s, ip, "a5@x")
    assert _wait(runtime, throttle, _ip(6), "a5@x") == 0
    _fail(runtime, throttle, ip, "b5@x")
    assert _wait(runtime, throttle, ip, "c5@x") > 0       # three failures from this address still count


def test_refused_attempts_do_not_count_so_the_delay_cannot_be_held(app, runtime, make_business, make_user):
    email = make_user(make_business())
    client = Client(app.test_client())
    for _ in range(5):
        assert client.post("/login", {"email": email, "password": "bad"}).status_code == 401
    for _ in range(5):  # hammering while the delay runs
        assert client.post("/login", {"email": email, "password": "bad"}).status_code == 429
    throttle = app.extensions["tessera_throttle"]
    with runtime.session() as s:
        assert throttle.retry_after(s, client.address, email) <= throttle.base_delay  # still the first delay


def test_every_login_attempt_is_audited(app, runtime, make_business, make_user):
    email = make_user(make_business())
    client = Client(app.test_client())
    agent = {"User-Agent": "audit-test-agent/1.0"}
    assert client.post("/login", {"email": email, "password": "bad"}, headers=agent).status_code == 401
    assert client.post("/login", {"email": "nobody-" + email, "password": "bad"},
                       headers=agent).status_code == 401
    assert client.post("/login", {"email": email, "password": PASSWORD}, headers=agent).status_code == 302
    with runtime.session(all_businesses=True) as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.model == LOGIN_MODEL).order_by(AuditEntry.id)))
        mine = [r for r in rows if r.after["email"] in (email, "nobody-" + email)]
    assert [r.action for r in mine] == ["login_failed", "login_failed", "login"]
    assert all(r.after["address"] == client.address and r.after["user_agent"] == "audit-test-agent/1.0"
               and r.at is not None for r in mine)
    assert mine[2].user_id is not None and mine[0].user_id is None


def _peer_seen(app, remote, forwarded):
    """The address the app sees for a request from ``remote`` carrying ``forwarded``."""
    seen = {}
    environ = {"REMOTE_ADDR": remote}
    headers = {"X-Forwarded-For": forwarded, "X-Forwarded-Proto": "https"} if forwarded else {}

    def probe(environ_, start_response):
        seen["addr"], seen["scheme"] = environ_["REMOTE_ADDR"], environ_["wsgi.url_scheme"]
        start_response("204 No Content", [])
        return [b""]
    from werkzeug.test import Client as WsgiClient
    from core.web.security import TrustedProxies
    WsgiClient(TrustedProxies(probe, app)).get("/", headers=headers, environ_overrides=environ)
    return seen["addr"], seen["scheme"]


def test_forwarded_for_is_believed_only_from_trusted_proxies():
    proxies = ["10.0.0.5", "192.168.7.0/24"]
    assert _peer_seen(proxies, "10.0.0.5", "203.0.113.9") == ("203.0.113.9", "https")
    assert _peer_seen(proxies, "10.0.0.5", "203.0.113.9, 192.168.7.3") == ("203.0.113.9", "https")
    # A client writing the header itself, straight to the app or through our proxy:
    assert _peer_seen(proxies, "198.51.100.1", "203.0.113.9") == ("198.51.100.1", "http")
    assert _peer_seen(proxies, "10.0.0.5", "1.2.3.4, 203.0.113.9") == ("203.0.113.9", "https")
    assert _peer_seen([], "10.0.0.5", "203.0.113.9") == ("10.0.0.5", "http")


def test_trusted_proxies_setting_drives_the_throttle_address(runtime):
    import dataclasses
    from core.app import create_app
    from core.config import Config, load_config
    from core.errors import ConfigError
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES.*not an IP address"):
        load_config({"TRUSTED_PROXIES": "10.0.0.5, proxy.example"})
    assert load_config({"TRUSTED_PROXIES": "10.0.0.5, 10.1.0.0/16"})["TRUSTED_PROXIES"] == ["10.0.0.5",
                                                                                           "10.1.0.0/16"]
    behind = dataclasses.replace(runtime, config=Config(dict(runtime.config.values, TRUSTED_PROXIES=["10.0.0.5"])))
    app = create_app(runtime=behind)
    client = Client(app.test_client())
    email = f"proxied-{os.getpid()}@example.com"
    client.post("/login", {"email": email, "password": "bad"}, headers={"X-Forwarded-For": "203.0.113.77"},
                environ_overrides={"REMOTE_ADDR": "10.0.0.5"})
    with runtime.session(all_businesses=True) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.model == LOGIN_MODEL)
                          .order_by(AuditEntry.id.desc())).first()
    assert entry.after == {"email": email, "address": "203.0.113.77", "user_agent": entry.after["user_agent"]}
