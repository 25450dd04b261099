"""Passwords, users, login, CSRF, throttling, redirects and cookies."""
from __future__ import annotations

import pytest

from core.auth import create_user, grants, has_permission, hash_password, verify_password
from core.errors import UserError
from core.models import User

from .conftest import PASSWORD


def test_argon2id_hash_and_verify():
    stored = hash_password("s3cret-pass")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "s3cret-pass")
    assert not verify_password(stored, "wrong")
    assert not verify_password("not-a-hash", "s3cret-pass")


def test_create_user_validates_everything_and_writes_nothing_on_error(runtime, make_business):
    business = make_business()
    with pytest.raises(UserError) as err:
        with runtime.transaction(business.id) as session:
            create_user(session, "not-an-email", "short", business_id=business.id, role="Nope")
    message = str(err.value)
    assert "email" in message and "password" in message and "role" in message
    with runtime.session() as session:
        assert session.query(User).filter_by(email="not-an-email").first() is None


def test_create_user_with_membership_and_duplicate_refused(runtime, make_business):
    business = make_business()
    with runtime.transaction(business.id) as session:
        user = create_user(session, "Owner@Example.com", PASSWORD, business_id=business.id)
    assert user.email == "owner@example.com"
    assert has_permission(user, business.id, "anything.at.all")
    other = make_business()
    assert not has_permission(user, other.id, "tfx_notes.note.read")
    with pytest.raises(UserError, match="already exists"):
        with runtime.transaction(business.id) as session:
            create_user(session, "owner@example.com", PASSWORD, business_id=business.id)


def test_grants_wildcards():
    assert grants({"*"}, "a.b.c")
    assert grants({"a.*"}, "a.b.c") and grants({"a.b.*"}, "a.b.c")
    assert not grants({"a.b.read"}, "a.b.edit") and not grants(set(), "a.b.read")
    assert not grants({"a.b"}, "a.b.read")


def test_login_success_and_logout(client, make_business, make_user):
    email = make_user(make_business())
    response = client.login(email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")
    assert client.get("/admin/").status_code == 200
    assert client.post("/logout").status_code == 302
    response = client.get("/admin/tfx_notes_note/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_password_is_refused_with_a_message(client, make_business, make_user):
    email = make_user(make_business())
    response = client.post("/login", {"email": email, "password": "not the password"})
    assert response.status_code == 401
    assert "Wrong e-mail or password" in response.get_data(as_text=True)
    assert client.get("/admin/core_role/").status_code == 302


def test_inactive_user_cannot_log_in(runtime, client, make_business, make_user):
    email = make_user(make_business())
    with runtime.transaction() as session:
        session.query(User).filter_by(email=email).one().active = False
    assert client.post("/login", {"email": email, "password": PASSWORD}).status_code == 401


def test_post_without_csrf_token_is_400(client, client_for, make_business, make_user):
    email = make_user(make_business())
    assert client.post("/login", {"email": email, "password": PASSWORD}, csrf=False).status_code == 400
    logged_in = client_for(email)
    assert logged_in.post("/admin/tfx_notes_note/new/", {"title": "x"}, csrf=False).status_code == 400
    assert logged_in.post("/logout", csrf=False).status_code == 400
    assert logged_in.post("/admin/tfx_notes_note/new/", {"title": "x"},
                          csrf=False, headers={"X-CSRFToken": "forged"}).status_code == 400


def test_sixth_attempt_in_a_minute_is_refused(client, make_business, make_user):
    email = make_user(make_business())
    for _ in range(5):
        assert client.post("/login", {"email": email, "password": "bad"}).status_code == 401
    response = client.post("/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many login attempts" in response.get_data(as_text=True)
    assert client.get("/admin/core_role/").status_code == 302  # still logged out


@pytest.mark.parametrize("target,expected", [
    ("/admin/core_role/", "/admin/core_role/"),
    ("https://evil.example/", "/admin/"),
    ("//evil.example/x", "/admin/"),
    ("/\\evil.example", "/admin/"),
    ("javascript:alert(1)", "/admin/"),
    ("admin/relative", "/admin/"),
])
def test_next_redirect_only_to_same_host_paths(client, make_business, make_user, target, expected):
    email = make_user(make_business())
    response = client.post("/login", {"email": email, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_anonymous_admin_redirects_to_login_with_next(client):
    response = client.get("/admin/core_role/")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_production_cookies_are_secure(runtime):
    import dataclasses
    from core.app import create_app
    from core.config import Config
    values = dict(runtime.config.values, ENV="production", SECRET_KEY="a-long-random-production-secret")
    prod = dataclasses.replace(runtime, config=Config(values))
    app = create_app(runtime=prod)
    for key in ("SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "REMEMBER_COOKIE_SECURE",
                "REMEMBER_COOKIE_HTTPONLY"):
        assert app.config[key] is True, key
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax" == app.config["REMEMBER_COOKIE_SAMESITE"]
    response = app.test_client().get("/login")
    assert "X-Frame-Options" in response.headers


def test_app_refuses_pending_migrations(runtime, monkeypatch):
    from core.addons import migrate
    from core.app import check_schema, create_app
    from core.errors import ConfigError
    monkeypatch.setattr(migrate, "pending", lambda rt: ["tfx_notes@abc123"])
    with pytest.raises(ConfigError, match="python manage.py migrate"):
        create_app(runtime=runtime)
    monkeypatch.setattr(migrate, "pending", lambda rt: [])
    check_schema(runtime)
