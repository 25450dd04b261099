"""A fake GHN gateway on 127.0.0.1 following the documented shapes of shiip/public-api.

Every answer is ``{"code", "message", "data"}``; headers ``Token`` and ``ShopId``
are checked. Quirks a client must survive: ``slow_creates`` creates that are
stored and then answered after the client's timeout (accepted at GHN, unknown to
the client), ``fail_next`` 5xx answers, refusals as HTTP 400 with code 400, and
order logs given out of order. The fake never deduplicates ``client_order_code``
(so a client that resends blindly makes a second order the test can count).
"""
from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN, SHOP = "ghn-test-token", "885"
PROVINCES = [{"ProvinceID": 201, "ProvinceName": "Hà Nội"}, {"ProvinceID": 202, "ProvinceName": "Hồ Chí Minh"}]
DISTRICTS = {201: [{"DistrictID": 1488, "ProvinceID": 201, "DistrictName": "Quận Hai Bà Trưng"}],
             202: [{"DistrictID": 1442, "ProvinceID": 202, "DistrictName": "Quận 1"},
                   {"DistrictID": 1443, "ProvinceID": 202, "DistrictName": "Quận 3"}]}
WARDS = {1488: [{"WardCode": "1A0807", "DistrictID": 1488, "WardName": "Phường Phạm Đình Hổ"}],
         1442: [{"WardCode": "20107", "DistrictID": 1442, "WardName": "Phường Bến Nghé"}],
         1443: [{"WardCode": "20308", "DistrictID": 1443, "WardName": "Phường Võ Thị Sáu"}]}


# a 1x1 PNG: the picture the fake's label pages point at
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def print_page(codes, kind, host) -> str:
    """A print page like GHN's: one label per order, its barcode as a picture inside the page, a
    picture from GHN's own host (relative), and one from another host that must never be fetched."""
    other = "http://" + ("localhost" if host.startswith("127.") else "127.0.0.1") + ":" + host.rsplit(":", 1)[-1]
    labels = "".join(
        f'<div class="label"><h2>Giao Hàng Nhanh</h2><p class="code">Mã đơn GHN: {code}</p>'
        f'<img src="data:image/png;base64,{base64.b64encode(PNG).decode()}" width="120" height="30"/>'
        f'<img src="/images/barcode.png" width="120" height="30"/>'
        f'<img src="{other}/images/elsewhere.png" width="10" height="10"/>'
        f'<p>Người nhận: Nguyễn Văn An · Tiền thu hộ (COD)</p><p>Khổ in: {kind}</p></div>' for code in codes)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>In đơn</title>"
            f"<link rel='stylesheet' href='/css/label.css'/><link rel='stylesheet' href='{other}/css/x.css'/>"
            f"<script>window.print()</script><style>.label {{ page-break-after: always; }}</style></head>"
            f"<body>{labels}</body></html>")


class FakeGhn:
    def __init__(self, delay=0.6):
        self.orders: dict[str, dict] = {}
        self.calls: list[str] = []
        self.lock = threading.Lock()
        self.slow_creates = 0
        self.fail_next = 0
        self.delay = delay
        self.gets: list[str] = []              # paths asked with GET (print pages, pictures)
        self.print_tokens: dict[str, list] = {}
        self.print_mode = "html"               # html (as GHN), pdf, text (neither)
        self.print_pdf = b""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status, body, kind="application/json"):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _ok(self, data):
                self._reply(200, {"code": 200, "message": "Success", "data": data})

            def _refuse(self, message):
                self._reply(400, {"code": 400, "message": message, "data": None})

            def do_GET(self):
                url = urlsplit(self.path)
                with fake.lock:
                    fake.gets.append(url.path)
                if url.path.startswith("/a5/public-api/print"):
                    token = parse_qs(url.query).get("token", [""])[0]
                    if token not in fake.print_tokens:
                        return self._reply(200, b"<html><body>Token in valid</body></html>", "text/html")
                    if fake.print_mode == "pdf":
                        return self._reply(200, fake.print_pdf, "application/pdf")
                    if fake.print_mode == "text":
                        return self._reply(200, b"Service unavailable", "text/plain")
                    page = print_page(fake.print_tokens[token], url.path.rsplit("/", 1)[-1], self.headers["Host"])
                    return self._reply(200, page.encode(), "text/html; charset=utf-8")
                if url.path == "/images/barcode.png":
                    return self._reply(200, PNG, "image/png")
                if url.path == "/css/label.css":
                    return self._reply(200, b".code { font-size: 18pt; } .logo { background: url('../images/"
                                       b"barcode.png'); }", "text/css")
                self._reply(404, {"code": 404, "message": "not found"})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                path = self.path.removeprefix("/shiip/public-api")
                with fake.lock:
                    fake.calls.append(path)
                    if self.headers.get("Token") != TOKEN or self.headers.get("ShopId") != SHOP:
                        return self._reply(401, {"code": 401, "message": "Token is not valid"})
                    if fake.fail_next:
                        fake.fail_next -= 1
                        return self._reply(502, {"code": 502, "message": "Bad gateway"})
                handler = getattr(fake, "api_" + path.strip("/").replace("/", "_").replace("-", "_"), None)
                if handler is None:
                    return self._reply(404, {"code": 404, "message": f"no route {path}"})
                try:
                    result = handler(body)
                except ValueError as exc:
                    return self._refuse(str(exc))
                if isinstance(result, tuple):        # (data, seconds to wait before answering)
                    result, wait = result
                    time.sleep(wait)
                self._ok(result)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # ---------------------------------------------------------------- master data
    def api_master_data_province(self, body):
        return PROVINCES

    def api_master_data_district(self, body):
        return DISTRICTS.get(int(body["province_id"]), [])

    def api_master_data_ward(self, body):
        return WARDS.get(int(body["district_id"]), [])

    # ---------------------------------------------------------------- fees
    def api_v2_shipping_order_available_services(self, body):
        if not body.get("to_district"):
            raise ValueError("to_district is required")
        return [{"service_id": 53320, "short_name": "Hàng nhẹ", "service_type_id": 2},
                {"service_id": 100039, "short_name": "Hàng nặng", "service_type_id": 5}]

    def api_v2_shipping_order_fee(self, body):
        base = 22000 if body["service_type_id"] == 2 else 65000
        total = base + max(0, body["weight"] - 1000) // 500 * 5000
        return {"total": total, "service_fee": total, "insurance_fee": 0, "cod_fee": 0}

    def api_v2_shipping_order_leadtime(self, body):
        return {"leadtime": 1893456000, "order_date": 1893283200}

    # ---------------------------------------------------------------- orders
    def api_v2_shipping_order_create(self, body):
        for key in ("payment_type_id", "required_note", "to_name", "to_phone", "to_address", "to_ward_code",
                    "to_district_id", "weight", "length", "width", "height", "service_type_id"):
            if body.get(key) in (None, ""):
                raise ValueError(f"{key} is required")
        if body["required_note"] not in ("CHOTHUHANG", "CHOXEMHANGKHONGTHU", "KHONGCHOXEMHANG"):
            raise ValueError("required_note is invalid")
        if body["to_ward_code"] == "BAD":
            raise ValueError("Ward code is not valid")
        with self.lock:
            code = f"GHN{len(self.orders) + 1:05d}"
            fee = self.api_v2_shipping_order_fee(body)["total"]
            self.orders[code] = {"order_code": code, "client_order_code": body.get("client_order_code") or "",
                                 "status": "ready_to_pick", "updated_date": "2026-12-01T08:00:00Z",
                                 "cod_amount": body.get("cod_amount", 0), "total_fee": fee, "log": [],
                                 "payment_type_id": body["payment_type_id"], "weight": body["weight"]}
            slow = self.slow_creates > 0
            if slow:
                self.slow_creates -= 1
        data = {"order_code": code, "sort_code": "190-G-01-A1", "total_fee": fee,
                "expected_delivery_time": "2026-12-04T16:59:59Z"}
        return (data, self.delay) if slow else data

    def api_v2_shipping_order_detail(self, body):
        order = self.orders.get(body.get("order_code"))
        if order is None:
            raise ValueError("Order not found")
        return {**order, "log": list(reversed(order["log"]))}     # newest first: the client must sort

    def api_v2_shipping_order_detail_by_client_code(self, body):
        for order in self.orders.values():
            if order["client_order_code"] == body.get("client_order_code"):
                return order
        raise ValueError("Order not found")

    def api_v2_switch_status_return(self, body):
        out = []
        for code in body.get("order_codes", []):
            ok = code in self.orders and self.orders[code]["status"] in ("delivery_fail", "waiting_to_return")
            if ok:
                self.set_status(code, "return", "2026-12-03T09:00:00Z")
            out.append({"order_code": code, "result": ok, "message": "OK" if ok else "cannot return"})
        return out

    def api_v2_switch_status_cancel(self, body):
        out = []
        for code in body.get("order_codes", []):
            order = self.orders.get(code)
            ok = order is not None and order["status"] in ("ready_to_pick", "picking")
            if ok:
                self.set_status(code, "cancel", "2026-12-01T09:00:00Z")
            out.append({"order_code": code, "result": ok, "message": "OK" if ok else "cannot cancel"})
        return out

    def api_v2_a5_gen_token(self, body):
        codes = body.get("order_codes") or []
        if not codes or any(code not in self.orders for code in codes):
            raise ValueError("order_codes: không tìm thấy đơn hàng")
        token = f"print-token-{len(self.print_tokens) + 1}"
        self.print_tokens[token] = list(codes)
        return {"token": token}

    # ---------------------------------------------------------------- test helpers
    def set_status(self, code, status, at):
        order = self.orders[code]
        order["log"].append({"status": order["status"], "updated_date": order["updated_date"]})
        order["status"], order["updated_date"] = status, at

    def creates(self) -> int:
        return sum(1 for c in self.calls if c == "/v2/shipping-order/create")
