"""Sync handlers of the sales events: they run inside the sales transaction.

A refusal here (a stock shortfall) is a UserError that fails the publisher's
transaction as a whole: the order stays New and nothing is reserved.
"""
from __future__ import annotations

from core.settings import get_settings

from . import services


def _setting(session, key):
    from core.runtime import current
    runtime = current()
    return runtime, get_settings(session, runtime.registry, "sales_stock", runtime.config["SECRET_KEY"])[key]


def on_confirmed(session, business_id, order_id, **_):
    from addons.sales.services import get_order

    def shortfall(warehouse_id, lines):
        runtime, draft_po = _setting(session, "draft_po_on_shortfall")
        if draft_po:
            services.draft_after_rollback(session, runtime, business_id, warehouse_id, lines)
    services.reserve_order(session, get_order(session, order_id), on_shortfall=shortfall)


def on_cancelled(session, business_id, order_id, **_):
    from addons.sales.services import get_order
    services.release_order(session, get_order(session, order_id))


def on_delivered(session, business_id, order_id, lines, **_):
    from addons.sales.services import get_order
    services.deliver_lines(session, get_order(session, order_id), lines, final=False)


def on_completed(session, business_id, order_id, lines, **_):
    from addons.sales.services import get_order
    services.deliver_lines(session, get_order(session, order_id), lines, final=True)


def on_return_received(session, business_id, return_id, **_):
    from addons.sales.services import get_return
    services.restock_return(session, get_return(session, return_id))
