"""TikTok Shop Partner API, version 202309 (https://partner.tiktokshop.com/docv2): the marketplace contract.

Signing ("Sign your API request"): the query parameters but ``sign`` and
``access_token``, sorted by name and concatenated as name+value, prefixed with
the request path, followed by the raw body (unless multipart), wrapped in the
app secret on both sides, HMAC-SHA256 keyed with the app secret, lower-case
hex. ``app_key``, ``timestamp`` (Unix seconds), ``sign`` and, for shop calls,
``shop_cipher`` go in the query; the access token in the ``x-tts-access-token``
header. Tokens come from ``auth.tiktok-shops.com/api/v2/token/get`` and
``/refresh`` (unsigned, with the app secret in the query).

Every answer is ``{"code", "message", "data", "request_id"}``; a code other than
0 is an error even inside an HTTP 200. A webhook carries ``Authorization`` = hex
HMAC-SHA256(app secret, app key + raw body).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import math
import time
from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import urlencode

from addons.marketplace import http
from addons.marketplace.platforms import (ListingData, OutcomeUnknown, Platform, PlatformError, PushEvent,
                                          PushRejected, RateLimited, Tokens, TokenExpired, UpdateResult)
from core.errors import UserError
from core.i18n import _

from .orders import RETURN_DONE, RETURN_TYPES, STATUS_MAP, dec, moment, order_from, return_from

API_HOST = "https://open-api.tiktokglobalshop.com"
AUTH_HOST = "https://auth.tiktok-shops.com"
SERVICES = {"row": "https://services.tiktokshop.com", "us": "https://services.tiktokshops.us"}
TOKEN_GET = "/api/v2/token/get"
TOKEN_REFRESH = "/api/v2/token/refresh"
SHOPS = "/authorization/202309/shops"
ORDER_SEARCH = "/order/202309/orders/search"
ORDER_DETAIL = "/order/202309/orders"
RETURN_SEARCH = "/return_refund/202309/returns/search"
PRODUCT_SEARCH = "/product/202309/products/search"
PRODUCT_CREATE = "/product/202309/products"
IMAGE_UPLOAD = "/product/202309/images/upload"
INVENTORY_UPDATE = "/product/202309/products/{product_id}/inventory/update"
PRICE_UPDATE = "/product/202309/products/{product_id}/prices/update"
SHIP_PACKAGE = "/fulfillment/202309/packages/{package_id}/ship"
MARK_SHIPPED = "/fulfillment/202309/orders/{order_id}/packages"

CURRENCY = {"VN": "VND", "TH": "THB", "MY": "MYR", "SG": "SGD", "PH": "PHP", "ID": "IDR", "US": "USD", "GB": "GBP",
            "JP": "JPY", "MX": "MXN", "BR": "BRL", "ES": "EUR", "DE": "EUR", "FR": "EUR", "IT": "EUR", "IE": "EUR"}
TOKEN_ERRORS = {105002}          # "Expired credentials" (Common errors)
RATE_ERRORS = {36009002}
UNKNOWN_ERRORS = {36009007}
ORDER_EVENTS = {1, 3, 4, 11, 12}     # order status, address, package, cancellation, return status
PAGE = 100                           # orders/search and products/search page_size at most 100
RETURN_PAGE = 50                     # returns/search page_size in [10, 50]
DETAIL_BATCH = 50                    # order detail ids at most 50


def sign(secret: str, path: str, query: dict, body: bytes = b"") -> str:
    """The documented signature over path, sorted query (no sign / access_token) and body, wrapped in the secret."""
    pairs = "".join(f"{k}{query[k]}" for k in sorted(query) if k not in ("sign", "access_token"))
    base = secret + path + pairs + body.decode("utf-8") + secret
    return hmac.new(secret.encode(), base.encode(), hashlib.sha256).hexdigest()


class TiktokPlatform(Platform):
    code = "tiktok"
    name = "TikTok Shop"
    stock_batch = 50
    own_logistics = True      # shipping_type TIKTOK (the usual one in South-East Asia): TikTok's carriers

    # ---------------------------------------------------------------- plumbing
    @property
    def api_url(self) -> str:
        return (self.settings.get("base_url") or API_HOST).rstrip("/")

    @property
    def auth_url(self) -> str:
        return (self.settings.get("auth_base_url") or AUTH_HOST).rstrip("/")

    @property
    def app_key(self) -> str:
        key = str(self.settings.get("app_key") or "").strip()
        if not key:
            raise UserError(_("app_key: the TikTok Shop app key is not set (Settings › Addons › TikTok Shop)"))
        return key

    @property
    def app_secret(self) -> str:
        secret = self.settings.get("app_secret") or ""
        if not secret:
            raise UserError(_("app_secret: the TikTok Shop app secret is not set (Settings › Addons › TikTok Shop)"))
        return secret

    def now(self) -> int:
        return int(time.time())

    def _call(self, method: str, path: str, tokens: Tokens | None = None, *, query: dict | None = None,
              body=None, shop: bool = True, form: dict | None = None, files: dict | None = None) -> dict:
        values = {"app_key": self.app_key, "timestamp": str(self.now())}
        if tokens is not None and shop:
            cipher = (tokens.extra or {}).get("shop_cipher")
            if cipher:
                values["shop_cipher"] = str(cipher)
        for key, value in (query or {}).items():
            if value not in (None, ""):
                values[key] = str(value)
        headers = {"x-tts-access-token": tokens.access_token} if tokens is not None else {}
        if files:         # multipart/form-data: the body is not part of the signature
            data, headers["Content-Type"] = http.multipart(form or {}, files)
            values["sign"] = sign(self.app_secret, path, values)
        else:
            data = http.dumps(body) if body is not None else None
            values["sign"] = sign(self.app_secret, path, values, data or b"")
        return self._send(method, self.api_url + path, path, values, data, headers)

    def _send(self, method, url, path, params, data, headers) -> dict:
        timeout = float(self.settings.get("timeout_seconds") or 15)
        try:
            answer = http.request(method, url, params=params, data=data, headers=headers, timeout=timeout)
        except RateLimited:          # HTTP 429 (its Retry-After kept)
            raise
        except PlatformError as exc:
            body = getattr(exc, "body", None)
            if isinstance(body, dict) and body.get("code") not in (None, 0):
                self._raise(path, body, exc.status)
            raise
        if not isinstance(answer, dict):
            raise PlatformError(_("TikTok Shop %(call)s: the answer is not an object", call=path))
        if answer.get("code") not in (0, "0"):
            self._raise(path, answer, 200)
        return answer.get("data") or {}

    def _raise(self, path: str, answer: dict, status):
        try:
            code = int(answer.get("code"))
        except (TypeError, ValueError):
            code = -1
        text = _("TikTok Shop %(call)s: %(code)s %(message)s", call=path, code=code,
                 message=str(answer.get("message") or ""))
        if code in RATE_ERRORS or status == 429:
            raise RateLimited(text, retry_after=1.0, code=str(code), status=status)
        if code in TOKEN_ERRORS:
            raise TokenExpired(text, code=str(code), status=status)
        if code in UNKNOWN_ERRORS:
            raise OutcomeUnknown(text)
        raise PlatformError(text, code=str(code), status=status)

    # ---------------------------------------------------------------- authorisation
    def authorize_url(self, redirect_uri: str, state: str) -> str:
        """The seller authorisation link of the app's service; TikTok redirects to the redirect URL set on the
        app in Partner Center (it must be ``redirect_uri``), adding ``code`` and ``state``."""
        service = str(self.settings.get("service_id") or "").strip()
        if not service:
            raise UserError(_("service_id: the TikTok Shop service id is not set (Settings › Addons › TikTok Shop)"))
        host = (self.settings.get("services_url") or SERVICES.get(self.settings.get("market") or "row")).rstrip("/")
        return f"{host}/open/authorize?{urlencode({'service_id': service, 'state': state})}"

    def _token(self, path: str, query: dict) -> dict:
        params = {"app_key": self.app_key, "app_secret": self.app_secret, **query}
        return self._send("GET", self.auth_url + path, path, params, None, {})

    def _tokens(self, data: dict, shop: dict) -> Tokens:
        if not data.get("access_token"):
            raise PlatformError(_("TikTok Shop: the token answer has no access_token"))
        refresh_at = int(data.get("refresh_token_expire_in") or 0)
        return Tokens(access_token=str(data["access_token"]), refresh_token=str(data.get("refresh_token") or ""),
                      expires_at=moment(data.get("access_token_expire_in")),   # a Unix time, not a duration
                      refresh_expires_at=moment(refresh_at) if refresh_at else None,
                      shop_id=str(shop.get("id") or ""), region=str(shop.get("region") or
                                                                    data.get("seller_base_region") or ""),
                      shop_name=str(shop.get("name") or data.get("seller_name") or ""),
                      extra={"shop_cipher": str(shop.get("cipher") or ""), "open_id": str(data.get("open_id") or ""),
                             "shop_code": str(shop.get("code") or "")})

    def exchange_code(self, params) -> Tokens:
        code = str(params.get("code") or "")
        if not code or code == "null":
            raise UserError(_("code: the TikTok Shop callback brought no authorisation code (%(error)s)",
                              error=params.get("error") or "none"))
        data = self._token(TOKEN_GET, {"auth_code": code, "grant_type": "authorized_code"})
        bare = Tokens(access_token=str(data.get("access_token") or ""), refresh_token="",
                      expires_at=datetime.now(timezone.utc), shop_id="")
        shops = self._call("GET", SHOPS, bare, shop=False).get("shops") or []
        if not shops:
            raise PlatformError(_("TikTok Shop: the seller authorised no shop"))
        wanted = str(params.get("shop_id") or self.settings.get("shop_region") or "").upper()
        shop = next((s for s in shops if wanted and wanted in (str(s.get("id")), str(s.get("region")).upper())),
                    shops[0])
        return self._tokens(data, shop)

    def refresh(self, tokens: Tokens) -> Tokens:
        try:
            data = self._token(TOKEN_REFRESH, {"refresh_token": tokens.refresh_token, "grant_type": "refresh_token"})
        except TokenExpired as exc:
            raise PlatformError(str(exc), code=exc.code, status=exc.status) from None
        extra = dict(tokens.extra or {})
        fresh = self._tokens(data, {"id": tokens.shop_id, "region": tokens.region, "name": tokens.shop_name,
                                    "cipher": extra.get("shop_cipher"), "code": extra.get("shop_code")})
        return fresh

    # ---------------------------------------------------------------- orders
    def updated_orders(self, tokens, since, until):
        found, token = {}, ""
        while True:
            data = self._call("POST", ORDER_SEARCH, tokens,
                              query={"page_size": PAGE, "sort_field": "update_time", "sort_order": "ASC",
                                     "page_token": token},
                              body={"update_time_ge": int(since.timestamp()),
                                    # seconds: an update earlier in the last second is before ``until``
                                    "update_time_lt": math.ceil(until.timestamp())})
            for raw in data.get("orders") or ():
                found[str(raw["id"])] = raw          # the search answers full orders: no detail call needed
            token = str(data.get("next_page_token") or "")
            if not token or not data.get("orders"):
                break
        return [order_from(raw) for raw in found.values()]

    def get_orders(self, tokens, ids):
        ids = list(dict.fromkeys(str(i) for i in ids))
        result = []
        for i in range(0, len(ids), DETAIL_BATCH):
            data = self._call("GET", ORDER_DETAIL, tokens, query={"ids": ",".join(ids[i:i + DETAIL_BATCH])})
            result.extend(order_from(raw) for raw in data.get("orders") or ())
        return result

    # ---------------------------------------------------------------- returns
    def _returns(self, tokens, body: dict) -> list:
        found, token = {}, ""
        while True:
            data = self._call("POST", RETURN_SEARCH, tokens,
                              query={"page_size": RETURN_PAGE, "sort_field": "update_time", "sort_order": "ASC",
                                     "page_token": token},
                              body={"return_types": list(RETURN_TYPES), "return_status": list(RETURN_DONE), **body})
            for raw in data.get("return_orders") or ():
                found[str(raw["return_id"])] = raw
            token = str(data.get("next_page_token") or "")
            if not token or not data.get("return_orders"):
                break
        return [return_from(raw) for raw in found.values()]

    def returns(self, tokens, order_ids):
        return self._returns(tokens, {"order_ids": [str(i) for i in order_ids]}) if order_ids else []

    def updated_returns(self, tokens, since, until):
        return self._returns(tokens, {"update_time_ge": int(since.timestamp()),
                                      "update_time_lt": math.ceil(until.timestamp())})

    # ---------------------------------------------------------------- listings
    def listings(self, tokens):
        units, token = [], ""
        while True:
            data = self._call("POST", PRODUCT_SEARCH, tokens, query={"page_size": PAGE, "page_token": token}, body={})
            for product in data.get("products") or ():
                for sku in product.get("skus") or ():
                    price = (sku.get("price") or {})
                    amount = price.get("tax_exclusive_price") or price.get("sale_price")
                    stock = sum(int(w.get("quantity") or 0) for w in sku.get("inventory") or ())
                    units.append(ListingData(item_id=str(product.get("id")), model_id=str(sku.get("id")),
                                             sku=str(sku.get("seller_sku") or ""), name=str(product.get("title") or ""),
                                             price=dec(amount) if amount not in (None, "") else None,
                                             stock=stock if sku.get("inventory") is not None else None,
                                             status=str(product.get("status") or "")))
            token = str(data.get("next_page_token") or "")
            if not token or not data.get("products"):
                return units

    def _per_product(self, tokens, updates, path: str, build) -> list[UpdateResult]:
        if len(updates) > self.stock_batch:
            raise UserError(_("TikTok Shop takes at most %(n)s SKUs per update", n=self.stock_batch))
        by_product: dict[str, list] = {}
        for u in updates:
            by_product.setdefault(u.item_id, []).append(u)
        results = []
        for product_id, units in by_product.items():
            data = self._call("POST", path.format(product_id=product_id), tokens,
                              body={"skus": [build(u) for u in units]})
            failed = {}
            for error in data.get("errors") or ():
                sku_id = str((error.get("detail") or {}).get("sku_id") or "")
                failed[sku_id] = f"{error.get('code')}: {error.get('message') or ''}"
            results.extend(UpdateResult(u.item_id, u.model_id, u.model_id not in failed, failed.get(u.model_id, ""))
                           for u in units)
        return results

    def push_stock(self, tokens, updates):
        warehouse = str(self.settings.get("warehouse_id") or "").strip()

        def build(u):
            place = {"quantity": max(int(u.quantity), 0)}
            if warehouse:
                place["warehouse_id"] = warehouse
            return {"id": u.model_id, "inventory": [place]}
        return self._per_product(tokens, updates, INVENTORY_UPDATE, build)

    def currency(self, tokens) -> str:
        currency = str(self.settings.get("currency") or "").strip().upper() or CURRENCY.get(tokens.region.upper(), "")
        if not currency:
            raise UserError(_("currency: set the TikTok Shop currency (the shop's region %(region)s has none known)",
                              region=tokens.region or "?"))
        return currency

    def push_price(self, tokens, updates):
        currency = self.currency(tokens)
        return self._per_product(tokens, updates, PRICE_UPDATE, lambda u: {
            "id": u.model_id, "price": {"amount": format(Decimal(u.price), "f"), "currency": currency}})

    def upload_image(self, tokens, filename, data):
        """Upload Product Image (202309): multipart ``data`` (the file) and ``use_case`` MAIN_IMAGE, no shop_cipher
        (its query is app_key, sign, timestamp); the signature leaves the multipart body out. TikTok's ``uri``."""
        answer = self._call("POST", IMAGE_UPLOAD, tokens, shop=False, form={"use_case": "MAIN_IMAGE"},
                            files={"data": (filename, data)})
        uri = str(answer.get("uri") or "")
        if not uri:
            raise PlatformError(_("TikTok Shop %(call)s: no image uri for %(file)s", call=IMAGE_UPLOAD, file=filename))
        return uri

    def publish(self, tokens, product):
        """Create Product (202309); ``images`` are TikTok image URIs (Upload Product Image), ``category_id`` a leaf
        category; each variant's options become its sales attributes."""
        if not product.variants:
            raise UserError(_("product: nothing to publish (no variants)"))
        if not product.category_id or not product.images:
            raise UserError(_("category_id: TikTok Shop needs a leaf category and at least one uploaded image"))
        currency, warehouse = self.currency(tokens), str(self.settings.get("warehouse_id") or "").strip()
        skus = []
        for sku, options, price, stock in product.variants:
            place = {"quantity": int(stock), **({"warehouse_id": warehouse} if warehouse else {})}
            skus.append({"seller_sku": sku, "price": {"amount": format(Decimal(price), "f"), "currency": currency},
                         "inventory": [place],
                         "sales_attributes": [{"name": k, "value_name": str(v)} for k, v in (options or {}).items()]})
        body = {"title": product.name, "description": product.description, "category_id": str(product.category_id),
                "main_images": [{"uri": uri} for uri in product.images], "skus": skus,
                "package_weight": {"value": format((Decimal(product.weight_g or 0) / 1000) or Decimal("0.1"), "f"),
                                   "unit": "KILOGRAM"}}
        data = self._call("POST", PRODUCT_CREATE, tokens, body=body)
        made = {str(s.get("seller_sku")): str(s.get("id") or "") for s in data.get("skus") or ()}
        return [ListingData(item_id=str(data.get("product_id") or ""), model_id=made.get(v[0], ""), sku=v[0],
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
        if not isinstance(data, dict) or "shop_id" not in data:
            raise PushRejected("the body has no shop_id")
        kind, inner = data.get("type"), data.get("data") or {}
        event_id = f"{kind}:{data.get('tts_notification_id') or hashlib.sha256(request.body).hexdigest()}"
        ids = [str(inner["order_id"])] if inner.get("order_id") else []
        for package in inner.get("package_list") or ():      # type 4 names its packages' orders
            ids.extend(str(i) for i in package.get("order_id_list") or ())
        if kind in ORDER_EVENTS and ids:
            return PushEvent(event_id=event_id, shop_id=str(data["shop_id"]), kind="order",
                             order_ids=tuple(dict.fromkeys(ids)), raw=data)
        return PushEvent(event_id=event_id, shop_id=str(data["shop_id"]), kind="other", raw=data)

    def provider_id(self, carrier: str) -> str:
        """``shipping_provider_ids`` maps our carrier codes to TikTok's ids: ``ghn=7117...,viettelpost=7118...``."""
        pairs = dict(p.split("=", 1) for p in str(self.settings.get("shipping_provider_ids") or "").replace(
            " ", "").split(",") if "=" in p)
        if not pairs.get(carrier):
            raise UserError(_("shipping_provider_ids: no TikTok Shop shipping provider id for carrier %(carrier)s",
                              carrier=carrier or "?"))
        return pairs[carrier]

    def ship(self, tokens, external_id, tracking_number, carrier):
        """Shipped by TikTok (``shipping_type`` TIKTOK): Ship Package for every package with the handover method
        set; shipped by the seller: Mark Package As Shipped with our tracking number and carrier."""
        orders = self._call("GET", ORDER_DETAIL, tokens, query={"ids": external_id}).get("orders") or []
        if not orders:
            raise PlatformError(_("TikTok Shop order %(order)s: not found", order=external_id))
        order = orders[0]
        if STATUS_MAP.get(str(order.get("status"))) in ("shipped", "completed"):
            return
        if str(order.get("shipping_type") or "TIKTOK") == "SELLER":
            if not tracking_number:
                raise UserError(_("tracking_number: TikTok Shop needs the tracking number of a seller-shipped order"))
            items = [str(i["id"]) for i in order.get("line_items") or () if i.get("id")]
            self._call("POST", MARK_SHIPPED.format(order_id=external_id), tokens,
                       body={"order_line_item_ids": items, "tracking_number": tracking_number,
                             "shipping_provider_id": self.provider_id(carrier)})
            return
        packages = [str(p["id"]) for p in order.get("packages") or () if p.get("id")]
        if not packages:
            raise PlatformError(_("TikTok Shop order %(order)s: no package to ship yet", order=external_id))
        for package in packages:
            self._call("POST", SHIP_PACKAGE.format(package_id=package), tokens,
                       body={"handover_method": self.settings.get("handover_method") or "PICKUP"})
