"""Popbill's documented HTTP API (cash receipts and e-tax invoices), spoken with ``requests``.

Source: the official SDK ``popbill`` 1.64.2 on PyPI (github.com/linkhub-sdk/popbill.py:
``popbill/base.py``, ``cashbillService.py``, ``taxinvoiceService.py``) and its token
library ``linkhub`` 1.6.0 (``linkhub/linkhub.py``), plus https://developers.popbill.com
(cash receipt guide) and https://docs.popbill.com/en/cashbill/exception/java (error codes).

Why not the SDK itself: ``PopbillBase._getConn`` opens ``HTTPSConnection`` to fixed
hosts (popbill.linkhub.co.kr, popbill-test.linkhub.co.kr) and linkhub to
auth.linkhub.co.kr, services are process-wide singletons, and no timeout is set,
so it can be pointed neither at a test server nor bounded. This module sends the
same requests the SDK sends:

* token: ``POST {auth}/{POPBILL|POPBILL_TEST}/Token`` with ``{"access_id": corpNum, "scope": [...]}``,
  headers ``x-lh-date``, ``x-lh-version: 2.0`` and ``Authorization: LINKHUB {LinkID} {hmac}``, the HMAC-SHA256
  (key = base64-decoded SecretKey) of ``POST\\n{b64 sha256 body}\\n{date}\\n2.0\\n{uri}``;
* every call: ``Authorization: Bearer {session_token}``, ``x-pb-version: 1.0``, JSON body, and the
  action in ``X-HTTP-Method-Override`` (``ISSUE``, ``REVOKEISSUE``, ``EMAIL``);
* errors: a non-200 answer ``{"code": -14001019, "message": ...}`` becomes ``PopbillError(code, message)``.

A timeout, a dropped connection or a 5xx becomes ``OutcomeUnknown``: the caller looks
the mgtKey up before anything is sent again.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from datetime import datetime, timedelta, timezone

from addons.einvoice.providers import OutcomeUnknown

LINKHUB_VERSION = "2.0"
API_VERSION = "1.0"
CASHBILL_SCOPE, TAXINVOICE_SCOPE = "140", "110"   # what CashbillService / TaxinvoiceService add to "member"
# Popbill's codes this addon acts on (docs.popbill.com .../exception).
CASHBILL_NOT_FOUND = -14000003        # no cash receipt with this mgtKey
CASHBILL_KEY_IN_USE = (-14000004, -14001019)
TAXINVOICE_NOT_FOUND = -11000005
TAXINVOICE_KEY_IN_USE = (-11000010, -11000011)   # "document ID already in use" (RegistIssue)
# Cash receipt stateCode: 300 issued (발행완료), 304 transmitted to NTS (전송완료), 305 transmission failed (전송실패).
STATE_ISSUED, STATE_TRANSMITTED, STATE_NTS_FAILED = 300, 304, 305

_tokens: dict = {}
_tokens_lock = threading.Lock()


class PopbillError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(f"Popbill {code}: {message}")
        self.code, self.message = int(code), message


class PopbillClient:
    def __init__(self, *, link_id: str, secret_key: str, corp_num: str, test: bool = True,
                 api_url: str = "", auth_url: str = "", timeout: float = 20.0, scope: str = CASHBILL_SCOPE):
        self.link_id, self.secret_key, self.corp_num = link_id, secret_key, corp_num
        self.test, self.timeout, self.scope = test, float(timeout), scope
        self.api_url = (api_url or ("https://popbill-test.linkhub.co.kr" if test
                                    else "https://popbill.linkhub.co.kr")).rstrip("/")
        self.auth_url = (auth_url or "https://auth.linkhub.co.kr").rstrip("/")

    # ------------------------------------------------------------ transport
    def _service_id(self) -> str:
        return "POPBILL_TEST" if self.test else "POPBILL"

    def token(self) -> str:
        cache_key = (self.auth_url, self._service_id(), self.link_id, self.corp_num, self.scope)
        with _tokens_lock:
            cached = _tokens.get(cache_key)
        now = datetime.now(timezone.utc)
        if cached and cached[1] > now + timedelta(seconds=30):
            return cached[0]
        body = json.dumps({"access_id": self.corp_num, "scope": ["member", self.scope]})
        uri = f"/{self._service_id()}/Token"
        call_dt = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        target = "\n".join(["POST", base64.b64encode(hashlib.sha256(body.encode()).digest()).decode(), call_dt,
                            LINKHUB_VERSION, uri])
        try:
            key = base64.b64decode(self.secret_key.encode())
        except ValueError:
            raise PopbillError(-99999999, "the Popbill SecretKey is not base64") from None
        signature = base64.b64encode(hmac.new(key, target.encode(), hashlib.sha256).digest()).decode()
        headers = {"x-lh-date": call_dt, "x-lh-version": LINKHUB_VERSION, "Content-Type": "Application/json",
                   "Authorization": f"LINKHUB {self.link_id} {signature}"}
        answer = self._send("POST", self.auth_url + uri, body, headers)
        expires = _parse_time(answer.get("expiration")) or now + timedelta(minutes=30)
        with _tokens_lock:
            _tokens[cache_key] = (answer["session_token"], expires)
        return answer["session_token"]

    def call(self, method: str, path: str, payload=None, action: str | None = None) -> dict:
        headers = {"x-pb-version": API_VERSION, "Authorization": "Bearer " + self.token(),
                   "Content-Type": "application/json; charset=utf8", "User-Agent": "Tessera einvoice_kr"}
        if action:
            headers["X-HTTP-Method-Override"] = action
        body = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else None
        return self._send(method, self.api_url + path, body, headers)

    def _send(self, method: str, url: str, body, headers) -> dict:
        import requests
        try:
            response = requests.request(method, url, data=body, headers=headers, timeout=self.timeout)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise OutcomeUnknown(f"Popbill did not answer: {exc.__class__.__name__}") from exc
        if response.status_code >= 500:
            raise OutcomeUnknown(f"Popbill answered HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            if response.status_code == 200:
                raise OutcomeUnknown("Popbill's answer is not JSON") from None
            raise PopbillError(-99999999, f"HTTP {response.status_code}") from None
        if response.status_code != 200:
            raise PopbillError(int(data.get("code", -99999999)), str(data.get("message", "")))
        return data

    # ------------------------------------------------------------ cash receipts
    def cashbill_regist_issue(self, cashbill: dict) -> dict:
        return self.call("POST", "/Cashbill", cashbill, "ISSUE")

    def cashbill_revoke_issue(self, facts: dict) -> dict:
        return self.call("POST", "/Cashbill", facts, "REVOKEISSUE")

    def cashbill_info(self, mgt_key: str) -> dict | None:
        try:
            return self.call("GET", f"/Cashbill/{mgt_key}")
        except PopbillError as exc:
            if exc.code == CASHBILL_NOT_FOUND:
                return None
            raise

    def cashbill_send_email(self, mgt_key: str, receiver: str) -> dict:
        return self.call("POST", f"/Cashbill/{mgt_key}", {"receiver": receiver}, "EMAIL")

    # ------------------------------------------------------------ tax invoices
    def taxinvoice_regist_issue(self, taxinvoice: dict) -> dict:
        return self.call("POST", "/Taxinvoice", taxinvoice, "ISSUE")

    def taxinvoice_send_email(self, mgt_key: str, receiver: str) -> dict:
        """taxinvoiceService.sendEmail: Popbill mails the issued invoice to ``receiver``."""
        return self.call("POST", f"/Taxinvoice/SELL/{mgt_key}", {"receiver": receiver}, "EMAIL")

    def taxinvoice_info(self, mgt_key: str) -> dict | None:
        try:
            return self.call("GET", f"/Taxinvoice/SELL/{mgt_key}")
        except PopbillError as exc:
            if exc.code in (TAXINVOICE_NOT_FOUND, -11000000):
                return None
            raise


def _parse_time(text):
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return None
