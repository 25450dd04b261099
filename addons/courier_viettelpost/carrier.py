"""The Viettel Post adapter, speaking the partner API (``https://partner.viettelpost.vn/v2``).

Source: Viettel Post's partner API documentation, "Tài liệu kết nối API Viettelpost" (the
addresses lists v2 ``categories/listProvince``, ``listDistrict?provinceId=-1`` (with one pseudo
district "NEW" per merged province), ``listWards?districtId=-1`` and the 2025 v3
``categories/listProvinceNew``, ``listWardsNew?provinceId=``; ``user/Login`` then
``user/ownerconnect``; ``order/getPriceAll``; ``order/createOrder`` (``ORDER_NUMBER``,
``CHECK_UNIQUE``, ``ORDER_PAYMENT``, ``MONEY_COLLECTION``, ``ORDER_SERVICE``); ``order/UpdateOrder``
(``TYPE`` 2 return, 4 cancel); ``order/printing-code`` and the print host's ``report.do``; the
status webhook (``DATA`` with ``ORDER_NUMBER``, ``ORDER_REFERENCE``, ``ORDER_STATUS``,
``ORDER_STATUSDATE``; ``TOKEN`` and the ``Authorization`` header: the shop's secret); errors as
``error: true`` with ``message``). ``order/registerOrderHook?oid=&mes=`` (push the journey to the
webhook again) is not in that document: it is used as two partner clients call it (see README).

Viettel Post answers errors inside HTTP 200 (``{"status": 200, "error": true, "message": ...}``):
they are refusals like any other. ``createOrder`` with ``CHECK_UNIQUE: true`` never makes a second
order for an ``ORDER_NUMBER`` it holds (it answers the one it has), which is what makes sending
again after an unknown outcome safe; the partner API has no query by order number, so ``lookup``
has nothing to ask and the retry itself is the lookup. Status webhooks carry the shop's secret, so
they are trusted (``webhook_trusted``); a call without it is refused. Statuses are numbers
(100-550, 501 delivered, 504 returned).
"""
from __future__ import annotations

import hmac
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import urlencode, urlsplit

from addons.courier import states
from addons.courier import html_label
from addons.courier.carriers import (TWO_LEVEL, AreaRow, Carrier, CarrierError, Created, OutcomeUnknown, Quote,
                                    Service, TrackEvent)
from addons.courier.http import call
from core.errors import UserError
from core.i18n import _

PRODUCTION = "https://partner.viettelpost.vn/v2"
TEST = "https://partnerdev.viettelpost.vn/v2"
# The print pages (documentation 9.2): A5 type 1, A6 type 2; no 80 mm label (Tessera prints its own).
PRINT_PRODUCTION = "https://digitalize.viettelpost.vn"
PRINT_TEST = "https://dev-print.viettelpost.vn"
PRINT_TYPES = {"a5": "1", "a6": "2"}
PRINT_BATCH = 100
VN = timezone(timedelta(hours=7))

# Every Viettel Post status number -> the courier state.
STATUS_MAP = {
    100: states.REQUESTED, 101: states.CANCELLED, 102: states.READY_TO_PICK, 103: states.READY_TO_PICK,
    104: states.READY_TO_PICK, 105: states.PICKED, 106: states.READY_TO_PICK, 107: states.CANCELLED,
    200: states.PICKED, 201: states.CANCELLED, 202: states.IN_TRANSIT, 300: states.IN_TRANSIT,
    301: states.IN_TRANSIT, 302: states.IN_TRANSIT, 303: states.IN_TRANSIT, 400: states.IN_TRANSIT,
    401: states.IN_TRANSIT, 402: states.IN_TRANSIT, 403: states.IN_TRANSIT, 500: states.DELIVERING,
    501: states.DELIVERED, 502: states.RETURNING, 503: states.CANCELLED, 504: states.RETURNED,
    505: states.DELIVERY_FAILED, 506: states.DELIVERY_FAILED, 507: states.DELIVERY_FAILED,
    508: states.DELIVERING, 509: states.IN_TRANSIT, 510: states.DELIVERY_FAILED, 515: states.RETURNING,
    550: states.DELIVERING,
}
# ORDER_PAYMENT: 1 no collection (the shop pays the fee), 2 collect the goods and the fee,
# 3 collect the goods only, 4 collect the fee only.
UPDATE_CANCEL, UPDATE_RETURN = 4, 2


def order_payment(payer: str, cod: Decimal) -> int:
    if payer == "receiver":
        return 2 if cod > 0 else 4
    return 3 if cod > 0 else 1


def area_ids(area: dict) -> tuple[int, int, int]:
    """Viettel Post's (province, district, ward) ids from a shipment's area codes.

    Codes of the 2025 two-level lists carry ``TWO_LEVEL`` in front; a two-level ward's code is
    ``2025:<WARDS_ID>:<DISTRICT_ID>`` when ``listWardsNew`` names a district for it (the price and
    order calls want a district), else ``2025:<WARDS_ID>`` and the district sent is 0."""
    def number(code) -> int:
        return int(str(code).removeprefix(TWO_LEVEL).split(":")[0]) if code else 0
    ward = str(area.get("ward") or "")
    district = number(area.get("district"))
    if ward.startswith(TWO_LEVEL) and not district:
        parts = ward.removeprefix(TWO_LEVEL).split(":")
        district = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    return number(area.get("province")), district, number(ward)


def _when(text) -> datetime:
    for fmt in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(str(text), fmt).replace(tzinfo=VN)
        except ValueError:
            continue
    return datetime.now(timezone.utc)


class ViettelPostCarrier(Carrier):
    code = "viettelpost"
    name = "Viettel Post"
    webhook_trusted = True
    prints_labels = True

    def __init__(self, runtime, settings=None):
        super().__init__(runtime, settings)
        self._token = None

    # ------------------------------------------------------------ transport
    @property
    def base_url(self) -> str:
        url = (self.settings.get("base_url") or "").strip().rstrip("/")
        return url or (TEST if self.settings.get("environment") == "test" else PRODUCTION)

    def _timeout(self) -> float:
        return float(self.settings.get("timeout_seconds") or 15)

    def _checked(self, answer, what: str):
        """Viettel Post's refusals come inside HTTP 200: ``error: true`` (or a status other than 200)."""
        if isinstance(answer, dict) and (answer.get("error") or answer.get("status") not in (None, 200)):
            raise CarrierError(_("Viettel Post refused %(call)s: %(message)s", call=what,
                                 message=answer.get("message") or answer.get("status")))
        return answer.get("data") if isinstance(answer, dict) else answer

    def token(self) -> str:
        """The long-lived token: ``user/Login`` (a short one), then ``user/ownerconnect`` with it."""
        if self._token is None:
            user, password = self.settings.get("username") or "", self.settings.get("password") or ""
            if not user or not password:
                raise UserError(_("Viettel Post: the user name and password are not set (Settings › Addons › "
                                  "Viettel Post)"))
            login = self._checked(call("POST", self.base_url + "/user/Login", body={"USERNAME": user,
                                                                                  "PASSWORD": password},
                                       timeout=self._timeout()), "user/Login")
            owner = self._checked(call("POST", self.base_url + "/user/ownerconnect",
                                       headers={"Token": login["token"]},
                                       body={"USERNAME": user, "PASSWORD": password}, timeout=self._timeout()),
                                  "user/ownerconnect")
            self._token = owner["token"]
        return self._token

    def _post(self, path: str, body: dict):
        return self._checked(call("POST", self.base_url + path, headers={"Token": self.token()}, body=body,
                                  timeout=self._timeout()), path.strip("/"))

    def _get(self, path: str):
        return self._checked(call("GET", self.base_url + path, headers={"Token": self.token()},
                                  timeout=self._timeout()), path.strip("/").split("?")[0])

    # ------------------------------------------------------------ the contract
    def _price_body(self, shipment) -> dict:
        return {"SENDER_PROVINCE": int(self.settings.get("sender_province") or 0),
                "SENDER_DISTRICT": int(self.settings.get("sender_district") or 0),
                "RECEIVER_PROVINCE": area_ids(shipment.area)[0], "RECEIVER_DISTRICT": area_ids(shipment.area)[1],
                "RECEIVER_WARD": area_ids(shipment.area)[2], "PRODUCT_TYPE": "HH",
                "PRODUCT_WEIGHT": shipment.weight_g, "PRODUCT_PRICE": shipment.insurance_value,
                "MONEY_COLLECTION": shipment.cod_amount, "TYPE": 1}

    def _prices(self, shipment) -> list:
        return self._post("/order/getPriceAll", self._price_body(shipment)) or []

    def services(self, shipment):
        return [Service(row["MA_DV_CHINH"], row.get("TEN_DICHVU") or row["MA_DV_CHINH"])
                for row in self._prices(shipment)]

    def quote(self, shipment):
        return [Quote(row["MA_DV_CHINH"], row.get("TEN_DICHVU") or row["MA_DV_CHINH"],
                      Decimal(str(row.get("GIA_CUOC") or 0))) for row in self._prices(shipment)]

    def create(self, shipment, client_code):
        r, box = shipment.receiver, shipment.parcels
        body = {"ORDER_NUMBER": client_code, "CHECK_UNIQUE": True,
                "GROUPADDRESS_ID": int(self.settings.get("groupaddress_id") or 0),
                "SENDER_PROVINCE": int(self.settings.get("sender_province") or 0),
                "SENDER_DISTRICT": int(self.settings.get("sender_district") or 0),
                "SENDER_WARD": int(self.settings.get("sender_ward") or 0),
                "RECEIVER_FULLNAME": r.get("name"), "RECEIVER_PHONE": r.get("phone"),
                "RECEIVER_ADDRESS": ", ".join(r.get(k) for k in ("street", "ward", "district", "province")
                                              if r.get(k)),
                "RECEIVER_PROVINCE": area_ids(shipment.area)[0], "RECEIVER_DISTRICT": area_ids(shipment.area)[1],
                "RECEIVER_WARD": area_ids(shipment.area)[2],
                "PRODUCT_NAME": shipment.content[:200] or shipment.number, "PRODUCT_QUANTITY": len(box),
                "PRODUCT_PRICE": shipment.insurance_value, "PRODUCT_WEIGHT": shipment.weight_g,
                "PRODUCT_LENGTH": max(p.length_cm for p in box), "PRODUCT_WIDTH": max(p.width_cm for p in box),
                "PRODUCT_HEIGHT": max(p.height_cm for p in box), "PRODUCT_TYPE": "HH",
                "ORDER_PAYMENT": order_payment(shipment.payer, shipment.cod_amount),
                "ORDER_SERVICE": shipment.service, "ORDER_SERVICE_ADD": "", "ORDER_NOTE": shipment.note,
                "MONEY_COLLECTION": shipment.cod_amount,
                "LIST_ITEM": [{"PRODUCT_NAME": shipment.content[:200] or shipment.number, "PRODUCT_QUANTITY": 1,
                               "PRODUCT_PRICE": shipment.insurance_value, "PRODUCT_WEIGHT": p.weight_g}
                              for p in box]}
        data = self._post("/order/createOrder", body)
        fee = data.get("MONEY_TOTAL")
        return Created(tuple([str(data["ORDER_NUMBER"])] * max(1, len(box))),
                       fee=Decimal(str(fee)) if fee is not None else None, carrier_status="100")

    def lookup(self, client_code):
        return None    # no query by ORDER_NUMBER; createOrder with CHECK_UNIQUE answers the order it holds

    def cancel(self, shipment):
        self._post("/order/UpdateOrder", {"TYPE": UPDATE_CANCEL, "ORDER_NUMBER": shipment.tracking_number,
                                          "NOTE": "cancelled by the shop"})

    def return_to_sender(self, shipment):
        # TYPE 2 "Duyệt hoàn": after 505 (delivery failed, return announced) the shop asks for the return
        self._post("/order/UpdateOrder", {"TYPE": UPDATE_RETURN, "ORDER_NUMBER": shipment.tracking_number,
                                          "NOTE": "return to the shop"})

    def track(self, shipment):
        """Viettel Post's partner API has no status query: the statuses come by webhook. When
        ``pull_resend`` is on, the pull asks Viettel Post to push the parcel's whole journey to the
        webhook again (``GET order/registerOrderHook?oid=&mes=``), so a status lost on the way
        still arrives; what it pushes is stored once like any webhook call."""
        if not self.settings.get("pull_resend", True) or not shipment.tracking_number:
            return []
        query = urlencode({"oid": shipment.tracking_number, "mes": f"Tessera pull {shipment.number}"})
        self._get(f"/order/registerOrderHook?{query}")
        return []

    def parse_webhook(self, request):
        try:
            body = json.loads(request.body)
        except ValueError:
            raise CarrierError(_("Viettel Post webhook: the body is not JSON")) from None
        secret = self.settings.get("webhook_token") or ""
        # The secret comes as TOKEN in the body and, from the portal's "Secret parameters", as the
        # Authorization header: either one matching (in constant time) authenticates the call.
        given = [str(body.get("TOKEN") or "") if isinstance(body, dict) else "",
                 str({k.lower(): v for k, v in (request.headers or {}).items()}.get("authorization") or "")]
        if not isinstance(body, dict) or not secret or \
                not any(hmac.compare_digest(value.encode(), secret.encode()) for value in given if value):
            raise CarrierError(_("Viettel Post webhook: the TOKEN does not match the business's secret"))
        data = body.get("DATA") or {}
        try:
            status = int(data.get("ORDER_STATUS"))
        except (TypeError, ValueError):
            raise CarrierError(_("Viettel Post webhook: ORDER_STATUS is not a number")) from None
        if status not in STATUS_MAP or not data.get("ORDER_NUMBER"):
            return []
        number, at = str(data["ORDER_NUMBER"]), data.get("ORDER_STATUSDATE")
        return [TrackEvent(number, f"{number}:{status}:{at}", str(status), STATUS_MAP[status], _when(at),
                           note=str(data.get("STATUS_NAME") or data.get("NOTE") or "")[:200])]

    @property
    def print_url(self) -> str:
        url = (self.settings.get("print_base_url") or "").strip().rstrip("/")
        return url or (PRINT_TEST if self.settings.get("environment") == "test" else PRINT_PRODUCTION)

    def label(self, shipments, size):
        """Viettel Post's own label (A5, A6): ``order/printing-code`` (at most 100 order numbers, a
        link that expires) answers the print code as ``message``; the print page
        ``DigitalizePrint/report.do?type=&bill=&showPostage=1`` is then read from the print host
        and, being HTML for a browser, rendered to PDF with its pictures from that host only
        (``addons.courier.html_label``). 80 mm, or an answer that is neither: None (Tessera's)."""
        kind_code = PRINT_TYPES.get(size)
        numbers = [s.tracking_number for s in shipments if s.tracking_number]
        if kind_code is None or not numbers:
            return None
        parts = []
        try:
            for start in range(0, len(numbers), PRINT_BATCH):
                expiry = int((datetime.now(timezone.utc) + timedelta(minutes=30)).timestamp() * 1000)
                answer = call("POST", self.base_url + "/order/printing-code", headers={"Token": self.token()},
                              body={"EXPIRY_TIME": expiry, "ORDER_ARRAY": numbers[start:start + PRINT_BATCH]},
                              timeout=self._timeout())
                self._checked(answer, "order/printing-code")
                code = str(answer.get("message") or "") if isinstance(answer, dict) else ""
                if not code:
                    return None
                url = (f"{self.print_url}/DigitalizePrint/report.do?"
                       + urlencode({"type": kind_code, "bill": code, "showPostage": 1}))
                payload, kind = call("GET", url, timeout=self._timeout(), raw=True)
                if "pdf" in kind.lower() or payload[:4] == b"%PDF":
                    parts.append(payload)
                    continue
                page = html_label.decode(payload, kind)
                if "html" not in kind.lower() and "<html" not in page[:4000].lower():
                    return None

                def fetch(address):
                    return call("GET", address, timeout=self._timeout(), raw=True)
                page = html_label.inline_pictures(page, url, urlsplit(self.print_url).netloc, fetch)
                parts.append(html_label.html_to_label_pdf(page, size))
        except OutcomeUnknown as exc:
            raise UserError(_("Viettel Post did not answer the print call: %(error)s", error=str(exc))) from None
        return parts[0] if len(parts) == 1 else html_label.join_pdfs(parts)

    def _v3(self) -> str:
        base = self.base_url
        return (base[:-3] if base.endswith("/v2") else base) + "/v3"

    def _get_v3(self, path: str) -> list:
        return self._checked(call("GET", self._v3() + path, headers={"Token": self.token()},
                                  timeout=self._timeout()), path.strip("/").split("?")[0]) or []

    def areas(self, progress=None):
        """The three-level lists (v2 ``listProvince``, ``listDistrict``, ``listWards``) and the 2025
        two-level ones (v3 ``listProvinceNew``, ``listWardsNew?provinceId=-1``: 34 provinces, wards
        directly under them), the latter under ``TWO_LEVEL`` codes. v2's district lists carry one
        pseudo district per merged province (``DISTRICT_VALUE`` "NEW", "Bỏ qua - Sử dụng địa chỉ 2
        cấp"), whose wards are the new ones: they are left out of the three-level lists. A gateway
        without the v3 lists (a refusal) gives the 2025 lists from those pseudo districts instead."""
        old_provinces = self._get("/categories/listProvince") or []
        rows = [AreaRow("province", str(p["PROVINCE_ID"]), p["PROVINCE_NAME"]) for p in old_provinces]
        pseudo = {}                       # pseudo district id -> its province id
        for d in self._get("/categories/listDistrict?provinceId=-1") or ():
            if str(d.get("DISTRICT_VALUE") or "").upper() == "NEW":
                pseudo[str(d["DISTRICT_ID"])] = d["PROVINCE_ID"]
                continue
            rows.append(AreaRow("district", str(d["DISTRICT_ID"]), d["DISTRICT_NAME"], str(d["PROVINCE_ID"])))
        new_in_v2 = []
        for w in self._get("/categories/listWards?districtId=-1") or ():
            if str(w.get("DISTRICT_ID")) in pseudo:
                new_in_v2.append({**w, "PROVINCE_ID": pseudo[str(w["DISTRICT_ID"])]})
            else:
                rows.append(AreaRow("ward", str(w["WARDS_ID"]), w["WARDS_NAME"], str(w["DISTRICT_ID"])))
        try:
            provinces = self._get_v3("/categories/listProvinceNew")
            wards = self._get_v3("/categories/listWardsNew?provinceId=-1")
            if any(w.get("PROVINCE_ID") in (None, "") for w in wards):
                # the whole list does not say each ward's province: ask province by province
                wards = [{**w, "PROVINCE_ID": p["PROVINCE_ID"]} for p in provinces
                         for w in self._get_v3(f"/categories/listWardsNew?provinceId={p['PROVINCE_ID']}")]
        except CarrierError:
            # no v3: the 2025 lists as v2 gives them, the wards of each merged province's pseudo district
            names = {p["PROVINCE_ID"]: p["PROVINCE_NAME"] for p in old_provinces}
            provinces = [{"PROVINCE_ID": pid, "PROVINCE_NAME": names[pid]} for pid in sorted(set(pseudo.values()))
                         if pid in names]
            wards = new_in_v2
        rows += [AreaRow("province", f"{TWO_LEVEL}{p['PROVINCE_ID']}", p["PROVINCE_NAME"]) for p in provinces]
        for w in wards:
            district = w.get("DISTRICT_ID")
            code = f"{TWO_LEVEL}{w['WARDS_ID']}" + (f":{district}" if district not in (None, "", 0) else "")
            rows.append(AreaRow("ward", code, w["WARDS_NAME"], f"{TWO_LEVEL}{w['PROVINCE_ID']}"))
        if progress is not None:
            progress(len(rows))
        return rows
