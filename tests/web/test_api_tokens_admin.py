"""Settings › API tokens: a token made in the admin is shown once and works; a clerk cannot give a
token more than they hold; revoking stops it; another business's tokens are not listed. A new
token or webhook secret is shown in the response that made it and never reaches the session
cookie, the logs or the audit log."""
from __future__ import annotations

import html
import logging
import re

from sqlalchemy import select

from core.api.models import ApiToken, WebhookEndpoint
from core.models import AuditEntry

TOKEN_RE = re.compile(r"(tsk_[A-Za-z0-9_\-]{40})")
SECRET_RE = re.compile(r"(whsec_[A-Za-z0-9_\-]{43})")


def assert_shown_once_and_nowhere_else(app, runtime, c, response, secret, caplog):
    """The secret is in this page (200, not a redirect, not cached), in no Set-Cookie header, not
    in the decoded session, not in any log record nor audit entry."""
    cookies = response.headers.getlist("Set-Cookie")
    assert all(secret not in cookie for cookie in cookies)
    jar = c.c.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert jar is not None
    decoded = app.session_interface.get_signing_serializer(app).loads(jar.value)
    assert "_user_id" in decoded and secret not in repr(decoded)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "it will not be shown again" in html.unescape(response.get_data(as_text=True))
    assert secret not in caplog.text and secret[-20:] not in caplog.text
    with runtime.session(all_businesses=True) as session:
        entries = session.scalars(select(AuditEntry)).all()
        assert all(secret not in repr((e.before, e.after)) for e in entries)


def test_create_show_once_use_and_revoke(runtime, app, make_business, make_user, client_for, caplog):
    caplog.set_level(logging.DEBUG)
    business = make_business(addons=["catalog"])
    other = make_business(addons=["catalog"])
    c = client_for(make_user(business, permissions=["core.api_token.*", "catalog.product.read"]))
    page = c.get("/admin/core_api_token/new/")
    assert page.status_code == 200 and "catalog.product.read" in page.get_data(as_text=True)
    saved = c.post("/admin/core_api_token/new/", {"name": "web shop", "scopes": ["catalog.product.read"]})
    text = html.unescape(saved.get_data(as_text=True))
    token = TOKEN_RE.search(text).group(1)
    assert_shown_once_and_nowhere_else(app, runtime, c, saved, token, caplog)
    api = app.test_client()
    assert api.get("/api/v1/products", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    again = html.unescape(c.get("/admin/core_api_token/").get_data(as_text=True))
    assert token not in again and "web shop" in again and token[:10] in again
    refused = c.post("/admin/core_api_token/new/", {"name": "too much", "scopes": ["sales.order.create"]},
                     follow_redirects=True)
    assert "you cannot give a token permissions you do not hold" in html.unescape(refused.get_data(as_text=True))
    with runtime.session(business.id) as session:
        row = session.scalar(select(ApiToken).where(ApiToken.name == "web shop"))
        assert session.scalar(select(ApiToken).where(ApiToken.name == "too much")) is None
    c.post("/admin/core_api_token/action/", {"action": "revoke", "rowid": [str(row.id)]}, follow_redirects=True)
    assert api.get("/api/v1/products", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    theirs = client_for(make_user(other, permissions=["core.api_token.read"]))
    assert "web shop" not in theirs.get("/admin/core_api_token/").get_data(as_text=True)


def test_webhook_endpoint_screen_shows_the_secret_once_then_masked(runtime, app, make_business, make_user,
                                                                   client_for, caplog):
    caplog.set_level(logging.DEBUG)
    business = make_business(addons=["sales"])
    c = client_for(make_user(business, permissions=["core.webhook.*"]))
    form = c.get("/admin/core_api_webhook/new/").get_data(as_text=True)
    assert "order.paid" in form and "stock.changed" in form
    saved = c.post("/admin/core_api_webhook/new/", {"url": "https://shop.example/hooks", "events": ["order.paid"],
                                                    "description": "web shop", "active": "y"})
    secret = SECRET_RE.search(html.unescape(saved.get_data(as_text=True))).group(1)
    assert_shown_once_and_nowhere_else(app, runtime, c, saved, secret, caplog)
    listing = html.unescape(c.get("/admin/core_api_webhook/").get_data(as_text=True))
    assert secret not in listing and f"whsec_…{secret[-4:]}" in listing
    bad = c.post("/admin/core_api_webhook/new/", {"url": "ftp://x", "events": ["order.paid"]}, follow_redirects=True)
    assert "must be an http:// or https:// address" in html.unescape(bad.get_data(as_text=True))
    inside = c.post("/admin/core_api_webhook/new/", {"url": "http://169.254.169.254/latest", "events": ["order.paid"],
                                                     "description": "metadata"}, follow_redirects=True)
    assert "points at a private or reserved address" in html.unescape(inside.get_data(as_text=True))
    with runtime.session(business.id) as session:
        assert session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.description == "metadata")) is None
    assert c.get("/admin/core_api_webhook_delivery/").status_code == 200
