"""Lazada orders normalised: the item status table and an order from its header and items (GetOrders /
GetOrder and GetMultipleOrderItems answers)."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from addons.marketplace.platforms import OrderData, OrderLineData, PlatformError, ReturnData, ReturnLineData
from core.i18n import _

# Lazada order item status -> ours (see README for the table and the reasons).
STATUS_MAP = {
    "unpaid": "unpaid",
    "pending": "ready_to_ship", "topack": "ready_to_ship", "packed": "ready_to_ship", "repacked": "ready_to_ship",
    "toship": "ready_to_ship", "ready_to_ship_pending": "ready_to_ship", "ready_to_ship": "ready_to_ship",
    "shipped": "shipped", "shipping": "shipped", "lost": "shipped", "damaged": "shipped",
    "delivered": "completed", "confirmed": "completed",
    "canceled": "cancelled", "cancelled": "cancelled",
    "returned": "returned", "failed": "returned", "shipped_back": "returned", "shipped_back_success": "returned",
    "package_returned": "returned", "back_to_shipper": "returned",
}
# Reverse orders (GetReverseOrdersForSeller; "Webhook API: reverse order", msg_type 10): a RETURN
# line counts once its goods are back: received by the seller (RTM_RECEIVE_ITEM) or passed the
# warehouse's inspection (RTW_REFUND_PENDING), or refunded after either (REFUND_SUCCESS).
# CANCEL is a cancellation (the order status says it) and ONLY_REFUND sends no goods back.
RETURN_TYPE = "RETURN"
RETURN_RECEIVED = ("RTM_RECEIVE_ITEM", "RTW_REFUND_PENDING", "REFUND_SUCCESS")
RANK = {"unpaid": 0, "ready_to_ship": 1, "shipped": 2, "completed": 3}


def dec(value) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "", "null") else Decimal(0)
    except ArithmeticError:
        return Decimal(0)


def when(value) -> datetime:
    text = str(value or "").strip()
    if text.isdigit():       # milliseconds (products) or seconds
        number = int(text)
        return datetime.fromtimestamp(number / 1000 if number > 10 ** 11 else number, tz=timezone.utc)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def order_status(statuses) -> str:
    """One status for the order from its items': the least advanced live one, else returned, else cancelled."""
    mapped = set()
    for raw in statuses:
        status = STATUS_MAP.get(str(raw).lower())
        if status is None:
            raise PlatformError(_("Lazada: unknown order status %(status)s", status=raw))
        mapped.add(status)
    live = [s for s in mapped if s in RANK]
    if live:
        return min(live, key=RANK.get)
    if not mapped:
        raise PlatformError(_("Lazada: the order has no status"))
    return "returned" if "returned" in mapped else "cancelled"

def order_from(head: dict, items: list) -> OrderData:
    statuses = [i.get("status") for i in items if i.get("status")] or list(head.get("statuses") or ())
    status = order_status(statuses)
    lines: dict[tuple, dict] = {}
    for item in items:
        if STATUS_MAP.get(str(item.get("status")).lower()) == "cancelled" and status != "cancelled":
            continue      # a cancelled item of a live order is not sold
        key = (str(item.get("sku") or ""), str(item.get("sku_id") or ""), dec(item.get("item_price")))
        line = lines.setdefault(key, {"item": item, "qty": 0, "discount": Decimal(0)})
        line["qty"] += 1            # Lazada: one order item per unit
        line["discount"] += dec(item.get("voucher_seller"))
    order_lines = tuple(OrderLineData(sku=k[0], item_id=str(v["item"].get("product_id") or ""), model_id=k[1],
                                      name=str(v["item"].get("name") or "")[:255], qty=Decimal(v["qty"]),
                                      unit_price=k[2], discount=v["discount"]) for k, v in lines.items())
    voucher = dec(head.get("voucher_seller")) - sum((line.discount for line in order_lines), Decimal(0))
    address = head.get("address_shipping") or {}
    method = str(head.get("payment_method") or "")
    cod = method.upper() == "COD"
    paid = status not in ("unpaid", "cancelled") and (not cod or status == "completed")
    currency = next((str(i["currency"]) for i in items if i.get("currency")), "")
    name = " ".join(x for x in (address.get("first_name"), address.get("last_name")) if x and x != "last_name")
    return OrderData(
        external_id=str(head["order_id"]), status=status, platform_status=",".join(sorted(set(statuses))),
        created_at=when(head.get("created_at")), updated_at=when(head.get("updated_at") or head.get("created_at")),
        currency=currency, lines=order_lines,
        buyer={"name": " ".join(x for x in (head.get("customer_first_name"), head.get("customer_last_name"))
                                if x), "id": str(next((i.get("buyer_id") for i in items if i.get("buyer_id")), ""))},
        address={"name": name, "phone": str(address.get("phone") or ""),
                 "street": ", ".join(str(address[k]) for k in ("address1", "address2") if address.get(k)),
                 "ward": str(address.get("address5") or ""),
                 "district": str(address.get("addressDsitrict") or address.get("address4") or ""),
                 "city": str(address.get("city") or ""), "region": str(address.get("address3") or ""),
                 "postcode": str(address.get("post_code") or ""), "country": str(address.get("country") or "")},
        shipping_fee=dec(head.get("shipping_fee")), voucher=max(voucher, Decimal(0)), cod=cod, paid=paid,
        payment_method=method, note=str(head.get("buyer_note") or head.get("remarks") or "")[:500],
        tracking_number=next((str(i["tracking_code"]) for i in items if i.get("tracking_code")), ""))


def return_from(raw: dict) -> ReturnData:
    """A reverse order: one reverse order line per unit (one per trade order line, as order items)."""
    counts: dict[tuple, int] = {}
    lines = raw.get("reverse_order_lines") or raw.get("reverseOrderLineDTOList") or ()
    if str(raw.get("request_type") or "").upper() == RETURN_TYPE:
        for line in lines:
            if str(line.get("reverse_status") or "").upper() in RETURN_RECEIVED:
                product = line.get("product") or line.get("productDTO") or {}
                key = (str(line.get("seller_sku_id") or product.get("product_sku") or ""),
                       str(product.get("product_id") or ""), str(line.get("platform_sku_id") or ""))
                counts[key] = counts.get(key, 0) + 1
    moments = [int(dec(line.get("return_order_line_gmt_modified"))) for line in lines]
    return ReturnData(return_id=str(raw["reverse_order_id"]), order_id=str(raw.get("trade_order_id") or ""),
                      platform_status=",".join(sorted({str(line.get("reverse_status") or "") for line in lines})),
                      updated_at=when(max(moments, default=0) or None),
                      lines=tuple(ReturnLineData(sku=k[0], item_id=k[1], model_id=k[2], qty=Decimal(n))
                                  for k, n in counts.items()))
