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

from ..auth import grants, user_access

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


def system_session():
    """The request's read session across businesses (user, memberships, permissions, business rows),
    opened on first use and closed at teardown; never for writes."""
    if "_tessera_sys" not in g:
        g._tessera_sys = current_runtime().session(all_businesses=True)
    return g._tessera_sys


def close_system_session(_exc=None):
    session = g.pop("_tessera_sys", None)
    if session is not None:
        session.close()


def _access() -> dict:
    """{business id: (business row, permissions)} of the logged-in user, read once per request
    (core.auth.user_access: one query for the switcher, the current business and its rights)."""
    if not current_user.is_authenticated:
        return {}
    if "_tessera_access" not in g:
        g._tessera_access = user_access(system_session(), current_user)
    return g._tessera_access


def allowed_business_ids() -> list[int]:
    return list(_access())


def current_business_id() -> int | None:
    """The business chosen in the switcher, if still allowed; else the user's first one."""
    if "_tessera_business" not in g:
        allowed = allowed_business_ids()
        chosen = flask_session.get("business_id")
        g._tessera_business = chosen if chosen in allowed else (allowed[0] if allowed else None)
    return g._tessera_business


def current_business():
    """The current business row, loaded once per request: the session's identity map holds rows
    weakly, so without ``g`` every formatted date of a list (its time zone) would query it again."""
    business_id = current_business_id()
    if business_id is None:
        return None
    return _access()[business_id][0]


def user_businesses():
    return sorted((business for business, _perms in _access().values()), key=lambda b: b.name)


def current_permissions() -> frozenset:
    business_id = current_business_id()
    return _access()[business_id][1] if business_id is not None else frozenset()


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


def enabled_addons_here() -> frozenset:
    """The addons the current business enabled, read once per request (the menu asks per view,
    the dashboard once more); empty without a current business."""
    business_id = current_business_id()
    if business_id is None:
        return frozenset()
    if g.get("_tessera_addons_of") != business_id:
        from ..addons.state import enabled_addons
        g._tessera_addons = frozenset(enabled_addons(system_session(), business_id))
        g._tessera_addons_of = business_id
    return g._tessera_addons


def addon_enabled(addon: str | None) -> bool:
    """Core views (addon None) are always on; an addon's only where its business enabled it."""
    return addon is None or addon in enabled_addons_here()
