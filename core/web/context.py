"""The per-request state: runtime, current business, permissions and the DB session.

The request's session is opened lazily, bound to the current user's current
business (so the tenancy fence in core.db applies to every ORM query an admin
view makes) and on the write engine for POST requests. ``request_session`` is a
proxy handed to Flask-Admin views at registration time: each attribute access
resolves to the session of the request being served.
"""
from __future__ import annotations

from flask import current_app, g, has_request_context, request, session as flask_session
from flask_login import current_user

from ..auth import grants, role_permissions, user_business_ids

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def current_runtime():
    return current_app.extensions["tessera"]


def db():
    """The request's session, opened on first use and closed at teardown."""
    if "_tessera_db" not in g:
        write = request.method in WRITE_METHODS if request else False
        g._tessera_db = current_runtime().session(current_business_id(), write=write)
    return g._tessera_db


def close_db(_exc=None):
    session = g.pop("_tessera_db", None)
    if session is not None:
        session.close()


class _RequestSession:
    """Forward everything to the current request's session (Flask-Admin keeps one object)."""

    @property
    def session(self):  # lets Flask-Admin treat this like a db object without a warning
        return self

    def __getattr__(self, name):
        if not has_request_context():  # start-up introspection (hasattr) sees a plain object
            raise AttributeError(name)
        return getattr(db(), name)

    def __repr__(self):
        return "<request session>"


request_session = _RequestSession()


def _system_session():
    if "_tessera_sys" not in g:
        g._tessera_sys = current_runtime().session(all_businesses=True)
    return g._tessera_sys


def close_system_session(_exc=None):
    session = g.pop("_tessera_sys", None)
    if session is not None:
        session.close()


def allowed_business_ids() -> list[int]:
    if not current_user.is_authenticated:
        return []
    if "_tessera_allowed" not in g:
        g._tessera_allowed = user_business_ids(_system_session(), current_user)
    return g._tessera_allowed


def current_business_id() -> int | None:
    """The business chosen in the switcher, if still allowed; else the user's first one."""
    if "_tessera_business" not in g:
        allowed = allowed_business_ids()
        chosen = flask_session.get("business_id")
        g._tessera_business = chosen if chosen in allowed else (allowed[0] if allowed else None)
    return g._tessera_business


def current_business():
    from ..models import Business
    business_id = current_business_id()
    return None if business_id is None else _system_session().get(Business, business_id)


def user_businesses():
    from ..models import Business
    ids = allowed_business_ids()
    if not ids:
        return []
    from sqlalchemy import select
    return list(_system_session().scalars(select(Business).where(Business.id.in_(ids)).order_by(Business.name)))


def current_permissions() -> frozenset:
    if "_tessera_perms" not in g:
        g._tessera_perms = role_permissions(_system_session(), current_user, current_business_id()) \
            if current_user.is_authenticated else frozenset()
    return g._tessera_perms


def can(permission: str) -> bool:
    return current_user.is_authenticated and grants(current_permissions(), permission)


class RequestActor:
    """The logged-in user as a service sees an actor: ``can(permission)`` in the current business.

    Services that check a permission of their own (sales' price override) take an
    ``actor``; the CLI passes ``None`` (the system), web views pass this.
    """

    @staticmethod
    def can(permission: str) -> bool:
        return can(permission)


request_actor = RequestActor()


def addon_enabled(addon: str | None) -> bool:
    """Core views (addon None) are always on; an addon's only where its business enabled it."""
    if addon is None:
        return True
    business_id = current_business_id()
    if business_id is None:
        return False
    from ..addons.state import enabled_addons
    return addon in enabled_addons(_system_session(), business_id)
