"""A fake Shopee Open Platform v2 on 127.0.0.1 that checks our signatures exactly as documented.

Every request must carry ``partner_id``, a ``timestamp`` within 5 minutes and
``sign`` = hex HMAC-SHA256(partner key, partner_id + path + timestamp [+ access_token
+ shop_id]); shop calls need a live access token (``expire_tokens()`` makes them
stale: the answer is HTTP 403 ``invalid_acceess_token``). ``rate_limit_next`` answers
that many calls with HTTP 429 ``error_too_many_request``. Orders, items and stock
are plain dicts the tests change; ``push_body`` builds a signed push as Shopee sends it.
Returns (``add_return``) are listed by update time (``get_return_list``: ``page_no``
and ``page_size`` ≤ 100 required, windows of ≤ 15 days) and read by ``return_sn``.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PARTNER_ID, PARTNER_KEY, SHOP_ID = 2001234, "shpk-test-partner-key-0123456789abcdef", 778899


def parse_multipart(content_type: str, raw: bytes) -> tuple[dict, dict]:
    """A multipart/form-data body as (text fields, {name: (filename, bytes)}); ValueError when it is not one."""
    from email.parser import BytesParser
    from email.policy import HTTP
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type:
        raise ValueError("not multipart/form-data with a boundary")
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    if not message.is_multipart():
        raise ValueError("the multipart body does not parse")
    fields, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_param("filename", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if filename is not None:
            files[name] = (filename, payload)
        else:
            fields[name] = payload.decode()
    return fields, files


def sign(key: str, base: str) -> str:
    return hmac.new(key.encode(), base.encode(), hashlib.sha256).hexdigest()


class FakeShopee:
    def __init__(self):
        self.lock = threading.Lock()
        self.calls: list[str] = []
        self.bad_signs = 0
        self.rate_limit_next = 0
        self.codes: dict[str, int] = {}
        self.tokens: dict[str, tuple[int, float]] = {}       # access token -> (shop id, expires at)
        self.refresh_tokens: dict[str, int] = {}
        self.orders: dict[str, dict] = {}
        self.items: dict[int, dict] = {}
        self.stock: dict[tuple[int, int], int] = {}
        self.stock_log: list[tuple[int, int, int]] = []
        self.prices: dict[tuple[int, int], float] = {}
        self.shipped: list[dict] = []
        self.returns: dict[str, dict] = {}
        self.images: dict[str, bytes] = {}                  # image id -> the uploaded file
        self.refuse_images = False                         # answer upload_image with an error inside HTTP 200
        self.expire_in = 14400
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status, body):
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _handle(self, method):
                parsed = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(parsed.query, keep_blank_values=True).items()}
                body = {}
                if method == "POST":
                    length = int(self.headers.get("Content-Length") or 0)
                    raw = self.rfile.read(length)
                    kind = self.headers.get("Content-Type") or ""
                    if kind.startswith("multipart/"):
                        try:
                            fields, files = parse_multipart(kind, raw)
                        except ValueError as exc:
                            return self._reply(400, {"error": "error_param", "message": str(exc)})
                        body = {"_form": fields, "_files": files}
                    else:
                        body = json.loads(raw or b"{}")
                status, answer = fake.dispatch(method, parsed.path, query, body)
                self._reply(status, answer)

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

    # ---------------------------------------------------------------- checks
    PUBLIC = {"/api/v2/shop/auth_partner", "/api/v2/auth/token/get", "/api/v2/auth/access_token/get",
              "/api/v2/media_space/upload_image"}

    def dispatch(self, method, path, query, body):
        with self.lock:
            self.calls.append(path)
            if str(query.get("partner_id")) != str(PARTNER_ID):
                return 403, {"error": "error_param", "message": "partner_id is wrong"}
            ts = int(query.get("timestamp") or 0)
            if abs(time.time() - ts) > 300:
                return 403, {"error": "error_param", "message": "timestamp expired"}
            base = f"{PARTNER_ID}{path}{ts}"
            shop_id = None
            if path not in self.PUBLIC:
                token, shop_id = query.get("access_token", ""), query.get("shop_id", "")
                base += f"{token}{shop_id}"
            if not hmac.compare_digest(sign(PARTNER_KEY, base), str(query.get("sign") or "")):
                self.bad_signs += 1
                return 403, {"error": "error_sign", "message": "Wrong sign."}
            if self.rate_limit_next:
                self.rate_limit_next -= 1
                return 429, {"error": "error_too_many_request", "message": "too many requests"}
            if shop_id is not None:
                held = self.tokens.get(query.get("access_token", ""))
                if held is None or held[1] < time.time() or str(held[0]) != str(shop_id):
                    return 403, {"error": "invalid_acceess_token", "message": "Invalid access_token."}
            handler = getattr(self, "api_" + path.removeprefix("/api/v2/").replace("/", "_"), None)
            if handler is None:
                return 404, {"error": "error_not_found", "message": f"no route {path}"}
            try:
                return 200, {"error": "", "message": "", "request_id": secrets.token_hex(8),
                             **handler(query, body)}
            except ValueError as exc:
                return 200, {"error": "error_param", "message": str(exc), "request_id": secrets.token_hex(8)}

    # ---------------------------------------------------------------- helpers for tests
    def authorise(self, shop_id=SHOP_ID) -> str:
        code = secrets.token_hex(16)
        self.codes[code] = shop_id
        return code

    def expire_tokens(self):
        with self.lock:
            self.tokens = {t: (s, 0.0) for t, (s, _e) in self.tokens.items()}

    def _issue(self, shop_id):
        access, refresh = secrets.token_hex(16), secrets.token_hex(16)
        self.tokens[access] = (shop_id, time.time() + self.expire_in)
        self.refresh_tokens[refresh] = shop_id
        return {"access_token": access, "refresh_token": refresh, "expire_in": self.expire_in, "shop_id": shop_id,
                "partner_id": PARTNER_ID}

    def add_item(self, item_id, models, name="Item"):
        """``models``: {model_id: (sku, price, stock)}; model 0 = an item without variations."""
        with self.lock:
            self.items[item_id] = {"name": name, "models": dict(models)}
            for model_id, (_sku, price, stock) in models.items():
                self.stock[(item_id, model_id)] = stock
                self.prices[(item_id, model_id)] = price

    def add_order(self, sn, lines, *, status="READY_TO_SHIP", cod=False, shipping=15000, voucher=0,
                  update_time=None, currency="VND"):
        """``lines``: (item_id, model_id, sku, qty, original price, discounted price)."""
        now = int(time.time())
        with self.lock:
            self.orders[sn] = {
                "order_sn": sn, "order_status": status, "currency": currency, "cod": cod, "create_time": now - 60,
                "update_time": update_time or now, "pay_time": 0 if cod or status == "UNPAID" else now - 30,
                "payment_method": "COD" if cod else "ShopeePay", "estimated_shipping_fee": shipping,
                "buyer_username": "buyer_an", "buyer_user_id": 123,
                "recipient_address": {"name": "Nguyễn Văn An", "phone": "84912345678", "town": "Phường Bến Nghé",
                                      "district": "Quận 1", "city": "Hồ Chí Minh", "state": "Hồ Chí Minh",
                                      "region": "VN", "zipcode": "700000",
                                      "full_address": "12 Lê Lợi, Phường Bến Nghé, Quận 1, Hồ Chí Minh"},
                "item_list": [{"item_id": i, "model_id": m, "item_sku": sku if not m else "", "model_sku": sku if m else "",
                               "item_name": f"Item {i}", "model_quantity_purchased": q, "model_original_price": op,
                               "model_discounted_price": dp} for i, m, sku, q, op, dp in lines],
                "voucher_from_seller": voucher, "buyer_paid_shipping_fee": shipping}

    def set_status(self, sn, status, update_time=None):
        with self.lock:
            self.orders[sn]["order_status"] = status
            self.orders[sn]["update_time"] = update_time or int(time.time())

    def add_return(self, sn, units, *, status="ACCEPTED", solution=0, items=True) -> str:
        """A return of order ``sn``: ``units`` = [(model_id, amount)] of its lines; ``solution`` 0 return and
        refund, 1 refund only; ``items=False``: Shopee names no items."""
        now = int(time.time())
        with self.lock:
            order = self.orders[sn]
            return_sn = f"R{len(self.returns) + 1:04d}{sn}"[:32]
            by_model = {line["model_id"]: line for line in order["item_list"]}
            self.returns[return_sn] = {
                "return_sn": return_sn, "order_sn": sn, "status": status, "create_time": now - 10,
                "update_time": now, "return_solution": solution, "needs_logistics": solution == 0,
                "currency": order["currency"], "reason": "NOT_AS_DESCRIBED",
                "item": [{"item_id": by_model[m]["item_id"], "model_id": m, "amount": amount,
                          "item_sku": by_model[m]["item_sku"], "variation_sku": by_model[m]["model_sku"],
                          "item_price": by_model[m]["model_original_price"]} for m, amount in units] if items else []}
            return return_sn

    def set_return(self, return_sn, status):
        with self.lock:
            self.returns[return_sn]["status"] = status
            self.returns[return_sn]["update_time"] = int(time.time())

    def push_body(self, sn, status=None, update_time=None) -> bytes:
        order = self.orders[sn]
        return json.dumps({"shop_id": SHOP_ID, "code": 3, "timestamp": int(time.time()),
                           "data": {"ordersn": sn, "status": status or order["order_status"],
                                    "update_time": update_time or order["update_time"]}}).encode()

    @staticmethod
    def push_signature(url: str, body: bytes, key: str = PARTNER_KEY) -> str:
        return hmac.new(key.encode(), url.encode() + b"|" + body, hashlib.sha256).hexdigest()

    # ---------------------------------------------------------------- the API
    def api_auth_token_get(self, query, body):
        shop_id = self.codes.pop(str(body.get("code")), None)
        if shop_id is None or int(body.get("shop_id") or 0) != shop_id or body.get("partner_id") != PARTNER_ID:
            raise ValueError("invalid code")
        return self._issue(shop_id)

    def api_auth_access_token_get(self, query, body):
        shop_id = self.refresh_tokens.pop(str(body.get("refresh_token")), None)
        if shop_id is None or int(body.get("shop_id") or 0) != shop_id:
            raise ValueError("invalid refresh_token")
        return self._issue(shop_id)

    def api_order_get_order_list(self, query, body):
        if query.get("time_range_field") != "update_time":
            raise ValueError("time_range_field")
        start, end = int(query["time_from"]), int(query["time_to"])
        if end - start > 15 * 86400:
            raise ValueError("time range over 15 days")
        size = int(query.get("page_size") or 20)
        if size > 100:
            raise ValueError("page_size at most 100")
        hits = sorted(sn for sn, o in self.orders.items() if start <= o["update_time"] <= end)
        offset = int(query.get("cursor") or 0)
        page = hits[offset:offset + size]
        more = offset + size < len(hits)
        return {"response": {"order_list": [{"order_sn": sn, "order_status": self.orders[sn]["order_status"]}
                                            for sn in page], "more": more,
                             "next_cursor": str(offset + size) if more else ""}}

    def api_order_get_order_detail(self, query, body):
        sns = [s for s in query.get("order_sn_list", "").split(",") if s]
        if not sns or len(sns) > 50:
            raise ValueError("order_sn_list: 1 to 50")
        keep = ("voucher_from_seller", "buyer_paid_shipping_fee")
        return {"response": {"order_list": [{k: v for k, v in self.orders[s].items() if k not in keep}
                                            for s in sns if s in self.orders]}}

    def api_returns_get_return_list(self, query, body):
        if "page_no" not in query or "page_size" not in query:
            raise ValueError("page_no and page_size are required")
        size, page = int(query["page_size"]), int(query["page_no"])
        if not 1 <= size <= 100:
            raise ValueError("page_size at most 100")
        start, end = query.get("update_time_from"), query.get("update_time_to")
        if (start is None) != (end is None):
            raise ValueError("update_time_from and update_time_to go together")
        status = query.get("status")
        if status is not None and status not in ("REQUESTED", "ACCEPTED", "CANCELLED", "JUDGING", "CLOSED",
                                                 "PROCESSING", "SELLER_DISPUTE"):
            raise ValueError("status is not a ReturnStatus")
        hits = sorted(r for r, ret in self.returns.items()
                      if (start is None or int(start) <= ret["update_time"] <= int(end))
                      and status in (None, ret["status"]))
        if start is not None and int(end) - int(start) > 15 * 86400:
            raise ValueError("the maximum date range is 15 days")
        rows = hits[page * size:(page + 1) * size]
        return {"response": {"return": [{k: v for k, v in self.returns[r].items() if k != "item"} for r in rows],
                             "more": (page + 1) * size < len(hits)}}

    def api_returns_get_return_detail(self, query, body):
        ret = self.returns.get(query.get("return_sn"))
        if ret is None:
            raise ValueError("return_sn not found")
        return {"response": dict(ret)}

    def api_payment_get_escrow_detail(self, query, body):
        order = self.orders.get(query.get("order_sn"))
        if order is None:
            raise ValueError("order not found")
        return {"response": {"order_sn": order["order_sn"],
                             "order_income": {"voucher_from_seller": order["voucher_from_seller"],
                                              "buyer_paid_shipping_fee": order["buyer_paid_shipping_fee"]}}}

    def api_product_get_item_list(self, query, body):
        ids = sorted(self.items)
        offset, size = int(query.get("offset") or 0), int(query.get("page_size") or 10)
        page = ids[offset:offset + size]
        return {"response": {"item": [{"item_id": i, "item_status": "NORMAL"} for i in page],
                             "total_count": len(ids), "has_next_page": offset + size < len(ids),
                             "next_offset": offset + size}}

    def api_product_get_item_base_info(self, query, body):
        out = []
        for raw in query.get("item_id_list", "").split(","):
            item = self.items[int(raw)]
            has_model = 0 not in item["models"]
            entry = {"item_id": int(raw), "item_name": item["name"], "item_status": "NORMAL", "has_model": has_model}
            if not has_model:
                sku, price, _stock = item["models"][0]
                entry.update(item_sku=sku, price_info=[{"original_price": price, "current_price": price}],
                             stock_info_v2={"summary_info": {"total_available_stock": self.stock[(int(raw), 0)]}})
            out.append(entry)
        return {"response": {"item_list": out}}

    def api_product_get_model_list(self, query, body):
        item_id = int(query["item_id"])
        models = self.items[item_id]["models"]
        return {"response": {"tier_variation": [{"name": "Size", "option_list": [{"option": sku}
                                                                               for sku, _p, _s in models.values()]}],
                             "model": [{"model_id": m, "model_sku": sku, "tier_index": [i],
                                        "price_info": [{"original_price": price, "current_price": price}],
                                        "stock_info_v2": {"summary_info": {
                                            "total_available_stock": self.stock[(item_id, m)]}}}
                                       for i, (m, (sku, price, _s)) in enumerate(models.items())]}}

    def api_product_update_stock(self, query, body):
        item_id = int(body["item_id"])
        if item_id not in self.items:
            raise ValueError("item not found")
        if len(body["stock_list"]) > 50:
            raise ValueError("stock_list at most 50")
        ok, failed = [], []
        for entry in body["stock_list"]:
            model = int(entry["model_id"])
            if model not in self.items[item_id]["models"]:
                failed.append({"model_id": model, "failed_reason": "model not found"})
                continue
            value = int(entry["seller_stock"][0]["stock"])
            self.stock[(item_id, model)] = value
            self.stock_log.append((item_id, model, value))
            ok.append({"model_id": model, "stock": value})
        return {"response": {"success_list": ok, "failure_list": failed}}

    def api_product_update_price(self, query, body):
        item_id = int(body["item_id"])
        ok = []
        for entry in body["price_list"]:
            self.prices[(item_id, int(entry["model_id"]))] = entry["original_price"]
            ok.append({"model_id": int(entry["model_id"]), "original_price": entry["original_price"]})
        return {"response": {"success_list": ok, "failure_list": []}}

    def api_logistics_get_channel_list(self, query, body):
        return {"response": {"logistics_channel_list": [{"logistics_channel_id": 50011, "enabled": True}]}}

    def api_media_space_upload_image(self, query, body):
        files = body.get("_files") or {}
        if "image" not in files or not files["image"][1]:
            raise ValueError("image is required (a file)")
        if (body.get("_form") or {}).get("scene", "normal") not in ("normal", "desc"):
            raise ValueError("scene is normal or desc")
        if self.refuse_images:
            return {"error": "error_image_format", "message": "image format is not supported"}
        image_id = "sg-11134201-" + hashlib.sha256(files["image"][1]).hexdigest()[:16]
        self.images[image_id] = files["image"][1]
        return {"response": {"image_info": {"image_id": image_id, "image_url_list": [
            {"image_url_region": "VN", "image_url": f"https://cf.shopee.vn/file/{image_id}"}]}}}

    def api_product_add_item(self, query, body):
        for key in ("original_price", "description", "item_name", "weight", "image", "logistic_info"):
            if key not in body:
                raise ValueError(f"{key} is required")
        ids = body["image"].get("image_id_list") or []
        if not ids or any(i not in self.images for i in ids):
            raise ValueError("image.image_id_list: images uploaded with media_space/upload_image are required")
        item_id = max(self.items, default=900000) + 1
        self.items[item_id] = {"name": body["item_name"], "images": ids, "models": {0: (body.get("item_sku", ""),
                                                                         body["original_price"], 0)}}
        self.stock[(item_id, 0)] = int(body["seller_stock"][0]["stock"])
        return {"response": {"item_id": item_id}}

    def api_product_init_tier_variation(self, query, body):
        item_id = int(body["item_id"])
        models = {}
        out = []
        for i, model in enumerate(body["model"], start=1):
            model_id = item_id * 10 + i
            models[model_id] = (model["model_sku"], model["original_price"], int(model["seller_stock"][0]["stock"]))
            self.stock[(item_id, model_id)] = models[model_id][2]
            out.append({"model_id": model_id, "model_sku": model["model_sku"], "tier_index": model["tier_index"]})
        self.stock.pop((item_id, 0), None)
        self.items[item_id]["models"] = models
        return {"response": {"item_id": item_id, "model": out}}

    def api_logistics_get_shipping_parameter(self, query, body):
        if query.get("order_sn") not in self.orders:
            raise ValueError("order not found")
        return {"response": {"info_needed": {"dropoff": [], "non_integrated": ["tracking_number"]}}}

    def api_logistics_ship_order(self, query, body):
        order = self.orders.get(body.get("order_sn"))
        if order is None or order["order_status"] not in ("READY_TO_SHIP", "RETRY_SHIP"):
            raise ValueError("order cannot be shipped")
        self.shipped.append(body)
        order["order_status"] = "PROCESSED"
        return {"response": {}}
