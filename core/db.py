"""Engine, sessions, the declarative Base, mixins and the transaction helper.

Every session carries the business it works for (``session.info["business_id"]``)
or ``all_businesses`` for system work. Two walls keep businesses apart: the ORM
fence of ``core.tenancy`` (every backend) and, on PostgreSQL, row-level security
(``core.rls``), which reads the business each transaction sets.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Callable, TypeVar

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from .errors import UserError
from .i18n import _
from .tenancy import (BusinessScoped, TenancyError, get_in_business, get_or_not_found,  # noqa: F401
                      key_fits)  # (re-exported)
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


TX_CACHE = "tx_cache"


def upsert_insert(dialect: str):
    """The INSERT of ``dialect`` that has ``on_conflict_do_nothing`` (PostgreSQL, SQLite), else None.

    Imported on use: a process loads the dialect of its own database only (importing the
    PostgreSQL dialect cost a SQLite app some 0.1 s of start-up)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
        return insert
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
        return insert
    return None


def tx_cache(session: Session) -> dict:
    """A memo that lives for the session's current transaction: rows and settings that a
    service reads several times per transaction (the order's warehouse, variants' SKUs,
    addon settings) are read once. It also holds strong references to the objects put in
    it, so the identity map (which holds objects weakly) still answers ``session.get`` for
    them after the function that loaded them returned.

    Emptied on every commit and rollback (savepoints included): what a rolled-back
    statement created is not remembered. Whoever writes a cached thing updates or drops
    its key (``tx_cache(session).pop(key, None)``)."""
    return session.info.setdefault(TX_CACHE, {})


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_tx_cache(session, *_args):
    session.info.pop(TX_CACHE, None)


class Database:
    """The engine and the session factory of one app or one command."""

    def __init__(self, url: str, **engine_kwargs):
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.is_sqlite = url.startswith("sqlite")
        # one connection's private database: a second engine would open another, empty one
        self.in_memory = self.is_sqlite and (":memory:" in url or url in ("sqlite://", "sqlite:///"))
        self._write_engine = self.engine.execution_options(sqlite_immediate=True)
        self._factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._system_engine: Engine | None = None
        self._system_lock = threading.Lock()

    @property
    def write_engine(self) -> Engine:
        """The engine of write transactions (on SQLite they take the write lock at BEGIN), for
        the few Core-level writers that need no ORM session (the outbox's bookkeeping)."""
        return self._write_engine

    def system_autocommit_engine(self) -> Engine:
        """An engine of its own for tiny system writes of one statement each, the outbox's
        claims and settles (``core.jobs``). Its connections run every statement as its own
        transaction (autocommit: no BEGIN and COMMIT, which on PostgreSQL are round trips and
        on SQLite Python work around a statement that takes microseconds).

        On PostgreSQL they are the system for their whole life (row-level security's
        ``all_businesses`` flag) and commit without waiting for the WAL flush
        (``synchronous_commit = off``: such a write lost in a server crash is redone by the
        sweep); no pre-ping, a broken connection fails the write, which the caller retries.
        They serve nothing else, so the system flag never reaches business work. On SQLite
        they wait for the write lock like every connection (busy timeout); an in-memory
        database has no second engine (it would see another database): use ``write_engine``.
        ``dispose`` closes them with the main engine's."""
        if self.in_memory:
            raise RuntimeError("an in-memory SQLite database has no system autocommit engine; use write_engine")
        with self._system_lock:
            if self._system_engine is None:
                if self.is_sqlite:
                    engine = create_engine(self.url, isolation_level="AUTOCOMMIT",
                                           connect_args={"timeout": 30, "check_same_thread": False})

                    @event.listens_for(engine, "connect")
                    def _pragmas(dbapi_conn, _record):
                        cur = dbapi_conn.cursor()
                        cur.execute("PRAGMA foreign_keys=ON")
                        cur.execute("PRAGMA synchronous=NORMAL")  # as make_engine's (WAL: no fsync per commit)
                        cur.execute("PRAGMA busy_timeout=30000")
                        cur.close()
                else:
                    from .rls import SYSTEM_SETTING
                    engine = create_engine(self.url, isolation_level="AUTOCOMMIT", pool_size=4, max_overflow=16,
                                           connect_args={"options": f"-c {SYSTEM_SETTING}=on "
                                                                    "-c synchronous_commit=off"})
                event.listen(engine, "before_cursor_execute", refuse_nul_parameters)
                self._system_engine = engine
            return self._system_engine

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
        if self._system_engine is not None:
            self._system_engine.dispose()


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
    detail = text.splitlines()[0]  # the database's own words, which name the constraint
    if "unique" in lowered or "duplicate key" in lowered:
        return _("This record would duplicate an existing one (%(detail)s).", detail=detail)
    if "foreign key" in lowered:
        return _("This record refers to something that does not exist or is still in use (%(detail)s).",
                 detail=detail)
    if "check" in lowered:
        return _("A value is out of its allowed range (%(detail)s).", detail=detail)
    if "not null" in lowered:
        return _("A required value is missing (%(detail)s).", detail=detail)
    return _("The change breaks a database rule (%(detail)s).", detail=detail)
