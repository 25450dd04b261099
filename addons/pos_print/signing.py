"""Receipt codes and the signed QR payload that carries them.

A receipt code is ten random Crockford base32 characters (``7KQ2M-9XD4T``):
typed at the counter, never guessable from another one. The QR code carries
``TSR1:<business slug>:<code>:<signature>``, the signature being the first 16
base32 characters of HMAC-SHA256 under the business's secret (setting
``receipt_secret``). A scanned payload is believed only when the signature
matches (``hmac.compare_digest``), so an altered or forged code is refused
instead of opening somebody else's receipt. Pure: no database.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "TSR1"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"   # Crockford: no I, L, O, U
_TYPOS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def normalize_code(text: str) -> str:
    """What a clerk typed as a code: case, spaces, dashes and the letters read as digits forgiven."""
    raw = "".join(ch for ch in (text or "").upper() if ch.isalnum()).translate(_TYPOS)
    return f"{raw[:5]}-{raw[5:]}" if len(raw) == 10 else raw


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _signature(secret: str, slug: str, code: str) -> str:
    mac = hmac.new(secret.encode(), f"{PREFIX}:{slug}:{code}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode()[:16]


def payload(secret: str, slug: str, code: str) -> str:
    return f"{PREFIX}:{slug}:{code}:{_signature(secret, slug, code)}"


def is_payload(text: str) -> bool:
    return (text or "").strip().upper().startswith(PREFIX + ":")


def verify(secret: str, slug: str, text: str) -> str | None:
    """The code in a scanned payload of this business, or None when it is not one we signed."""
    parts = (text or "").strip().split(":")
    if len(parts) != 4 or parts[0].upper() != PREFIX or not secret:
        return None
    _, their_slug, code, signature = parts
    if their_slug != slug:
        return None
    if not hmac.compare_digest(_signature(secret, slug, code).encode(), signature.encode()):
        return None
    return code
