"""Lazada Open Platform (https://open.lazada.com): the marketplace platform contract.

Signing ("Signature algorithm", docId 108068, and the official lazop SDK's
``sign``): every system and business parameter but ``sign``, sorted by name,
concatenated as name+value, prefixed with the API path, HMAC-SHA256 keyed with
the app secret, upper-case hex; ``sign_method=sha256``, ``timestamp`` in
milliseconds. Reads are GET with the parameters in the query; writes are POST
with the same parameters form-encoded (as ``LazopClient.execute`` sends them).

Every answer carries ``code``; anything but ``"0"`` is an error even inside an
HTTP 200. A push (Lazada Push Mechanism) carries ``Authorization`` = hex
HMAC-SHA256(app secret, app key + raw body).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from addons.marketplace import http
from addons.marketplace.platforms import (ListingData, OrderData, OutcomeUnknown, Platform, PlatformError, PushEvent,
                                          PushRejected, RateLimited, Tokens, TokenExpired, UpdateResult)
from core.errors import UserError
from core.i18n import _

from .orders import RETURN_TYPE, dec, order_from, return_from, when

# "API endpoint URLs" (docId 108065): one gateway per venture; authorisation is central.
API_HOSTS = {"vn": "https://api.lazada.vn/rest", "th": "https://api.lazada.co.th/rest",
             "my": "https://api.lazada.com.my/rest", "sg": "https://api.lazada.sg/rest",
             "ph": "https://api.lazada.com.ph/rest", "id": "https://api.lazada.co.id/rest"}
AUTH_HOST = "https://auth.lazada.com"
TOKEN_CREATE = "/auth/token/create"
TOKEN_REFRESH = "/auth/token/refresh"
ORDERS_GET = "/orders/get"
ORDER_GET = "/order/get"
ORDERS_ITEMS = "/orders/items/get"
ORDER_ITEMS = "/order/items/get"
REVERSE_LIST = "/reverse/getreverseordersforseller"
PRODUCTS_GET = "/products/get"
STOCK_UPDATE = "/product/stock/sellable/update"
PRICE_UPDATE = "/product/price_quantity/update"
PRODUCT_CREATE = "/product/create"
IMAGE_UPLOAD = "/image/upload"
PACK = "/order/fulfill/pack"
RTS = "/order/package/rts"

TOKEN_ERRORS = {"IllegalAccessToken", "AccessTokenExpired", "InvalidAccessToken"}
RATE_ERRORS = {"ApiCallLimit", "AppCallLimit", "SellerCallLimit", "AppQpsLimit", "901"}
UNKNOWN_ERRORS = {"ServiceTimeout", "ServiceUnavailable", "InternalError"}
ORDER_PAGE = 100          # /orders/get limit at most 100
PRODUCT_PAGE = 50         # /products/get limit at most 50
ITEMS_BATCH = 50          # /orders/items/get order_ids at most 50
REVERSE_PAGE = 10         # GetReverseOrdersForSeller page_size (its default; no maximum is documented)
PACK_BATCH = 20           # /order/fulfill/pack and /order/package/rts at most 20


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def sign(secret: str, api_path: str, params: dict) -> str:
    """The documented signature: path + sorted name+value pairs, HMAC-SHA256, upper-case hex."""
    base = api_path + "".join(f"{key}{params[key]}" for key in sorted(params))
    return hmac.new(secret.encode(), base.encode(), hashlib.sha256).hexdigest().upper()


class LazadaPlatform(Platform):
    code = "lazada"
    name = "Lazada"
    stock_batch = 50          # /product/stock/sellable/update: at most 50 SKUs (20 recommended)
    own_logistics = True      # Lazada allocates the carrier and the tracking number at packing

    # ---------------------------------------------------------------- plumbing
    @property
    def api_url(self) -> str:
        region = (self.settings.get("region") or "vn").lower()
        return (self.settings.get("base_url") or API_HOSTS.get(region, API_HOSTS["vn"])).rstrip("/")

    @property
    def auth_url(self) -> str:
        return (self.settings.get("auth_base_url") or AUTH_HOST).rstrip("/")

    @property
    def app_key(self) -> str:
        key = str(self.settings.get("app_key") or "").strip()
        if not key:
            raise UserError(_("app_key: the Lazada app key is not set (Settings › Addons › Lazada)"))
        return key

    @property
    def app_secret(self) -> str:
        secret = self.settings.get("app_secret") or ""
        if not secret:
            raise UserError(_("app_secret: the Lazada app secret is not set (Settings › Addons › Lazada)"))
        return secret

    def now_ms(self) -> int:
        return int(time.time() * 1000)

    def _call(self, method: str, path: str, tokens: Tokens | None = None, params: dict | None = None, *,
              auth: bool = False, files: dict | None = None) -> dict:
        values = {"app_key": self.app_key, "sign_method": "sha256", "timestamp": str(self.now_ms())}
        if tokens is not None:
            values["access_token"] = tokens.access_token
        for key, value in (params or {}).items():
            if value not in (None, ""):
                values[key] = str(value)
        values["sign"] = sign(self.app_secret, path, values)
        url = (self.auth_url + "/rest" if auth else self.api_url) + path
        timeout = float(self.settings.get("timeout_seconds") or 15)
        try:
            if files:            # as the SDK sends a file: every (signed) parameter in the query, the file alone
                body, content_type = http.multipart({}, files)
                answer = http.request("POST", url, params=values, data=body, timeout=timeout,
                                      headers={"Content-Type": content_type})
            elif method == "GET":
                answer = http.request("GET", url, params=values, timeout=timeout)
            else:
                answer = http.request("POST", url, data=urlencode(values).encode(), timeout=timeout,
                                      headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"})
        except RateLimited:
            raise
        except PlatformError as exc:
            body = getattr(exc, "body", None)
            if isinstance(body, dict) and str(body.get("code", "0")) != "0":
                self._raise(path, body, exc.status)
            raise
        if not isinstance(answer, dict):
            raise PlatformError(_("Lazada %(call)s: the answer is not an object", call=path))
        if str(answer.get("code", "0")) != "0":
            self._raise(path, answer, 200)
        return answer

    def _raise(self, path: str, answer: dict, status):
        code, message = str(answer.get("code") or ""), str(answer.get("message") or "")
        text = _("Lazada %(call)s: %(code)s %(message)s", call=path, code=code, message=message)
        if code in RATE_ERRORS or status == 429:
            wait = re.search(r"last (\d+) second", message)
            raise RateLimited(text, retry_after=float(wait.group(1)) if wait else 1.0, code=code, status=status)
        if code in TOKEN_ERRORS:
            raise TokenExpired(text, code=code, status=status)
        if code in UNKNOWN_ERRORS:
            raise OutcomeUnknown(text)
        error = PlatformError(text, code=code, status=status)
        error.failed = {str(d.get("seller_sku")): str(d.get("message") or code) for d in answer.get("detail") or ()
                        if isinstance(d, dict) and d.get("seller_sku")}
        raise error

    # ---------------------------------------------------------------- authorisation
    def authorize_url(self, redirect_uri: str, state: str) -> str:
        query = urlencode({"response_type": "code", "force_auth": "true", "redirect_uri": redirect_uri,
                           "client_id": self.app_key, "state": state})
        return f"{self.auth_url}/oauth/authorize?{query}"

    def _tokens(self, answer: dict) -> Tokens:
        if not answer.get("access_token"):
            raise PlatformError(_("Lazada: the token answer has no access_token"))
        users = answer.get("country_user_info") or answer.get("country_user_info_list") or [{}]
        user = users[0] if users else {}
        now = datetime.now(timezone.utc)
        refresh_in = int(dec(answer.get("refresh_expires_in")))
        return Tokens(access_token=str(answer["access_token"]), refresh_token=str(answer.get("refresh_token") or ""),
                      expires_at=now + timedelta(seconds=int(dec(answer.get("expires_in")) or 3600)),
                      refresh_expires_at=now + timedelta(seconds=refresh_in) if refresh_in else None,
                      shop_id=str(user.get("seller_id") or ""),
                      region=str(user.get("country") or answer.get("country") or "").upper(),
                      shop_name=str(answer.get("account") or user.get("short_code") or ""),
                      extra={"user_id": str(user.get("user_id") or ""), "short_code": str(user.get("short_code") or ""),
                             "account_platform": str(answer.get("account_platform") or "")})

    def exchange_code(self, params) -> Tokens:
        code = str(params.get("code") or "")
        if not code:
            raise UserError(_("code: the Lazada callback brought no authorisation code"))
        return self._tokens(self._call("POST", TOKEN_CREATE, params={"code": code}, auth=True))

    def refresh(self, tokens: Tokens) -> Tokens:
        try:
            answer = self._call("POST", TOKEN_REFRESH, params={"refresh_token": tokens.refresh_token}, auth=True)
        except TokenExpired as exc:     # the refresh token itself is dead: the seller must authorise again
            raise PlatformError(str(exc), code=exc.code, status=exc.status) from None
        fresh = self._tokens(answer)
        return Tokens(**{**fresh.__dict__, "shop_id": fresh.shop_id or tokens.shop_id,
                         "shop_name": fresh.shop_name or tokens.shop_name, "region": fresh.region or tokens.region})

    # ---------------------------------------------------------------- orders
    def updated_orders(self, tokens, since, until):
        headers, offset = {}, 0
        while True:
            data = self._call("GET", ORDERS_GET, tokens, {
                "update_after": _iso(since), "update_before": _iso(until), "sort_by": "updated_at",
                "sort_direction": "ASC", "offset": offset, "limit": ORDER_PAGE}).get("data") or {}
            page = data.get("orders") or []
            for raw in page:
                if when(raw.get("updated_at")) < until:       # update_before is inclusive; ours is not
                    headers.setdefault(str(raw["order_id"]), raw)
            offset += len(page)
            total = int(dec(data.get("countTotal")))
            if len(page) < ORDER_PAGE or (total and offset >= total):
                break
        return self._with_items(tokens, list(headers.values()))

    def get_orders(self, tokens, ids):
        heads = []
        for order_id in dict.fromkeys(str(i) for i in ids):
            data = self._call("GET", ORDER_GET, tokens, {"order_id": order_id}).get("data")
            if data:
                heads.append(data)
        return self._with_items(tokens, heads)

    def _with_items(self, tokens, heads: list) -> list[OrderData]:
        items: dict[str, list] = {}
        ids = [str(h["order_id"]) for h in heads]
        for i in range(0, len(ids), ITEMS_BATCH):
            batch = "[" + ",".join(ids[i:i + ITEMS_BATCH]) + "]"
            for row in self._call("GET", ORDERS_ITEMS, tokens, {"order_ids": batch}).get("data") or ():
                items[str(row.get("order_id"))] = row.get("order_items") or []
        return [order_from(head, items.get(str(head["order_id"]), [])) for head in heads]

    # ---------------------------------------------------------------- returns
    def _reverse(self, tokens, params: dict) -> list:
        found, page = {}, 1
        while True:
            answer = self._call("GET", REVERSE_LIST, tokens, {
                "request_type_list": json.dumps([RETURN_TYPE]), "page_size": REVERSE_PAGE, "page_no": page, **params})
            result = answer.get("result") or answer.get("data") or {}
            rows = result.get("items") or []
            for raw in rows:
                found[str(raw["reverse_order_id"])] = raw
            total = int(dec(result.get("total")))
            if len(rows) < REVERSE_PAGE or page * REVERSE_PAGE >= total:
                break
            page += 1
        return [return_from(raw) for raw in found.values()]

    def returns(self, tokens, order_ids):
        found = []
        for order_id in dict.fromkeys(str(i) for i in order_ids):
            found.extend(self._reverse(tokens, {"trade_order_id": order_id}))
        return found

    def updated_returns(self, tokens, since, until):
        # the range is in milliseconds; ours excludes ``until``
        return self._reverse(tokens, {"ReverseOrderLineModifiedTimeRangeStart": int(since.timestamp() * 1000),
                                      "ReverseOrderLineModifiedTimeRangeEnd": int(until.timestamp() * 1000) - 1})

    # ---------------------------------------------------------------- listings
    def listings(self, tokens):
        units, offset = [], 0
        while True:
            data = self._call("GET", PRODUCTS_GET, tokens, {"filter": "all", "offset": offset,
                                                            "limit": PRODUCT_PAGE}).get("data") or {}
            products = data.get("products") or []
            for product in products:
                name = str((product.get("attributes") or {}).get("name") or "")
                for sku in product.get("skus") or ():
                    units.append(ListingData(item_id=str(product.get("item_id")), model_id=str(sku.get("SkuId") or ""),
                                             sku=str(sku.get("SellerSku") or ""), name=name,
                                             price=dec(sku.get("price")) if sku.get("price") is not None else None,
                                             stock=int(sku["quantity"]) if sku.get("quantity") is not None else None,
                                             status=str(sku.get("Status") or product.get("status") or "")))
            offset += len(products)
            if len(products) < PRODUCT_PAGE or offset >= int(dec(data.get("total_products"))):
                return units

    @staticmethod
    def sku_xml(rows: list[dict]) -> str:
        skus = "".join("<Sku>" + "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in row.items()) + "</Sku>"
                       for row in rows)
        return f"<Request><Product><Skus>{skus}</Skus></Product></Request>"

    def _update(self, tokens, path: str, updates, field: str, value) -> list[UpdateResult]:
        if len(updates) > self.stock_batch:
            raise UserError(_("Lazada takes at most %(n)s SKUs per update", n=self.stock_batch))
        rows = [{"ItemId": u.item_id, "SkuId": u.model_id, "SellerSku": u.sku, field: value(u)} for u in updates]
        try:
            self._call("POST", path, tokens, {"payload": self.sku_xml(rows)})
        except (TokenExpired, RateLimited):
            raise
        except PlatformError as exc:
            failed = getattr(exc, "failed", None)
            if not failed:
                raise
            return [UpdateResult(u.item_id, u.model_id, u.sku not in failed, failed.get(u.sku, "")) for u in updates]
        return [UpdateResult(u.item_id, u.model_id, True) for u in updates]

    def push_stock(self, tokens, updates):
        return self._update(tokens, STOCK_UPDATE, updates, "SellableQuantity", lambda u: max(int(u.quantity), 0))

    def push_price(self, tokens, updates):
        return self._update(tokens, PRICE_UPDATE, updates, "Price", lambda u: format(Decimal(u.price), "f"))

    def upload_image(self, tokens, filename, data):
        """UploadImage (/image/upload, docId 1342): the file as the multipart field ``image``, signed over the
        other parameters only (byte-array parameters are not signed); Lazada's ``data.image.url``."""
        answer = self._call("POST", IMAGE_UPLOAD, tokens, files={"image": (filename, data)})
        url = str(((answer.get("data") or {}).get("image") or {}).get("url") or "")
        if not url:
            raise PlatformError(_("Lazada %(call)s: no image URL for %(file)s", call=IMAGE_UPLOAD, file=filename))
        return url

    def publish(self, tokens, product):
        """/product/create with one SKU per variant; options are the category's sale properties (saleProp)."""
        if not product.variants:
            raise UserError(_("product: nothing to publish (no variants)"))
        if not product.category_id:
            raise UserError(_("category_id: Lazada needs the primary category of the product"))
        weight = format((Decimal(product.weight_g or 0) / 1000) or Decimal("0.1"), "f")
        skus = []
        for sku, options, price, stock in product.variants:
            row = {"SellerSku": sku, "quantity": str(int(stock)), "price": format(Decimal(price), "f"),
                   "package_weight": weight, "package_length": "10", "package_width": "10", "package_height": "10"}
            if options:
                row["saleProp"] = dict(options)
            if product.images:
                row["Images"] = {"Image": list(product.images)}
            skus.append(row)
        payload = {"Request": {"Product": {
            "PrimaryCategory": str(product.category_id), "Images": {"Image": list(product.images)},
            "Attributes": {"name": product.name, "description": product.description, "brand": "No Brand"},
            "Skus": {"Sku": skus}}}}
        data = self._call("POST", PRODUCT_CREATE, tokens, {"payload": json.dumps(payload, ensure_ascii=False)})
        data = data.get("data") or {}
        made = {str(s.get("seller_sku")): str(s.get("sku_id") or "") for s in data.get("sku_list") or ()}
        return [ListingData(item_id=str(data.get("item_id") or ""), model_id=made.get(v[0], ""), sku=v[0],
                            name=product.name, price=Decimal(v[2]), stock=int(v[3])) for v in product.variants]

    # ---------------------------------------------------------------- pushes and shipping
    def verify_push(self, request) -> PushEvent:
        given = str(request.headers.get("Authorization") or request.headers.get("authorization") or "").strip()
        if not given:
            raise PushRejected("no Authorization header")
        expected = hmac.new(self.app_secret.encode(), self.app_key.encode() + request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), given.lower().encode()):
            raise PushRejected("the Authorization signature does not match")
        try:
            data = json.loads(request.body)
        except ValueError:
            raise PushRejected("the body is not JSON") from None
        if not isinstance(data, dict) or "seller_id" not in data:
            raise PushRejected("the body has no seller_id")
        kind, inner = str(data.get("message_type", "")), data.get("data") or {}
        order_id = str(inner.get("trade_order_id") or "")
        if kind in ("0", "10") and order_id:
            # Lazada sends no event id: one real event is one order line (or reverse order line, msg_type 10),
            # status and moment.
            event = ":".join(str(inner.get(k) or "") for k in ("trade_order_id", "trade_order_line_id",
                                                                 "reverse_order_line_id", "order_status",
                                                                 "reverse_status", "status_update_time"))
            return PushEvent(event_id=f"{kind}:{data['seller_id']}:{event}", shop_id=str(data["seller_id"]),
                             kind="order", order_ids=(order_id,), raw=data)
        return PushEvent(event_id=f"{kind}:{hashlib.sha256(request.body).hexdigest()}", shop_id=str(data["seller_id"]),
                         kind="other", raw=data)

    def ship(self, tokens, external_id, tracking_number, carrier):
        """Lazada's own logistics: pack the items still to pack (Lazada allocates carrier and tracking number),
        then mark every package ready to ship. Our tracking number is not used: Lazada's is authoritative."""
        items = self._call("GET", ORDER_ITEMS, tokens, {"order_id": external_id}).get("data") or []
        to_pack = [int(i["order_item_id"]) for i in items
                   if str(i.get("status")).lower() in ("pending", "topack", "repacked") and not i.get("package_id")]
        packages = {str(i["package_id"]) for i in items if i.get("package_id")
                    and str(i.get("status")).lower() in ("packed", "topack", "toship", "ready_to_ship_pending")}
        if to_pack:
            request = {"pack_order_list": [{"order_id": int(external_id), "order_item_list": to_pack}],
                       "delivery_type": "dropship",
                       "shipping_allocate_type": self.settings.get("shipping_allocate_type") or "TFS"}
            if self.settings.get("shipment_provider_code"):
                request["shipment_provider_code"] = self.settings["shipment_provider_code"]
            result = self._result(self._call("POST", PACK, tokens, {"packReq": json.dumps(request)}), external_id)
            for order in (result.get("data") or {}).get("pack_order_list") or ():
                for row in order.get("order_item_list") or ():
                    self._item_ok(row, external_id)
                    packages.add(str(row.get("package_id")))
        if not packages:
            if any(str(i.get("status")).lower() in ("ready_to_ship", "shipped", "delivered") for i in items):
                return
            raise PlatformError(_("Lazada %(order)s: nothing to pack or ship", order=external_id))
        for chunk in range(0, len(packages), PACK_BATCH):
            batch = sorted(packages)[chunk:chunk + PACK_BATCH]
            result = self._result(self._call("POST", RTS, tokens, {"readyToShipReq": json.dumps(
                {"packages": [{"package_id": p} for p in batch]})}), external_id)
            for row in (result.get("data") or {}).get("packages") or ():
                self._item_ok(row, external_id)

    def _result(self, answer: dict, order_id: str) -> dict:
        result = answer.get("result") or {}
        if str(result.get("success")).lower() not in ("true", "1"):
            raise PlatformError(_("Lazada %(order)s: %(code)s %(message)s", order=order_id,
                                  code=result.get("error_code") or "", message=result.get("error_msg") or ""))
        return result

    def _item_ok(self, row: dict, order_id: str):
        if str(row.get("item_err_code", "0")) != "0":
            raise PlatformError(_("Lazada %(order)s: %(code)s %(message)s", order=order_id,
                                  code=row.get("item_err_code"), message=row.get("msg") or ""))
