"""Shopee Open Platform v2 (https://open.shopee.com/documents/v2): the marketplace platform contract.

Signing (Developer Guide, "Authorization and Authentication"): ``sign`` is the
hex HMAC-SHA256, keyed with the partner key, of ``partner_id + api path +
timestamp`` for the public (auth) calls and of ``partner_id + api path +
timestamp + access_token + shop_id`` for shop calls; ``partner_id``,
``timestamp``, ``sign`` (and ``access_token``, ``shop_id``) go in the query of
every request. A push carries ``Authorization`` = hex HMAC-SHA256(partner key,
``callback URL + "|" + raw body``) ("Push Mechanism").

Every answer has ``error`` / ``message`` / ``request_id``; a non-empty ``error``
is an error even inside an HTTP 200.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import urlencode

from addons.marketplace import http
from addons.marketplace.platforms import (ListingData, OrderData, OrderLineData, Platform, PlatformError, PushEvent,
                                          PushRejected, RateLimited, Tokens, TokenExpired, UpdateResult)
from core.errors import UserError
from core.i18n import _

from .returns import GOODS_BACK, RETURN_DETAIL, RETURN_WINDOW, list_returns, return_from

HOSTS = {"production": "https://partner.shopeemobile.com", "test": "https://partner.test-stable.shopeemobile.com"}
AUTH_PARTNER = "/api/v2/shop/auth_partner"
TOKEN_GET = "/api/v2/auth/token/get"
TOKEN_REFRESH = "/api/v2/auth/access_token/get"
ORDER_LIST = "/api/v2/order/get_order_list"
ORDER_DETAIL = "/api/v2/order/get_order_detail"
ESCROW_DETAIL = "/api/v2/payment/get_escrow_detail"
ITEM_LIST = "/api/v2/product/get_item_list"
ITEM_BASE_INFO = "/api/v2/product/get_item_base_info"
MODEL_LIST = "/api/v2/product/get_model_list"
UPDATE_STOCK = "/api/v2/product/update_stock"
UPDATE_PRICE = "/api/v2/product/update_price"
ADD_ITEM = "/api/v2/product/add_item"
INIT_TIER = "/api/v2/product/init_tier_variation"
CHANNEL_LIST = "/api/v2/logistics/get_channel_list"
SHIPPING_PARAMETER = "/api/v2/logistics/get_shipping_parameter"
SHIP_ORDER = "/api/v2/logistics/ship_order"
UPLOAD_IMAGE = "/api/v2/media_space/upload_image"

DETAIL_FIELDS = ("buyer_user_id,buyer_username,estimated_shipping_fee,recipient_address,actual_shipping_fee,"
                 "item_list,pay_time,payment_method,total_amount,note")
# Shopee order_status -> ours (IN_CANCEL: the buyer asked to cancel, not decided yet: still to ship;
# TO_RETURN: the buyer asked to return, delivered so far: the return API says what came back).
STATUS_MAP = {"UNPAID": "unpaid", "READY_TO_SHIP": "ready_to_ship", "PROCESSED": "ready_to_ship",
              "RETRY_SHIP": "ready_to_ship", "IN_CANCEL": "ready_to_ship", "SHIPPED": "shipped",
              "TO_CONFIRM_RECEIVE": "shipped", "COMPLETED": "completed", "CANCELLED": "cancelled",
              "TO_RETURN": "shipped"}
TOKEN_ERRORS = {"invalid_acceess_token", "invalid_access_token", "error_invalid_access_token", "error_auth",
                "invalid_token"}
RATE_ERRORS = {"error_too_many_request", "error.too_many_request", "too_many_request"}
PAGE = 100               # get_order_list / get_item_list page_size at most 100
DETAIL_BATCH = 50        # order_sn_list / item_id_list at most 50
WINDOW = timedelta(days=15)   # get_order_list: time_to - time_from at most 15 days
REFRESH_LIFE = timedelta(days=30)


def _dt(seconds) -> datetime:
    return datetime.fromtimestamp(int(seconds or 0), tz=timezone.utc)


def _dec(value) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


class ShopeePlatform(Platform):
    code = "shopee"
    name = "Shopee"
    stock_batch = 50
    own_logistics = True

    # ---------------------------------------------------------------- plumbing
    @property
    def base_url(self) -> str:
        return (self.settings.get("base_url") or HOSTS[self.settings.get("environment") or "production"]).rstrip("/")

    @property
    def partner_id(self) -> int:
        raw = str(self.settings.get("partner_id") or "").strip()
        if not raw.isdigit():
            raise UserError(_("partner_id: the Shopee partner id (digits) is not set in the Shopee settings"))
        return int(raw)

    @property
    def partner_key(self) -> bytes:
        key = self.settings.get("partner_key") or ""
        if not key:
            raise UserError(_("partner_key: the Shopee partner key is not set in the Shopee settings"))
        return key.encode()

    def now(self) -> int:
        return int(time.time())

    def sign(self, path: str, timestamp: int, access_token: str = "", shop_id: str = "") -> str:
        base = f"{self.partner_id}{path}{timestamp}{access_token}{shop_id}"
        return hmac.new(self.partner_key, base.encode(), hashlib.sha256).hexdigest()

    def _common(self, path: str, tokens: Tokens | None) -> dict:
        ts = self.now()
        params = {"partner_id": self.partner_id, "timestamp": ts}
        if tokens is None:
            params["sign"] = self.sign(path, ts)
        else:
            params.update(access_token=tokens.access_token, shop_id=int(tokens.shop_id),
                          sign=self.sign(path, ts, tokens.access_token, str(int(tokens.shop_id))))
        return params

    def _call(self, method: str, path: str, tokens: Tokens | None = None, *, query: dict | None = None,
              body: dict | None = None, files: dict | None = None, form: dict | None = None) -> dict:
        params = self._common(path, tokens)
        params.update(query or {})
        timeout = float(self.settings.get("timeout_seconds") or 15)
        data, headers = None, None
        if files:
            data, content_type = http.multipart(form or {}, files)
            headers = {"Content-Type": content_type}
        try:
            answer = http.request(method, self.base_url + path, params=params, body=body, data=data,
                                  headers=headers, timeout=timeout)
        except RateLimited:
            raise
        except PlatformError as exc:
            answer = getattr(exc, "body", None)
            if not isinstance(answer, dict) or not answer.get("error"):
                raise
            self._raise(path, answer, exc.status)
        if not isinstance(answer, dict):
            raise PlatformError(f"{path}: the answer is not an object")
        if answer.get("error"):
            self._raise(path, answer, 200)
        return answer

    def _raise(self, path: str, answer: dict, status):
        error, message = str(answer.get("error") or ""), str(answer.get("message") or "")
        text = f"Shopee {path.rsplit('/', 1)[-1]}: {error}: {message}".strip(": ")
        if error in RATE_ERRORS or status == 429:
            raise RateLimited(text, retry_after=2.0, code=error, status=status)
        if error in TOKEN_ERRORS or "access_token" in message.lower() and "invalid" in message.lower():
            raise TokenExpired(text, code=error, status=status)
        raise PlatformError(text, code=error, status=status)

    # ---------------------------------------------------------------- authorisation
    def authorize_url(self, redirect_uri: str, state: str) -> str:
        ts = self.now()
        redirect = f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode({'state': state})}"
        query = urlencode({"partner_id": self.partner_id, "timestamp": ts, "sign": self.sign(AUTH_PARTNER, ts),
                           "redirect": redirect})
        return f"{self.base_url}{AUTH_PARTNER}?{query}"

    def _tokens(self, answer: dict, shop_id: str) -> Tokens:
        if not answer.get("access_token"):
            raise PlatformError("Shopee: the token answer has no access_token")
        now = datetime.now(timezone.utc)
        return Tokens(access_token=answer["access_token"], refresh_token=answer.get("refresh_token") or "",
                      expires_at=now + timedelta(seconds=int(answer.get("expire_in") or 14400)),
                      refresh_expires_at=now + REFRESH_LIFE, shop_id=str(answer.get("shop_id") or shop_id),
                      extra={"partner_id": self.partner_id})

    def exchange_code(self, params) -> Tokens:
        code, shop_id = str(params.get("code") or ""), str(params.get("shop_id") or "")
        if not code or not shop_id.isdigit():
            raise UserError(_("the Shopee callback needs code and shop_id"))
        answer = self._call("POST", TOKEN_GET, body={"code": code, "shop_id": int(shop_id),
                                                     "partner_id": self.partner_id})
        return self._tokens(answer, shop_id)

    def refresh(self, tokens: Tokens) -> Tokens:
        try:
            answer = self._call("POST", TOKEN_REFRESH, body={"refresh_token": tokens.refresh_token,
                                                             "shop_id": int(tokens.shop_id),
                                                             "partner_id": self.partner_id})
        except TokenExpired as exc:      # the refresh token itself is no good: the seller must authorise again
            raise PlatformError(str(exc), code=exc.code, status=exc.status) from None
        fresh = self._tokens(answer, tokens.shop_id)
        return Tokens(**{**fresh.__dict__, "region": tokens.region, "shop_name": tokens.shop_name})

    # ---------------------------------------------------------------- orders
    def updated_orders(self, tokens, since, until):
        numbers = []
        start = since
        while start < until:
            end = min(start + WINDOW, until)
            cursor = ""
            while True:
                answer = self._call("GET", ORDER_LIST, tokens, query={
                    "time_range_field": "update_time", "time_from": int(start.timestamp()),
                    "time_to": int(end.timestamp()), "page_size": PAGE, "cursor": cursor,
                    "response_optional_fields": "order_status"})
                response = answer.get("response") or {}
                numbers.extend(o["order_sn"] for o in response.get("order_list") or ())
                if not response.get("more"):
                    break
                cursor = str(response.get("next_cursor") or "")
            start = end
        seen, ordered = set(), []
        for sn in numbers:
            if sn not in seen:
                seen.add(sn)
                ordered.append(sn)
        result = []
        for i in range(0, len(ordered), DETAIL_BATCH):
            result.extend(self.get_orders(tokens, ordered[i:i + DETAIL_BATCH]))
        return result

    def get_orders(self, tokens, ids):
        ids = [str(i) for i in ids]
        if not ids:
            return []
        if len(ids) > DETAIL_BATCH:
            raise ValueError(f"Shopee get_order_detail takes at most {DETAIL_BATCH} orders")
        answer = self._call("GET", ORDER_DETAIL, tokens, query={"order_sn_list": ",".join(ids),
                                                                "response_optional_fields": DETAIL_FIELDS})
        return [self._order(tokens, raw) for raw in (answer.get("response") or {}).get("order_list") or ()]

    # ---------------------------------------------------------------- returns
    def _returns(self, tokens, rows) -> list:
        """ReturnData of list rows: an accepted return read again by get_return_detail (its items)."""
        found = []
        for raw in rows:
            if str(raw.get("status") or "") == GOODS_BACK:
                raw = (self._call("GET", RETURN_DETAIL, tokens, query={"return_sn": raw["return_sn"]})
                       .get("response") or raw)
                if not raw.get("item"):        # Shopee names no items: the whole order came back
                    answer = self._call("GET", ORDER_DETAIL, tokens, query={
                        "order_sn_list": str(raw.get("order_sn") or ""), "response_optional_fields": "item_list"})
                    orders = (answer.get("response") or {}).get("order_list") or [{}]
                    found.append(return_from(raw, orders[0].get("item_list") or ()))
                    continue
            found.append(return_from(raw))
        return found

    def returns(self, tokens, order_ids):
        """get_return_list has no order filter: the accepted returns updated in the last 15 days (the only ones
        that move stock), kept for these orders."""
        ids = {str(i) for i in order_ids}
        if not ids:
            return []
        until = datetime.now(timezone.utc)
        rows = list_returns(lambda m, p, query: self._call(m, p, tokens, query=query), until - RETURN_WINDOW, until,
                            status=GOODS_BACK)
        return self._returns(tokens, [r for r in rows if str(r.get("order_sn") or "") in ids])

    def updated_returns(self, tokens, since, until):
        return self._returns(tokens, list_returns(lambda m, p, query: self._call(m, p, tokens, query=query),
                                                  since, until))

    def _escrow(self, tokens, order_sn: str) -> dict:
        """Seller voucher and the shipping fee the buyer paid (only once the order is paid)."""
        try:
            answer = self._call("GET", ESCROW_DETAIL, tokens, query={"order_sn": order_sn})
        except (TokenExpired, RateLimited):
            raise
        except PlatformError:       # not available yet (unpaid): no voucher known
            return {}
        return (answer.get("response") or {}).get("order_income") or {}

    def _order(self, tokens, raw: dict) -> OrderData:
        status_raw = str(raw.get("order_status") or "")
        status = STATUS_MAP.get(status_raw)
        if status is None:
            raise PlatformError(f"Shopee order {raw.get('order_sn')}: unknown order_status {status_raw!r}")
        income = self._escrow(tokens, raw["order_sn"]) if status not in ("unpaid", "cancelled") else {}
        lines = []
        for item in raw.get("item_list") or ():
            qty = _dec(item.get("model_quantity_purchased"))
            original, discounted = _dec(item.get("model_original_price")), _dec(item.get("model_discounted_price"))
            discount = (original - discounted) * qty if discounted and discounted < original else Decimal(0)
            model_id = int(item.get("model_id") or 0)
            lines.append(OrderLineData(sku=str(item.get("model_sku") or item.get("item_sku") or ""),
                                       item_id=str(item.get("item_id")), model_id=str(model_id) if model_id else "",
                                       name=str(item.get("item_name") or "")[:255], qty=qty, unit_price=original,
                                       discount=discount))
        address = raw.get("recipient_address") or {}
        shipping = _dec(income.get("buyer_paid_shipping_fee")) if income.get("buyer_paid_shipping_fee") is not None \
            else _dec(raw.get("estimated_shipping_fee"))
        cod = bool(raw.get("cod"))
        paid = bool(raw.get("pay_time")) or (not cod and status not in ("unpaid", "cancelled")) or status == "completed"
        return OrderData(
            external_id=str(raw["order_sn"]), status=status, platform_status=status_raw,
            created_at=_dt(raw.get("create_time")), updated_at=_dt(raw.get("update_time") or raw.get("create_time")),
            currency=str(raw.get("currency") or ""), lines=tuple(lines),
            buyer={"name": str(raw.get("buyer_username") or ""), "id": str(raw.get("buyer_user_id") or "")},
            address={"name": address.get("name", ""), "phone": address.get("phone", ""),
                     "street": address.get("full_address", ""), "ward": address.get("town", ""),
                     "district": address.get("district", ""), "city": address.get("city", ""),
                     "region": address.get("state", ""), "postcode": address.get("zipcode", ""),
                     "country": address.get("region", "")},
            shipping_fee=shipping, voucher=_dec(income.get("voucher_from_seller")), cod=cod, paid=paid,
            payment_method=str(raw.get("payment_method") or ""),
            note=str(raw.get("message_to_seller") or raw.get("note") or "")[:500])

    # ---------------------------------------------------------------- listings
    def listings(self, tokens):
        item_ids, offset = [], 0
        while True:
            answer = self._call("GET", ITEM_LIST, tokens, query={"offset": offset, "page_size": PAGE,
                                                                 "item_status": "NORMAL"})
            response = answer.get("response") or {}
            item_ids.extend(int(i["item_id"]) for i in response.get("item") or ())
            if not response.get("has_next_page"):
                break
            offset = int(response.get("next_offset") or offset + PAGE)
        units = []
        for i in range(0, len(item_ids), DETAIL_BATCH):
            answer = self._call("GET", ITEM_BASE_INFO, tokens,
                                query={"item_id_list": ",".join(str(x) for x in item_ids[i:i + DETAIL_BATCH])})
            for item in (answer.get("response") or {}).get("item_list") or ():
                units.extend(self._units(tokens, item))
        return units

    def _units(self, tokens, item: dict) -> list[ListingData]:
        item_id, name = str(item["item_id"]), str(item.get("item_name") or "")
        if not item.get("has_model"):
            price = (item.get("price_info") or [{}])[0]
            stock = ((item.get("stock_info_v2") or {}).get("summary_info") or {}).get("total_available_stock")
            return [ListingData(item_id=item_id, model_id="", sku=str(item.get("item_sku") or ""), name=name,
                                price=_dec(price.get("original_price")) if price else None,
                                stock=None if stock is None else int(stock), status=str(item.get("item_status") or ""))]
        answer = self._call("GET", MODEL_LIST, tokens, query={"item_id": int(item_id)})
        response = answer.get("response") or {}
        tiers = response.get("tier_variation") or []
        units = []
        for model in response.get("model") or ():
            options = [tiers[t]["option_list"][i]["option"] for t, i in enumerate(model.get("tier_index") or ())
                       if t < len(tiers) and i < len(tiers[t].get("option_list") or ())]
            price = (model.get("price_info") or [{}])[0]
            stock = ((model.get("stock_info_v2") or {}).get("summary_info") or {}).get("total_available_stock")
            units.append(ListingData(item_id=item_id, model_id=str(model["model_id"]),
                                     sku=str(model.get("model_sku") or ""),
                                     name=f"{name} ({' / '.join(options)})" if options else name,
                                     price=_dec(price.get("original_price")) if price else None,
                                     stock=None if stock is None else int(stock),
                                     status=str(item.get("item_status") or "")))
        return units

    def _per_item(self, tokens, updates, path, build, key):
        by_item: dict[str, list] = {}
        for u in updates:
            by_item.setdefault(u.item_id, []).append(u)
        results = []
        for item_id, units in by_item.items():
            answer = self._call("POST", path, tokens, body={"item_id": int(item_id),
                                                                          key: [build(u) for u in units]})
            response = answer.get("response") or {}
            failed = {int(f.get("model_id") or 0): str(f.get("failed_reason") or "refused")
                      for f in response.get("failure_list") or ()}
            succeeded = {int(s.get("model_id") or 0) for s in response.get("success_list") or ()}
            for u in units:
                model = int(u.model_id or 0)
                if model in failed:
                    results.append(UpdateResult(u.item_id, u.model_id, False, failed[model]))
                else:
                    results.append(UpdateResult(u.item_id, u.model_id, model in succeeded,
                                                "" if model in succeeded else "not in Shopee's answer"))
        return results

    def push_stock(self, tokens, updates):
        return self._per_item(tokens, updates, UPDATE_STOCK, lambda u: {"model_id": int(u.model_id or 0),
                                                                "seller_stock": [{"stock": int(u.quantity)}]},
                              "stock_list")

    def push_price(self, tokens, updates):
        return self._per_item(tokens, updates, UPDATE_PRICE, lambda u: {"model_id": int(u.model_id or 0),
                                                                "original_price": u.price}, "price_list")

    def upload_image(self, tokens, filename, data):
        """media_space/upload_image: a public API (signed over partner_id + path + timestamp only), the file
        as the multipart field ``image``, scene ``normal`` (item images); Shopee's ``image_info.image_id``."""
        answer = self._call("POST", UPLOAD_IMAGE, None, form={"scene": "normal"}, files={"image": (filename, data)})
        image_id = str(((answer.get("response") or {}).get("image_info") or {}).get("image_id") or "")
        if not image_id:
            raise PlatformError(f"Shopee upload_image: no image_id for {filename}")
        return image_id

    def publish(self, tokens, product):
        """add_item (one item), then init_tier_variation for its variants. ``images`` are Shopee image ids
        (``upload_image``); Shopee refuses an item without one."""
        if not product.variants:
            raise UserError(_("product: nothing to publish (no variants)"))
        channels = self._call("GET", CHANNEL_LIST, tokens)
        logistics = [{"logistic_id": c["logistics_channel_id"], "enabled": True}
                     for c in (channels.get("response") or {}).get("logistics_channel_list") or () if c.get("enabled")]
        first = product.variants[0]
        single = len(product.variants) == 1 and not first[1]
        body = {"original_price": first[2], "description": product.description, "item_name": product.name,
                "weight": float(Decimal(product.weight_g or 0) / 1000) or 0.1,
                "image": {"image_id_list": list(product.images)}, "logistic_info": logistics,
                "seller_stock": [{"stock": int(sum(v[3] for v in product.variants))}],
                "item_sku": first[0] if single else ""}
        if product.category_id:
            body["category_id"] = int(product.category_id)
        answer = self._call("POST", ADD_ITEM, tokens, body=body)
        item_id = str((answer.get("response") or {}).get("item_id"))
        if single:
            return [ListingData(item_id=item_id, model_id="", sku=first[0], name=product.name, price=first[2],
                                stock=int(first[3]))]
        names = list(dict.fromkeys(k for v in product.variants for k in v[1]))[:2] or ["Option"]
        options = [list(dict.fromkeys(v[1].get(n, v[0]) for v in product.variants)) for n in names]
        tiers = [{"name": n, "option_list": [{"option": o} for o in opts]} for n, opts in zip(names, options)]
        models = [{"tier_index": [options[t].index(v[1].get(n, v[0])) for t, n in enumerate(names)],
                   "original_price": v[2], "model_sku": v[0], "seller_stock": [{"stock": int(v[3])}]}
                  for v in product.variants]
        answer = self._call("POST", INIT_TIER, tokens, body={"item_id": int(item_id), "tier_variation": tiers,
                                                              "model": models})
        made = {m.get("model_sku"): str(m.get("model_id")) for m in (answer.get("response") or {}).get("model") or ()}
        return [ListingData(item_id=item_id, model_id=made.get(v[0], ""), sku=v[0], name=product.name, price=v[2],
                            stock=int(v[3])) for v in product.variants]

    # ---------------------------------------------------------------- pushes and shipping
    def verify_push(self, request) -> PushEvent:
        given = str(request.headers.get("Authorization") or request.headers.get("authorization") or "")
        if not given:
            raise PushRejected("no Authorization header")
        expected = hmac.new(self.partner_key, request.url.encode() + b"|" + request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), given.strip().encode()):
            raise PushRejected("the Authorization signature does not match")
        try:
            data = json.loads(request.body)
        except ValueError:
            raise PushRejected("the body is not JSON") from None
        if not isinstance(data, dict) or "shop_id" not in data:
            raise PushRejected("the body has no shop_id")
        code, inner = int(data.get("code") or 0), data.get("data") or {}
        sn = str(inner.get("ordersn") or inner.get("order_sn") or "")
        if code in (3, 4) and sn:
            tail = f"{inner.get('status', '')}:{inner.get('update_time', '')}" if code == 3 else \
                f"{inner.get('tracking_no', '')}:{inner.get('package_number', '')}"
            return PushEvent(event_id=f"{code}:{data['shop_id']}:{sn}:{tail}", shop_id=str(data["shop_id"]),
                             kind="order", order_ids=(sn,), raw=data)
        return PushEvent(event_id=f"{code}:{hashlib.sha256(request.body).hexdigest()}", shop_id=str(data["shop_id"]),
                         kind="other", raw=data)

    def ship(self, tokens, external_id, tracking_number, carrier):
        answer = self._call("GET", SHIPPING_PARAMETER, tokens, query={"order_sn": external_id})
        response = answer.get("response") or {}
        needed = response.get("info_needed") or {}
        body = {"order_sn": external_id}
        if "non_integrated" in needed and tracking_number:
            body["non_integrated"] = {"tracking_number": tracking_number}
        elif "dropoff" in needed:
            body["dropoff"] = {}
        elif "pickup" in needed:
            addresses = (response.get("pickup") or {}).get("address_list") or []
            if not addresses or not addresses[0].get("time_slot_list"):
                raise PlatformError(f"Shopee {external_id}: no pickup address or time slot offered")
            chosen = next((a for a in addresses if "default_address" in (a.get("address_flag") or ())), addresses[0])
            body["pickup"] = {"address_id": chosen["address_id"],
                              "pickup_time_id": chosen["time_slot_list"][0]["pickup_time_id"]}
        else:
            raise PlatformError(f"Shopee {external_id}: needs {', '.join(needed) or 'nothing we can give'} to ship")
        self._call("POST", SHIP_ORDER, tokens, body=body)
