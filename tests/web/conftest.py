"""Web fixtures: one app over the shared runtime, users with roles, a CSRF-aware client."""
from __future__ import annotations

import itertools
import os
import re

import pytest

from core.auth import create_user
from core.models import Role

PASSWORD = "correct horse battery"
_n = itertools.count(1)
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


@pytest.fixture(scope="session")
def app(runtime):
    from core.app import create_app
    return create_app(runtime=runtime)


@pytest.fixture
def make_user(runtime):
    """``make_user(business, permissions=["*"], superuser=False, extra=[(business, perms)])`` -> email."""

    def make(business=None, permissions=("*",), superuser=False, extra=(), email=None):
        email = email or f"user{next(_n)}-{os.getpid()}@example.com"
        first_role = None
        if business is not None:
            first_role = _role(runtime, business.id, permissions)
        with runtime.transaction(business.id if business else None) as session:
            user = create_user(session, email, PASSWORD, name="Test User",
                               business_id=business.id if business else None,
                               role=first_role or "Administrator", superuser=superuser)
            user_id = user.id
        for other, perms in extra:
            role_name = _role(runtime, other.id, perms)
            from core.models import Membership
            from sqlalchemy import select
            with runtime.transaction(other.id) as session:
                role = session.scalar(select(Role).where(Role.name == role_name))
                session.add(Membership(user_id=user_id, business_id=other.id, role_id=role.id))
        return email
    return make


def _role(runtime, business_id, permissions) -> str:
    if list(permissions) == ["*"]:
        return "Administrator"
    name = f"role{next(_n)}"
    with runtime.transaction(business_id) as session:
        session.add(Role(name=name, permissions=list(permissions)))
    return name


class Client:
    """A test client that finds the CSRF token the way a browser would: in the page.

    Each client comes from its own address, as separate browsers would, so the
    login throttle's per-address count of one test does not slow down the next.
    """

    def __init__(self, flask_client):
        self.c = flask_client
        self.token = None
        n = next(_n)
        self.address = f"10.{os.getpid() % 250}.{n // 250 % 250}.{n % 250 + 1}"
        flask_client.environ_base["REMOTE_ADDR"] = self.address

    def get(self, url, **kw):
        response = self.c.get(url, **kw)
        self._remember(response)
        return response

    def _remember(self, response):
        match = CSRF_RE.search(response.get_data(as_text=True) or "")
        if match:
            self.token = match.group(1) or match.group(2)

    def csrf(self):
        if self.token is None:
            self.get("/login")
        return self.token

    def post(self, url, data=None, csrf=True, **kw):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf())
        response = self.c.post(url, data=data, **kw)
        self._remember(response)
        return response

    def login(self, email, password=PASSWORD, **extra):
        self.token = None
        response = self.post("/login", {"email": email, "password": password, **extra})
        self.token = None
        self.get("/admin/")
        return response


@pytest.fixture
def client(app):
    return Client(app.test_client())


@pytest.fixture
def client_for(app):
    def make(email):
        c = Client(app.test_client())
        response = c.login(email)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return c
    return make
