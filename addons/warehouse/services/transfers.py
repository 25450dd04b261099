"""Stock transfers as documents: draft -> done, or cancelled while still a draft.

A transfer is written down first (from, to, lines, scheduled date, note) and
moves nothing; confirming it moves every line's unreserved stock through
``stock.transfer`` (a 'transfer' move out of one warehouse and one into the
other, reference = the transfer's number), all lines or none: a shortfall names
each short SKU and the transfer stays a draft. A done transfer is corrected by a
transfer back, never undone, because its moves are in the ledger. Every check
runs before anything is written, so a refused call changes nothing.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core.db import get_or_not_found, utcnow
from core.errors import UserError
from core.i18n import _, _l
from core.sequences import next_number
from core.text import clean_text

from . import stock
from ..models import StockMove, StockTransfer, StockTransferLine

STATE_LABELS = {"draft": _l("Draft"), "done": _l("Done"), "cancelled": _l("Cancelled")}
# What _require's callers say cannot be done, translated with the sentence it goes in.
_DONE = {"confirmed": _l("confirmed"), "cancelled": _l("cancelled")}
SERIES = "TR"


def get_transfer(session, transfer_id: int) -> StockTransfer:
    return get_or_not_found(session, StockTransfer, transfer_id, "stock transfer")


def transfer_by_number(session, number: str) -> StockTransfer:
    found = session.scalar(select(StockTransfer).where(StockTransfer.number == (number or "").strip()))
    if found is None:
        raise UserError(_("no stock transfer %(number)r", number=number))
    return found


def lines_from_text(session, text: str) -> list[tuple[int, str]]:
    """[(variant_id, qty)] from 'SKU quantity' lines as a clerk types them (blank lines skipped)."""
    from addons.catalog.services import variant_by_sku
    lines = []
    for n, raw in enumerate((text or "").splitlines(), start=1):
        if raw.strip():
            parts = raw.split()
            if len(parts) != 2:
                raise UserError(_("line %(n)s: write 'SKU quantity'", n=n))
            lines.append((variant_by_sku(session, parts[0]).id, parts[1]))
    if not lines:
        raise UserError(_("lines: write at least one 'SKU quantity' line"))
    return lines


def _require(transfer: StockTransfer, states: tuple, action: str) -> None:
    if transfer.state not in states:
        allowed = _(" or ").join(str(STATE_LABELS[s]) for s in states)
        raise UserError(_("stock transfer %(number)s is %(state)s; it can only be %(action)s when %(allowed)s",
                          number=transfer.number, state=STATE_LABELS[transfer.state], action=_DONE[action],
                          allowed=allowed))


def _active_warehouse(session, warehouse_id, field: str):
    if isinstance(warehouse_id, bool) or not isinstance(warehouse_id, int):
        raise UserError(_("%(field)s: choose a warehouse", field=field))
    warehouse = stock.get_warehouse(session, warehouse_id)
    if not warehouse.active:
        raise UserError(_("%(field)s: warehouse %(code)s is archived", field=field, code=warehouse.code))
    return warehouse


def create_transfer(session, from_warehouse_id: int, to_warehouse_id: int, lines, *,
                    scheduled_date: date | None = None, note: str | None = None) -> StockTransfer:
    """A draft transfer of ``lines`` = [(variant_id, qty)] (repeats merged); moves nothing yet."""
    source = _active_warehouse(session, from_warehouse_id, "from warehouse")
    target = _active_warehouse(session, to_warehouse_id, "to warehouse")
    if source.id == target.id:
        raise UserError(_("transfer: source and destination are the same warehouse (%(code)s)", code=source.code))
    wanted = stock.normalise_lines(lines)
    stock._check_variants(session, [v for v, _ in wanted])
    if scheduled_date is not None and not isinstance(scheduled_date, date):
        raise UserError(_("scheduled date: must be a date"))
    text = clean_text(note, "note", multiline=True, max_len=2000)
    year = utcnow().year
    transfer = StockTransfer(number=f"{SERIES}-{year}-{next_number(session, SERIES, year):05d}",
                             from_warehouse_id=source.id, to_warehouse_id=target.id, state="draft",
                             scheduled_date=scheduled_date, note=text)
    transfer.lines = [StockTransferLine(variant_id=v, quantity=q) for v, q in wanted]
    session.add(transfer)
    session.flush()
    return transfer


def confirm_transfer(session, transfer_id: int) -> StockTransfer:
    """draft -> done: move every line's unreserved stock, all or nothing (a SAVEPOINT)."""
    transfer = get_transfer(session, transfer_id)
    _require(transfer, ("draft",), "confirmed")
    _active_warehouse(session, transfer.from_warehouse_id, "from warehouse")
    _active_warehouse(session, transfer.to_warehouse_id, "to warehouse")
    lines = [(line.variant_id, line.quantity) for line in transfer.lines]
    savepoint = session.begin_nested()
    try:
        # the moves' reason stays "to SHOP2" / "from WH-MAIN"; the note is on the document
        stock.transfer(session, transfer.from_warehouse_id, transfer.to_warehouse_id, lines,
                       reference=transfer.number)
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    savepoint.commit()
    transfer.state, transfer.done_at = "done", utcnow()
    session.flush()
    return transfer


def cancel_transfer(session, transfer_id: int, reason: str | None) -> StockTransfer:
    """draft -> cancelled, with the reason kept on the document (nothing was moved)."""
    transfer = get_transfer(session, transfer_id)
    _require(transfer, ("draft",), "cancelled")
    text = clean_text(reason, "reason", max_len=255)
    if not text:
        raise UserError(_("reason: say why the transfer is cancelled"))
    transfer.state, transfer.cancelled_at, transfer.cancel_reason = "cancelled", utcnow(), text
    session.flush()
    return transfer


def transfer_moves(session, transfer: StockTransfer) -> list[StockMove]:
    """The ledger lines a done transfer wrote (out of the source, into the destination)."""
    return list(session.scalars(select(StockMove).where(StockMove.reference == transfer.number,
                                                        StockMove.kind == "transfer")
                                .order_by(StockMove.id)))
