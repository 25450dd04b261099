"""The data layer: tenancy at the ORM level, the transaction helper and SQLite's locking mode."""
import itertools
import sqlite3

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError, OperationalError

from core import db as db_module
from core.db import TenancyError, describe_integrity_error, is_transient, get_in_business
from core.errors import UserError
from core.models import Business, Membership, Role, User

_emails = itertools.count(1)


def add_role(runtime, business_id, name):
    with runtime.transaction(business_id) as session:
        role = Role(name=name, permissions=[])
        session.add(role)
    return role


def add_user(runtime):
    with runtime.transaction(all_businesses=True) as session:
        user = User(email=f"db-user{next(_emails)}@example.com", password_hash="x")
        session.add(user)
    return user


# ---------------------------------------------------------------- tenancy

def test_queries_are_filtered_by_the_sessions_business(runtime, make_business):
    one, two = make_business(), make_business()
    mine, theirs = add_role(runtime, one.id, "Cashier"), add_role(runtime, two.id, "Cashier")
    for business, role in ((one, mine), (two, theirs), (one, mine)):  # alternate: no cached criteria leak
        with runtime.session(business.id) as session:
            assert set(session.scalars(select(Role.id))) == {role.id, *session.scalars(
                select(Role.id).where(Role.name == "Administrator"))}
            assert session.scalar(select(func.count()).select_from(Role)) == 2
            assert get_in_business(session, Role, role.id).id == role.id
            other = theirs if role is mine else mine
            assert get_in_business(session, Role, other.id) is None


def test_orm_update_and_delete_touch_only_the_own_business(runtime, make_business):
    one, two = make_business(), make_business()
    add_role(runtime, one.id, "Clerk")
    theirs = add_role(runtime, two.id, "Clerk")
    with runtime.transaction(one.id) as session:
        session.execute(update(Role).where(Role.name == "Clerk").values(name="Renamed"))
        session.execute(delete(Role).where(Role.name == "Administrator"))
    with runtime.session(two.id) as session:
        assert session.get(Role, theirs.id).name == "Clerk"
        assert session.scalar(select(func.count()).select_from(Role)) == 2


def test_inserts_are_stamped_and_other_businesses_rows_cannot_be_written(runtime, make_business):
    one, two = make_business(), make_business()
    role = add_role(runtime, one.id, "Stamped")
    assert role.business_id == one.id
    with pytest.raises(TenancyError, match="another business"):
        with runtime.transaction(one.id) as session:
            session.add(Role(name="Smuggled", business_id=two.id, permissions=[]))
    with pytest.raises(TenancyError, match="another business"):
        with runtime.transaction(one.id) as session:
            session.get(Role, role.id).business_id = two.id
    with runtime.session(two.id) as session:
        assert session.scalars(select(Role.name)).all() == ["Administrator"]


def test_a_reference_to_another_business_is_refused_at_flush(runtime, make_business):
    one, two = make_business(), make_business()
    theirs = add_role(runtime, two.id, "Theirs")
    user = add_user(runtime)
    with pytest.raises(TenancyError, match=r"core_role #\d+ is not a record of this business"):
        with runtime.transaction(one.id) as session:
            session.add(Membership(user_id=user.id, role_id=theirs.id))
    with runtime.session(one.id) as session:
        assert session.scalars(select(Membership)).all() == []


def test_a_reference_through_a_relationship_is_refused_too(runtime, make_business):
    """The foreign key is only filled in during the flush; the fence must see the related object."""
    one, two = make_business(), make_business()
    user = add_user(runtime)
    with runtime.session(two.id) as other_session:
        theirs = other_session.scalars(select(Role)).one()
    with pytest.raises(TenancyError, match=r"core_role #\d+ is not a record of this business"):
        with runtime.transaction(one.id) as session:
            session.add(Membership(user_id=user.id, role=session.merge(theirs, load=False)))
    with runtime.session(one.id) as session:
        assert session.scalars(select(Membership)).all() == []
    with runtime.transaction(one.id) as session:  # the own business's role through the relationship is fine
        own = session.scalars(select(Role)).one()
        session.add(Membership(user_id=user.id, role=own))
    with runtime.transaction(one.id) as session:  # and a new role created in the same flush is stamped
        session.add(Membership(user=add_user_in(session), role=Role(name="Fresh", permissions=[])))
    with runtime.session(one.id) as session:
        assert session.scalar(select(func.count()).select_from(Membership)) == 2


def add_user_in(session):
    user = User(email=f"db-user{next(_emails)}@example.com", password_hash="x")
    session.add(user)
    return user


def test_a_session_without_business_refuses_scoped_data(runtime, make_business):
    business = make_business()
    with runtime.session() as session:
        with pytest.raises(TenancyError, match="no business selected"):
            session.scalars(select(Role)).all()
        with pytest.raises(TenancyError, match="no business selected"):
            session.execute(update(Role).values(name="x"))
        assert session.get(Business, business.id).id == business.id  # businesses themselves are global
    with pytest.raises(TenancyError, match="no business selected for a new record"):
        with runtime.transaction() as session:
            session.add(Role(name="Orphan", permissions=[]))
    with runtime.session(all_businesses=True) as session:
        assert session.scalar(select(func.count()).select_from(Role).where(Role.business_id == business.id)) == 1


def test_core_and_text_queries_are_not_filtered_on_sqlite(runtime, make_business):
    """Known boundary on SQLite: the tenancy filter is an ORM feature. ``text()`` and Core
    ``Table`` statements see every business's rows, so code that uses them must bind the
    business itself (as core.sequences does). PostgreSQL fences them with row-level
    security (tests/core/test_rls.py)."""
    if not runtime.db.is_sqlite:
        pytest.skip("PostgreSQL fences Core and text() statements by row-level security")
    one, two = make_business(), make_business()
    with runtime.session(one.id) as session:
        ids = set(session.scalars(text("SELECT business_id FROM core_role WHERE business_id IN (:a, :b)"),
                                  {"a": one.id, "b": two.id}))
        assert ids == {one.id, two.id}
        table = Role.__table__
        core_ids = set(session.scalars(select(table.c.business_id).where(table.c.business_id.in_([one.id, two.id]))))
        assert core_ids == {one.id, two.id}


# ---------------------------------------------------------------- transactions

def test_integrity_errors_become_user_errors_and_roll_back(runtime, make_business):
    business = make_business()
    with pytest.raises(UserError, match="would duplicate an existing one"):
        with runtime.transaction(business.id) as session:
            session.add(Role(name="Twin", permissions=[]))
            session.add(Role(name="Twin", permissions=[]))
    with runtime.session(business.id) as session:
        assert session.scalars(select(Role.name)).all() == ["Administrator"]


@pytest.mark.parametrize("message, expected", [
    ("UNIQUE constraint failed: core_role.name", "duplicate"),
    ("FOREIGN KEY constraint failed", "does not exist or is still in use"),
    ('new row violates check constraint "ck_core_sequence_positive"', "out of its allowed range"),
    ("NOT NULL constraint failed: core_role.name", "required value is missing"),
    ("something else", "breaks a database rule"),
])
def test_describe_integrity_error(message, expected):
    from sqlalchemy.exc import IntegrityError
    assert expected in describe_integrity_error(IntegrityError("stmt", {}, Exception(message)))


class FakePgError(Exception):
    def __init__(self, sqlstate):
        super().__init__(f"pg error {sqlstate}")
        self.sqlstate = sqlstate


def transient(kind):
    if kind == "locked":
        return OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
    return OperationalError("UPDATE", {}, FakePgError(kind))


@pytest.mark.parametrize("kind", ["locked", "40001", "40P01", "55P03"])
def test_run_in_transaction_retries_transient_conflicts(runtime, make_business, monkeypatch, kind):
    business = make_business()
    monkeypatch.setattr(db_module.time, "sleep", lambda _s: None)
    calls = []

    def work(session):
        calls.append(1)
        session.add(Role(name=f"Try{len(calls)}", permissions=[]))
        session.flush()
        if len(calls) < 3:
            raise transient(kind)
        return len(calls)

    assert runtime.db.run_in_transaction(work, business.id) == 3
    with runtime.session(business.id) as session:  # the failed attempts left nothing
        assert sorted(session.scalars(select(Role.name))) == ["Administrator", "Try3"]


def test_run_in_transaction_gives_up_after_five_tries(runtime, make_business, monkeypatch):
    business = make_business()
    sleeps = []
    monkeypatch.setattr(db_module.time, "sleep", sleeps.append)
    calls = []

    def always_locked(session):
        calls.append(1)
        raise transient("locked")

    with pytest.raises(OperationalError, match="database is locked"):
        runtime.db.run_in_transaction(always_locked, business.id)
    assert len(calls) == 5 and len(sleeps) == 4
    assert all(0 < s <= 3.0 for s in sleeps)


def test_other_errors_are_not_retried(runtime, make_business):
    business = make_business()
    calls = []

    def broken(session):
        calls.append(1)
        raise OperationalError("SELECT", {}, FakePgError("42P01"))  # undefined table: a bug, not a conflict

    with pytest.raises(OperationalError):
        runtime.db.run_in_transaction(broken, business.id)
    with pytest.raises(UserError):
        runtime.db.run_in_transaction(lambda s: (_ for _ in ()).throw(UserError("bad input")), business.id)
    assert len(calls) == 1
    assert not is_transient(DBAPIError("x", {}, Exception("syntax error")))


def test_sqlite_uses_wal_and_write_transactions_take_the_lock_up_front(runtime, make_business):
    if not runtime.db.is_sqlite:
        pytest.skip("SQLite locking mode")
    business = make_business()
    path = runtime.db.engine.url.database
    with runtime.db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with runtime.session(business.id) as reader:  # a read session takes no write lock
            reader.scalars(select(Role)).all()
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        with runtime.transaction(business.id) as session:
            session.scalars(select(Role)).all()  # nothing written yet, but the lock is held
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()


def test_the_transaction_memo_is_forgotten_on_commit_and_on_rollback(runtime, make_business):
    """core.db.tx_cache lives for one transaction: a value memoised in a transaction that
    committed or rolled back (a savepoint included) is not seen by the next one."""
    from core.db import tx_cache
    business = make_business()
    from sqlalchemy import text
    session = runtime.db.session(business.id, write=True)
    try:
        session.execute(text("SELECT 1"))  # services memoise inside a transaction they use
        tx_cache(session)["k"] = 1
        session.commit()
        assert "k" not in tx_cache(session)
        session.execute(text("SELECT 1"))
        tx_cache(session)["k"] = 2
        session.rollback()
        assert "k" not in tx_cache(session)
        with session.begin_nested() as savepoint:
            tx_cache(session)["k"] = 3
            savepoint.rollback()
        assert "k" not in tx_cache(session)
    finally:
        session.close()
