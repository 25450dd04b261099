"""Logout and password changes end sessions: old session and remember cookies land on the login page."""
from __future__ import annotations

from sqlalchemy import select

from core.auth import update_user
from core.models import User

from .conftest import PASSWORD, Client

SESSION, REMEMBER = "tessera_session", "remember_token"


def _remembered_login(app, email):
    client = Client(app.test_client())
    assert client.login(email, remember="y").status_code == 302
    assert client.get("/admin/").status_code == 200
    cookies = {name: client.c.get_cookie(name).value for name in (SESSION, REMEMBER)}
    return client, cookies


def _replay(app, address, cookies):
    """A fresh browser at the same address carrying only ``cookies``; the answer to /admin/."""
    thief = app.test_client()
    thief.environ_base["REMOTE_ADDR"] = address
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief.get("/admin/core_role/")


def _lands_on_login(response):
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_deletes_the_remember_cookie_and_ends_both_cookies(app, make_business, make_user):
    email = make_user(make_business())
    client, cookies = _remembered_login(app, email)
    # Before logout both cookies work on their own: the replays below can fail only because of logout.
    assert _replay(app, client.address, {SESSION: cookies[SESSION]}).status_code == 200
    assert _replay(app, client.address, {REMEMBER: cookies[REMEMBER]}).status_code == 200

    response = client.post("/logout")
    assert _lands_on_login(response)
    deleted = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(REMEMBER + "=")]
    assert deleted and ("Expires=Thu, 01 Jan 1970" in deleted[0] or "Max-Age=0" in deleted[0]), deleted
    assert client.c.get_cookie(REMEMBER) is None
    assert _lands_on_login(client.get("/admin/core_role/"))

    assert _lands_on_login(_replay(app, client.address, {SESSION: cookies[SESSION]}))
    assert _lands_on_login(_replay(app, client.address, {REMEMBER: cookies[REMEMBER]}))
    assert _lands_on_login(_replay(app, client.address, cookies))
    assert Client(app.test_client()).login(email).status_code == 302  # logging in again works


def test_password_change_ends_every_session_of_the_user(app, runtime, make_business, make_user):
    business = make_business()
    email = make_user(business)
    client, cookies = _remembered_login(app, email)
    admin = Client(app.test_client())
    admin.login(make_user(business))
    with runtime.session(all_businesses=True) as s:
        user_id = s.scalar(select(User.id).where(User.email == email))
    edit = admin.get(f"/admin/core_user/edit/?id={_membership_id(runtime, user_id)}")
    assert edit.status_code == 200
    role_id = _role_id(runtime, user_id)
    response = admin.post(f"/admin/core_user/edit/?id={_membership_id(runtime, user_id)}",
                          {"role": str(role_id), "password": "a brand new password"})
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]

    assert _lands_on_login(client.get("/admin/core_role/"))        # the browser that was logged in
    assert _lands_on_login(_replay(app, client.address, {SESSION: cookies[SESSION]}))
    assert _lands_on_login(_replay(app, client.address, {REMEMBER: cookies[REMEMBER]}))
    assert Client(app.test_client()).login(email, password="a brand new password").status_code == 302


def test_cli_and_service_password_change_bump_the_credential_version(runtime, make_business, make_user):
    email = make_user(make_business())
    with runtime.transaction(all_businesses=True) as s:
        user = s.scalar(select(User).where(User.email == email))
        before = user.get_id()
        update_user(s, None, user.id, password=PASSWORD + "!")
        after = user.get_id()
    assert before.split(":")[0] == after.split(":")[0] and before != after


def _membership_id(runtime, user_id):
    from core.models import Membership
    with runtime.session(all_businesses=True) as s:
        return s.scalar(select(Membership.id).where(Membership.user_id == user_id))


def _role_id(runtime, user_id):
    from core.models import Membership
    with runtime.session(all_businesses=True) as s:
        return s.scalar(select(Membership.role_id).where(Membership.user_id == user_id))
