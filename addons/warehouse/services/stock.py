"""The stock ledger: every change of a balance is one guarded UPDATE plus the moves
that explain it, in the caller's transaction.

Why guarded updates: ``reserved = reserved + q WHERE on_hand - reserved >= q`` is
checked and applied by the database under the row lock, so two sessions can never
both take the last unit (under READ COMMITTED, PostgreSQL re-evaluates the WHERE
after waiting for the other writer). A multi-line change is ONE multi-row UPDATE
(each row's own quantity through a CASE) returning the rows it changed; on
PostgreSQL the rows are first locked in variant-id order, so concurrent multi-line
reservations lock rows in the same order and cannot deadlock. When any line falls
short, the lines that did apply are reverted in the same transaction, so none stay
applied, and the error names every short SKU. The CHECK constraint on the balance
is the backstop.
"""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from sqlalchemy import bindparam, case, insert, literal, select, update

from addons.catalog.models import Variant
from core.audit import current_user_id
from core.db import get_or_not_found, tx_cache, upsert_insert
from core.errors import NotFound, UserError
from core.events import publish
from core.i18n import _, _l
from core.money import QUANTITY_SCALE, Quantity, parse_decimal, sum_of
from core.tenancy import vouch_for

from ..models import StockBalance, StockMove, Warehouse

QTY_PLACES = Decimal(1).scaleb(-QUANTITY_SCALE)  # what the quantity columns hold


# ---------------------------------------------------------------- validation helpers

def quantity(value, field: str = "quantity", *, allow_zero: bool = False) -> Decimal:
    """A finite Decimal quantity, > 0 (or >= 0), at most 4 decimals; floats are refused."""
    qty = parse_decimal(value, field=field, places=QUANTITY_SCALE, max_digits=12)
    if qty < 0 or (qty == 0 and not allow_zero):
        raise UserError(_("%(field)s: %(qty)s must be zero or more", field=field, qty=fmt(qty)) if allow_zero
                        else _("%(field)s: %(qty)s must be more than zero", field=field, qty=fmt(qty)))
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
        raise UserError(_("no lines given"))
    totals: dict[int, Decimal] = {}
    for i, item in enumerate(lines, start=1):
        try:
            variant_id, qty = item
        except (TypeError, ValueError):
            raise UserError(_("line %(n)s: expected (variant_id, quantity)", n=i)) from None
        if isinstance(variant_id, bool) or not isinstance(variant_id, int):
            raise UserError(_("line %(n)s: variant id %(id)r must be a whole number", n=i, id=variant_id))
        totals[variant_id] = totals.get(variant_id, Decimal(0)) + quantity(qty, f"line {i} quantity")
    return sorted(totals.items())


def get_warehouse(session, warehouse_id: int) -> Warehouse:
    return get_or_not_found(session, Warehouse, warehouse_id, "warehouse")


def skus(session, variant_ids) -> dict[int, str]:
    """SKUs of the session's business's variants; an id of another business is simply absent."""
    return dict(session.execute(select(Variant.id, Variant.sku).where(Variant.id.in_(list(variant_ids)))).all())


def _check_variants(session, variant_ids) -> dict[int, str]:
    """SKUs of ``variant_ids`` (all of the session's business, or NotFound), read once per
    transaction: confirming and completing an order both check the same variants."""
    cache = tx_cache(session).setdefault("warehouse_skus", {})
    missing = [v for v in variant_ids if v not in cache]
    if missing:
        found = skus(session, missing)
        vouch_for(session, Variant.__table__.name, found)  # read through the fence: the business's own
        cache.update(found)
    known = {v: cache[v] for v in variant_ids if v in cache}
    missing = [str(v) for v in variant_ids if v not in known]
    if missing:
        raise NotFound(_("variant(s) %(ids)s not found", ids=", ".join("#" + m for m in missing)))
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
        raise UserError(_("no warehouse %(code)r (known: %(codes)s)", code=code, codes=codes))
    return found


def default_order() -> tuple:
    """ORDER BY of the default warehouse among active ones: 'main' first, then the oldest (for
    callers that find it in a query of their own, as the sales bridge does with the order's link)."""
    return case((Warehouse.kind == "main", 0), else_=1), Warehouse.id


def default_warehouse(session) -> Warehouse:
    """The active 'main' warehouse (the oldest if several), else the oldest active one."""
    cache = tx_cache(session)
    found = cache.get("warehouse_default")
    if found is None:
        found = session.scalar(select(Warehouse).where(Warehouse.active.is_(True)).order_by(*default_order())
                               .limit(1))
    if found is None:
        raise UserError(_("this business has no active warehouse; create one first (Inventory › Warehouses)"))
    # Kept for the transaction: the reservation that follows finds it in the identity map.
    cache["warehouse_default"] = found
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
    maker = upsert_insert("postgresql" if dialect == "postgresql" else "sqlite")
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
# "SKU wanted 5, available 2": the word for what there is too little of.
_SHORT_OF = {"available": _l("available"), "reserved": _l("reserved")}


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

    ``failure`` starts the error, e.g. _l("not enough stock in %(code)s"); each short
    line is named with its SKU, the quantity wanted and what was there.
    """
    lines = normalise_lines(lines)
    warehouse = get_warehouse(session, warehouse_id)
    variant_ids = [v for v, _ in lines]
    adds = on_hand_sign > 0 or guard is None
    if adds:
        # Rows may be created: the variants must be the business's before anything is written.
        _check_variants(session, variant_ids)
        ensure_balances(session, warehouse.id, variant_ids)
    # A guarded change that only takes needs no check first: it can only apply to balance rows
    # of this business, whose variants were checked when the rows were created; a foreign or
    # unknown variant has no row and falls short, and the NotFound comes below.
    short = _apply(session, warehouse.id, lines, on_hand_sign, reserved_sign, guard)
    if short and not adds and guard == "available" and allow_negative(session):
        # A business that allows negative stock may take from a variant without a balance row
        # yet: the rows are created (flagged) and the change applied again, all of it, since the
        # short attempt left nothing applied. The setting is read on this path only, not on
        # every reservation that succeeds.
        _check_variants(session, variant_ids)
        ensure_balances(session, warehouse.id, variant_ids)
        short = _apply(session, warehouse.id, lines, on_hand_sign, reserved_sign, guard)
    if short:
        known = _check_variants(session, variant_ids)
        levels = _levels(session, warehouse.id, [v for v, _ in short])
        word = _guard(guard, Decimal(1))[1]
        parts = []
        for variant_id, q in short:
            on_hand, reserved = levels.get(variant_id, (Decimal(0), Decimal(0)))
            have = max(on_hand - reserved, Decimal(0)) if word == "available" else reserved
            parts.append(_("%(sku)s wanted %(qty)s, %(word)s %(have)s", sku=known[variant_id], qty=fmt(q),
                           word=_SHORT_OF[word], have=fmt(have)))
        raise UserError(f"{failure % {'code': warehouse.code}}: {'; '.join(parts)}")
    # The ledger rows in one INSERT (an executemany: nothing reads their ids back).
    acting = user_id(session)
    session.execute(insert(StockMove), [
        dict(business_id=session.info["business_id"], kind=kind, warehouse_id=warehouse.id, variant_id=variant_id,
             on_hand_delta=on_hand_sign * q, reserved_delta=reserved_sign * q,
             reference=(reference or None) and str(reference)[:128], reason=(reason or None) and str(reason)[:255],
             unit_cost=(unit_costs or {}).get(variant_id), user_id=acting)
        for variant_id, q in lines])
    publish(session, "warehouse.stock_changed", warehouse_id=warehouse.id, kind=kind,
            variant_ids=sorted({variant_id for variant_id, _q in lines}))
    return warehouse


def _per_variant(lines, sign: int = 1):
    """CASE variant_id WHEN v THEN sign * q ...: each row's own quantity in one statement."""
    return case({v: literal(sign * q, Quantity()) for v, q in lines}, value=StockBalance.variant_id)


@lru_cache(maxsize=128)
def _apply_statement(n: int, on_hand_sign: int, reserved_sign: int, guard: str | None, lock_first: bool):
    """The guarded multi-row UPDATE of ``n`` lines, built once per shape with bound parameters
    (wh_id, v_ids, v0/q0 ... for each line's variant and quantity): building the expression
    costs more than running it, and a stock change runs on every confirmation and delivery.

    With ``lock_first`` (PostgreSQL, several lines), a materialized CTE locks the rows in
    variant order in the same statement, so no second multi-line change can lock them in
    the opposite order, and the locks are held one round trip less than with a SELECT ...
    FOR UPDATE first."""
    where = [StockBalance.warehouse_id == bindparam("wh_id"),
             StockBalance.variant_id.in_(bindparam("v_ids", expanding=True))]
    if lock_first:
        locked = (select(StockBalance.id).where(*where).order_by(StockBalance.variant_id).with_for_update()
                  .cte("locked").prefix_with("MATERIALIZED"))
        where.append(StockBalance.id.in_(select(locked.c.id)))
    qty = case(*[(bindparam(f"v{i}"), bindparam(f"q{i}", type_=Quantity())) for i in range(n)],
               value=StockBalance.variant_id)
    stmt = update(StockBalance).where(*where)
    if guard == "available":
        stmt = stmt.where((StockBalance.on_hand - StockBalance.reserved >= qty) | StockBalance.allow_negative.is_(True))
    elif guard == "reserved":
        stmt = stmt.where(StockBalance.reserved >= qty)
    values = {}
    for column, sign in ((StockBalance.on_hand, on_hand_sign), (StockBalance.reserved, reserved_sign)):
        if sign:
            values[column.key] = column + qty if sign > 0 else column - qty
    return stmt.values(**values).returning(StockBalance.variant_id)


def _apply(session, warehouse_id: int, lines, on_hand_sign: int, reserved_sign: int, guard: str | None):
    """The guarded change of every line in ONE multi-row UPDATE; return the lines that fell short
    (then none stays applied).

    Each row's guard is checked under its row lock by the database, as with one UPDATE per
    line. On PostgreSQL the rows are first locked in variant-id order, so two multi-line
    changes never lock the same rows in opposite orders (the UPDATE's own scan order is the
    planner's). When any line is short, the lines that did apply are reverted by a second
    UPDATE in the same transaction (their rows are still locked by us): all or nothing
    without a savepoint on the path that succeeds."""
    variant_ids = [v for v, _ in lines]
    lock_first = len(lines) > 1 and session.get_bind().dialect.name == "postgresql"
    params = {"wh_id": warehouse_id, "v_ids": variant_ids}
    for i, (v, q) in enumerate(lines):
        params[f"v{i}"], params[f"q{i}"] = v, q
    done = set(session.execute(_apply_statement(len(lines), on_hand_sign, reserved_sign, guard, lock_first),
                               params, execution_options={"synchronize_session": False}).scalars())
    # Rows of this business (the UPDATE is fenced) name variants checked when the rows were
    # created: the moves that follow need no owner query for them.
    vouch_for(session, Variant.__table__.name, done)
    short = [(v, q) for v, q in lines if v not in done]
    if short and done:
        applied = [(v, q) for v, q in lines if v in done]
        session.execute(update(StockBalance).where(StockBalance.warehouse_id == warehouse_id,
                                                   StockBalance.variant_id.in_([v for v, _ in applied]))
                        .values(**{k: getattr(StockBalance, k) + _per_variant(applied, -1 * sign)
                                   for k, sign in (("on_hand", on_hand_sign), ("reserved", reserved_sign)) if sign}),
                        execution_options={"synchronize_session": False})
    return short


# ---------------------------------------------------------------- the operations

def reserve(session, warehouse_id: int, lines, reference: str) -> None:
    """Reserve every line, all or nothing; a shortfall names each SKU with wanted and available."""
    change(session, warehouse_id, lines, kind="reserve", on_hand_sign=0, reserved_sign=1, guard="available",
           reference=reference, failure=_l("not enough stock in %(code)s"))


def release(session, warehouse_id: int, lines, reference: str) -> None:
    """Undo a reservation (an order cancelled)."""
    change(session, warehouse_id, lines, kind="release", on_hand_sign=0, reserved_sign=-1, guard="reserved",
           reference=reference, failure=_l("cannot release more than is reserved in %(code)s"))


def deliver(session, warehouse_id: int, lines, reference: str) -> None:
    """Reserved goods leave: reserved and on hand both decrease ('delivery' moves)."""
    change(session, warehouse_id, lines, kind="delivery", on_hand_sign=-1, reserved_sign=-1, guard="reserved",
           reference=reference, failure=_l("cannot deliver more than is reserved in %(code)s"))


def restock(session, warehouse_id: int, lines, reference: str, damaged: bool = False) -> None:
    """Returned goods come back on hand ('return'); damaged ones are returned and scrapped at once,
    so the ledger shows both what came back and why it cannot be sold."""
    change(session, warehouse_id, lines, kind="return", on_hand_sign=1, reserved_sign=0, guard=None,
           reference=reference, reason="returned damaged" if damaged else "returned", failure=_l("cannot restock %(code)s"))
    if damaged:
        scrap(session, warehouse_id, lines, reference, reason="damaged on return")


def scrap(session, warehouse_id: int, lines, reference: str | None, reason: str) -> None:
    """Write off unsellable goods; only unreserved stock can be scrapped (unless negative stock is allowed)."""
    if not (reason or "").strip():
        raise UserError(_("scrap: a reason is required"))
    change(session, warehouse_id, lines, kind="scrap", on_hand_sign=-1, reserved_sign=0, guard="available",
           reference=reference, reason=reason, failure=_l("not enough unreserved stock to scrap in %(code)s"))


def receive(session, warehouse_id: int, lines, reference: str, *, unit_costs: dict | None = None,
            reason: str | None = None) -> None:
    """Goods in ('receipt' moves); purchasing calls this for goods receipts."""
    change(session, warehouse_id, lines, kind="receipt", on_hand_sign=1, reserved_sign=0, guard=None,
           reference=reference, reason=reason, unit_costs=unit_costs, failure=_l("cannot receive into %(code)s"))


def adjust(session, warehouse_id: int, deltas, reference: str | None, reason: str) -> None:
    """Signed corrections [(variant_id, +/-qty)] as 'adjustment' moves (counts, write-ups)."""
    if not (reason or "").strip():
        raise UserError(_("adjustment: a reason is required"))
    ups = [(v, d) for v, d in deltas if Decimal(d) > 0]
    downs = [(v, -Decimal(d)) for v, d in deltas if Decimal(d) < 0]
    if downs:
        change(session, warehouse_id, downs, kind="adjustment", on_hand_sign=-1, reserved_sign=0,
               guard="available", reference=reference, reason=reason,
               failure=_l("cannot reduce stock below what is reserved in %(code)s"))
    if ups:
        change(session, warehouse_id, ups, kind="adjustment", on_hand_sign=1, reserved_sign=0, guard=None,
               reference=reference, reason=reason, failure=_l("cannot adjust %(code)s"))


def transfer(session, from_warehouse_id: int, to_warehouse_id: int, lines, reference: str | None = None,
             reason: str | None = None) -> str:
    """Move unreserved stock between warehouses: a 'transfer' move out of one and into the other."""
    if from_warehouse_id == to_warehouse_id:
        raise UserError(_("transfer: source and destination are the same warehouse"))
    source = get_warehouse(session, from_warehouse_id)
    target = get_warehouse(session, to_warehouse_id)
    reference = reference or f"TR {source.code}>{target.code}"
    change(session, source.id, lines, kind="transfer", on_hand_sign=-1, reserved_sign=0, guard="available",
           reference=reference, reason=reason or f"to {target.code}",
           failure=_l("not enough unreserved stock to transfer from %(code)s"))
    change(session, target.id, lines, kind="transfer", on_hand_sign=1, reserved_sign=0, guard=None,
           reference=reference, reason=reason or f"from {source.code}", failure=_l("cannot transfer into %(code)s"))
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
