"""TikTok Shop orders normalised: the status table and an order from Get Order List / Get Order Detail."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from addons.marketplace.platforms import OrderData, OrderLineData, PlatformError, ReturnData, ReturnLineData
from core.i18n import _

# TikTok Shop order status -> ours (see README for the reasons).
STATUS_MAP = {"UNPAID": "unpaid", "ON_HOLD": "unpaid", "AWAITING_SHIPMENT": "ready_to_ship",
              "PARTIALLY_SHIPPING": "ready_to_ship", "AWAITING_COLLECTION": "ready_to_ship",
              "IN_TRANSIT": "shipped", "DELIVERED": "completed", "COMPLETED": "completed", "CANCELLED": "cancelled"}

# Return and Refund API (202309, "Search Returns"): only a return whose goods come back counts, once its
# refund is accepted (SUCCESS) or it is complete; a refund without return (REFUND) or a replacement
# moves no stock.
RETURN_TYPES = ("RETURN_AND_REFUND",)
RETURN_DONE = ("RETURN_OR_REFUND_REQUEST_SUCCESS", "RETURN_OR_REFUND_REQUEST_COMPLETE")


def dec(value) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except ArithmeticError:
        return Decimal(0)


def moment(seconds) -> datetime:
    return datetime.fromtimestamp(int(seconds or 0), tz=timezone.utc)


def order_from(raw: dict) -> OrderData:
    status_raw = str(raw.get("status") or "")
    status = STATUS_MAP.get(status_raw)
    if status is None:
        raise PlatformError(_("TikTok Shop order %(order)s: unknown status %(status)s", order=raw.get("id"),
                              status=status_raw))
    payment = raw.get("payment") or {}
    lines: dict[tuple, dict] = {}
    for item in raw.get("line_items") or ():
        if str(item.get("display_status")) == "CANCELLED" and status != "cancelled":
            continue       # a cancelled line of a live order is not sold
        key = (str(item.get("seller_sku") or ""), str(item.get("product_id") or ""), str(item.get("sku_id") or ""),
               dec(item.get("original_price")))
        line = lines.setdefault(key, {"item": item, "qty": 0, "discount": Decimal(0)})
        line["qty"] += 1            # TikTok Shop: one line item per unit
        line["discount"] += dec(item.get("seller_discount"))
    order_lines = tuple(OrderLineData(sku=k[0], item_id=k[1], model_id=k[2], qty=Decimal(v["qty"]),
                                      name=" ".join(x for x in (v["item"].get("product_name"),
                                                                v["item"].get("sku_name")) if x)[:255],
                                      unit_price=k[3], discount=v["discount"]) for k, v in lines.items())
    voucher = dec(payment.get("seller_discount")) - sum((line.discount for line in order_lines), Decimal(0))
    address = raw.get("recipient_address") or {}
    levels = {d.get("address_level"): str(d.get("address_name") or "") for d in address.get("district_info") or ()}
    cod = bool(raw.get("is_cod"))
    return OrderData(
        external_id=str(raw["id"]), status=status, platform_status=status_raw,
        created_at=moment(raw.get("create_time")), updated_at=moment(raw.get("update_time") or raw.get("create_time")),
        currency=str(payment.get("currency") or ""), lines=order_lines,
        buyer={"id": str(raw.get("user_id") or ""), "email": str(raw.get("buyer_email") or ""),
               "name": str(address.get("name") or "")},
        address={"name": str(address.get("name") or ""), "phone": str(address.get("phone_number") or ""),
                 "street": str(address.get("address_detail") or address.get("address_line1") or
                               address.get("full_address") or ""),
                 "ward": levels.get("L4", ""), "district": levels.get("L3", ""), "city": levels.get("L2", ""),
                 "region": levels.get("L1", ""), "postcode": str(address.get("postal_code") or ""),
                 "country": str(address.get("region_code") or levels.get("L0", ""))},
        shipping_fee=dec(payment.get("shipping_fee")), voucher=max(voucher, Decimal(0)), cod=cod,
        paid=bool(raw.get("paid_time")), payment_method=str(raw.get("payment_method_name") or ""),
        note=str(raw.get("buyer_message") or "")[:500], tracking_number=str(raw.get("tracking_number") or ""))


def return_from(raw: dict) -> ReturnData:
    """A return of Search Returns: one return line item per unit (as the order's line items)."""
    counts: dict[tuple, int] = {}
    if raw.get("return_type") in RETURN_TYPES and raw.get("return_status") in RETURN_DONE:
        for item in raw.get("return_line_items") or ():
            key = (str(item.get("seller_sku") or ""), str(item.get("sku_id") or ""))
            counts[key] = counts.get(key, 0) + 1
    return ReturnData(return_id=str(raw["return_id"]), order_id=str(raw.get("order_id") or ""),
                      platform_status=f"{raw.get('return_type') or ''}:{raw.get('return_status') or ''}",
                      updated_at=moment(raw.get("update_time") or raw.get("create_time")),
                      lines=tuple(ReturnLineData(sku=k[0], item_id="", model_id=k[1], qty=Decimal(n))
                                  for k, n in counts.items()))
