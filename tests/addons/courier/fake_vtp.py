"""A fake Viettel Post partner gateway on 127.0.0.1 (``/v2``) following the documented shapes.

Quirks a client must survive: every refusal is HTTP 200 with ``error: true``; ``user/Login``
gives a short token that only ``user/ownerconnect`` accepts, and only the long one opens the
order calls; ``createOrder`` with ``CHECK_UNIQUE: true`` answers the order it already holds for an
``ORDER_NUMBER`` (without it, it makes a second one); ``slow_creates`` store the order and answer
after the client's timeout; ``UpdateOrder`` TYPE 4 (cancel) is refused once the status is 200 or more.
The 2025 lists are v3 (``/v3/categories/listProvinceNew``, ``listWardsNew``), whose whole list names
no provinces (as the documentation's sample); ``registerOrderHook`` is recorded in ``resends``.
"""
from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

USER, PASSWORD = "shop@example.vn", "vtp-secret"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
SHORT, LONG = "short-token", "owner-token"


class FakeVtp:
    def __init__(self, delay=0.6):
        self.orders: dict[str, dict] = {}
        self.by_reference: dict[str, str] = {}
        self.lock = threading.Lock()
        self.slow_creates = 0
        self.delay = delay
        self.logins = 0
        self.v3 = True                    # the gateway offers the 2025 lists
        self.resends: list[str] = []      # registerOrderHook calls (order numbers)
        self.last_create: dict = {}
        self.print_codes: dict[str, list] = {}
        self.gets: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, body, status=200):
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _raw(self, data, kind):
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, message):
                self._reply({"status": 200, "error": True, "message": message, "data": None})

            def _ok(self, data):
                self._reply({"status": 200, "error": False, "message": "OK", "data": data})

            def do_GET(self):
                url = urlsplit(self.path)
                if url.path == "/DigitalizePrint/report.do":      # the print host: no token, the print code
                    return fake.print_page(self, parse_qs(url.query))
                if url.path == "/images/vtp-barcode.png":
                    fake.gets.append(url.path)
                    return self._raw(PNG, "image/png")
                if self.headers.get("Token") != LONG:
                    return self._error("Token invalid")
                url = urlsplit(self.path)
                if url.path == "/v2/categories/listProvince":
                    return self._ok([{"PROVINCE_ID": 1, "PROVINCE_CODE": "HNI", "PROVINCE_NAME": "Hà Nội"},
                                     {"PROVINCE_ID": 2, "PROVINCE_CODE": "HCM", "PROVINCE_NAME": "Hồ Chí Minh"}])
                query = parse_qs(url.query)
                if url.path == "/v2/categories/listDistrict" and query.get("provinceId") == ["-1"]:
                    # the documented pseudo district of a merged province: its wards are the 2025 ones
                    return self._ok([{"DISTRICT_ID": 12, "DISTRICT_VALUE": "1A", "DISTRICT_NAME":
                                      "QUẬN HAI BÀ TRƯNG", "PROVINCE_ID": 1},
                                     {"DISTRICT_ID": 100000001, "DISTRICT_VALUE": "NEW",
                                      "DISTRICT_NAME": "Bỏ qua - Sử dụng địa chỉ 2 cấp", "PROVINCE_ID": 1}])
                if url.path == "/v2/categories/listWards" and query.get("districtId") == ["-1"]:
                    return self._ok([{"WARDS_ID": 120, "WARDS_NAME": "PHƯỜNG PHẠM ĐÌNH HỔ", "DISTRICT_ID": 12},
                                     {"WARDS_ID": 49876, "WARDS_NAME": "PHƯỜNG HAI BÀ TRƯNG",
                                      "DISTRICT_ID": 100000001}])
                if url.path == "/v3/categories/listProvinceNew":
                    if not fake.v3:
                        return self._error("no route")
                    return self._ok([{"PROVINCE_ID": 1, "PROVINCE_CODE": "HNI", "PROVINCE_NAME": "Hà Nội"},
                                     {"PROVINCE_ID": 2, "PROVINCE_CODE": "HCM", "PROVINCE_NAME": "Hồ Chí Minh"}])
                if url.path == "/v3/categories/listWardsNew" and fake.v3:
                    # as the documentation's sample: the whole list (-1) names districts, not provinces
                    wards = {1: [{"WARDS_ID": 49876, "WARDS_NAME": "PHƯỜNG HAI BÀ TRƯNG", "DISTRICT_ID": 12}],
                             2: [{"WARDS_ID": 49900, "WARDS_NAME": "PHƯỜNG SÀI GÒN"}]}
                    wanted = int(query.get("provinceId", ["0"])[0])
                    if wanted == -1:
                        return self._ok([w for rows in wards.values() for w in rows])
                    return self._ok(wards.get(wanted, []))
                if url.path == "/v2/order/registerOrderHook":
                    number = query.get("oid", [""])[0]
                    if number not in fake.orders:
                        return self._error("Order does not exist")
                    fake.resends.append(number)
                    return self._reply({"status": 200, "error": False, "message": "OK", "data": None})
                self._error(f"no route {url.path}")

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                path = self.path
                if path == "/v2/user/Login":
                    fake.logins += 1
                    if (body.get("USERNAME"), body.get("PASSWORD")) != (USER, PASSWORD):
                        return self._error("Sai tên đăng nhập hoặc mật khẩu")
                    return self._ok({"userId": 7, "token": SHORT, "phone": "0900000000"})
                if path == "/v2/user/ownerconnect":
                    if self.headers.get("Token") != SHORT:
                        return self._error("Token invalid")
                    return self._ok({"userId": 7, "token": LONG})
                if self.headers.get("Token") != LONG:
                    return self._error("Token invalid")
                if path == "/v2/order/printing-code":
                    numbers = body.get("ORDER_ARRAY") or []
                    if not numbers or len(numbers) > 100 or any(n not in fake.orders for n in numbers) or \
                            int(body.get("EXPIRY_TIME") or 0) <= time.time() * 1000:
                        return self._error("ORDER_ARRAY hoặc EXPIRY_TIME không hợp lệ")
                    code = f"PRINT{len(fake.print_codes) + 1}="
                    fake.print_codes[code] = list(numbers)
                    return self._reply({"status": 200, "error": False, "message": code, "data": None})
                handler = getattr(fake, "api_" + path.rsplit("/", 1)[-1], None)
                if handler is None:
                    return self._error(f"no route {path}")
                try:
                    result = handler(body)
                except ValueError as exc:
                    return self._error(str(exc))
                if isinstance(result, tuple):
                    result, wait = result
                    time.sleep(wait)
                self._ok(result)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v2"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def api_getPriceAll(self, body):
        if not body.get("RECEIVER_PROVINCE"):
            raise ValueError("RECEIVER_PROVINCE is required")
        return [{"MA_DV_CHINH": "VCN", "TEN_DICHVU": "Chuyển phát nhanh", "GIA_CUOC": 32000, "THOI_GIAN": "24 giờ"},
                {"MA_DV_CHINH": "LCOD", "TEN_DICHVU": "TMĐT tiết kiệm", "GIA_CUOC": 21000, "THOI_GIAN": "72 giờ"}]

    def api_createOrder(self, body):
        for key in ("ORDER_NUMBER", "RECEIVER_FULLNAME", "RECEIVER_PHONE", "RECEIVER_PROVINCE", "ORDER_SERVICE",
                    "ORDER_PAYMENT", "PRODUCT_WEIGHT"):
            if body.get(key) in (None, ""):
                raise ValueError(f"{key} không được để trống")
        if body["ORDER_PAYMENT"] not in (1, 2, 3, 4):
            raise ValueError("ORDER_PAYMENT không hợp lệ")
        if body["ORDER_SERVICE"] not in ("VCN", "LCOD"):
            raise ValueError("Dịch vụ không hợp lệ")
        with self.lock:
            self.last_create = body
            reference = body["ORDER_NUMBER"]
            if body.get("CHECK_UNIQUE") and reference in self.by_reference:
                code = self.by_reference[reference]
            else:
                code = f"{1000000000 + len(self.orders) + 1}"
                self.orders[code] = {"reference": reference, "status": 100,
                                     "payment": body["ORDER_PAYMENT"], "cod": body.get("MONEY_COLLECTION", 0)}
                self.by_reference[reference] = code
            slow = self.slow_creates > 0
            if slow:
                self.slow_creates -= 1
        data = {"ORDER_NUMBER": code, "MONEY_COLLECTION": body.get("MONEY_COLLECTION", 0), "MONEY_TOTAL": 32000,
                "MONEY_TOTAL_FEE": 29091, "MONEY_FEE": 29091, "KPI_HT": 24}
        return (data, self.delay) if slow else data

    def api_UpdateOrder(self, body):
        order = self.orders.get(str(body.get("ORDER_NUMBER")))
        if order is None:
            raise ValueError("Không tìm thấy vận đơn")
        if body.get("TYPE") not in (1, 2, 3, 4, 5):
            raise ValueError("TYPE không hợp lệ")
        if body["TYPE"] == 2:
            if order["status"] != 505:
                raise ValueError("Chỉ duyệt hoàn vận đơn ở trạng thái 505")
            order["status"] = 515
        if body["TYPE"] == 4:
            if order["status"] >= 200:
                raise ValueError("Vận đơn đã được bưu cục nhận, không thể hủy")
            order["status"] = 107
        return None

    def print_page(self, handler, query):
        numbers = self.print_codes.get(query.get("bill", [""])[0])
        if numbers is None:
            return handler._raw("<html><body>Mã in không hợp lệ</body></html>".encode(), "text/html; charset=utf-8")
        host = handler.headers["Host"]
        other = "http://" + ("localhost" if host.startswith("127.") else "127.0.0.1") + ":" + host.rsplit(":", 1)[-1]
        labels = "".join(f'<div><b>VIETTEL POST</b><p>Mã vận đơn: {n}</p><img src="/images/vtp-barcode.png" '
                         f'width="150" height="40"/><img src="{other}/images/elsewhere.png"/>'
                         f'<p>Loại nhãn: {query.get("type", [""])[0]}</p></div>' for n in numbers)
        page = f"<html><head><meta charset='utf-8'></head><body>{labels}</body></html>"
        return handler._raw(page.encode(), "text/html; charset=utf-8")

    def count(self, reference) -> int:
        return sum(1 for o in self.orders.values() if o["reference"] == reference)
