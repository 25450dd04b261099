"""HTTP for the provider adapters (urllib3): JSON or form bodies, one timeout, transport trouble as OutcomeUnknown.

A timeout, a reset connection or a 5xx may or may not have reached the provider:
``OutcomeUnknown`` makes the framework look the key up before anything is sent
again. Any other answer is returned with its status and parsed JSON body.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import urllib3

from addons.einvoice.providers import OutcomeUnknown

_pool = urllib3.PoolManager(retries=False)


@dataclass
class Answer:
    status: int
    body: object
    raw: bytes


def call(method: str, url: str, *, timeout: float, json_body=None, form: dict | None = None,
         headers: dict | None = None) -> Answer:
    headers = dict(headers or {})
    body = None
    if json_body is not None:
        body = json.dumps(json_body, ensure_ascii=False, default=str).encode("utf-8")
        headers["Content-Type"] = "application/json; charset=utf-8"
    elif form is not None:
        from urllib.parse import urlencode
        body = urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded;charset=UTF-8"
    try:
        response = _pool.request(method, url, body=body, headers=headers,
                                 timeout=urllib3.Timeout(connect=min(timeout, 10), read=timeout))
    except urllib3.exceptions.HTTPError as exc:  # timeouts, resets, refused connections
        raise OutcomeUnknown(f"{method} {url}: {type(exc).__name__}: {exc}") from None
    if response.status >= 500:
        raise OutcomeUnknown(f"{method} {url}: HTTP {response.status}")
    try:
        parsed = json.loads(response.data.decode("utf-8")) if response.data else None
    except (ValueError, UnicodeDecodeError):
        parsed = None
    return Answer(response.status, parsed, response.data)
