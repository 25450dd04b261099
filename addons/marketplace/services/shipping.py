"""Shipping from Tessera: an order delivered here tells its platform (tracking number, or its logistics)."""
from __future__ import annotations

from sqlalchemy import select

from core.jobs import enqueue

from ..models import OrderLink
from .shops import call


def on_delivered(session, order_id: int) -> bool:
    """Sync handler of sales.order_delivered: queue the platform call for a marketplace order."""
    link = session.scalar(select(OrderLink).where(OrderLink.order_id == order_id))
    if link is None or link.shipped_pushed or link.status in ("shipped", "completed", "cancelled", "returned"):
        return False
    link.shipped_pushed = True
    enqueue(session, "marketplace.ship_at_platform", link_id=link.id)
    return True


def tracking_of(session, link: OrderLink) -> tuple[str, str]:
    """(tracking number, carrier): the link's, else the order's latest courier shipment (if courier runs)."""
    if link.tracking_number:
        return link.tracking_number, ""
    try:
        from addons.courier.models import Shipment
    except ImportError:     # pragma: no cover - courier is optional
        return "", ""
    row = session.execute(select(Shipment.tracking_number, Shipment.carrier).where(
        Shipment.order_id == link.order_id, Shipment.tracking_number.is_not(None))
        .order_by(Shipment.id.desc()).limit(1)).first()
    return (row[0] or "", row[1] or "") if row else ("", "")


def ship(runtime, business_id: int, link_id: int) -> dict:
    with runtime.session(business_id) as session:
        link = session.get(OrderLink, link_id)
        shop_id, external_id = link.shop_id, link.external_id
        tracking, carrier = tracking_of(session, link)
    call(runtime, business_id, shop_id, lambda p, t: p.ship(t, external_id, tracking, carrier))
    with runtime.transaction(business_id) as session:
        link = session.get(OrderLink, link_id)
        link.tracking_number = link.tracking_number or tracking or None
    return {"order": external_id, "tracking_number": tracking}
