"""JSON over HTTP for platform adapters, with the one rule on failures.

A timeout, a refused or reset connection, a 5xx and an answer that is not JSON
mean the platform may or may not have acted: ``OutcomeUnknown``. HTTP 429 is
``RateLimited`` (``Retry-After`` seconds when given). Any other 4xx is a
``PlatformError`` with the HTTP status and the decoded body on ``.body``
(adapters read their own error fields, including errors inside an HTTP 200).
"""
from __future__ import annotations

import json
import mimetypes
import secrets
import socket
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal

from core.money import json_number

from .platforms import OutcomeUnknown, PlatformError, RateLimited

DEFAULT_TIMEOUT = 15.0


def _default(value):
    if isinstance(value, Decimal):
        return json_number(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def dumps(body) -> bytes:
    return json.dumps(body, default=_default, ensure_ascii=False, separators=(",", ":")).encode()


def _decode(payload: bytes):
    try:
        return json.loads(payload, parse_float=Decimal)
    except ValueError:
        return None


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    """A multipart/form-data body of text ``fields`` and ``files`` ({name: (filename, bytes)}); (body, content type)."""
    boundary = "tessera" + secrets.token_hex(12)
    out = []
    for name, value in fields.items():
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content) in files.items():
        kind = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        safe = filename.replace('"', "").replace("\r", "").replace("\n", "")
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{safe}"\r\n'
                   f"Content-Type: {kind}\r\n\r\n".encode() + bytes(content) + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


def request(method: str, url: str, *, params: dict | None = None, body=None, headers: dict | None = None,
            data: bytes | None = None, timeout: float = DEFAULT_TIMEOUT):
    """Send ``body`` as JSON (or ``data`` as it is); the decoded JSON answer."""
    if params:
        url = f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode(params)}"
    if data is None and body is not None:
        data = dumps(body)
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        req.add_header(key, str(value))
    where = url.split("?", 1)[0]
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            payload = response.read()
    except urllib.error.HTTPError as exc:
        payload = exc.read()
        decoded = _decode(payload)
        if exc.code == 429:
            try:
                wait = float(exc.headers.get("Retry-After") or 1)
            except ValueError:
                wait = 1.0
            error = RateLimited(f"{where}: too many requests", retry_after=wait, status=429)
            error.body = decoded
            raise error from None
        if exc.code >= 500:
            raise OutcomeUnknown(f"{method} {where}: HTTP {exc.code}") from None
        error = PlatformError(f"{where}: HTTP {exc.code}: {payload.decode('utf-8', 'replace')[:300]}",
                              status=exc.code)
        error.body = decoded
        raise error from None
    except (TimeoutError, socket.timeout) as exc:
        raise OutcomeUnknown(f"{method} {where}: no answer within {timeout:g} s") from exc
    except (urllib.error.URLError, ConnectionError, OSError) as exc:
        raise OutcomeUnknown(f"{method} {where}: {exc}") from exc
    decoded = _decode(payload)
    if decoded is None:
        raise OutcomeUnknown(f"{method} {where}: the answer is not JSON")
    return decoded
