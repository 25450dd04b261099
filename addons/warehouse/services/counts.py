"""Stock counts: a count session per warehouse.

draft -> counting (expected quantities snapshotted) -> applied, or cancelled
from draft or counting. Counted quantities are entered or imported (CSV
``sku,counted``; all or nothing, errors by line). Applying turns the
difference between the counted quantity and the on-hand quantity *at apply
time* into adjustment moves, so goods moved during the count are not lost;
lines left uncounted are not touched. One open count per warehouse.
"""
from __future__ import annotations

import csv
import io
from decimal import Decimal

from sqlalchemy import select

from addons.catalog.models import Variant
from core.db import get_or_not_found, utcnow
from core.errors import UserError
from core.i18n import _, _l
from core.sequences import next_number

from . import stock
from ..models import StockBalance, StockCount, StockCountLine

STATE_LABELS = {"draft": _l("Draft"), "counting": _l("Counting"), "applied": _l("Applied"), "cancelled": _l("Cancelled")}
# What _require's callers say cannot be done, translated with the sentence it goes in.
_DONE = {"started": _l("started"), "counted": _l("counted"), "applied": _l("applied"), "cancelled": _l("cancelled")}


class CountImportError(UserError):
    """Bad rows in a count import; ``errors`` = [(line, reason)]; nothing was recorded."""

    def __init__(self, errors):
        self.errors = errors
        shown = "; ".join(_("line %(n)s: %(reason)s", n=line, reason=reason) for line, reason in errors[:20])
        super().__init__(_("count import failed, nothing recorded (%(count)s bad row(s)): %(rows)s",
                           count=len(errors), rows=shown))


def get_count(session, count_id: int) -> StockCount:
    return get_or_not_found(session, StockCount, count_id, "stock count")


def _require(count: StockCount, states: tuple, action: str) -> None:
    if count.state not in states:
        allowed = _(" or ").join(str(STATE_LABELS[s]) for s in states)
        raise UserError(_("stock count %(number)s is %(state)s; it can only be %(action)s when %(allowed)s",
                          number=count.number, state=STATE_LABELS[count.state], action=_DONE[action],
                          allowed=allowed))


def create_count(session, warehouse_id: int, note: str | None = None) -> StockCount:
    warehouse = stock.get_warehouse(session, warehouse_id)
    open_one = session.scalar(select(StockCount.number).where(StockCount.warehouse_id == warehouse.id,
                                                              StockCount.state.in_(("draft", "counting"))))
    if open_one:
        raise UserError(_("warehouse %(code)s already has an open count (%(number)s); apply or cancel it first",
                          code=warehouse.code, number=open_one))
    year = utcnow().year
    count = StockCount(number=f"SC-{year}-{next_number(session, 'SC', year):05d}", warehouse_id=warehouse.id,
                       note=(note or "").strip() or None, state="draft")
    session.add(count)
    session.flush()
    return count


def _on_hand(session, warehouse_id: int, variant_ids=None) -> dict[int, Decimal]:
    query = select(StockBalance.variant_id, StockBalance.on_hand).where(StockBalance.warehouse_id == warehouse_id)
    if variant_ids is not None:
        query = query.where(StockBalance.variant_id.in_(list(variant_ids)))
    return {v: Decimal(q) for v, q in session.execute(query).all()}


def start_count(session, count_id: int, variant_ids=None) -> StockCount:
    """draft -> counting: list what to count (given variants, or all stocked in the warehouse)
    with the on-hand quantity now as 'expected'."""
    count = get_count(session, count_id)
    _require(count, ("draft",), "started")
    if variant_ids is not None:
        variant_ids = sorted(set(variant_ids))
        stock._check_variants(session, variant_ids)
        levels = _on_hand(session, count.warehouse_id, variant_ids)
    else:
        levels = _on_hand(session, count.warehouse_id)
        variant_ids = sorted(levels)
    for variant_id in variant_ids:
        count.lines.append(StockCountLine(variant_id=variant_id, expected_qty=levels.get(variant_id, Decimal(0))))
    count.state, count.started_at = "counting", utcnow()
    session.flush()
    return count


def record_counts(session, count_id: int, counted) -> StockCount:
    """Enter counted quantities [(variant_id, qty)] (0 allowed); a variant not listed yet is added."""
    count = get_count(session, count_id)
    _require(count, ("counting",), "counted")
    if not counted:
        raise UserError(_("no counted quantities given"))
    values = {}
    for i, item in enumerate(counted, start=1):
        try:
            variant_id, qty = item
        except (TypeError, ValueError):
            raise UserError(_("line %(n)s: expected (variant_id, counted quantity)", n=i)) from None
        values[variant_id] = stock.quantity(qty, f"line {i} counted", allow_zero=True)
    stock._check_variants(session, list(values))
    lines = {line.variant_id: line for line in count.lines}
    missing = [v for v in values if v not in lines]
    levels = _on_hand(session, count.warehouse_id, missing) if missing else {}
    for variant_id, qty in values.items():
        line = lines.get(variant_id)
        if line is None:
            line = StockCountLine(variant_id=variant_id, expected_qty=levels.get(variant_id, Decimal(0)))
            count.lines.append(line)
        line.counted_qty = qty
    session.flush()
    return count


def import_counts(session, count_id: int, text: str) -> int:
    """Record counts from CSV with columns ``sku,counted``; any bad row -> nothing recorded."""
    count = get_count(session, count_id)
    _require(count, ("counting",), "counted")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames or set(reader.fieldnames) != {"sku", "counted"}:
        raise CountImportError([(1, _("columns must be exactly sku,counted (got %(columns)s)",
                                      columns=",".join(reader.fieldnames or [])))])
    rows, errors, seen = [], [], {}
    for row in reader:
        line = reader.line_num
        sku = (row.get("sku") or "").strip()
        if not sku and not (row.get("counted") or "").strip():
            continue
        variant_id = session.scalar(select(Variant.id).where(Variant.sku == sku)) if sku else None
        if variant_id is None:
            errors.append((line, _("sku %(sku)r does not exist", sku=sku) if sku else _("sku: required")))
            continue
        if sku in seen:
            errors.append((line, _("sku %(sku)s already counted on line %(line)s", sku=sku, line=seen[sku])))
            continue
        seen[sku] = line
        try:
            rows.append((variant_id, stock.quantity((row.get("counted") or "").strip(), "counted", allow_zero=True)))
        except UserError as exc:
            errors.append((line, str(exc)))
    if errors or not rows:
        raise CountImportError(errors or [(1, _("no rows to import"))])
    record_counts(session, count.id, rows)
    return len(rows)


def variance_report(session, count_id: int) -> list[dict]:
    """Per line: expected (at start), counted, on hand now, and the variance apply would post
    (counted - on hand now) with its value at the variant's cost."""
    count = get_count(session, count_id)
    levels = _on_hand(session, count.warehouse_id, [line.variant_id for line in count.lines])
    out = []
    for line in count.lines:
        now = levels.get(line.variant_id, Decimal(0))
        counted = None if line.counted_qty is None else Decimal(line.counted_qty)
        variance = Decimal(line.applied_delta) if line.applied_delta is not None else \
            (counted - now if counted is not None else None)
        cost = Decimal(line.variant.effective_cost)
        out.append({"variant_id": line.variant_id, "sku": line.variant.sku, "expected": Decimal(line.expected_qty),
                    "counted": counted, "on_hand": now, "variance": variance,
                    "value": (variance * cost).quantize(Decimal("0.01")) if variance is not None else None})
    return out


def apply_count(session, count_id: int) -> StockCount:
    """counting -> applied: post the variances as adjustment moves (reference = the count number)."""
    count = get_count(session, count_id)
    _require(count, ("counting",), "applied")
    counted = [line for line in count.lines if line.counted_qty is not None]
    if not counted:
        raise UserError(_("stock count %(number)s has no counted quantities yet; enter or import them first",
                          number=count.number))
    levels = _on_hand(session, count.warehouse_id, [line.variant_id for line in counted])
    deltas = []
    for line in counted:
        delta = Decimal(line.counted_qty) - levels.get(line.variant_id, Decimal(0))
        line.applied_delta = delta
        if delta:
            deltas.append((line.variant_id, delta))
    if deltas:
        stock.adjust(session, count.warehouse_id, deltas, count.number, reason="stock count")
    count.state, count.applied_at = "applied", utcnow()
    session.flush()
    return count


def cancel_count(session, count_id: int) -> StockCount:
    count = get_count(session, count_id)
    _require(count, ("draft", "counting"), "cancelled")
    count.state = "cancelled"
    session.flush()
    return count
