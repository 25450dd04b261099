"""Warehouse jobs (core wraps each public function as the actor ``warehouse.<name>``)."""
from __future__ import annotations

import logging

from . import services as wh

log = logging.getLogger(__name__)


def daily_reorder(ctx, draft: bool | None = None) -> dict:
    """The daily schedule: list what is below its reorder point; draft purchase orders to the
    preferred suppliers when ``draft`` (default: the business setting ``reorder_auto_draft``)."""
    from core.settings import get_setting
    with ctx.transaction() as session:
        if draft is None:
            draft = bool(get_setting(session, ctx.runtime.registry, "warehouse", "reorder_auto_draft",
                                     ctx.runtime.config["SECRET_KEY"]))
        below = wh.below_reorder_points(session)
        drafted, skipped = ([], [])
        if draft and below:
            orders, skipped = wh.draft_reorder_purchases(session)
            drafted = [o.number for o in orders]
    for item in below:
        log.info("reorder: %s in %s forecast %s below %s (suggest %s from %s)", item["sku"], item["warehouse"],
                 item["forecast"], item["min_qty"], item["suggested"], item["supplier"] or "no preferred supplier")
    return {"below": [{"sku": i["sku"], "warehouse": i["warehouse"], "suggested": str(i["suggested"])}
                      for i in below], "drafted": drafted, "without_supplier": [i["sku"] for i in skipped]}
