"""``Idempotency-Key`` on every POST: the first answer is kept and replayed to a repeat.

The key is the client's (at most 255 printable characters), per token. The first
successful answer (2xx) is written in the same transaction as what the request
changed, so either both exist or neither: a request that failed changed nothing
and may be sent again. A repeat with the same key, method, path and body gets the
stored answer back with ``Idempotent-Replayed: true``; the same key with another
body is a 422. Two concurrent first requests with one key: the unique key lets
one commit, and the other is answered with the winner's stored answer.
"""
from __future__ import annotations

import hashlib

from sqlalchemy import select

from ..i18n import _
from .models import ApiIdempotentAnswer
from .problems import invalid

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = ("Location", "Content-Type")


def request_hash(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), b"\0", path.encode(), b"\0", body):
        digest.update(part)
    return digest.hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > 255 or not key.isprintable():
        message = _("must be 1 to 255 printable characters")
        raise invalid(f"{HEADER}: {message}", [{"field": HEADER, "message": message}])
    return key


def stored(session, token_id: int, key: str, digest: str) -> ApiIdempotentAnswer | None:
    """The kept answer of ``key``; a 422 when the key was used for another request."""
    row = session.scalar(select(ApiIdempotentAnswer).where(ApiIdempotentAnswer.token_id == token_id,
                                                           ApiIdempotentAnswer.key == key))
    if row is not None and row.request_hash != digest:
        message = _("was already used for a different request; send exactly the same request to get its "
                    "answer again, or use a new key")
        raise invalid(f"{HEADER}: {message}", [{"field": HEADER, "message": message}])
    return row


def keep(session, token_id: int, key: str, digest: str, response) -> None:
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    session.add(ApiIdempotentAnswer(token_id=token_id, key=key, request_hash=digest, status=response.status_code,
                                    body=response.get_data(), headers=headers))
