"""The tenancy fence: every ORM statement and flush of a business session stays in its business.

A session carries the business it works for (``session.info["business_id"]``).
The fence holds for every shape of ORM write, whoever writes it:

* SELECT, UPDATE and DELETE on business-scoped models get the business as a bound
  value criterion; bulk UPDATE by primary key (``execute(update(M), rows)``), which
  ignores loader criteria, gets it as an explicit WHERE.
* INSERT statements are stamped with the business; a ``business_id`` of another
  business is refused, as is ``INSERT ... FROM SELECT``; an upsert's DO UPDATE must
  collide on the business's own rows only.
* Values that bulk statements write into foreign keys are checked like flushed
  ones: they must point at rows of the same business.
* A flush stamps new rows, refuses new, changed or deleted rows of another
  business and references across businesses.

A session without a business refuses business-scoped models unless it was opened
with ``all_businesses=True`` (system work such as the outbox relay or the
scheduler); one statement opts out with ``execution_options={"all_businesses": True}``.
On PostgreSQL, row-level security (``core.rls``) is the second wall under this
one, for Core and ``text()`` statements the ORM cannot see.
"""
from __future__ import annotations

import weakref
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, Table, event, inspect, select
from sqlalchemy.orm import (MANYTOONE, Mapped, Mapper, Session, declared_attr, mapped_column,
                            with_loader_criteria)
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.elements import BindParameter

from . import rls
from .errors import NotFound, UserError

OWNER = "business_id"
_EXPRESSION = object()  # a written value that is SQL, not a plain value


class BusinessScoped:
    """A row owned by one business. Queries, inserts and references are fenced by it."""

    @declared_attr
    def business_id(cls) -> Mapped[int]:
        return mapped_column(Integer, ForeignKey("core_business.id", ondelete="RESTRICT"),
                             index=True, nullable=False)


class TenancyError(UserError):
    pass


def _not_ours(table_name: str, value) -> TenancyError:
    return TenancyError(f"{table_name} #{value} is not a record of this business and cannot be referenced")


# ---------------------------------------------------------------- statements

@event.listens_for(Session, "do_orm_execute")
def _fence_statement(state):
    if not (state.is_select or state.is_update or state.is_delete or state.is_insert):
        return None
    if state.session.info.get("all_businesses"):
        return None
    if state.execution_options.get("all_businesses"):  # one system statement in a business session
        return rls.run_as_system(state)
    scoped = [m for m in state.all_mappers if issubclass(m.class_, BusinessScoped)]
    business_id = state.session.info.get("business_id")
    if business_id is None:
        if scoped:
            raise TenancyError("no business selected: business-scoped data needs --business or a business session")
        return None
    target = state.bind_mapper if state.is_insert or state.is_update else None  # the model written
    writes_scoped = target is not None and issubclass(target.class_, BusinessScoped)
    if state.is_insert:
        return _fence_insert(state, target, business_id) if writes_scoped else None
    if state.is_update and writes_scoped:
        _check_written(state.session, target, _written_rows(state), business_id)
        if state.is_executemany:
            return _update_by_primary_key(state, target, business_id)
    # Column and relationship loads are filtered too: a lazy load is one more query
    # that must not reach another business, whatever the parent row points at.
    state.statement = _fenced(state.statement, business_id)
    return None


_fenced_statements: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _fenced(statement, business_id: int):
    """``statement`` with the business's loader criteria. A statement built once and run
    again and again (the services' hot paths keep theirs in module constants) gets the same
    fenced copy back each time, so SQLAlchemy's memoized cache key and compiled form are
    reused instead of being worked out again on every run; one built per call costs a miss."""
    per_business = _fenced_statements.get(statement)
    if per_business is None:
        try:
            per_business = _fenced_statements[statement] = {}
        except TypeError:  # not weakly referenceable: fence it every time
            return statement.options(_business_criteria(business_id))
    fenced = per_business.get(business_id)
    if fenced is None:
        if len(per_business) >= _FENCED_PER_STATEMENT:  # many businesses: keep memory bounded
            per_business.clear()
        fenced = per_business[business_id] = statement.options(_business_criteria(business_id))
    return fenced


_FENCED_PER_STATEMENT = 64


@lru_cache(maxsize=4096)
def _business_criteria(business_id: int):
    """The loader-criteria option of one business, built once and reused by every statement
    rather than rebuilt (with the analysis of its lambda) for each of the 25-odd statements
    of an order. Its SQL is the same for every business; the id is a tracked closure value."""
    return with_loader_criteria(BusinessScoped, lambda cls: cls.business_id == business_id,
                                include_aliases=True, track_closure_variables=True)


def _fence_insert(state, mapper, business_id):
    """Stamp the business on every inserted row; refuse rows of another business."""
    statement = state.statement
    table = mapper.local_table.name
    if statement._select_names is not None:
        raise TenancyError(f"{table}: INSERT ... FROM SELECT is not fenced by business; insert values")
    rows = _written_rows(state)
    _check_written(state.session, mapper, rows, business_id)
    _fence_upsert(state.session, statement, mapper, business_id)
    if all(row.get(OWNER) is not None for row in rows):
        return None
    if statement._multi_values:
        raise TenancyError(f"{table}: a multi-row VALUES insert must give business_id in every row; "
                           f"or pass the rows as parameters: session.execute(insert(Model), rows)")
    if state.is_executemany:
        return state.invoke_statement(params=[{OWNER: business_id}] * len(state.parameters))
    state.statement = statement.values(business_id=business_id)
    return None


def _fence_upsert(session, statement, mapper, business_id):
    """ON CONFLICT DO UPDATE rewrites the row it collides with: that row must be the own
    business's (business_id in the conflict target), and the SET values are fenced like
    an UPDATE's. DO NOTHING writes nothing and needs no fence."""
    clause = statement._post_values_clause
    updates = getattr(clause, "update_values_to_set", None)
    if not updates:
        return
    table = mapper.local_table
    target = {_name(c) for c in clause.inferred_target_elements or ()}
    if getattr(clause, "constraint_target", None):
        target |= {c.name for con in list(table.constraints) + list(table.indexes)
                   if con.name == clause.constraint_target for c in con.columns}
    if OWNER not in target:
        raise TenancyError(f"{table.name}: ON CONFLICT DO UPDATE must name business_id in its conflict target, "
                           f"or it may rewrite another business's row")
    _check_written(session, mapper, [{_name(k): _plain(v) for k, v in dict(updates).items()}], business_id)


def _update_by_primary_key(state, mapper, business_id):
    """Bulk UPDATE by primary key skips loader criteria, so the business becomes a WHERE.

    SQLAlchemy cannot synchronize the identity map under extra criteria, so the
    objects the rows name are expired instead and reload what the database holds.
    """
    statement = state.statement.where(mapper.class_.business_id == business_id)
    result = state.invoke_statement(statement=statement, execution_options={"synchronize_session": None})
    session = state.session
    pk_keys = [mapper.get_property_by_column(c).key for c in mapper.primary_key]
    for row in state.parameters:
        obj = session.identity_map.get(identity_key(mapper.class_, tuple(row.get(k) for k in pk_keys)))
        if obj is not None:
            session.expire(obj, [k for k in row if k not in pk_keys and k in mapper.attrs])
    return result


def _written_rows(state) -> list[dict]:
    """The values an INSERT or UPDATE writes, one dict per row, keyed by attribute or column name."""
    statement = state.statement
    base = {_name(key): _plain(value) for key, value in (statement._values or {}).items()}
    if statement._multi_values:
        columns = list(statement.table.c)
        return [dict(base, **({_name(k): _plain(v) for k, v in row.items()} if isinstance(row, dict)
                              else {c.key: _plain(v) for c, v in zip(columns, row)}))
                for group in statement._multi_values for row in group]
    batches = state.parameters if state.is_executemany else [state.parameters or {}]
    return [{**{key: _bound(value, params) for key, value in base.items()}, **params} for params in batches]


def _name(key) -> str:
    return key if isinstance(key, str) else key.key


def _plain(value):
    """A written value as Python, a named ``bindparam`` to resolve per row, or ``_EXPRESSION``."""
    if isinstance(value, BindParameter):
        if value.callable is not None:
            return value.callable()
        return value.value if value.unique or value.value is not None else value
    if hasattr(value, "_compiler_dispatch"):  # any other SQL: a column, a function, a subquery
        return _EXPRESSION
    return value


def _bound(value, params):
    return params.get(value.key, _EXPRESSION) if isinstance(value, BindParameter) else value


def _check_written(session, mapper, rows, business_id):
    """Written owners must be this business; written references must point into it."""
    fenced = _fenced_columns(mapper)
    table = mapper.local_table.name
    refs = []
    for row in rows:
        for key, value in row.items():
            target = fenced.get(key)
            if target is None or value is None:
                continue
            if value is _EXPRESSION:
                raise TenancyError(f"{table}.{key}: a bulk statement must set it to a plain value, not SQL")
            if target is OWNER:
                if value != business_id:
                    raise TenancyError(f"{table}: a record of another business cannot be written here")
            else:
                refs.append((target, value, business_id))
    _check_references(session, refs)


_fenced_cache: dict = {}


def _fenced_columns(mapper) -> dict:
    """Attribute and column names of ``mapper``'s owner column and of its references to
    scoped tables: ``{name: OWNER | Reference}``. Computed once per mapper."""
    found = _fenced_cache.get(mapper)
    if found is None:
        found = {}
        for ref in _reference_columns(mapper):
            found[ref.attr_key] = found[ref.column.key] = ref
        if issubclass(mapper.class_, BusinessScoped):
            found[OWNER] = OWNER
        _fenced_cache[mapper] = found
    return found


class Reference(NamedTuple):
    """A foreign key of a mapped table that points at a business-scoped table."""
    attr_key: str
    column: Column
    table: Table                 # the referenced table (it has a business_id column)
    key_name: str                # the referenced column
    mapper: Mapper | None        # the referenced model, when the key is its whole primary key


_reference_cache: dict = {}


def _reference_columns(mapper) -> list[Reference]:
    """Every foreign key of ``mapper``'s table into a business-scoped table (one with a business_id)."""
    found = _reference_cache.get(mapper)
    if found is None:
        by_table = {m.local_table.name: m for m in mapper.registry.mappers if isinstance(m.local_table, Table)}
        found = []
        for column in mapper.local_table.columns:
            for fk in column.foreign_keys:
                target = fk.column.table
                if target.name == "core_business" or OWNER not in target.c:
                    continue
                target_mapper = by_table.get(target.name)
                if target_mapper is not None and [c.name for c in target_mapper.primary_key] != [fk.column.name]:
                    target_mapper = None
                found.append(Reference(mapper.get_property_by_column(column).key, column, target,
                                       fk.column.name, target_mapper))
        _reference_cache[mapper] = found
    return found


# ---------------------------------------------------------------- flush

@event.listens_for(Session, "before_flush")
def _stamp_and_fence(session, _flush_context, _instances):
    business_id = session.info.get("business_id")
    system = bool(session.info.get("all_businesses"))
    scoped = [obj for obj in list(session.new) + list(session.dirty) if isinstance(obj, BusinessScoped)]
    # Stamp every new row first, so related rows created in the same flush are owned
    # before references between them are compared.
    for obj in scoped:
        if obj.business_id is None:
            if business_id is None:
                raise TenancyError(f"{type(obj).__name__}: no business selected for a new record")
            obj.business_id = business_id
        elif not system and obj.business_id != business_id:
            raise _foreign_write(obj, business_id)
    if not system:
        for obj in session.deleted:
            if isinstance(obj, BusinessScoped) and obj.business_id != business_id:
                raise _foreign_write(obj, business_id)
    refs = []
    for obj in scoped:
        state = inspect(obj)
        for ref in _reference_columns(state.mapper):
            if state.persistent and not state.attrs[ref.attr_key].history.has_changes():
                continue
            value = state.dict.get(ref.attr_key)
            if value is not None:
                refs.append((ref, value, obj.business_id))
        _fence_related(obj)
    _check_references(session, refs)


def _foreign_write(obj, business_id) -> TenancyError:
    if business_id is None:
        return TenancyError(f"{type(obj).__name__}: no business selected; a business-scoped record "
                            f"is written only from its business's session")
    return TenancyError(f"{type(obj).__name__}: a record of another business cannot be written here")


def _check_references(session, refs):
    """Refuse references ``(Reference, value, owner)`` to rows not owned by ``owner``.

    The identity map answers first; the rest is one query per table. A row the
    query cannot see (it does not exist, or row-level security hides another
    business's row) is refused too. A row's owner never changes, so a reference
    checked once stays good for the session.
    """
    verified = session.info.setdefault("_fenced_refs", set())
    todo: dict = {}
    for ref, value, owner in refs:
        name = ref.table.name
        if (name, value, owner) in verified:
            continue
        loaded = None if ref.mapper is None else session.identity_map.get(identity_key(ref.mapper.class_, value))
        if loaded is None or loaded.business_id is None:
            todo.setdefault((ref.table, ref.key_name), set()).add((value, owner))
        elif loaded.business_id != owner:
            raise _not_ours(name, value)
        else:
            verified.add((name, value, owner))
    for (table, key_name), pairs in todo.items():
        # A Core statement: the ORM fence leaves it alone, row-level security does not.
        owners = dict(session.execute(
            select(table.c[key_name], table.c.business_id).where(table.c[key_name].in_({v for v, _ in pairs}))
        ).all())
        for value, owner in pairs:
            if owners.get(value) != owner:
                raise _not_ours(table.name, value)
            verified.add((table.name, value, owner))


def vouch_for(session: Session, table_name: str, ids) -> None:
    """Record that rows ``ids`` of ``table_name`` were just read through this business
    session's fence (the ORM filter, and row-level security on PostgreSQL), so they are the
    business's own: a write referencing them skips the owner query of
    ``_check_references``. Only for ids a fenced query returned; a system session vouches
    for nothing."""
    business_id = session.info.get("business_id")
    if business_id is None or session.info.get("all_businesses"):
        return
    session.info.setdefault("_fenced_refs", set()).update((table_name, v, business_id) for v in ids)


def _fence_related(obj):
    """Objects assigned through many-to-one relationships: their key is only copied during
    the flush, after the foreign-key check above has run, so compare owners directly."""
    loaded = inspect(obj).dict
    for rel in _many_to_one(type(obj).__mapper__):
        if rel.key not in loaded:
            continue
        related = loaded[rel.key]
        owner = getattr(related, "business_id", None) if isinstance(related, BusinessScoped) else None
        if owner is not None and owner != obj.business_id:
            ident = inspect(related).identity
            raise _not_ours(related.__table__.name, ident[0] if ident else "(new)")


_many_to_one_of: dict = {}


def _many_to_one(mapper) -> tuple:
    """The mapper's many-to-one relationships, listed once per model (every flush asks per object)."""
    found = _many_to_one_of.get(mapper)
    if found is None:
        found = _many_to_one_of[mapper] = tuple(rel for rel in mapper.relationships if rel.direction is MANYTOONE)
    return found


# ---------------------------------------------------------------- lookups

def key_fits(column, value) -> bool:
    """Whether ``value`` can be a value of the integer key ``column`` at all: a bigger number
    (a typed or forged id) is no row, where drivers would raise OverflowError or DataError."""
    if not isinstance(value, int) or isinstance(value, bool):
        return True
    limit = 2**63 if isinstance(column.type, BigInteger) else 2**31
    return -limit <= value < limit


def get_in_business(session: Session, model, ident):
    """A row by primary key, or ``None`` when it is missing or another business's.

    The identity map is consulted first, so a row this transaction already loaded
    costs no query; one loaded from the database went through the tenancy filter,
    and the owner check below covers rows loaded with ``all_businesses``.
    """
    if not key_fits(model.__mapper__.primary_key[0], ident):
        return None
    obj = session.get(model, ident)
    if obj is None or not isinstance(obj, BusinessScoped):
        return obj
    business_id = session.info.get("business_id")
    if business_id is not None and obj.business_id != business_id and not session.info.get("all_businesses"):
        return None
    return obj


def get_or_not_found(session: Session, model, ident, label: str):
    """``get_in_business`` for services: a missing or foreign row is a NotFound naming it."""
    row = get_in_business(session, model, ident)
    if row is None:
        raise NotFound(f"{label} #{ident} not found")
    return row
