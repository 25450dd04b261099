"""API tokens: created (shown once), checked on every request, revoked; the one place they change.

A token is ``tsk_`` + 40 random URL-safe characters. Its scopes are permission
names from the manifests (``sales.order.create``) or wildcards of them
(``sales.*``, ``*``), read by ``core.auth.grants`` exactly like a role's. Whoever
creates a token must hold every scope in it (``core.auth.check_may_grant``), so
a token never gives more than its maker has. The admin and ``manage.py api
token`` both call these functions.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from ..auth import all_permissions, grants, role_permissions
from ..db import utcnow
from ..errors import FieldErrors, NotFound, UserError
from ..i18n import _
from ..text import clean_text
from .models import ApiToken

TOKEN_PREFIX = "tsk_"
LAST_USED_GRANULARITY = timedelta(seconds=60)   # last_used_at is written at most once a minute per token


@dataclass(frozen=True)
class NewToken:
    """What creating a token gives back: the row and the secret, which is never readable again."""
    row: ApiToken
    token: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def known_scopes(registry) -> list[str]:
    """Every scope a token may hold: each permission of the core and the manifests."""
    return all_permissions(registry)


def check_scopes(registry, scopes) -> list[str]:
    """The scopes, deduplicated in order; a FieldErrors naming each unknown one."""
    known = set(known_scopes(registry))
    cleaned, problems = [], []
    for scope in scopes or ():
        scope = str(scope).strip()
        if not scope:
            continue
        if scope == "*" or scope in known or (scope.endswith(".*") and any(
                k.startswith(scope[:-1]) for k in known)):
            if scope not in cleaned:
                cleaned.append(scope)
        else:
            problems.append(_("scopes: %(scope)s is not a permission of any addon", scope=repr(scope)))
    if not cleaned and not problems:
        problems.append(_("scopes: give at least one scope (a permission such as sales.order.read)"))
    if problems:
        raise FieldErrors(problems)
    return cleaned


def create_token(session, registry, *, name: str, scopes, actor=None) -> NewToken:
    """A new token of the session's business; ``actor`` (None = the platform operator) must hold its scopes."""
    business_id = session.info.get("business_id")
    if business_id is None:
        raise UserError("API tokens belong to a business; choose one first")
    problems = []
    try:
        name = clean_text(name, "name", max_len=100) or ""
    except UserError as exc:
        problems.append(str(exc))
        name = ""
    if not name and not problems:
        problems.append(_("name: required"))
    try:
        scopes = check_scopes(registry, scopes)
    except FieldErrors as exc:
        problems.extend(exc.problems)
    if problems:
        raise FieldErrors(problems)
    _check_holds(session, actor, business_id, scopes)
    token = TOKEN_PREFIX + secrets.token_urlsafe(30)
    row = ApiToken(name=name, prefix=token[:10], token_hash=hash_token(token), scopes=scopes,
                   created_by=getattr(actor, "id", None), created_at=utcnow())
    session.add(row)
    session.flush()
    return NewToken(row, token)


def _check_holds(session, actor, business_id: int, scopes) -> None:
    """A token never gives more than its maker holds (the platform operator and superusers hold all)."""
    if actor is None or getattr(actor, "is_superuser", False):
        return
    with session.no_autoflush:
        held = role_permissions(session, actor, business_id)
    missing = [scope for scope in scopes if not grants(held, scope)]
    if missing:
        raise FieldErrors([_("scopes: you cannot give a token permissions you do not hold yourself (%(missing)s)",
                             missing=", ".join(missing))])


def revoke_token(session, token_id: int) -> ApiToken:
    """Revoke a token of the session's business; it is refused from the next request on."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(_("API token %(id)s does not exist", id=token_id))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return row


def list_tokens(session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def find_token(system_session, presented: str) -> ApiToken | None:
    """The active token ``presented`` is, looked up across businesses by its hash (no timing leak:
    the lookup is by a hash of the whole secret, never a comparison of secret prefixes)."""
    if not presented.startswith(TOKEN_PREFIX) or len(presented) > 200:
        return None
    row = system_session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(presented)),
                                execution_options={"all_businesses": True})
    if row is None or row.revoked_at is not None:
        return None
    return row


def touch(runtime, row: ApiToken) -> None:
    """Record the token's use, at most once a minute (a guarded UPDATE: many web processes agree)."""
    now = utcnow()
    last = row.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=now.tzinfo)
    if last is not None and now - last < LAST_USED_GRANULARITY:
        return
    with runtime.transaction(row.business_id) as session:
        session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
