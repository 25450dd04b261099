"""Engine, sessions, the declarative Base, mixins and the transaction helper.

Tenancy lives here because it must hold for every query, whoever writes it: a
session carries the business it works for (``session.info["business_id"]``);
ORM statements on business-scoped models get that business as a bound value
criterion, inserts are stamped with it, and a flush that would point a row at
another business's row is refused. A session without a business refuses to touch
business-scoped models unless it was opened with ``all_businesses=True`` (system
work such as the outbox relay or the scheduler).
"""
from __future__ import annotations

import logging
import random
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Callable, TypeVar

from sqlalchemy import (BigInteger, DateTime, ForeignKey, Integer, MetaData, Table, create_engine, event, inspect,
                        select)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm.util import identity_key
from sqlalchemy.orm import (MANYTOONE, DeclarativeBase, Mapped, Session, declared_attr, mapped_column,
                            sessionmaker, with_loader_criteria)

from .errors import NotFound, UserError
from .text import refuse_nul_bytes, refuse_nul_parameters  # noqa: F401  (the first guards every Session)

log = logging.getLogger(__name__)
T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BusinessScoped:
    """A row owned by one business. Queries, inserts and references are fenced by it."""

    @declared_attr
    def business_id(cls) -> Mapped[int]:
        return mapped_column(Integer, ForeignKey("core_business.id", ondelete="RESTRICT"),
                             index=True, nullable=False)


# ---------------------------------------------------------------- engines

def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys, a busy timeout and explicit BEGINs."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
            cur = dbapi_conn.cursor()
            if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # A write transaction takes the write lock up front: a deferred one that
            # upgrades later can fail with "database is locked" without waiting.
            immediate = conn.get_execution_options().get("sqlite_immediate")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
    else:
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        engine = create_engine(url, **kwargs)
    event.listen(engine, "before_cursor_execute", refuse_nul_parameters)
    return engine


class Database:
    """The engine and the session factory of one app or one command."""

    def __init__(self, url: str, **engine_kwargs):
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.is_sqlite = url.startswith("sqlite")
        self._write_engine = self.engine.execution_options(sqlite_immediate=True)
        self._factory = sessionmaker(bind=self.engine, expire_on_commit=False)

    def session(self, business_id: int | None = None, *, all_businesses: bool = False,
                write: bool = False) -> Session:
        bind = self._write_engine if write else self.engine
        session = self._factory(bind=bind)
        session.info["business_id"] = business_id
        session.info["all_businesses"] = all_businesses
        return session

    @contextmanager
    def transaction(self, business_id: int | None = None, *, all_businesses: bool = False):
        """One write transaction: commit on success, roll back on any error."""
        session = self.session(business_id, all_businesses=all_businesses, write=True)
        try:
            yield session
            session.commit()
        except IntegrityError as exc:
            session.rollback()
            raise UserError(describe_integrity_error(exc)) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def run_in_transaction(self, fn: Callable[[Session], T], business_id: int | None = None, *,
                           all_businesses: bool = False, tries: int = 5) -> T:
        """Run ``fn(session)`` in a write transaction, retrying transient conflicts.

        Retried: PostgreSQL serialization failures, deadlocks, lock timeouts, and
        SQLite "database is locked". ``fn`` must have no outside effects, since it
        may run more than once.
        """
        for attempt in range(1, tries + 1):
            try:
                with self.transaction(business_id, all_businesses=all_businesses) as session:
                    return fn(session)
            except (OperationalError, DBAPIError) as exc:
                if attempt == tries or not is_transient(exc):
                    raise
                delay = min(2.0, 0.02 * 2 ** attempt) * (0.5 + random.random())
                log.info("transient database conflict (%s); retry %d in %.3fs", exc.orig, attempt, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")

    def dispose(self):
        self.engine.dispose()


TRANSIENT_PGCODES = {"40001", "40P01", "55P03"}  # serialization, deadlock, lock not available


def is_transient(exc: DBAPIError) -> bool:
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code in TRANSIENT_PGCODES:
        return True
    return "database is locked" in str(orig) or "database table is locked" in str(orig)


def describe_integrity_error(exc: IntegrityError) -> str:
    """Turn a constraint violation into a sentence; the constraint name says what broke."""
    text = str(exc.orig)
    lowered = text.lower()
    if "unique" in lowered or "duplicate key" in lowered:
        return f"This record would duplicate an existing one ({text.splitlines()[0]})."
    if "foreign key" in lowered:
        return f"This record refers to something that does not exist or is still in use ({text.splitlines()[0]})."
    if "check" in lowered:
        return f"A value is out of its allowed range ({text.splitlines()[0]})."
    if "not null" in lowered:
        return f"A required value is missing ({text.splitlines()[0]})."
    return f"The change breaks a database rule ({text.splitlines()[0]})."


# ---------------------------------------------------------------- tenancy

class TenancyError(UserError):
    pass


def _scoped_mappers(mappers):
    return [m for m in mappers if issubclass(m.class_, BusinessScoped)]


@event.listens_for(Session, "do_orm_execute")
def _filter_by_business(state):
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get("all_businesses") or state.session.info.get("all_businesses"):
        return
    if state.is_column_load or state.is_relationship_load:
        # The parent row was already fenced; its children are loaded by key.
        pass
    business_id = state.session.info.get("business_id")
    if business_id is None:
        if _scoped_mappers(state.all_mappers):
            raise TenancyError("no business selected: business-scoped data needs --business or a business session")
        return
    state.statement = state.statement.options(
        with_loader_criteria(BusinessScoped, lambda cls: cls.business_id == business_id,
                             include_aliases=True, track_closure_variables=True))


@event.listens_for(Session, "before_flush")
def _stamp_and_fence(session, _flush_context, _instances):
    business_id = session.info.get("business_id")
    scoped = [obj for obj in list(session.new) + list(session.dirty) if isinstance(obj, BusinessScoped)]
    # Stamp every new row first, so related rows created in the same flush are owned
    # before references between them are compared.
    for obj in scoped:
        if obj.business_id is None:
            if business_id is None:
                raise TenancyError(f"{type(obj).__name__}: no business selected for a new record")
            obj.business_id = business_id
        elif business_id is not None and obj.business_id != business_id and not session.info.get("all_businesses"):
            raise TenancyError(f"{type(obj).__name__}: a record of another business cannot be written here")
    refs: dict = {}
    # A row's owner never changes, so a reference checked once stays good for the session.
    verified = session.info.setdefault("_fenced_refs", set())
    for obj in scoped:
        state = inspect(obj)
        for column in obj.__table__.columns:
            for fk in column.foreign_keys:
                target = fk.column.table
                if target.name == "core_business" or "business_id" not in target.c:
                    continue
                key = _attr_for(obj, column)
                if state.persistent and not state.attrs[key].history.has_changes():
                    continue
                value = getattr(obj, key, None)
                if value is None or (target.name, value, obj.business_id) in verified:
                    continue
                owner = _owner_in_session(session, target, fk.column.name, value)
                if owner is not None:
                    if owner != obj.business_id:
                        raise TenancyError(f"{target.name} #{value} belongs to another business "
                                           f"and cannot be referenced")
                    verified.add((target.name, value, obj.business_id))
                    continue
                refs.setdefault((target, fk.column.name), set()).add((value, obj.business_id))
        _fence_related(obj)
    for (table, key_name), pairs in refs.items():
        ids = {value for value, _ in pairs}
        rows = session.execute(
            select(table.c[key_name], table.c.business_id).where(table.c[key_name].in_(ids)),
            execution_options={"all_businesses": True}).all()
        owners = dict(rows)
        for value, owner in pairs:
            if value in owners and owners[value] != owner:
                raise TenancyError(f"{table.name} #{value} belongs to another business and cannot be referenced")
            verified.add((table.name, value, owner))


def _owner_in_session(session, table, key_name, value):
    """The owner of a referenced row already loaded in this session, without a query."""
    mapper = _mapper_for_table(table)
    if mapper is None or [c.name for c in mapper.primary_key] != [key_name]:
        return None
    obj = session.identity_map.get(identity_key(mapper.class_, value))
    return None if obj is None else obj.business_id


_table_mappers: dict = {}


def _mapper_for_table(table):
    if table.name not in _table_mappers:
        _table_mappers.clear()
        _table_mappers.update({m.local_table.name: m for m in Base.registry.mappers
                               if isinstance(m.local_table, Table)})
    return _table_mappers.get(table.name)


def _fence_related(obj):
    """Objects assigned through many-to-one relationships: their key is only copied during
    the flush, after the foreign-key check above has run, so compare owners directly."""
    loaded = inspect(obj).dict
    for rel in type(obj).__mapper__.relationships:
        if rel.direction is not MANYTOONE or rel.key not in loaded:
            continue
        related = loaded[rel.key]
        owner = getattr(related, "business_id", None) if isinstance(related, BusinessScoped) else None
        if owner is not None and owner != obj.business_id:
            ident = inspect(related).identity
            label = f"#{ident[0]}" if ident else "(new)"
            raise TenancyError(f"{related.__table__.name} {label} belongs to another business "
                               f"and cannot be referenced")


def _attr_for(obj, column) -> str:
    mapper = type(obj).__mapper__
    return mapper.get_property_by_column(column).key


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
