"""The stock ledger: every change of a balance is one guarded UPDATE plus the move
that explains it, in the caller's transaction.

Why guarded updates: ``reserved = reserved + q WHERE on_hand - reserved >= q`` is
checked and applied by the database in one statement under the row lock, so two
sessions can never both take the last unit (under READ COMMITTED, PostgreSQL
re-evaluates the WHERE after waiting for the other writer). Lines are applied in
variant-id order so concurrent multi-line reservations lock rows in the same
order and cannot deadlock. The CHECK constraint on the balance is the backstop.
Multi-line operations run inside a SAVEPOINT: when any line falls short, none of
them stay applied, and the error names every short SKU.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import case, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from addons.catalog.models import Variant
from core.audit import current_user_id
from core.db import get_or_not_found
from core.errors import NotFound, UserError
from core.money import QUANTITY_SCALE, parse_decimal, sum_of

from ..models import StockBalance, StockMove, Warehouse

QTY_PLACES = Decimal(1).scaleb(-QUANTITY_SCALE)  # what the quantity columns hold


# ---------------------------------------------------------------- validation helpers

def quantity(value, field: str = "quantity", *, allow_zero: bool = False) -> Decimal:
    """A finite Decimal quantity, > 0 (or >= 0), at most 4 decimals; floats are refused."""
    qty = parse_decimal(value, field=field, places=QUANTITY_SCALE, max_digits=12)
    if qty < 0 or (qty == 0 and not allow_zero):
        raise UserError(f"{field}: {fmt(qty)} must be {'zero or more' if allow_zero else 'more than zero'}")
    return qty


def fmt(qty) -> str:
    """3.0000 -> '3', 2.5000 -> '2.5' (messages and CLI output)."""
    if qty is None:
        return ""
    text = format(Decimal(qty).quantize(QTY_PLACES).normalize(), "f")
    return "0" if text in ("-0", "") else text


def normalise_lines(lines) -> list[tuple[int, Decimal]]:
    """Validate [(variant_id, qty)], merge repeats, and sort by variant id (the lock order)."""
    if not lines:
        raise UserError("no lines given")
    totals: dict[int, Decimal] = {}
    for i, item in enumerate(lines, start=1):
        try:
            variant_id, qty = item
        except (TypeError, ValueError):
            raise UserError(f"line {i}: expected (variant_id, quantity)") from None
        if isinstance(variant_id, bool) or not isinstance(variant_id, int):
            raise UserError(f"line {i}: variant id {variant_id!r} must be a whole number")
        totals[variant_id] = totals.get(variant_id, Decimal(0)) + quantity(qty, f"line {i} quantity")
    return sorted(totals.items())


def get_warehouse(session, warehouse_id: int) -> Warehouse:
    return get_or_not_found(session, Warehouse, warehouse_id, "warehouse")


def skus(session, variant_ids) -> dict[int, str]:
    """SKUs of the session's business's variants; an id of another business is simply absent."""
    return dict(session.execute(select(Variant.id, Variant.sku).where(Variant.id.in_(list(variant_ids)))).all())


def _check_variants(session, variant_ids) -> dict[int, str]:
    known = skus(session, variant_ids)
    missing = [str(v) for v in variant_ids if v not in known]
    if missing:
        raise NotFound(f"variant(s) {', '.join('#' + m for m in missing)} not found")
    return known


def user_id(session) -> int | None:
    """Who is acting: the session's ``user_id`` if set, else core.audit's context variable."""
    return session.info.get("user_id") or current_user_id.get()


def allow_negative(session) -> bool:
    """The business setting ``warehouse.allow_negative_stock`` (read once per session)."""
    if "warehouse_allow_negative" not in session.info:
        from core.runtime import current
        from core.settings import get_setting
        runtime = current()
        session.info["warehouse_allow_negative"] = bool(get_setting(
            session, runtime.registry, "warehouse", "allow_negative_stock", runtime.config["SECRET_KEY"]))
    return session.info["warehouse_allow_negative"]


def warehouse_by_code(session, code: str) -> Warehouse:
    found = session.scalar(select(Warehouse).where(Warehouse.code == (code or "").strip().upper()))
    if found is None:
        codes = ", ".join(session.scalars(select(Warehouse.code).order_by(Warehouse.code))) or "none"
        raise UserError(f"no warehouse {code!r} (known: {codes})")
    return found


def default_warehouse(session) -> Warehouse:
    """The active 'main' warehouse (the oldest if several), else the oldest active one."""
    found = session.scalar(select(Warehouse).where(Warehouse.active.is_(True)).order_by(
        case((Warehouse.kind == "main", 0), else_=1), Warehouse.id).limit(1))
    if found is None:
        raise UserError("this business has no active warehouse; create one first (Warehouse > Warehouses)")
    return found


# ---------------------------------------------------------------- balances and moves

def ensure_balances(session, warehouse_id: int, variant_ids) -> None:
    """Create missing balance rows (zero) without racing: INSERT ... ON CONFLICT DO NOTHING."""
    business_id = session.info["business_id"]
    rows = [dict(business_id=business_id, warehouse_id=warehouse_id, variant_id=v, on_hand=Decimal(0),
                 reserved=Decimal(0), allow_negative=allow_negative(session)) for v in variant_ids]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    maker = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = maker(StockBalance.__table__).values(rows).on_conflict_do_nothing(
        index_elements=["business_id", "warehouse_id", "variant_id"])
    session.execute(stmt)


def record_move(session, kind: str, warehouse_id: int, variant_id: int, *, on_hand: Decimal = Decimal(0),
                reserved: Decimal = Decimal(0), reference: str | None = None, reason: str | None = None,
                unit_cost: Decimal | None = None) -> StockMove:
    move = StockMove(kind=kind, warehouse_id=warehouse_id, variant_id=variant_id, on_hand_delta=on_hand,
                     reserved_delta=reserved, reference=(reference or None) and str(reference)[:128],
                     reason=(reason or None) and str(reason)[:255], unit_cost=unit_cost, user_id=user_id(session))
    session.add(move)
    return move


def _levels(session, warehouse_id, variant_ids) -> dict[int, tuple[Decimal, Decimal]]:
    rows = session.execute(select(StockBalance.variant_id, StockBalance.on_hand, StockBalance.reserved).where(
        StockBalance.warehouse_id == warehouse_id, StockBalance.variant_id.in_(list(variant_ids)))).all()
    return {v: (on_hand, reserved) for v, on_hand, reserved in rows}


# guard: which quantity must cover q -> (SQL condition, word used in the error)
def _guard(kind: str, q: Decimal):
    if kind == "available":
        return ((StockBalance.on_hand - StockBalance.reserved >= q) | StockBalance.allow_negative.is_(True)), \
            "available"
    if kind == "reserved":
        return (StockBalance.reserved >= q), "reserved"
    return None, None


def change(session, warehouse_id: int, lines, *, kind: str, on_hand_sign: int, reserved_sign: int,
           guard: str | None, reference: str | None, reason: str | None = None, failure: str,
           unit_costs: dict | None = None) -> Warehouse:
    """Apply one signed change to every line, all or nothing, and write the moves.

    ``failure`` starts the error, e.g. "not enough stock in {code}"; each short
    line is named with its SKU, the quantity wanted and what was there.
    """
    lines = normalise_lines(lines)
    warehouse = get_warehouse(session, warehouse_id)
    known = _check_variants(session, [v for v, _ in lines])
    if on_hand_sign > 0 or guard is None or (guard == "available" and allow_negative(session)):
        ensure_balances(session, warehouse.id, [v for v, _ in lines])
    short = []
    savepoint = session.begin_nested()
    try:
        for variant_id, q in lines:
            condition, _ = _guard(guard, q)
            stmt = update(StockBalance).where(StockBalance.warehouse_id == warehouse.id,
                                              StockBalance.variant_id == variant_id)
            if condition is not None:
                stmt = stmt.where(condition)
            values = {}
            if on_hand_sign:
                values["on_hand"] = StockBalance.on_hand + on_hand_sign * q
            if reserved_sign:
                values["reserved"] = StockBalance.reserved + reserved_sign * q
            result = session.execute(stmt.values(**values), execution_options={"synchronize_session": False})
            if result.rowcount != 1:
                short.append((variant_id, q))
        if short:
            savepoint.rollback()
        else:
            savepoint.commit()
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    if short:
        levels = _levels(session, warehouse.id, [v for v, _ in short])
        word = _guard(guard, Decimal(1))[1]
        parts = []
        for variant_id, q in short:
            on_hand, reserved = levels.get(variant_id, (Decimal(0), Decimal(0)))
            have = max(on_hand - reserved, Decimal(0)) if word == "available" else reserved
            parts.append(f"{known[variant_id]} wanted {fmt(q)}, {word} {fmt(have)}")
        raise UserError(f"{failure.format(code=warehouse.code)}: {'; '.join(parts)}")
    for variant_id, q in lines:
        record_move(session, kind, warehouse.id, variant_id, on_hand=on_hand_sign * q, reserved=reserved_sign * q,
                    reference=reference, reason=reason,
                    unit_cost=(unit_costs or {}).get(variant_id))
    session.flush()
    return warehouse


# ---------------------------------------------------------------- the operations

def reserve(session, warehouse_id: int, lines, reference: str) -> None:
    """Reserve every line, all or nothing; a shortfall names each SKU with wanted and available."""
    change(session, warehouse_id, lines, kind="reserve", on_hand_sign=0, reserved_sign=1, guard="available",
           reference=reference, failure="not enough stock in {code}")


def release(session, warehouse_id: int, lines, reference: str) -> None:
    """Undo a reservation (an order cancelled)."""
    change(session, warehouse_id, lines, kind="release", on_hand_sign=0, reserved_sign=-1, guard="reserved",
           reference=reference, failure="cannot release more than is reserved in {code}")


def deliver(session, warehouse_id: int, lines, reference: str) -> None:
    """Reserved goods leave: reserved and on hand both decrease ('delivery' moves)."""
    change(session, warehouse_id, lines, kind="delivery", on_hand_sign=-1, reserved_sign=-1, guard="reserved",
           reference=reference, failure="cannot deliver more than is reserved in {code}")


def restock(session, warehouse_id: int, lines, reference: str, damaged: bool = False) -> None:
    """Returned goods come back on hand ('return'); damaged ones are returned and scrapped at once,
    so the ledger shows both what came back and why it cannot be sold."""
    change(session, warehouse_id, lines, kind="return", on_hand_sign=1, reserved_sign=0, guard=None,
           reference=reference, reason="returned damaged" if damaged else "returned", failure="cannot restock {code}")
    if damaged:
        scrap(session, warehouse_id, lines, reference, reason="damaged on return")


def scrap(session, warehouse_id: int, lines, reference: str | None, reason: str) -> None:
    """Write off unsellable goods; only unreserved stock can be scrapped (unless negative stock is allowed)."""
    if not (reason or "").strip():
        raise UserError("scrap: a reason is required")
    change(session, warehouse_id, lines, kind="scrap", on_hand_sign=-1, reserved_sign=0, guard="available",
           reference=reference, reason=reason, failure="not enough unreserved stock to scrap in {code}")


def receive(session, warehouse_id: int, lines, reference: str, *, unit_costs: dict | None = None,
            reason: str | None = None) -> None:
    """Goods in ('receipt' moves); purchasing calls this for goods receipts."""
    change(session, warehouse_id, lines, kind="receipt", on_hand_sign=1, reserved_sign=0, guard=None,
           reference=reference, reason=reason, unit_costs=unit_costs, failure="cannot receive into {code}")


def adjust(session, warehouse_id: int, deltas, reference: str | None, reason: str) -> None:
    """Signed corrections [(variant_id, +/-qty)] as 'adjustment' moves (counts, write-ups)."""
    if not (reason or "").strip():
        raise UserError("adjustment: a reason is required")
    ups = [(v, d) for v, d in deltas if Decimal(d) > 0]
    downs = [(v, -Decimal(d)) for v, d in deltas if Decimal(d) < 0]
    if downs:
        change(session, warehouse_id, downs, kind="adjustment", on_hand_sign=-1, reserved_sign=0,
               guard="available", reference=reference, reason=reason,
               failure="cannot reduce stock below what is reserved in {code}")
    if ups:
        change(session, warehouse_id, ups, kind="adjustment", on_hand_sign=1, reserved_sign=0, guard=None,
               reference=reference, reason=reason, failure="cannot adjust {code}")


def transfer(session, from_warehouse_id: int, to_warehouse_id: int, lines, reference: str | None = None,
             reason: str | None = None) -> str:
    """Move unreserved stock between warehouses: a 'transfer' move out of one and into the other."""
    if from_warehouse_id == to_warehouse_id:
        raise UserError("transfer: source and destination are the same warehouse")
    source = get_warehouse(session, from_warehouse_id)
    target = get_warehouse(session, to_warehouse_id)
    reference = reference or f"TR {source.code}>{target.code}"
    change(session, source.id, lines, kind="transfer", on_hand_sign=-1, reserved_sign=0, guard="available",
           reference=reference, reason=reason or f"to {target.code}",
           failure="not enough unreserved stock to transfer from {code}")
    change(session, target.id, lines, kind="transfer", on_hand_sign=1, reserved_sign=0, guard=None,
           reference=reference, reason=reason or f"from {source.code}", failure="cannot transfer into {code}")
    return reference


# ---------------------------------------------------------------- reading and checking

def stock_levels(session, warehouse_id: int | None = None, variant_ids=None, *, text: str | None = None,
                 limit: int = 500) -> list[dict]:
    """Balances with SKU and available, for screens and the CLI."""
    query = (select(StockBalance, Variant.sku, Warehouse.code)
             .join(Variant, Variant.id == StockBalance.variant_id)
             .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
             .order_by(Warehouse.code, Variant.sku).limit(limit))
    if warehouse_id is not None:
        query = query.where(StockBalance.warehouse_id == warehouse_id)
    if variant_ids is not None:
        query = query.where(StockBalance.variant_id.in_(list(variant_ids)))
    if text:
        query = query.where(Variant.sku.ilike(f"%{text.strip()}%"))
    out = []
    for balance, sku, code in session.execute(query).all():
        out.append({"warehouse": code, "warehouse_id": balance.warehouse_id, "variant_id": balance.variant_id,
                    "sku": sku, "on_hand": balance.on_hand, "reserved": balance.reserved,
                    "available": balance.available})
    return out


def ledger_totals(session) -> dict[tuple[int, int], tuple[Decimal, Decimal]]:
    rows = session.execute(select(StockMove.warehouse_id, StockMove.variant_id, sum_of(StockMove.on_hand_delta),
                                  sum_of(StockMove.reserved_delta))
                           .group_by(StockMove.warehouse_id, StockMove.variant_id)).all()
    return {(w, v): (on_hand, reserved) for w, v, on_hand, reserved in rows}


def check_balances(session, repair: bool = False) -> list[dict]:
    """Rebuild every balance from the ledger and list where the cache disagrees.

    With ``repair`` the balances are set to the ledger's figures (the ledger is
    the truth); the mismatches found are still returned so they can be reported.
    """
    ledger = ledger_totals(session)
    balances = {(b.warehouse_id, b.variant_id): b for b in session.scalars(select(StockBalance))}
    names = skus(session, {v for _, v in set(ledger) | set(balances)})
    codes = dict(session.execute(select(Warehouse.id, Warehouse.code)).all())
    problems = []
    for key in sorted(set(ledger) | set(balances)):
        want_on_hand, want_reserved = ledger.get(key, (Decimal(0), Decimal(0)))
        balance = balances.get(key)
        have = (balance.on_hand, balance.reserved) if balance is not None else (Decimal(0), Decimal(0))
        if have != (want_on_hand, want_reserved):
            problems.append({"warehouse": codes.get(key[0]), "warehouse_id": key[0], "variant_id": key[1],
                             "sku": names.get(key[1]), "ledger_on_hand": want_on_hand, "balance_on_hand": have[0],
                             "ledger_reserved": want_reserved, "balance_reserved": have[1]})
            if repair:
                if balance is None:
                    ensure_balances(session, key[0], [key[1]])
                session.execute(update(StockBalance).where(StockBalance.warehouse_id == key[0],
                                                           StockBalance.variant_id == key[1])
                                .values(on_hand=want_on_hand, reserved=want_reserved),
                                execution_options={"synchronize_session": False})
    session.flush()
    return problems
