"""Courier services: the one package callers import (admin, CLI, jobs, demo).

One module per flow, importing one way: ``addresses`` <- ``shipments`` <-
``tracking`` <- ``sending``, ``cod``; ``labels`` and ``areas`` beside them.
Functions take a session bound to a business (or, where they call a carrier,
the runtime and the business id, so that no transaction stays open during an
outside call), raise a UserError naming the field, and never commit.
"""
from __future__ import annotations

from datetime import date

from core.sequences import ensure_counters

from .shipments import SERIES


def on_enable(session, business_id: int) -> None:
    """This year's and next year's shipment counters (idempotent)."""
    year = date.today().year
    ensure_counters(session, [SERIES], [year, year + 1])
