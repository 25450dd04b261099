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
  the ORM and is not audited. Code that changes audited data must use the ORM.
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

from .db import utcnow
from .errors import UserError
from .models import AuditEntry

current_user_id: ContextVar[int | None] = ContextVar("tessera_current_user_id", default=None)
IGNORED_COLUMNS = frozenset({"updated_at"})  # moves on every update; it is the entry's own 'at'
_table = AuditEntry.__table__


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
        session.connection().execute(insert(_table), rows)


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


def _values(obj, loaded_only=True) -> dict:
    loaded = inspect(obj).dict
    return {key: jsonable(loaded[key]) for key in _logged_columns(obj) if key in loaded or not loaded_only}


def _changes(obj) -> tuple[dict, dict]:
    state = inspect(obj)
    before, after = {}, {}
    for key in _logged_columns(obj):
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
