"""Who may change whom: nobody edits a user holding rights they lack, nobody grants what they lack."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from core.auth import create_user, update_user, verify_password
from core.errors import UserError
from core.models import Membership, Role, User

from .conftest import PASSWORD

NEW_PASSWORD = "a different long password"
USER_MANAGER = ("core.user.read", "core.user.create", "core.user.edit", "core.user.delete",
                "core.role.read", "core.role.edit")


def _user(runtime, email):
    with runtime.session(all_businesses=True) as s:
        user = s.scalar(select(User).where(User.email == email))
        if user is not None:
            s.expunge(user)
        return user


def _membership(runtime, email, business):
    with runtime.session(all_businesses=True) as s:
        return s.scalar(select(Membership).join(User).where(User.email == email,
                                                              Membership.business_id == business.id))


def _edit(client, membership, role_id=None, password=NEW_PASSWORD):
    return client.post(f"/admin/core_user/edit/?id={membership.id}",
                       {"role": str(role_id or membership.role_id), "password": password})


def _password_is(runtime, email, password):
    return verify_password(_user(runtime, email).password_hash, password)


def test_administrator_cannot_take_over_the_superuser(runtime, make_business, make_user, client_for):
    business = make_business()
    root = make_user(business, superuser=True)          # one membership, like the demo superuser
    admin = client_for(make_user(business))
    response = _edit(admin, _membership(runtime, root, business))
    assert "is a superuser" in response.get_data(as_text=True)
    assert _password_is(runtime, root, PASSWORD)
    response = admin.post("/admin/core_user/delete/", {"id": str(_membership(runtime, root, business).id)})
    assert _membership(runtime, root, business) is not None
    with pytest.raises(UserError, match="superuser"):
        with runtime.transaction(all_businesses=True) as s:
            update_user(s, _user(runtime, make_user(business)), _user(runtime, root).id, email="me@evil.example")


def test_nobody_makes_a_superuser_but_a_superuser(runtime, make_business, make_user):
    business = make_business()
    admin = _user(runtime, make_user(business))
    target = _user(runtime, make_user(business))
    with pytest.raises(UserError, match="superuser"):
        with runtime.transaction(all_businesses=True) as s:
            update_user(s, admin, target.id, superuser=True)
    with pytest.raises(UserError, match="superuser"):
        with runtime.transaction(all_businesses=True) as s:
            create_user(s, f"new-root-{os.getpid()}@example.com", PASSWORD, superuser=True, actor=admin)
    root = _user(runtime, make_user(superuser=True))
    with runtime.transaction(all_businesses=True) as s:
        assert update_user(s, root, target.id, superuser=True).is_superuser


def test_administrator_cannot_edit_a_member_of_another_business(runtime, make_business, make_user, client_for):
    a, b = make_business(), make_business()
    shared = make_user(a, permissions=["core.user.read"], extra=[(b, ["*"])])
    admin = client_for(make_user(a))
    response = _edit(admin, _membership(runtime, shared, a))
    assert "holds rights you do not hold" in response.get_data(as_text=True)
    assert _password_is(runtime, shared, PASSWORD)
    admin.post("/admin/core_user/delete/", {"id": str(_membership(runtime, shared, a).id)})
    assert _membership(runtime, shared, a) is not None
    # An administrator of both businesses holds everything the user holds, and may.
    both = client_for(make_user(a, extra=[(b, ["*"])]))
    assert _edit(both, _membership(runtime, shared, a)).status_code == 302
    assert _password_is(runtime, shared, NEW_PASSWORD)


def test_a_role_is_granted_only_by_someone_holding_all_of_it(runtime, make_business, make_user, client_for):
    business = make_business()
    manager_email = make_user(business, permissions=USER_MANAGER)
    manager = client_for(manager_email)
    with runtime.session(business.id) as s:
        administrator = s.scalar(select(Role).where(Role.name == "Administrator"))
    response = manager.post("/admin/core_user/new/", {"email": f"promoted-{os.getpid()}@example.com", "name": "P",
                                                      "password": PASSWORD, "role": str(administrator.id)})
    assert "cannot grant permissions you do not hold" in response.get_data(as_text=True)
    assert _user(runtime, f"promoted-{os.getpid()}@example.com") is None

    peer = make_user(business, permissions=("core.user.read",))
    response = _edit(manager, _membership(runtime, peer, business), role_id=administrator.id, password="")
    assert "cannot grant" in response.get_data(as_text=True)
    assert _membership(runtime, peer, business).role_id != administrator.id
    assert _edit(manager, _membership(runtime, peer, business)).status_code == 302  # a lesser user: allowed
    assert _password_is(runtime, peer, NEW_PASSWORD)

    admin = make_user(business)
    assert "holds rights you do not hold" in _edit(manager, _membership(runtime, admin, business)
                                                   ).get_data(as_text=True)
    assert _password_is(runtime, admin, PASSWORD)


def test_a_role_cannot_be_widened_beyond_the_editor(runtime, make_business, make_user, client_for):
    business = make_business()
    manager_email = make_user(business, permissions=USER_MANAGER)
    manager = client_for(manager_email)
    role = _membership(runtime, manager_email, business).role_id
    response = manager.post(f"/admin/core_role/edit/?id={role}", {"name": "self-promoted", "permissions": ["*"]})
    assert "cannot grant permissions you do not hold" in response.get_data(as_text=True)
    with runtime.session(business.id) as s:
        assert s.get(Role, role).permissions == list(USER_MANAGER)
