"""A fake Lazada Open Platform on 127.0.0.1 that checks our signatures exactly as documented.

Every call (``/rest`` + API path, GET query or POST form) must carry ``app_key``,
``sign_method=sha256``, a millisecond ``timestamp`` within 7200 s and ``sign`` =
upper-case hex HMAC-SHA256(app secret, API path + the other parameters sorted by
name as name+value). A wrong signature is answered as Lazada does
(``IncompleteSignature`` inside an HTTP 200), so is a stale access token
(``IllegalAccessToken``). Knobs: ``rate_limit_next`` (``ApiCallLimit``),
``error_next`` (an error inside an HTTP 200), ``server_error_next`` (HTTP 500),
``hang_next`` (the request is read, then no answer for that many seconds).
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from tests.addons.marketplace.fake_shopee import parse_multipart

APP_KEY, APP_SECRET, SELLER_ID = "120345", "laz-test-app-secret-0123456789abcdef", "200100300"
AUTH_PATHS = ("/auth/token/create", "/auth/token/refresh")


def expected_sign(secret: str, api_path: str, params: dict) -> str:
    text = api_path + "".join(k + params[k] for k in sorted(params) if k != "sign")
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest().upper()


def push_signature(body: bytes, key: str = APP_KEY, secret: str = APP_SECRET) -> str:
    return hmac.new(secret.encode(), key.encode() + body, hashlib.sha256).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


class FakeLazada:
    def __init__(self):
        self.lock = threading.Lock()
        self.calls: list[str] = []
        self.bad_signs = 0
        self.rate_limit_next = self.server_error_next = 0
        self.hang_next = 0.0
        self.error_next: tuple[str, str] | None = None
        self.codes: dict[str, str] = {}
        self.tokens: dict[str, float] = {}
        self.refresh_tokens: set[str] = set()
        self.orders: dict[str, dict] = {}
        self.reverse: dict[str, dict] = {}
        self.products: dict[str, dict] = {}
        self.stock_log: list[tuple[str, str, int]] = []
        self.price_log: list[tuple[str, str, str]] = []
        self.batches: list[int] = []
        self.images: dict[str, bytes] = {}          # URL -> the uploaded file
        self.refuse_images = False                  # E300 inside an HTTP 200
        self.expires_in = 604800
        self._ids = itertools.count(900001)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _handle(self, method):
                parsed = urlparse(self.path)
                params = {k: v[0] for k, v in parse_qs(parsed.query, keep_blank_values=True).items()}
                files = {}
                if method == "POST":
                    raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                    kind = str(self.headers.get("Content-Type"))
                    # what the SDK sends is a form (or, with a file, multipart); any other body carries no parameters
                    if kind.startswith("application/x-www-form-urlencoded"):
                        params.update({k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()})
                    elif kind.startswith("multipart/form-data"):
                        try:
                            fields, files = parse_multipart(kind, raw)
                        except ValueError:
                            fields = {}
                        params.update(fields)
                status, answer = fake.dispatch(method, parsed.path, params, files)
                if status is None:
                    return                      # hung up after a hang: the client has given up
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
        return {"base_url": self.url + "/rest", "auth_base_url": self.url, "app_key": APP_KEY,
                "app_secret": APP_SECRET, "timeout_seconds": 2, **extra}

    def authorise(self, seller_id: str = SELLER_ID) -> str:
        code = "0_" + APP_KEY + "_" + secrets.token_hex(8)
        self.codes[code] = seller_id
        return code

    def expire_tokens(self):
        with self.lock:
            for token in self.tokens:
                self.tokens[token] = 0

    def add_product(self, item_id: str, skus: dict, name: str = "Áo thun"):
        """skus: SkuId -> (SellerSku, price, quantity)."""
        self.products[str(item_id)] = {"name": name, "skus": {str(k): {"SellerSku": v[0], "price": v[1],
                                                                      "quantity": v[2]} for k, v in skus.items()}}

    def add_order(self, order_id: str, lines, *, status="pending", payment="COD", updated_at=None, shipping="15000",
                  voucher_seller="0.00"):
        """lines: (product_id, sku_id, seller_sku, qty, item_price, voucher_seller per unit)."""
        now = updated_at or datetime.now(timezone.utc)
        items = []
        for product_id, sku_id, sku, qty, price, voucher in lines:
            for _unit in range(qty):
                items.append({"order_item_id": str(next(self._ids)), "order_id": str(order_id), "sku": sku,
                              "sku_id": str(sku_id), "product_id": str(product_id), "name": f"Item {sku}",
                              "item_price": f"{price:.2f}", "paid_price": f"{price - voucher:.2f}",
                              "voucher_seller": f"{voucher:.2f}", "currency": "VND", "status": status,
                              "package_id": "", "tracking_code": "", "buyer_id": "7001"})
        self.orders[str(order_id)] = {
            "order_id": str(order_id), "order_number": str(order_id), "created_at": _iso(now),
            "updated_at": _iso(now), "price": "0", "shipping_fee": shipping, "payment_method": payment,
            "voucher_seller": voucher_seller, "customer_first_name": "Nguyễn Văn A", "customer_last_name": "",
            "buyer_note": "giao giờ hành chính", "items": items,
            "address_shipping": {"first_name": "Nguyễn Văn A", "last_name": "", "phone": "0901234567",
                                 "address1": "12 Lê Lợi", "address5": "Phường Bến Nghé", "addressDsitrict": "Quận 1",
                                 "city": "Hồ Chí Minh", "address3": "Hồ Chí Minh", "post_code": "700000",
                                 "country": "Vietnam"}}

    def set_status(self, order_id: str, status: str, updated_at=None):
        order = self.orders[str(order_id)]
        for item in order["items"]:
            item["status"] = status
        order["updated_at"] = _iso(updated_at or datetime.now(timezone.utc))

    def add_reverse(self, order_id: str, skus, *, status="RTM_RECEIVE_ITEM", request_type="RETURN") -> str:
        """A reverse order of the order's items: skus = seller SKUs, one reverse order line per unit."""
        order, taken, lines = self.orders[str(order_id)], set(), []
        # a second ago: the pull's window ends at a whole second (Lazada's times have no
        # milliseconds), so a line modified in the pull's own second would wait for the next pull
        now = int(time.time() * 1000) - 1000
        for sku in skus:
            item = next(i for i in order["items"] if i["sku"] == sku and i["order_item_id"] not in taken)
            taken.add(item["order_item_id"])
            lines.append({"reverse_order_line_id": str(next(self._ids)), "trade_order_line_id": item["order_item_id"],
                          "reverse_status": status, "ofc_status": "", "seller_sku_id": sku,
                          "platform_sku_id": item["sku_id"], "item_unit_price": int(float(item["item_price"])),
                          "product": {"product_id": item["product_id"], "product_sku": sku},
                          "return_order_line_gmt_create": now - 60000, "return_order_line_gmt_modified": now,
                          "is_need_refund": True, "buyer": {"buyer_id": 7001}})
        reverse_id = str(next(self._ids))
        self.reverse[reverse_id] = {"reverse_order_id": reverse_id, "trade_order_id": str(order_id),
                                    "request_type": request_type, "is_rtm": True, "shipping_type": "DROP_OFF",
                                    "reverse_order_lines": lines}
        return reverse_id

    def set_reverse_status(self, reverse_id: str, status: str):
        for line in self.reverse[reverse_id]["reverse_order_lines"]:
            line["reverse_status"], line["return_order_line_gmt_modified"] = status, int(time.time() * 1000) - 1000

    def reverse_push_body(self, reverse_id: str) -> bytes:
        """msg_type 10, "Webhook API: reverse order" (one reverse order line)."""
        rev = self.reverse[reverse_id]
        line = rev["reverse_order_lines"][0]
        return json.dumps({"seller_id": SELLER_ID, "message_type": 10, "timestamp": int(time.time()),
                           "site": "lazada_vn",
                           "data": {"reverse_order_id": int(reverse_id), "reverse_status": line["reverse_status"],
                                    "trade_order_id": int(rev["trade_order_id"]), "extraParams": {},
                                    "trade_order_line_id": int(line["trade_order_line_id"]), "buyer_id": 7001,
                                    "seller_id": int(SELLER_ID) if SELLER_ID.isdigit() else SELLER_ID,
                                    "reverse_order_line_id": int(line["reverse_order_line_id"]),
                                    "status_update_time": line["return_order_line_gmt_modified"] // 1000}},
                          separators=(",", ":")).encode()

    def push_body(self, order_id: str, status: str | None = None, when: int | None = None) -> bytes:
        order = self.orders[str(order_id)]
        return json.dumps({"seller_id": SELLER_ID, "message_type": 0, "timestamp": int(time.time() * 1000),
                           "site": "lazada_vn",
                           "data": {"order_status": status or order["items"][0]["status"],
                                    "trade_order_id": str(order_id),
                                    "trade_order_line_id": order["items"][0]["order_item_id"],
                                    "status_update_time": when or int(time.time())}},
                          separators=(",", ":")).encode()

    # ------------------------------------------------------------ the API
    def _head(self, order):
        head = {k: v for k, v in order.items() if k != "items"}
        head["statuses"] = sorted({i["status"] for i in order["items"]})
        return head

    def dispatch(self, method, path, params, files=None):
        if not path.startswith("/rest/"):
            return 404, {"code": "InvalidApiPath", "message": path}
        api = path[len("/rest"):]
        with self.lock:
            self.calls.append(api)
        if params.get("app_key") != APP_KEY:
            return 200, {"code": "InvalidApiKey", "type": "ISV", "message": "Invalid app key"}
        if params.get("sign_method") != "sha256" or not params.get("sign"):
            return 200, {"code": "MissingParameter", "type": "ISV", "message": "sign or sign_method is missing"}
        try:
            drift = abs(time.time() * 1000 - int(params.get("timestamp") or 0))
        except ValueError:
            drift = 10 ** 12
        if drift > 7200 * 1000:
            return 200, {"code": "InvalidTimestamp", "type": "ISV", "message": "timestamp too far from UTC"}
        if not hmac.compare_digest(params["sign"], expected_sign(APP_SECRET, api, params)):
            self.bad_signs += 1
            return 200, {"code": "IncompleteSignature", "type": "ISV",
                         "message": "The request signature does not conform to lazop standards"}
        if self.hang_next:
            wait, self.hang_next = self.hang_next, 0
            time.sleep(wait)
            return None, None
        if self.server_error_next:
            self.server_error_next -= 1
            return 500, {"message": "Internal Server Error"}
        if self.rate_limit_next:
            self.rate_limit_next -= 1
            return 200, {"code": "ApiCallLimit", "type": "ISV",
                         "message": "Api access frequency exceeds the limit. this ban will last 3 seconds"}
        if self.error_next:
            (code, message), self.error_next = self.error_next, None
            return 200, {"code": code, "type": "ISP", "message": message}
        if api not in AUTH_PATHS:
            token = params.get("access_token") or ""
            if self.tokens.get(token, 0) < time.time():
                return 200, {"code": "IllegalAccessToken", "type": "ISV",
                             "message": "The specified access token is invalid or expired"}
        handler = getattr(self, "api_" + api.strip("/").replace("/", "_"), None)
        if handler is None:
            return 200, {"code": "InvalidApiPath", "type": "ISV", "message": api}
        answer = handler(params, files or {}) if getattr(handler, "takes_files", False) else handler(params)
        return 200, {"code": "0", "request_id": secrets.token_hex(6), **answer}

    def _new_tokens(self, seller_id):
        access, refresh = "50000" + secrets.token_hex(12), "50001" + secrets.token_hex(12)
        self.tokens[access] = time.time() + self.expires_in
        self.refresh_tokens.add(refresh)
        return {"access_token": access, "refresh_token": refresh, "expires_in": str(self.expires_in),
                "refresh_expires_in": "2592000", "country": "vn", "account_platform": "seller_center",
                "account": "shop@example.vn"}

    def api_auth_token_create(self, p):
        seller = self.codes.pop(p.get("code"), None)
        if seller is None:
            return {"code": "InvalidCode", "type": "ISV", "message": "Invalid authorization code"}
        return {**self._new_tokens(seller), "country_user_info": [
            {"country": "VN", "seller_id": seller, "user_id": "1001", "short_code": "VN1001"}]}

    def api_auth_token_refresh(self, p):
        if p.get("refresh_token") not in self.refresh_tokens:
            return {"code": "IllegalRefreshToken", "type": "ISV",
                    "message": "The specified refresh token is invalid or expired"}
        self.refresh_tokens.discard(p["refresh_token"])
        return {**self._new_tokens(SELLER_ID), "country_user_info_list": [
            {"country": "vn", "seller_id": SELLER_ID, "user_id": "1001", "short_code": "VN1001"}]}

    def api_orders_get(self, p):
        limit, offset = int(p.get("limit") or 100), int(p.get("offset") or 0)
        if limit > 100:
            return {"code": "19", "type": "ISV", "message": 'E019: "%s" Invalid Limit' % limit}
        since = datetime.fromisoformat(p["update_after"])
        until = datetime.fromisoformat(p["update_before"]) if p.get("update_before") else None
        rows = sorted((o for o in self.orders.values() if datetime.fromisoformat(o["updated_at"]) >= since
                       and (until is None or datetime.fromisoformat(o["updated_at"]) <= until)),
                      key=lambda o: (o["updated_at"], o["order_id"]))
        page = [self._head(o) for o in rows[offset:offset + limit]]
        return {"data": {"count": str(len(page)), "countTotal": str(len(rows)), "orders": page}}

    def api_order_get(self, p):
        order = self.orders.get(p.get("order_id"))
        return {"data": self._head(order) if order else {}}

    def api_orders_items_get(self, p):
        ids = re.findall(r"\d+", p.get("order_ids") or "")
        if len(ids) > 50:
            return {"code": "38", "type": "ISV", "message": "E038: Too many orders were requested"}
        return {"data": [{"order_id": i, "order_number": i, "order_items": self.orders[i]["items"]}
                         for i in ids if i in self.orders]}

    def api_reverse_getreverseordersforseller(self, p):
        size, page = int(p.get("page_size") or 10), int(p.get("page_no") or 0)
        if page < 1:
            return {"code": "MissingParameter", "type": "ISV", "message": "page_no is required"}
        types = json.loads(p["request_type_list"]) if p.get("request_type_list") else None
        start = int(p.get("ReverseOrderLineModifiedTimeRangeStart") or 0)
        end = int(p.get("ReverseOrderLineModifiedTimeRangeEnd") or 2 ** 62)
        rows = sorted((r for r in self.reverse.values()
                       if (not p.get("trade_order_id") or r["trade_order_id"] == p["trade_order_id"])
                       and (types is None or r["request_type"] in types)
                       and any(start <= ln["return_order_line_gmt_modified"] <= end
                               for ln in r["reverse_order_lines"])), key=lambda r: r["reverse_order_id"])
        return {"result": {"page_no": page, "page_size": size, "total": len(rows), "success": True,
                           "items": rows[(page - 1) * size:page * size]}}

    def api_order_items_get(self, p):
        order = self.orders.get(p.get("order_id"))
        return {"data": order["items"] if order else []}

    def api_products_get(self, p):
        limit, offset = int(p.get("limit") or 20), int(p.get("offset") or 0)
        if limit > 50:
            return {"code": "19", "type": "ISV", "message": "E019: Invalid Limit"}
        items = sorted(self.products.items())
        page = [{"item_id": item_id, "status": "Active", "attributes": {"name": product["name"]},
                 "skus": [{"SkuId": int(sku_id), "SellerSku": s["SellerSku"], "price": s["price"],
                           "quantity": s["quantity"], "Status": "active"} for sku_id, s in product["skus"].items()]}
                for item_id, product in items[offset:offset + limit]]
        return {"data": {"total_products": str(len(items)), "products": page}}

    def _skus(self, payload: str):
        return [{tag: value for tag, value in re.findall(r"<(\w+)>([^<]*)</\1>", block)}
                for block in re.findall(r"<Sku>(.*?)</Sku>", payload or "", re.S)]

    def _sku_update(self, p, field, apply):
        skus = self._skus(p.get("payload"))
        if not skus:
            return {"code": "30", "type": "ISV", "message": "E030: Empty Request"}
        if len(skus) > 50:
            return {"code": "204", "type": "ISV", "message": "E204: Too many SKU in one request"}
        self.batches.append(len(skus))
        detail = []
        for row in skus:
            known = self.products.get(row.get("ItemId"), {}).get("skus", {}).get(row.get("SkuId"))
            if known is None or known["SellerSku"] != row.get("SellerSku") or field not in row:
                detail.append({"seller_sku": row.get("SellerSku"), "field": field, "message": "SKU not found"})
                continue
            apply(row, known)
        if detail:
            return {"code": "501", "type": "ISP", "message": "E501: Update product failed", "detail": detail}
        return {"data": {}}

    def api_product_stock_sellable_update(self, p):
        def apply(row, known):
            known["quantity"] = int(row["SellableQuantity"])
            self.stock_log.append((row["ItemId"], row["SkuId"], int(row["SellableQuantity"])))
        return self._sku_update(p, "SellableQuantity", apply)

    def api_product_price_quantity_update(self, p):
        def apply(row, known):
            known["price"] = row["Price"]
            self.price_log.append((row["ItemId"], row["SkuId"], row["Price"]))
        return self._sku_update(p, "Price", apply)

    def api_image_upload(self, p, files):
        """UploadImage: the multipart file ``image`` (not signed); the Lazada-hosted URL."""
        if "image" not in files or not files["image"][1]:
            return {"code": "302", "type": "ISV", "message": "Not supported URL: image must be a file stream"}
        if self.refuse_images:
            return {"code": "300", "type": "ISV", "message": "E300: Upload Image Failed"}
        digest = hashlib.sha256(files["image"][1]).hexdigest()
        url = f"https://vn-live-01.slatic.net/p/{digest[:32]}.jpg"
        self.images[url] = files["image"][1]
        return {"data": {"image": {"url": url, "hash_code": digest[:32]}}}

    api_image_upload.takes_files = True

    def api_product_create(self, p):
        product = json.loads(p["payload"])["Request"]["Product"]
        if not product.get("PrimaryCategory"):
            return {"code": "500", "type": "ISP", "message": "PrimaryCategory is required"}
        images = list((product.get("Images") or {}).get("Image") or ())
        if any(url not in self.images for url in images):
            return {"code": "500", "type": "ISP", "message": "Images: only images uploaded to Lazada are accepted"}
        item_id = str(next(self._ids))
        skus = {str(next(self._ids)): (s["SellerSku"], s["price"], int(s["quantity"]))
                for s in product["Skus"]["Sku"]}
        self.add_product(item_id, skus, name=product["Attributes"]["name"])
        self.products[item_id]["created"] = product
        return {"data": {"item_id": item_id, "sku_list": [{"seller_sku": v[0], "sku_id": k,
                                                           "shop_sku": f"{item_id}_VNAMZ-{k}"}
                                                          for k, v in skus.items()]}}

    def api_order_fulfill_pack(self, p):
        request = json.loads(p["packReq"])
        assert request["delivery_type"] == "dropship" and request["shipping_allocate_type"] in ("TFS", "NTFS")
        result = []
        for order in request["pack_order_list"]:
            rows = []
            package = "FP" + str(next(self._ids))
            for item in self.orders[str(order["order_id"])]["items"]:
                if int(item["order_item_id"]) in order["order_item_list"]:
                    item.update(status="packed", package_id=package, tracking_code="LZVN" + package[2:])
                    rows.append({"order_item_id": item["order_item_id"], "item_err_code": "0", "msg": "success",
                                 "package_id": package, "tracking_number": item["tracking_code"],
                                 "shipment_provider": "LEX VN", "retry": "false"})
            result.append({"order_id": str(order["order_id"]), "order_item_list": rows})
        return {"result": {"success": "true", "data": {"pack_order_list": result}}}

    def api_order_package_rts(self, p):
        request = json.loads(p["readyToShipReq"])
        rows = []
        for package in request["packages"]:
            for order in self.orders.values():
                for item in order["items"]:
                    if item["package_id"] == package["package_id"]:
                        item["status"] = "ready_to_ship"
            rows.append({"package_id": package["package_id"], "item_err_code": "0", "msg": "success"})
        return {"result": {"success": "true", "data": {"packages": rows}}}
