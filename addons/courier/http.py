"""JSON over HTTP for carrier adapters, with the one rule on failures.

A timeout, a refused or reset connection and a 5xx answer mean the carrier may
or may not have acted: ``OutcomeUnknown``. A 4xx is the carrier's refusal:
``CarrierError`` with what it said. Adapters read carriers' own error
conventions (Viettel Post's ``error: true`` inside an HTTP 200) on top of this.
"""
from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from decimal import Decimal

from core.money import json_number

from .carriers import CarrierError, OutcomeUnknown

DEFAULT_TIMEOUT = 15.0


def _default(value):
    if isinstance(value, Decimal):
        return json_number(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def call(method: str, url: str, *, headers: dict | None = None, body=None, timeout: float = DEFAULT_TIMEOUT,
         raw: bool = False):
    """Send ``body`` as JSON; return the decoded JSON answer (or the bytes and content type when ``raw``)."""
    data = None if body is None else json.dumps(body, default=_default, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, str(value))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload, kind = response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        text = exc.read().decode("utf-8", "replace")[:500]
        if exc.code >= 500:
            raise OutcomeUnknown(f"{method} {url}: HTTP {exc.code} {text}") from None
        error = CarrierError(f"{url.rsplit('/', 1)[-1]}: HTTP {exc.code}: {_message(text)}")
        error.status = exc.code
        raise error from None
    except (TimeoutError, socket.timeout) as exc:
        raise OutcomeUnknown(f"{method} {url}: no answer within {timeout:g} s") from exc
    except (urllib.error.URLError, ConnectionError, OSError) as exc:
        raise OutcomeUnknown(f"{method} {url}: {exc}") from exc
    if raw:
        return payload, kind
    try:
        return json.loads(payload, parse_float=Decimal)
    except ValueError:
        raise OutcomeUnknown(f"{method} {url}: the answer is not JSON") from None


def _message(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if isinstance(data, dict):
        return str(data.get("message") or data.get("code_message_value") or data)
    return text
