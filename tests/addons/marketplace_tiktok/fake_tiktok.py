"""A fake TikTok Shop Partner API (202309) on 127.0.0.1 that checks our signatures exactly as documented.

Shop calls need ``app_key``, a ``timestamp`` (seconds) in [now − 5 min, now + 30 s],
``sign`` = hex HMAC-SHA256(app secret, app secret + path + the query but sign and
access_token sorted as name+value + raw body + app secret), ``shop_cipher`` and a
live ``x-tts-access-token``. Refusals are answered as TikTok Shop does: 106001
(invalid sign), 105002 (expired credentials, HTTP 401), 36009002 with HTTP 429
(rate limit), 106013 (no shop_cipher). Knobs: ``rate_limit_next``,
``error_next`` (an error inside an HTTP 200), ``server_error_next`` (HTTP 503),
``hang_next`` (the request is read, then no answer for that many seconds).
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from tests.addons.marketplace.fake_shopee import parse_multipart

APP_KEY, APP_SECRET, SHOP_ID, CIPHER = "6a1b2c3d4e5f", "tts-test-app-secret-0123456789abcdef", "7494049642642441621", \
    "ROW_xkMbgAAAeVAQra0eZWebFQq5aIKt"
SHOPS_PATH = "/authorization/202309/shops"
IMAGE_PATH = "/product/202309/images/upload"


def expected_sign(secret: str, path: str, query: dict, body: bytes) -> str:
    pairs = "".join(k + query[k] for k in sorted(query) if k not in ("sign", "access_token"))
    text = secret + path + pairs + body.decode() + secret
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def webhook_signature(body: bytes, key: str = APP_KEY, secret: str = APP_SECRET) -> str:
    return hmac.new(secret.encode(), key.encode() + body, hashlib.sha256).hexdigest()


class FakeTiktok:
    def __init__(self):
        self.lock = threading.Lock()
        self.calls: list[str] = []
        self.bad_signs = 0
        self.rate_limit_next = self.server_error_next = 0
        self.hang_next = 0.0
        self.error_next: tuple[int, str] | None = None
        self.codes: set[str] = set()
        self.tokens: dict[str, float] = {}
        self.refresh_tokens: set[str] = set()
        self.orders: dict[str, dict] = {}
        self.returns: dict[str, dict] = {}
        self.products: dict[str, dict] = {}
        self.images: dict[str, bytes] = {}            # uri -> the uploaded file
        self.refuse_images = False
        self.stock_log: list[tuple[str, str, int, str]] = []
        self.price_log: list[tuple[str, str, str, str]] = []
        self.shipped: list[tuple[str, dict]] = []
        self.shops = [{"id": SHOP_ID, "name": "GTG Official", "region": "VN", "seller_type": "LOCAL",
                       "cipher": CIPHER, "code": "VNLCXYZ"}]
        self._ids = itertools.count(1729592969712207001)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _handle(self, method):
                parsed = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(parsed.query, keep_blank_values=True).items()}
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = fake.dispatch(method, parsed.path, query, body, self.headers)
                if status is None:
                    return
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------ test helpers
    def settings(self, **extra) -> dict:
        return {"base_url": self.url, "auth_base_url": self.url + "/auth", "services_url": self.url,
                "app_key": APP_KEY, "app_secret": APP_SECRET, "service_id": "7431458374265161478",
                "timeout_seconds": 2, **extra}

    def authorise(self) -> str:
        code = "TTP_" + secrets.token_urlsafe(12)
        self.codes.add(code)
        return code

    def expire_tokens(self):
        with self.lock:
            for token in self.tokens:
                self.tokens[token] = 0

    def add_product(self, product_id: str, skus: dict, title: str = "Áo thun"):
        """skus: sku id -> (seller_sku, price, quantity)."""
        self.products[str(product_id)] = {"title": title, "skus": {str(k): {"seller_sku": v[0], "price": str(v[1]),
                                                                            "quantity": v[2]} for k, v in skus.items()}}

    def add_order(self, order_id: str, lines, *, status="AWAITING_SHIPMENT", cod=True, update_time=None,
                  shipping_type="TIKTOK", seller_discount="0"):
        """lines: (product_id, sku_id, seller_sku, qty, original_price, seller_discount per unit)."""
        now = int(update_time or time.time())
        items = []
        for product_id, sku_id, sku, qty, price, discount in lines:
            for _unit in range(qty):
                items.append({"id": str(next(self._ids)), "sku_id": str(sku_id), "product_id": str(product_id),
                              "seller_sku": sku, "product_name": f"Item {sku}", "sku_name": "Đen, M",
                              "original_price": str(price), "sale_price": str(price - discount),
                              "seller_discount": str(discount), "platform_discount": "0", "currency": "VND",
                              "display_status": status, "package_id": "PKG" + str(order_id)})
        self.orders[str(order_id)] = {
            "id": str(order_id), "status": status, "create_time": now - 60, "update_time": now, "is_cod": cod,
            "paid_time": None if cod else now - 30, "shipping_type": shipping_type, "user_id": "7213489962827123654",
            "buyer_email": "v***@scs.tiktokw.us", "buyer_message": "gọi trước khi giao", "line_items": items,
            "packages": [{"id": "PKG" + str(order_id)}], "payment_method_name": "COD" if cod else "Card",
            "payment": {"currency": "VND", "shipping_fee": "18000", "seller_discount": seller_discount,
                        "platform_discount": "0", "sub_total": "0", "total_amount": "0"},
            "recipient_address": {"name": "Trần Thị B", "phone_number": "(+84)901234567",
                                  "address_detail": "34 Nguyễn Huệ", "postal_code": "700000", "region_code": "VN",
                                  "district_info": [{"address_level": "L0", "address_name": "Vietnam"},
                                                    {"address_level": "L1", "address_name": "Hồ Chí Minh"},
                                                    {"address_level": "L2", "address_name": "Thành phố Thủ Đức"},
                                                    {"address_level": "L3", "address_name": "Phường Thảo Điền"}]}}

    def set_status(self, order_id: str, status: str, update_time=None):
        order = self.orders[str(order_id)]
        order["status"], order["update_time"] = status, int(update_time or time.time())
        for item in order["line_items"]:
            item["display_status"] = status

    def add_return(self, order_id: str, skus, *, status="RETURN_OR_REFUND_REQUEST_COMPLETE",
                   kind="RETURN_AND_REFUND", return_id=None, update_time=None) -> str:
        """A return of the order's line items: skus = seller SKUs, one entry per unit returned."""
        order, taken = self.orders[str(order_id)], set()
        items = []
        for sku in skus:
            item = next(i for i in order["line_items"] if i["seller_sku"] == sku and i["id"] not in taken)
            taken.add(item["id"])
            items.append({"return_line_item_id": str(next(self._ids)), "order_line_item_id": item["id"],
                          "sku_id": item["sku_id"], "seller_sku": sku, "product_name": item["product_name"],
                          "sku_name": item["sku_name"], "refund_amount": {"currency": "VND",
                                                                          "refund_total": item["sale_price"]}})
        return_id = str(return_id or next(self._ids))
        now = int(update_time or time.time())
        self.returns[return_id] = {"order_id": str(order_id), "return_id": return_id, "return_type": kind,
                                   "return_status": status, "role": "BUYER", "create_time": now - 60,
                                   "update_time": now, "return_line_items": items}
        return return_id

    def return_webhook_body(self, return_id: str, notification: str | None = None) -> bytes:
        """Type 12, "Return status change" (webhooks, Return and refund)."""
        ret = self.returns[return_id]
        return json.dumps({"type": 12, "tts_notification_id": notification or secrets.token_hex(8),
                           "shop_id": SHOP_ID, "timestamp": int(time.time()),
                           "data": {"order_id": ret["order_id"], "return_role": "BUYER",
                                    "return_type": ret["return_type"], "return_status": ret["return_status"],
                                    "return_id": return_id, "create_time": ret["create_time"],
                                    "update_time": ret["update_time"]}}, separators=(",", ":")).encode()

    def webhook_body(self, order_id: str, kind: int = 1, notification: str | None = None) -> bytes:
        order = self.orders[str(order_id)]
        return json.dumps({"type": kind, "tts_notification_id": notification or secrets.token_hex(8),
                           "shop_id": SHOP_ID, "timestamp": int(time.time()),
                           "data": {"order_id": str(order_id), "order_status": order["status"],
                                    "is_on_hold_order": False, "update_time": order["update_time"]}},
                          separators=(",", ":")).encode()

    # ------------------------------------------------------------ the API
    def dispatch(self, method, path, query, body, headers):
        with self.lock:
            self.calls.append(path)
        if path.startswith("/auth/api/v2/token/"):
            return self._token(path.rsplit("/", 1)[-1], query)
        if query.get("app_key") != APP_KEY:
            return 401, {"code": 36009004, "message": "Invalid credentials. Invalid app_key query parameter."}
        if not query.get("sign"):
            return 401, {"code": 36009004, "message": "Missing credentials."}
        try:
            stamp = int(query.get("timestamp") or "x")
        except ValueError:
            stamp = 0
        if not time.time() - 300 <= stamp <= time.time() + 30:
            return 401, {"code": 36009004, "message": "Invalid timestamp."}
        kind = str(headers.get("Content-Type") or "")
        multipart = kind.split(";")[0].strip().lower() == "multipart/form-data"
        # "Sign your API request": the body is appended unless the content type is multipart/form-data
        if not hmac.compare_digest(query["sign"], expected_sign(APP_SECRET, path, query, b"" if multipart else body)):
            self.bad_signs += 1
            return 401, {"code": 106001, "message": "Invalid credentials. The sign query parameter is invalid."}
        if multipart != (path == IMAGE_PATH) or (body and not multipart and kind != "application/json"):
            return 400, {"code": 36009022, "message": "Invalid request format: application/json, multipart for uploads."}
        token = headers.get("x-tts-access-token") or ""
        if self.tokens.get(token, 0) < time.time():
            return 401, {"code": 105002, "message": "Expired credentials. The x-tts-access-token has expired."}
        if path not in (SHOPS_PATH, IMAGE_PATH) and query.get("shop_cipher") != CIPHER:
            return 400, {"code": 106013, "message": "Missing identifier. The shop_cipher query parameter is required."}
        if self.hang_next:
            wait, self.hang_next = self.hang_next, 0
            time.sleep(wait)
            return None, None
        if self.server_error_next:
            self.server_error_next -= 1
            return 503, {"code": 36009003, "message": "Service Unavailable"}
        if self.rate_limit_next:
            self.rate_limit_next -= 1
            return 429, {"code": 36009002, "message": "Too many requests."}
        if self.error_next:
            (code, message), self.error_next = self.error_next, None
            return 200, {"code": code, "message": message, "data": None}
        if multipart:
            try:
                fields, files = parse_multipart(kind, body)
            except ValueError as exc:
                return 400, {"code": 36009022, "message": f"Invalid request format: {exc}"}
            data = {"_form": fields, "_files": files}
        else:
            data = json.loads(body) if body else {}
        for route, handler in self.routes():
            parts, given = route.split("/"), path.split("/")
            if len(parts) == len(given) and all(p == g or p.startswith("{") for p, g in zip(parts, given)):
                args = [g for p, g in zip(parts, given) if p.startswith("{")]
                try:
                    answer = handler(query, data, *args)
                except ValueError as exc:          # a refusal inside an HTTP 200, as TikTok Shop answers one
                    return 200, {"code": 12019019, "message": str(exc), "data": None}
                return 200, {"code": 0, "message": "Success", "request_id": secrets.token_hex(8), "data": answer}
        return 404, {"code": 36009009, "message": "Invalid path."}

    def _token(self, kind, q):
        if q.get("app_key") != APP_KEY or q.get("app_secret") != APP_SECRET:
            return 200, {"code": 36004003, "message": "invalid app_key or app_secret"}
        if kind == "get":
            if q.get("grant_type") != "authorized_code" or q.get("auth_code") not in self.codes:
                return 200, {"code": 36004004, "message": "invalid auth_code"}
            self.codes.discard(q["auth_code"])
        else:
            if q.get("grant_type") != "refresh_token" or q.get("refresh_token") not in self.refresh_tokens:
                return 200, {"code": 36004005, "message": "invalid refresh_token"}
            self.refresh_tokens.discard(q["refresh_token"])
        access, refresh = "ROW_" + secrets.token_hex(12), "ROW_r" + secrets.token_hex(12)
        self.tokens[access] = time.time() + 7 * 86400
        self.refresh_tokens.add(refresh)
        return 200, {"code": 0, "message": "success", "request_id": secrets.token_hex(8), "data": {
            "access_token": access, "access_token_expire_in": int(time.time()) + 7 * 86400, "refresh_token": refresh,
            "refresh_token_expire_in": int(time.time()) + 60 * 86400, "open_id": "7010736057180325637",
            "seller_name": "GTG", "seller_base_region": "VN", "user_type": 0}}

    def routes(self):
        return (("/authorization/202309/shops", lambda q, d: {"shops": self.shops}),
                ("/order/202309/orders/search", self.search_orders),
                ("/return_refund/202309/returns/search", self.search_returns), ("/order/202309/orders", self.order_detail),
                ("/product/202309/products/search", self.search_products),
                ("/product/202309/products", self.create_product), (IMAGE_PATH, self.upload_image),
                ("/product/202309/products/{id}/inventory/update", self.update_inventory),
                ("/product/202309/products/{id}/prices/update", self.update_price),
                ("/fulfillment/202309/packages/{id}/ship", self.ship_package),
                ("/fulfillment/202309/orders/{id}/packages", self.mark_shipped))

    def _page(self, rows, q):
        size = int(q.get("page_size") or 20)
        assert 1 <= size <= 100, "page_size out of [1, 100]"
        start = int(q.get("page_token") or 0)
        nxt = str(start + size) if start + size < len(rows) else ""
        return rows[start:start + size], nxt

    def search_orders(self, q, d):
        rows = sorted((o for o in self.orders.values()
                       if d.get("update_time_ge", 0) <= o["update_time"] < d.get("update_time_lt", 2 ** 40)),
                      key=lambda o: (o["update_time"], o["id"]))
        page, nxt = self._page(rows, q)
        return {"orders": page, "next_page_token": nxt, "total_count": len(rows)}

    def search_returns(self, q, d):
        size = int(q.get("page_size") or 10)
        assert 10 <= size <= 50, "page_size out of [10, 50]"
        assert q.get("sort_field", "create_time") in ("create_time", "update_time")
        rows = sorted((r for r in self.returns.values()
                       if (not d.get("order_ids") or r["order_id"] in d["order_ids"])
                       and (not d.get("return_ids") or r["return_id"] in d["return_ids"])
                       and (not d.get("return_types") or r["return_type"] in d["return_types"])
                       and (not d.get("return_status") or r["return_status"] in d["return_status"])
                       and d.get("update_time_ge", 0) <= r["update_time"] < d.get("update_time_lt", 2 ** 40)),
                      key=lambda r: (r[q.get("sort_field") or "create_time"], r["return_id"]))
        page, nxt = self._page(rows, q)
        return {"return_orders": page, "next_page_token": nxt, "total_count": len(rows)}

    def order_detail(self, q, d):
        ids = (q.get("ids") or "").split(",")
        assert len(ids) <= 50, "at most 50 ids"
        return {"orders": [self.orders[i] for i in ids if i in self.orders]}

    def search_products(self, q, d):
        rows = [{"id": pid, "title": p["title"], "status": "ACTIVATE",
                 "skus": [{"id": sid, "seller_sku": s["seller_sku"],
                           "price": {"currency": "VND", "tax_exclusive_price": s["price"]},
                           "inventory": [{"warehouse_id": "7068517275539719942", "quantity": s["quantity"]}]}
                          for sid, s in p["skus"].items()]} for pid, p in sorted(self.products.items())]
        page, nxt = self._page(rows, q)
        return {"products": page, "next_page_token": nxt, "total_count": len(rows)}

    def upload_image(self, q, d):
        filename, content = d["_files"].get("data") or ("", b"")
        if not content:
            raise ValueError("data: the image file is required")
        if self.refuse_images:
            raise ValueError("The image format is not supported")
        if d["_form"].get("use_case", "MAIN_IMAGE") not in ("MAIN_IMAGE", "ATTRIBUTE_IMAGE", "DESCRIPTION_IMAGE",
                                                          "CERTIFICATION_IMAGE", "SIZE_CHART_IMAGE"):
            raise ValueError("use_case is not one of the documented values")
        uri = "tos-maliva-i-o3syd03w52-us/" + hashlib.sha256(content).hexdigest()[:29]
        self.images[uri] = content
        return {"uri": uri, "url": f"https://p16-oec-va.ibyteimg.com/{uri}~tplv-o3syd03w52-origin-jpeg.jpeg",
                "width": 800, "height": 800, "use_case": d["_form"].get("use_case", "MAIN_IMAGE")}

    def create_product(self, q, d):
        if not d.get("main_images") or any(i.get("uri") not in self.images for i in d["main_images"]):
            raise ValueError("main_images: only images uploaded with Upload Product Image")
        product_id = str(next(self._ids))
        skus = {str(next(self._ids)): (s["seller_sku"], s["price"]["amount"], s["inventory"][0]["quantity"])
                for s in d["skus"]}
        self.add_product(product_id, skus, title=d["title"])
        self.products[product_id]["created"] = d
        return {"product_id": product_id, "skus": [{"id": k, "seller_sku": v[0]} for k, v in skus.items()]}

    def _sku_update(self, product_id, d, apply):
        errors = []
        for sku in d.get("skus") or ():
            known = self.products.get(product_id, {}).get("skus", {}).get(sku.get("id"))
            if known is None:
                errors.append({"code": 12052990, "message": "Check failed",
                               "detail": {"sku_id": sku.get("id"), "extra_errors": [
                                   {"code": 12052048, "message": "The SKU does not exist"}]}})
                continue
            apply(sku, known)
        return {"errors": errors} if errors else {}

    def update_inventory(self, q, d, product_id):
        def apply(sku, known):
            [place] = sku["inventory"]
            known["quantity"] = place["quantity"]
            self.stock_log.append((product_id, sku["id"], place["quantity"], place.get("warehouse_id", "")))
        return self._sku_update(product_id, d, apply)

    def update_price(self, q, d, product_id):
        def apply(sku, known):
            known["price"] = sku["price"]["amount"]
            self.price_log.append((product_id, sku["id"], sku["price"]["amount"], sku["price"]["currency"]))
        return self._sku_update(product_id, d, apply)

    def ship_package(self, q, d, package_id):
        self.shipped.append((package_id, d))
        for order in self.orders.values():
            if any(p["id"] == package_id for p in order["packages"]):
                self.set_status(order["id"], "AWAITING_COLLECTION")
        return {}

    def mark_shipped(self, q, d, order_id):
        assert d["tracking_number"] and d["shipping_provider_id"]
        self.shipped.append((order_id, d))
        self.set_status(order_id, "IN_TRANSIT")
        self.orders[order_id]["tracking_number"] = d["tracking_number"]
        return {"order_id": order_id, "package_id": "PKG" + order_id, "order_line_item_ids": d["order_line_item_ids"]}
