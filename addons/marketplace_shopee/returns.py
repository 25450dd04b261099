"""Shopee returns (``v2.returns.get_return_list`` / ``get_return_detail``) as the marketplace contract's ReturnData.

Only a return whose goods come back counts: status ``ACCEPTED`` (the refund is
agreed, after the parcel came back or Shopee judged it so) with the solution
"return and refund" (``return_solution`` 0; ``needs_logistics`` when the field is
absent). ``REQUESTED``, ``PROCESSING``, ``JUDGING``, ``SELLER_DISPUTE`` (still
open), ``CANCELLED`` and ``CLOSED`` (ended without a refund) and a refund without
return (``return_solution`` 1) move no stock: they are reported with no lines.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from addons.marketplace.platforms import ReturnData, ReturnLineData

RETURN_LIST = "/api/v2/returns/get_return_list"
RETURN_DETAIL = "/api/v2/returns/get_return_detail"
RETURN_PAGE = 100                       # get_return_list page_size: required, at most 100
RETURN_WINDOW = timedelta(days=15)      # update_time_to - update_time_from at most 15 days
GOODS_BACK = "ACCEPTED"
STATUSES = ("REQUESTED", "ACCEPTED", "CANCELLED", "JUDGING", "CLOSED", "PROCESSING", "SELLER_DISPUTE")
RETURN_REFUND, REFUND_ONLY = 0, 1


def goods_back(raw: dict) -> bool:
    """Whether this return's goods are back with the seller (see the module's docstring)."""
    if str(raw.get("status") or "") != GOODS_BACK:
        return False
    solution = raw.get("return_solution")
    if solution is not None and str(solution) != "":
        return str(solution) == str(RETURN_REFUND)
    return bool(raw.get("needs_logistics"))


def _moment(seconds) -> datetime:
    return datetime.fromtimestamp(int(seconds or 0), tz=timezone.utc)


def _qty(value) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except ArithmeticError:
        return Decimal(0)


def return_from(raw: dict, order_items=None) -> ReturnData:
    """A return of get_return_detail. ``order_items`` (the order's ``item_list``) stands in only when an
    accepted return with goods names no items: the whole order came back."""
    lines: dict[tuple, Decimal] = {}
    if goods_back(raw):
        items = raw.get("item") or ()
        for item in items:
            model = int(item.get("model_id") or 0)
            key = (str(item.get("variation_sku") or item.get("item_sku") or ""), str(item.get("item_id") or ""),
                   str(model) if model else "")
            lines[key] = lines.get(key, Decimal(0)) + _qty(item.get("amount"))
        if not items:
            for item in order_items or ():
                model = int(item.get("model_id") or 0)
                key = (str(item.get("model_sku") or item.get("item_sku") or ""), str(item.get("item_id") or ""),
                       str(model) if model else "")
                lines[key] = lines.get(key, Decimal(0)) + _qty(item.get("model_quantity_purchased"))
    return ReturnData(return_id=str(raw["return_sn"]), order_id=str(raw.get("order_sn") or ""),
                      platform_status=str(raw.get("status") or ""),
                      updated_at=_moment(raw.get("update_time") or raw.get("create_time")),
                      lines=tuple(ReturnLineData(sku=k[0], item_id=k[1], model_id=k[2], qty=q)
                                  for k, q in lines.items() if q > 0))


def list_returns(call, since: datetime, until: datetime, status: str = "") -> list[dict]:
    """Every return of the list updated in [since, until] (of ``status`` if given): windows of at most
    15 days, pages by page_no."""
    found: dict[str, dict] = {}
    start = since
    while start < until:
        end = min(start + RETURN_WINDOW, until)
        page = 0
        while True:
            answer = call("GET", RETURN_LIST, query={"page_no": page, "page_size": RETURN_PAGE,
                                                     "update_time_from": int(start.timestamp()),
                                                     "update_time_to": int(end.timestamp()),
                                                     **({"status": status} if status else {})})
            response = answer.get("response") or {}
            rows = response.get("return") or []
            for raw in rows:
                found[str(raw["return_sn"])] = raw
            if not response.get("more") or not rows:
                break
            page += 1
        start = end
    return list(found.values())
