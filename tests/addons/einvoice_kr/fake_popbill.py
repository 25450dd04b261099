"""A fake Popbill (and Linkhub token service) on 127.0.0.1, answering in the documented shapes.

Token: ``POST /POPBILL_TEST/Token`` checks the LINKHUB HMAC signature with the secret key.
Cash receipts: ``POST /Cashbill`` (X-HTTP-Method-Override ISSUE / REVOKEISSUE),
``GET /Cashbill/{mgtKey}``, ``POST /Cashbill/{mgtKey}`` (EMAIL). Tax invoices:
``POST /Taxinvoice`` (ISSUE), ``GET /Taxinvoice/SELL/{mgtKey}``, ``POST /Taxinvoice/SELL/{mgtKey}``
(EMAIL). Errors are HTTP 400 with ``{"code": -140..., "message"}``. ``drop_after_issue`` stores the document and then drops
the connection without answering (the answer lost after issuing); ``fail_next`` answers
the next call with a Popbill error code; ``http500`` answers 500.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LINK_ID = "TESSERA"
SECRET = base64.b64encode(b"tessera-test-secret-key-32-bytes").decode()


class FakePopbill:
    def __init__(self):
        self.cashbills: dict[str, dict] = {}
        self.taxinvoices: dict[str, dict] = {}
        self.calls: list[tuple[str, str, str]] = []
        self.emails: list[tuple[str, str]] = []
        self.tax_emails: list[tuple[str, str]] = []
        self.drop_after_issue = 0
        self.fail_next: tuple[int, str] | None = None
        self.http500 = 0
        self._confirm = itertools.count(100000001)
        self._nts = itertools.count(1)
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status, payload):
                body = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _drop(self):
                self.close_connection = True
                self.connection.close()

            def do_GET(self):
                fake.handle(self, "GET", b"")

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                fake.handle(self, "POST", self.rfile.read(length))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------ routing
    def handle(self, h, method, raw):
        path = h.path.split("?")[0]
        action = h.headers.get("X-HTTP-Method-Override", "")
        with self.lock:
            self.calls.append((method, path, action))
            if path.endswith("/Token"):
                return self._token(h, path, raw)
            if not (h.headers.get("Authorization") or "").startswith("Bearer tok-"):
                return h._answer(401, {"code": -10001000, "message": "토큰이 유효하지 않습니다."})
            if self.http500:
                self.http500 -= 1
                return h._answer(500, {"code": -99999999, "message": "internal"})
            if self.fail_next and method == "POST":
                code, message = self.fail_next
                self.fail_next = None
                return h._answer(400, {"code": code, "message": message})
            data = json.loads(raw) if raw else None
            if path == "/Cashbill" and action == "ISSUE":
                return self._issue(h, data)
            if path == "/Cashbill" and action == "REVOKEISSUE":
                return self._revoke(h, data)
            if path.startswith("/Cashbill/") and method == "GET":
                row = self.cashbills.get(path.rsplit("/", 1)[1])
                if row is None:
                    return h._answer(400, {"code": -14000003, "message": "해당 문서번호의 현금영수증이 존재하지 않습니다."})
                return h._answer(200, row)
            if path.startswith("/Cashbill/") and action == "EMAIL":
                self.emails.append((path.rsplit("/", 1)[1], data["receiver"]))
                return h._answer(200, {"code": 1, "message": "처리되었습니다."})
            if path == "/Taxinvoice" and action == "ISSUE":
                return self._tax_issue(h, data)
            if path.startswith("/Taxinvoice/SELL/") and action == "EMAIL":
                key = path.rsplit("/", 1)[1]
                if key not in self.taxinvoices:
                    return h._answer(400, {"code": -11000005, "message": "문서번호가 존재하지 않습니다."})
                self.tax_emails.append((key, data["receiver"]))
                return h._answer(200, {"code": 1, "message": "처리되었습니다."})
            if path.startswith("/Taxinvoice/SELL/") and method == "GET":
                row = self.taxinvoices.get(path.rsplit("/", 1)[1])
                if row is None:
                    return h._answer(400, {"code": -11000005, "message": "문서번호가 존재하지 않습니다."})
                return h._answer(200, {"itemKey": "K" + row["invoicerMgtKey"], "stateCode": row.get("stateCode", 300),
                                       "ntsconfirmNum": row["ntsconfirmNum"]})
            return h._answer(404, {"code": -99999999, "message": f"no route {method} {path} {action}"})

    def _token(self, h, path, raw):
        auth = (h.headers.get("Authorization") or "").split(" ")
        target = "\n".join(["POST", base64.b64encode(hashlib.sha256(raw).digest()).decode(),
                            h.headers.get("x-lh-date", ""), h.headers.get("x-lh-version", ""), path])
        expected = base64.b64encode(hmac.new(base64.b64decode(SECRET), target.encode(), hashlib.sha256)
                                    .digest()).decode()
        if len(auth) != 3 or auth[0] != "LINKHUB" or auth[1] != LINK_ID or \
                not hmac.compare_digest(auth[2], expected):
            return h._answer(401, {"code": -99999999, "message": "bad LINKHUB signature"})
        body = json.loads(raw)
        return h._answer(200, {"session_token": f"tok-{body['access_id']}", "serviceID": path.split("/")[1],
                               "expiration": "2099-01-01T00:00:00.000Z", "scope": body["scope"]})

    def _stored_or_drop(self, h, store, key, row, answer):
        store[key] = row
        if self.drop_after_issue:
            self.drop_after_issue -= 1
            return h._drop()
        return h._answer(200, answer)

    def _check_amounts(self, data):
        parts = [int(data[k]) for k in ("supplyCost", "tax", "serviceFee", "totalAmount")]
        return parts[0] + parts[1] + parts[2] == parts[3]

    def _issue(self, h, data):
        if not data.get("identityNum"):
            return h._answer(400, {"code": -14001004, "message": "식별번호가 입력되지 않았습니다."})
        if data["mgtKey"] in self.cashbills:
            return h._answer(400, {"code": -14001019, "message": "이미 사용중인 문서번호입니다."})
        if not self._check_amounts(data):
            return h._answer(400, {"code": -14001030, "message": "합계금액이 일치하지 않습니다."})
        row = {**data, "confirmNum": str(next(self._confirm)), "tradeDate": data["tradeDT"][:8], "stateCode": 300}
        return self._stored_or_drop(h, self.cashbills, data["mgtKey"], row,
                                    {"code": 1, "message": "발행되었습니다.", "confirmNum": row["confirmNum"],
                                     "tradeDate": row["tradeDate"], "tradeDT": data["tradeDT"]})

    def _revoke(self, h, data):
        if data["mgtKey"] in self.cashbills:
            return h._answer(400, {"code": -14001019, "message": "이미 사용중인 문서번호입니다."})
        original = next((r for r in self.cashbills.values() if r["confirmNum"] == data.get("orgConfirmNum")
                         and r["tradeType"] == "승인거래"), None)
        if original is None or original["tradeDate"] != data.get("orgTradeDate"):
            return h._answer(400, {"code": -14001020, "message": "원본 현금영수증이 존재하지 않습니다."})
        if not self._check_amounts(data):
            return h._answer(400, {"code": -14001030, "message": "합계금액이 일치하지 않습니다."})
        cancelled = sum(int(r["totalAmount"]) for r in self.cashbills.values()
                        if r.get("orgConfirmNum") == original["confirmNum"])
        if cancelled + int(data["totalAmount"]) > int(original["totalAmount"]):
            return h._answer(400, {"code": -14001023, "message": "취소 금액이 원본 금액을 초과합니다."})
        row = {**data, "tradeType": "취소거래", "confirmNum": str(next(self._confirm)),
               "tradeDate": data["tradeDT"][:8], "stateCode": 300}
        return self._stored_or_drop(h, self.cashbills, data["mgtKey"], row,
                                    {"code": 1, "message": "발행되었습니다.", "confirmNum": row["confirmNum"],
                                     "tradeDate": row["tradeDate"]})

    def _tax_issue(self, h, data):
        key = data["invoicerMgtKey"]
        if key in self.taxinvoices:
            return h._answer(400, {"code": -11000010, "message": "이미 사용중인 문서번호입니다."})
        if data.get("modifyCode") and not data.get("orgNTSConfirmNum"):
            return h._answer(400, {"code": -11001009, "message": "수정사유코드가 올바르지 않습니다."})
        row = {**data, "ntsconfirmNum": data["writeDate"] + "41000000" + str(next(self._nts)).zfill(8)}
        return self._stored_or_drop(h, self.taxinvoices, key, row,
                                    {"code": 1, "message": "발행되었습니다.", "ntsConfirmNum": row["ntsconfirmNum"]})

    def transmit_all(self):
        """The NTS has received everything: state 304 (전송완료)."""
        with self.lock:
            for row in list(self.cashbills.values()) + list(self.taxinvoices.values()):
                row["stateCode"] = 304
