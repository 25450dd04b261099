"""The audit log: who changed which money, stock or fiscal row, from what to what.

A model opts in with the ``Audited`` mixin. Every insert, update and delete of
such a row that goes through the session's unit of work writes one
``core_audit_log`` row *in the same transaction* (so a rolled-back change leaves
no entry and a committed one always has its entry). The acting user comes from
the ``current_user_id`` context variable, which the web layer, the CLI and the
job runner set with ``acting_as(user_id)``; ``None`` means the system.

Boundaries, stated honestly:

* ORM bulk ``update()``/``delete()`` statements on an audited model cannot show
  per-row before/after values; they are written as one entry with record id
  ``"*"`` holding the statement and its parameters.
* Core/text SQL (``session.execute(text(...))``, ``Table`` statements) bypasses
  the ORM and is not audited. Code that changes audited data must use the ORM,
  or ``flush_one`` (below), which writes one loaded object's pending changes as
  one guarded Core UPDATE *with* its entry, for hot paths (issuing an invoice)
  where the unit of work costs more than the work.
* Append-only is enforced in the ORM: updating or deleting an ``AuditEntry``
  through a session raises. A database role without UPDATE/DELETE rights on
  ``core_audit_log`` is the production-grade guarantee; there is no trigger.
"""
from __future__ import annotations

import enum
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import event, inspect, insert, select
from sqlalchemy.orm import Session

from .db import BusinessScoped, utcnow
from .errors import UserError
from .models import AuditEntry

current_user_id: ContextVar[int | None] = ContextVar("tessera_current_user_id", default=None)
IGNORED_COLUMNS = frozenset({"updated_at"})  # moves on every update; it is the entry's own 'at'
_table = AuditEntry.__table__
_INSERT_ENTRY = insert(_table)


class Audited:
    """Mixin: inserts, updates and deletes of this model are written to the audit log.

    ``__audit_exclude__`` names columns never logged (e.g. a password hash).
    """
    __audit_exclude__: frozenset = frozenset()


class AppendOnlyError(UserError):
    pass


@contextmanager
def acting_as(user_id: int | None):
    """Attribute every audited change made inside the block to ``user_id``."""
    token = current_user_id.set(user_id)
    try:
        yield
    finally:
        current_user_id.reset(token)


def history(session, model, record_id) -> list[AuditEntry]:
    """Entries of one record, oldest first, limited to the session's business."""
    table_name = model if isinstance(model, str) else model.__tablename__
    stmt = select(AuditEntry).where(AuditEntry.model == table_name, AuditEntry.record_id == str(record_id))
    business_id = session.info.get("business_id")
    if business_id is not None:
        stmt = stmt.where(AuditEntry.business_id == business_id)
    elif not session.info.get("all_businesses"):
        raise UserError("audit history: no business selected")
    return list(session.scalars(stmt.order_by(AuditEntry.id)))


def jsonable(value):
    """A column value as JSON: Decimal and dates as strings, so nothing is rounded or lost."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return str(value)


# ---------------------------------------------------------------- listeners

@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session, _flush_context, _instances):
    for obj in session.deleted:
        if isinstance(obj, AuditEntry):
            raise AppendOnlyError("the audit log is append-only: entries cannot be deleted")
    for obj in session.dirty:
        if isinstance(obj, AuditEntry) and session.is_modified(obj, include_collections=False):
            raise AppendOnlyError("the audit log is append-only: entries cannot be changed")


@event.listens_for(Session, "after_flush")
def _write_entries(session, _flush_context):
    # after_flush still sees new/dirty/deleted and attribute history, and new rows
    # have their keys; entries are inserted on the flush's own connection.
    rows = []
    for obj in session.new:
        if isinstance(obj, Audited):
            rows.append(_entry(session, obj, "create", None, _values(obj, loaded_only=True)))
    for obj in session.dirty:
        if isinstance(obj, Audited):
            before, after = _changes(obj)
            if before or after:
                rows.append(_entry(session, obj, "update", before, after))
    for obj in session.deleted:
        if isinstance(obj, Audited):
            rows.append(_entry(session, obj, "delete", _values(obj, loaded_only=True), None))
    if rows:
        session.connection().execute(_INSERT_ENTRY, rows)   # built once (every flush of audited rows)


@event.listens_for(Session, "do_orm_execute")
def _bulk_statements(state):
    if not (state.is_update or state.is_delete):
        return None
    mappers = state.all_mappers
    if any(m.class_ is AuditEntry for m in mappers):
        raise AppendOnlyError("the audit log is append-only: bulk update/delete of core_audit_log is refused")
    audited = [m for m in mappers if issubclass(m.class_, Audited)]
    if not audited:
        return None
    result = state.invoke_statement()
    compiled = state.statement.compile(dialect=state.session.get_bind().dialect)
    params = {key: jsonable(value) for key, value in compiled.params.items()}
    state.session.connection().execute(insert(_table), [{
        "business_id": state.session.info.get("business_id"), "user_id": current_user_id.get(),
        "model": audited[0].local_table.name, "record_id": "*",
        "action": "update" if state.is_update else "delete", "before": None,
        "after": {"statement": str(compiled), "params": params, "rows": result.rowcount}, "at": utcnow()}])
    return result


# ---------------------------------------------------------------- helpers

def _logged_columns(obj):
    mapper = inspect(type(obj))
    skip = IGNORED_COLUMNS | frozenset(getattr(obj, "__audit_exclude__", ()))
    for attr in mapper.column_attrs:
        if attr.key not in skip:
            yield attr.key


_logged_keys_of: dict = {}


def _logged_keys(obj) -> tuple:
    """``_logged_columns`` in column order, worked out once per model (every flush asks)."""
    cls = type(obj)
    keys = _logged_keys_of.get(cls)
    if keys is None:
        keys = _logged_keys_of[cls] = tuple(_logged_columns(obj))
    return keys


def _values(obj, loaded_only=True) -> dict:
    loaded = inspect(obj).dict
    return {key: jsonable(loaded[key]) for key in _logged_keys(obj) if key in loaded or not loaded_only}


def _changes(obj) -> tuple[dict, dict]:
    state = inspect(obj)
    before, after = {}, {}
    modified = set(_logged_keys(obj)) - state.unmodified  # the others have no history to read
    for key in _logged_keys(obj):
        if key not in modified:
            continue
        hist = state.attrs[key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if old == new and hist.deleted:
            continue
        before[key] = jsonable(old)
        after[key] = jsonable(new)
    return before, after


def _entry(session, obj, action, before, after) -> dict:
    identity = inspect(obj).identity or tuple(
        getattr(obj, col.key) for col in inspect(type(obj)).primary_key)
    business_id = getattr(obj, "business_id", None)
    if business_id is None:
        business_id = session.info.get("business_id")
    return {"business_id": business_id, "user_id": current_user_id.get(), "model": obj.__tablename__,
            "record_id": ",".join(str(part) for part in identity), "action": action,
            "before": before, "after": after, "at": utcnow()}


# ---------------------------------------------------------------- one object, no unit of work

def flush_one(session, obj, expect: dict | None = None) -> int:
    """Write the pending column changes of one persistent ``obj`` as one Core UPDATE, with
    its audit entry when it is ``Audited``; return the number of rows updated (0 or 1).

    Why: a flush of one changed object costs several times the UPDATE it sends (the
    unit of work sorts dependencies, every flush listener walks every attribute's
    history). A hot path that changed one row it has locked can write it directly.

    What it keeps: the same entry a flush would write (changed logged columns,
    before and after); the tenancy fence (the UPDATE names the session's business,
    written references are checked like a flush's); ``updated_at`` moves; the
    object ends up holding what the row holds, with no pending change, so a later
    flush writes nothing twice. ``expect`` guards the row (``{"state": "draft"}``:
    the UPDATE also requires those stored values); when the row does not match,
    nothing is written, no entry is made, and 0 is returned for the caller to turn
    into its error. What it skips: model-specific ``before_flush`` guards (such as
    einvoice's issued-document guard), which the caller must have checked itself;
    relationships (flush those the ORM way first); values that are SQL expressions
    (refused). Statements are built once per (model, columns written, columns expected)
    and reused.
    """
    from .tenancy import _check_written
    state = inspect(obj)
    mapper = state.mapper
    changed, same, before, after = {}, [], {}, {}
    skip = IGNORED_COLUMNS | frozenset(getattr(obj, "__audit_exclude__", ()))
    for key in set(mapper.column_attrs.keys()) - state.unmodified:
        hist = state.attrs[key].history
        if not hist.has_changes():  # set to the value it had: nothing to write
            same.append(key)
            continue
        new = hist.added[0] if hist.added else None
        if hasattr(new, "__clause_element__") or hasattr(new, "_compiler_dispatch"):
            raise ValueError(f"flush_one: {mapper.class_.__name__}.{key} is set to SQL; flush it instead")
        changed[key] = new
        if key not in skip:
            before[key] = jsonable(hist.deleted[0] if hist.deleted else None)
            after[key] = jsonable(new)
    if not changed:  # nothing to write (the guard is not consulted)
        _settle(session, state, obj, changed, same)
        return 1
    if "updated_at" in mapper.column_attrs and "updated_at" not in changed:
        changed["updated_at"] = utcnow()
    expect = expect or {}
    fenced = isinstance(obj, BusinessScoped) and not session.info.get("all_businesses")
    if fenced:
        _check_written(session, mapper, [changed], session.info.get("business_id"))
    stmt = _update_statement(mapper, tuple(sorted(changed)), tuple(sorted(expect)), fenced)
    params = {f"set_{key}": value for key, value in changed.items()}
    params.update({f"expect_{key}": value for key, value in expect.items()})
    params.update({f"pk_{i}": value for i, value in enumerate(state.identity)})
    if fenced:
        params["fence_business"] = session.info.get("business_id")
    count = session.connection().execute(stmt, params).rowcount
    if count != 1:
        return count
    if isinstance(obj, Audited) and (before or after):
        session.connection().execute(_INSERT_ENTRY, [_entry(session, obj, "update", before, after)])
    _settle(session, state, obj, changed, same)
    return count


_update_statements: dict = {}


def _update_statement(mapper, written: tuple, expected: tuple, fenced: bool):
    key = (mapper, written, expected, fenced)
    stmt = _update_statements.get(key)
    if stmt is None:
        from sqlalchemy import bindparam, update
        table, attrs = mapper.local_table, mapper.column_attrs
        where = [col == bindparam(f"pk_{i}") for i, col in enumerate(mapper.primary_key)]
        where += [attrs[name].columns[0] == bindparam(f"expect_{name}") for name in expected]
        if fenced:
            where.append(table.c.business_id == bindparam("fence_business"))
        stmt = _update_statements[key] = update(table).where(*where).values(
            {attrs[name].columns[0]: bindparam(f"set_{name}") for name in written})
    return stmt


def _settle(session, state, obj, changed, same):
    """The object now holds what its row holds: its written and unchanged keys are committed."""
    from sqlalchemy.orm.attributes import set_committed_value
    for key, value in changed.items():
        set_committed_value(obj, key, value)
    for key in same:
        set_committed_value(obj, key, state.dict.get(key))
    if not state.committed_state:
        # Nothing else pending: the bookkeeping a flush does for the rows it wrote (the object
        # leaves the session's dirty set), so commit's flush has nothing to walk.
        state._commit_all(state.dict, session.identity_map)
