"""Fake Viettel S-Invoice and MISA meInvoice servers on 127.0.0.1, answering the documented shapes.

Both store one invoice per transactionUuid / RefID (a second create answers a
duplicate error inside HTTP 200), can ``hang_after_accept`` (store the invoice or
the cancellation, then answer after the client's timeout), ``fail_5xx`` (HTTP 500 before doing
anything) and ``error_200`` (the next create answers an error inside HTTP 200).
"""
from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class _Fake:
    def __init__(self):
        self.invoices: dict[str, dict] = {}
        self.calls: list[str] = []
        self.bodies: list[dict] = []
        self.hang_after_accept = 0.0
        self.fail_5xx = 0
        self.error_200 = None
        self.next_number = None  # the number the provider gives the next invoice (to disagree with ours)
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                url = urlparse(self.path)
                fake.calls.append(url.path)
                if fake.fail_5xx:
                    fake.fail_5xx -= 1
                    return self._send(500, {"message": "Internal Server Error"})
                if "json" in (self.headers.get("Content-Type") or ""):
                    body = json.loads(raw or b"null")
                else:
                    body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                status, answer, hang = fake.route(url.path, parse_qs(url.query), body, self.headers)
                if hang:
                    time.sleep(hang)
                self._send(status, answer)

            def _send(self, status, answer):
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class FakeViettel(_Fake):
    API = "/services/einvoiceapplication/api/InvoiceAPI"

    def __init__(self, username="0100233488", password="secret"):
        self.username, self.password, self.token = username, password, "tok-123"
        self.code_later = False  # the tax authority's code comes later (a "C" symbol being processed)
        super().__init__()

    def grant_codes(self):
        for n, inv in enumerate(self.invoices.values(), 1):
            inv["codeOfTax"] = inv["codeOfTax"] or f"00{n:032X}"

    def _authorised(self, headers) -> bool:
        auth = headers.get("Authorization") or ""
        basic = "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return auth in (f"Bearer {self.token}", basic)

    def route(self, path, query, body, headers):
        if path == "/auth/login":
            if body.get("username") == self.username and body.get("password") == self.password:
                return 200, {"access_token": self.token, "token_type": "bearer", "expires_in": 600}, 0
            return 401, {"error": "invalid_grant"}, 0
        if not self._authorised(headers):
            return 401, {"errorCode": "UNAUTHORIZED", "description": "token"}, 0
        if path.startswith(f"{self.API}/InvoiceWS/createInvoice/"):
            self.bodies.append(body)
            if self.error_200:
                code, self.error_200 = self.error_200, None
                return 200, {"errorCode": code, "description": "Dữ liệu không hợp lệ", "result": None}, 0
            uuid = body["generalInvoiceInfo"]["transactionUuid"]
            with self.lock:
                if uuid in self.invoices:
                    return 200, {"errorCode": "TRANSACTION_UUID_EXISTED",
                                 "description": "transactionUuid đã tồn tại", "result": None}, 0
                series = body["generalInvoiceInfo"]["invoiceSeries"]
                number = sum(1 for i in self.invoices.values() if i["invoiceSeries"] == series) + 1
                number, self.next_number = self.next_number or number, None
                self.invoices[uuid] = {"invoiceSeries": series, "invoiceNo": f"{series}{number}",
                                       "reservationCode": f"RSV{len(self.invoices) + 1:06d}",
                                       "codeOfTax": None if self.code_later else f"00{len(self.invoices) + 1:032X}",
                                       "status": "1",
                                       "body": body}
            inv = self.invoices[uuid]
            return 200, {"errorCode": None, "description": None, "result": {
                "supplierTaxCode": self.username, "invoiceNo": inv["invoiceNo"], "transactionID": uuid,
                "reservationCode": inv["reservationCode"], "codeOfTax": inv["codeOfTax"]}}, self.hang_after_accept
        if path == f"{self.API}/InvoiceWS/searchInvoiceByTransactionUuid":
            inv = self.invoices.get(body.get("transactionUuid"))
            if inv is None:
                return 200, {"errorCode": "INVOICE_NOT_FOUND", "description": "Không tìm thấy", "result": None}, 0
            return 200, {"errorCode": None, "transactionUuid": body["transactionUuid"], "result": [
                {"supplierTaxCode": self.username, "invoiceNo": inv["invoiceNo"],
                 "reservationCode": inv["reservationCode"], "codeOfTax": inv["codeOfTax"],
                 "issueDate": 0, "status": inv["status"]}]}, 0
        if path == f"{self.API}/InvoiceWS/cancelTransactionInvoice":
            for inv in self.invoices.values():
                if inv["invoiceNo"] == body.get("invoiceNo"):
                    if inv["status"] == "3":
                        return 200, {"errorCode": "INVOICE_CANCELLED", "description": "Hóa đơn đã bị hủy"}, 0
                    inv["status"] = "3"
                    return 200, {"errorCode": None, "description": None}, self.hang_after_accept
            return 200, {"errorCode": "INVOICE_NOT_FOUND", "description": "Không tìm thấy"}, 0
        if path == f"{self.API}/InvoiceUtilsWS/getInvoiceRepresentationFile":
            if any(i["invoiceNo"] == body.get("invoiceNo") for i in self.invoices.values()):
                return 200, {"errorCode": 200, "description": None, "fileName": f"{body['invoiceNo']}.pdf",
                             "fileToBytes": base64.b64encode(b"%PDF-1.4 viettel").decode()}, 0
            return 200, {"errorCode": "INVOICE_NOT_FOUND", "description": "Không tìm thấy"}, 0
        return 404, {"errorCode": "NOT_FOUND"}, 0


class FakeMisa(_Fake):
    def __init__(self, app_id="app-1", username="misa-user", password="secret"):
        self.app_id, self.username, self.password, self.token = app_id, username, password, "jwt-abc"
        super().__init__()

    def route(self, path, query, body, headers):
        if path.endswith("/auth/token"):
            if (body.get("appid"), body.get("username"), body.get("password")) == (self.app_id, self.username,
                                                                                   self.password):
                return 200, {"Success": True, "Data": self.token, "ErrorCode": None, "Errors": []}, 0
            return 200, {"Success": False, "Data": None, "ErrorCode": "InvalidAppID", "Errors": ["login"]}, 0
        if headers.get("Authorization") != f"Bearer {self.token}" or not headers.get("CompanyTaxCode"):
            return 200, {"Success": False, "ErrorCode": "TokenExpiredCode", "Errors": [], "Data": None}, 0
        if path.endswith("/code/itg/invoicepublishing/publishhsm"):
            data = body[0]["OriginalInvoiceData"]
            self.bodies.append(data)
            if self.error_200:
                code, self.error_200 = self.error_200, None
                return 200, {"Success": False, "ErrorCode": code, "Errors": ["Thiếu thông tin"], "Data": None}, 0
            ref = data["RefID"]
            with self.lock:
                if ref in self.invoices:
                    item = {"RefID": ref, "ErrorCode": "DuplicateInvoiceRefID", "TransactionID": None}
                    return 200, {"Success": True, "ErrorCode": None, "Errors": [], "Data": json.dumps([item])}, 0
                number = len(self.invoices) + 1
                inv_no, self.next_number = self.next_number or number, None
                self.invoices[ref] = {"RefID": ref, "TransactionID": f"TX{number:08d}", "InvNo": f"{inv_no:08d}",
                                      "InvSeries": data["InvSeries"], "InvoiceCode": f"M1-{number:030d}",
                                      "EInvoiceStatus": 1}
            item = dict(self.invoices[ref], ErrorCode=None)
            return 200, {"Success": True, "ErrorCode": None, "Errors": [], "Data": json.dumps([item])}, \
                self.hang_after_accept
        if path.endswith("/code/itg/invoicepublished/invoicestatus"):
            found = [dict(self.invoices[r]) for r in body if r in self.invoices]
            return 200, {"Success": True, "ErrorCode": None, "Errors": [], "Data": json.dumps(found)}, 0
        if path.endswith("/code/itg/invoicepublished/downloadinvoice"):
            items = [{"TransactionID": t, "Data": base64.b64encode(b"%PDF-1.4 misa").decode()} for t in body
                     if any(i["TransactionID"] == t for i in self.invoices.values())]
            return 200, {"Success": bool(items), "ErrorCode": None if items else "InvoiceNotFound", "Errors": [],
                         "Data": json.dumps(items)}, 0
        if path.endswith("/code/itg/invoicepublished/cancel"):
            for inv in self.invoices.values():
                if inv["TransactionID"] == body.get("TransactionID"):
                    if inv["EInvoiceStatus"] == 5:
                        return 200, {"Success": False, "ErrorCode": "InvoiceCancelled", "Errors": ["Hóa đơn đã bị hủy"],
                                     "Data": None}, 0
                    inv["EInvoiceStatus"] = 5
                    return 200, {"Success": True, "ErrorCode": None, "Errors": [], "Data": None}, \
                        self.hang_after_accept
            return 200, {"Success": False, "ErrorCode": "InvoiceNotFound", "Errors": [], "Data": None}, 0
        return 404, {"Success": False, "ErrorCode": "NotFound"}, 0
