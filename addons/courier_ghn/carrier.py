"""The Giao Hàng Nhanh (GHN) adapter, speaking GHN's public API (``shiip/public-api``).

Sources: GHN's API documentation at https://api.ghn.vn/home/docs (fee id=76,
available-services id=77, leadtime id=52, create id=81 (``payment_type_id``,
``required_note``, ``cod_amount``, ``weight`` g, ``length``/``width``/``height``
cm, ``client_order_code``, ``service_type_id``), detail id=66, master data
province id=60 / district id=78 / ward id=61) and the JavaScript client
github.com/lehuygiang28/giaohangnhanh (``src/ghn.abstract.ts``: headers ``Token``
and ``ShopId``; ``src/ghn.constant.ts``: the production and test gateways).

Every answer is ``{"code": 200, "message": ..., "data": ...}``; another code is
GHN's refusal. GHN webhooks carry no signature, so ``webhook_trusted`` is off:
a webhook only names the order, and its state is read back with ``detail``.
A shipment of several parcels is one GHN order (the parcels' total weight, the
largest box); every parcel carries its order code.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import urlsplit

from addons.courier import html_label, states
from addons.courier.carriers import (AreaRow, Carrier, CarrierError, Created, OutcomeUnknown, Quote, Service,
                                    TrackEvent)
from addons.courier.http import call
from core.errors import UserError
from core.i18n import _

PRODUCTION = "https://online-gateway.ghn.vn"
TEST = "https://dev-online-gateway.ghn.vn"
API = "/shiip/public-api"

# Every GHN order status (``status`` in detail, ``Status`` in webhooks) -> the courier state.
STATUS_MAP = {
    "ready_to_pick": states.READY_TO_PICK, "picking": states.READY_TO_PICK,
    "money_collect_picking": states.READY_TO_PICK, "picked": states.PICKED, "storing": states.IN_TRANSIT,
    "transporting": states.IN_TRANSIT, "sorting": states.IN_TRANSIT, "delivering": states.DELIVERING,
    "money_collect_delivering": states.DELIVERING, "delivered": states.DELIVERED,
    "delivery_fail": states.DELIVERY_FAILED, "waiting_to_return": states.DELIVERY_FAILED,
    "exception": states.DELIVERY_FAILED, "return": states.RETURNING, "return_transporting": states.RETURNING,
    "return_sorting": states.RETURNING, "returning": states.RETURNING, "return_fail": states.RETURNING,
    "returned": states.RETURNED, "cancel": states.CANCELLED, "lost": states.LOST, "damage": states.DAMAGED,
}
PAYMENT_TYPE = {"shop": 1, "receiver": 2}
PRINT_PATHS = {"a5": "/a5/public-api/printA5", "a6": "/a5/public-api/printA5", "80mm": "/a5/public-api/print80x80"}


def _when(value) -> datetime:
    if isinstance(value, (int, float, Decimal)):
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    text = str(value or "").replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return datetime.now(timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class GhnCarrier(Carrier):
    code = "ghn"
    name = "Giao Hàng Nhanh"
    prints_labels = True

    # ------------------------------------------------------------ transport
    @property
    def base_url(self) -> str:
        url = (self.settings.get("base_url") or "").strip().rstrip("/")
        return url or (TEST if self.settings.get("environment") == "test" else PRODUCTION)

    def _headers(self) -> dict:
        token, shop = self.settings.get("token") or "", str(self.settings.get("shop_id") or "")
        if not token or not shop:
            raise UserError(_("GHN: the token and shop id are not set (Settings › Addons › Giao Hàng Nhanh)"))
        return {"Token": token, "ShopId": shop}

    def _post(self, path: str, body: dict):
        answer = call("POST", self.base_url + API + path, headers=self._headers(), body=body,
                      timeout=float(self.settings.get("timeout_seconds") or 15))
        if not isinstance(answer, dict) or answer.get("code") not in (200, "200"):
            message = answer.get("message") if isinstance(answer, dict) else answer
            raise CarrierError(_("GHN refused %(call)s: %(message)s", call=path, message=message))
        return answer.get("data")

    # ------------------------------------------------------------ the contract
    def _route(self, shipment) -> dict:
        route = {"to_district_id": int(shipment.area["district"]), "to_ward_code": str(shipment.area["ward"])}
        if self.settings.get("from_district_id"):
            route["from_district_id"] = int(self.settings["from_district_id"])
        if self.settings.get("from_ward_code"):
            route["from_ward_code"] = self.settings["from_ward_code"]
        return route

    def _box(self, shipment) -> dict:
        parcels = shipment.parcels
        return {"weight": shipment.weight_g, "length": max(p.length_cm for p in parcels),
                "width": max(p.width_cm for p in parcels), "height": max(p.height_cm for p in parcels)}

    def services(self, shipment):
        body = {"shop_id": int(self.settings.get("shop_id") or 0),
                "from_district": int(self.settings.get("from_district_id") or 0),
                "to_district": int(shipment.area["district"])}
        return [Service(str(s["service_type_id"]), s.get("short_name") or str(s["service_type_id"]))
                for s in self._post("/v2/shipping-order/available-services", body) or ()]

    def quote(self, shipment):
        found = []
        for service in self.services(shipment):
            body = {**self._route(shipment), **self._box(shipment), "service_type_id": int(service.code),
                    "insurance_value": shipment.insurance_value, "cod_value": shipment.cod_amount}
            fee = self._post("/v2/shipping-order/fee", body)
            lead = self._post("/v2/shipping-order/leadtime", {**self._route(shipment),
                                                              "service_type_id": int(service.code)})
            found.append(Quote(service.code, service.label, Decimal(str(fee["total"])),
                               _when(lead["leadtime"]).date() if lead and lead.get("leadtime") else None))
        return found

    def create(self, shipment, client_code):
        r = shipment.receiver
        body = {"payment_type_id": PAYMENT_TYPE[shipment.payer], "required_note": shipment.required_note,
                "note": shipment.note, "client_order_code": client_code, "to_name": r.get("name"),
                "to_phone": r.get("phone"), "to_address": ", ".join(r.get(k) for k in ("street", "ward", "district",
                                                                                         "province") if r.get(k)),
                "to_ward_code": str(shipment.area["ward"]), "to_district_id": int(shipment.area["district"]),
                "cod_amount": shipment.cod_amount, "content": shipment.content[:2000],
                **self._box(shipment), "insurance_value": shipment.insurance_value,
                "service_type_id": int(shipment.service),
                "items": [{"name": shipment.content[:200] or shipment.number, "quantity": 1,
                           "weight": shipment.weight_g}]}
        data = self._post("/v2/shipping-order/create", body)
        return self._created(data, len(shipment.parcels))

    def _created(self, data: dict, parcels: int) -> Created:
        expected = data.get("expected_delivery_time") or data.get("leadtime")
        fee = data.get("total_fee")
        return Created(tuple([data["order_code"]] * max(1, parcels)),
                       fee=Decimal(str(fee)) if fee is not None else None,
                       expected_delivery=_when(expected).date() if expected else None,
                       carrier_status=data.get("status"))

    def lookup(self, client_code):
        try:
            data = self._post("/v2/shipping-order/detail-by-client-code", {"client_order_code": client_code})
        except CarrierError as exc:
            if exc.status in (None, 400, 404):   # GHN answers "not found" as a refusal
                return None
            raise
        return self._created(data, 1) if data and data.get("order_code") else None

    def cancel(self, shipment):
        data = self._post("/v2/switch-status/cancel", {"order_codes": [shipment.tracking_number]})
        for row in data or ():
            if row.get("order_code") == shipment.tracking_number and not row.get("result"):
                raise CarrierError(_("GHN did not cancel %(code)s: %(message)s", code=shipment.tracking_number,
                                     message=row.get("message") or ""))

    def return_to_sender(self, shipment):
        data = self._post("/v2/switch-status/return", {"order_codes": [shipment.tracking_number]})
        for row in data or ():
            if row.get("order_code") == shipment.tracking_number and not row.get("result"):
                raise CarrierError(_("GHN did not send %(code)s back: %(message)s", code=shipment.tracking_number,
                                     message=row.get("message") or ""))

    def track(self, shipment):
        data = self._post("/v2/shipping-order/detail", {"order_code": shipment.tracking_number})
        code = data.get("order_code") or shipment.tracking_number
        entries = [(e.get("status"), e.get("updated_date")) for e in data.get("log") or ()]
        entries.append((data.get("status"), data.get("updated_date")))
        events = []
        for status, at in entries:
            if status in STATUS_MAP:
                events.append(TrackEvent(code, f"{code}:{status}:{at}", status, STATUS_MAP[status], _when(at)))
        return events

    def parse_webhook(self, request):
        try:
            body = json.loads(request.body)
        except ValueError:
            raise CarrierError(_("GHN webhook: the body is not JSON")) from None
        if not isinstance(body, dict) or not body.get("OrderCode"):
            raise CarrierError(_("GHN webhook: no OrderCode"))
        status = str(body.get("Status") or "")
        # A hint only (GHN signs nothing): the state is read back with ``detail``.
        return [TrackEvent(str(body["OrderCode"]), f"{body['OrderCode']}:{status}:{body.get('Time')}", status,
                           STATUS_MAP.get(status, states.REQUESTED), _when(body.get("Time")))]

    def label(self, shipments, size):
        """GHN's own label: ``gen-token``, then its print page for the size. The page is HTML for a
        browser: it is rendered to PDF with its pictures as GHN gives them (inside the page, or
        fetched from GHN's gateway only; ``addons.courier.html_label``). A PDF answer is used as
        it is; an answer that is neither (or no token) gives None: Tessera prints its own."""
        codes = [s.tracking_number for s in shipments if s.tracking_number]
        timeout = float(self.settings.get("timeout_seconds") or 15)
        try:
            token = (self._post("/v2/a5/gen-token", {"order_codes": codes}) or {}).get("token")
            if not token:
                return None
            url = f"{self.base_url}{PRINT_PATHS[size]}?token={token}"
            payload, kind = call("GET", url, headers=self._headers(), timeout=timeout, raw=True)
        except OutcomeUnknown as exc:
            raise UserError(_("GHN did not answer the print call: %(error)s", error=str(exc))) from None
        if "pdf" in kind.lower() or payload[:4] == b"%PDF":
            return payload
        page = html_label.decode(payload, kind)
        if "html" not in kind.lower() and "<html" not in page[:4000].lower():
            return None

        def fetch(address):
            return call("GET", address, headers=self._headers(), timeout=timeout, raw=True)
        page = html_label.inline_pictures(page, url, urlsplit(self.base_url).netloc, fetch)
        return html_label.html_to_label_pdf(page, size)

    def areas(self, progress=None):
        rows = []
        provinces = self._post_master("/master-data/province", None)
        for p in provinces:
            rows.append(AreaRow("province", str(p["ProvinceID"]), p["ProvinceName"]))
            for d in self._post_master("/master-data/district", {"province_id": p["ProvinceID"]}):
                rows.append(AreaRow("district", str(d["DistrictID"]), d["DistrictName"], str(p["ProvinceID"])))
                for w in self._post_master("/master-data/ward", {"district_id": d["DistrictID"]}):
                    rows.append(AreaRow("ward", str(w["WardCode"]), w["WardName"], str(d["DistrictID"])))
            if progress is not None:
                progress(1)
        return rows

    def _post_master(self, path, body):
        return self._post(path, body if body is not None else {}) or []
