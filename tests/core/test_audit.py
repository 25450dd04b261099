import itertools
import threading
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Numeric, String, delete, select, text, update
from sqlalchemy.orm import Mapped, mapped_column

from core.audit import AppendOnlyError, Audited, acting_as, current_user_id, history, jsonable
from core.db import Base, BusinessScoped, TimestampMixin
from core.models import AuditEntry, User

_emails = itertools.count(1)


class AuditedThing(Audited, BusinessScoped, TimestampMixin, Base):
    """A stand-in for a money/stock/fiscal model of an addon (no addon prefix: no migration)."""
    __tablename__ = "test_audited_thing"
    __audit_exclude__ = frozenset({"secret"})
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    due: Mapped[datetime | None] = mapped_column()
    secret: Mapped[str | None] = mapped_column(String(50))


@pytest.fixture
def db(runtime, owner_engine):
    AuditedThing.__table__.create(owner_engine, checkfirst=True)
    return runtime


@pytest.fixture
def user(db):
    with db.transaction(all_businesses=True) as session:
        person = User(email=f"auditor{next(_emails)}@example.com", password_hash="x")
        session.add(person)
    return person


def entries(runtime, business_id, record_id=None):
    with runtime.session(business_id) as session:
        if record_id is None:
            return list(session.scalars(select(AuditEntry).where(AuditEntry.business_id == business_id)
                                        .order_by(AuditEntry.id)))
        return history(session, AuditedThing, record_id)


def test_insert_update_delete_are_logged_with_who_and_what(db, make_business, user):
    business = make_business()
    due = datetime(2025, 12, 31, 23, 59, tzinfo=timezone.utc)
    with acting_as(user.id):
        with db.transaction(business.id) as session:
            thing = AuditedThing(name="Rice 5kg", price=Decimal("125000.00"), due=due, secret="hunter2")
            session.add(thing)
        with db.transaction(business.id) as session:
            thing = session.get(AuditedThing, thing.id)
            thing.price = Decimal("119000.50")
            thing.secret = "changed"
    with db.transaction(business.id) as session:  # no acting user: the system
        session.delete(session.get(AuditedThing, thing.id))

    log = entries(db, business.id, thing.id)
    assert [e.action for e in log] == ["create", "update", "delete"]
    created, updated, deleted = log
    assert created.user_id == user.id and updated.user_id == user.id and deleted.user_id is None
    assert all(e.business_id == business.id and e.model == "test_audited_thing" for e in log)
    assert created.before is None
    assert created.after["name"] == "Rice 5kg"
    assert created.after["price"] == "125000.00"
    assert created.after["due"].startswith("2025-12-31T23:59")
    assert created.after["business_id"] == business.id
    assert updated.before == {"price": "125000.00"} and updated.after == {"price": "119000.50"}
    assert deleted.before["price"] == "119000.50" and deleted.after is None
    for entry in log:  # excluded column never logged
        assert "secret" not in (entry.before or {}) and "secret" not in (entry.after or {})
        assert "hunter2" not in str(entry.after)


def test_a_rolled_back_change_leaves_no_entry(db, make_business):
    business = make_business()
    with pytest.raises(RuntimeError):
        with db.transaction(business.id) as session:
            session.add(AuditedThing(name="ghost", price=Decimal("1")))
            session.flush()
            raise RuntimeError("abort")
    assert entries(db, business.id) == []


def test_an_update_without_a_real_change_writes_nothing(db, make_business):
    business = make_business()
    with db.transaction(business.id) as session:
        thing = AuditedThing(name="same", price=Decimal("5.00"))
        session.add(thing)
    with db.transaction(business.id) as session:
        session.get(AuditedThing, thing.id).name = "same"
    assert [e.action for e in entries(db, business.id)] == ["create"]


def test_the_audit_log_is_append_only_in_the_orm(db, make_business):
    business = make_business()
    with db.transaction(business.id) as session:
        session.add(AuditedThing(name="x", price=Decimal("1")))
    entry_id = entries(db, business.id)[0].id
    with pytest.raises(AppendOnlyError):
        with db.transaction(business.id) as session:
            session.get(AuditEntry, entry_id).action = "forged"
    with pytest.raises(AppendOnlyError):
        with db.transaction(business.id) as session:
            session.delete(session.get(AuditEntry, entry_id))
    with pytest.raises(AppendOnlyError):
        with db.transaction(business.id) as session:
            session.execute(update(AuditEntry).where(AuditEntry.id == entry_id).values(action="forged"))
    with pytest.raises(AppendOnlyError):
        with db.transaction(business.id) as session:
            session.execute(delete(AuditEntry).where(AuditEntry.id == entry_id))
    assert entries(db, business.id)[0].action == "create"


def test_bulk_orm_statements_are_logged_as_one_statement_entry(db, make_business, user):
    business = make_business()
    with db.transaction(business.id) as session:
        session.add_all([AuditedThing(name=f"n{i}", price=Decimal("10.00")) for i in range(3)])
    with acting_as(user.id), db.transaction(business.id) as session:
        session.execute(update(AuditedThing).values(price=Decimal("12.50")))
    bulk = entries(db, business.id)[-1]
    assert bulk.record_id == "*" and bulk.action == "update" and bulk.user_id == user.id
    assert bulk.after["rows"] == 3
    assert "12.50" in bulk.after["params"].values()
    assert "test_audited_thing" in bulk.after["statement"]


def test_core_and_text_sql_bypass_the_audit(db, make_business):
    """Known boundary: only the ORM is audited. Raw SQL on audited tables leaves no entry,
    which is why services change audited data through the ORM."""
    business = make_business()
    with db.transaction(business.id) as session:
        thing = AuditedThing(name="raw", price=Decimal("1.00"))
        session.add(thing)
    with db.transaction(business.id) as session:
        session.execute(text("UPDATE test_audited_thing SET price = 2 WHERE id = :id"), {"id": thing.id})
    assert [e.action for e in entries(db, business.id)] == ["create"]


def test_history_is_fenced_by_business(db, make_business):
    one, two = make_business(), make_business()
    with db.transaction(one.id) as session:
        thing = AuditedThing(name="mine", price=Decimal("1"))
        session.add(thing)
    assert len(entries(db, one.id, thing.id)) == 1
    assert entries(db, two.id, thing.id) == []


def test_acting_as_nests_and_does_not_leak_into_other_threads():
    seen = []
    with acting_as(7):
        with acting_as(8):
            assert current_user_id.get() == 8
        assert current_user_id.get() == 7
        thread = threading.Thread(target=lambda: seen.append(current_user_id.get()))
        thread.start()
        thread.join()
    assert current_user_id.get() is None and seen == [None]


def test_jsonable_keeps_exact_values():
    assert jsonable(Decimal("0.10")) == "0.10"
    assert jsonable(datetime(2025, 1, 2, 3, 4, 5)) == "2025-01-02T03:04:05"
    assert jsonable(b"abc") == "<3 bytes>"
    assert jsonable({"a": [Decimal("1.5"), None]}) == {"a": ["1.5", None]}


def test_flush_one_writes_the_row_and_the_entry_a_flush_would(db, make_business, user):
    from core.audit import flush_one
    business = make_business()
    with db.transaction(business.id) as session:
        thing = AuditedThing(name="one", price=Decimal("5.00"), secret="s")
        session.add(thing)
    stamped = thing.updated_at
    with acting_as(user.id), db.transaction(business.id) as session:
        thing = session.get(AuditedThing, thing.id)
        thing.price, thing.name, thing.secret = Decimal("6.50"), "one", "t"   # name: set to what it was
        assert flush_one(session, thing, expect={"name": "one"}) == 1
        assert not session.dirty and not session.is_modified(thing)   # nothing left for commit's flush
    with db.session(business.id) as session:
        stored = session.get(AuditedThing, thing.id)
        utc = [d if d.tzinfo else d.replace(tzinfo=timezone.utc) for d in (stored.updated_at, stamped)]
        assert (stored.price, stored.secret) == (Decimal("6.50"), "t") and utc[0] > utc[1]
    update_entry = entries(db, business.id, thing.id)[-1]
    assert update_entry.action == "update" and update_entry.user_id == user.id
    assert update_entry.before == {"price": "5.00"} and update_entry.after == {"price": "6.50"}


def test_flush_one_writes_nothing_when_the_guard_or_the_fence_does_not_match(db, make_business):
    from core.audit import flush_one
    one, two = make_business(), make_business()
    with db.transaction(one.id) as session:
        mine = AuditedThing(name="draft", price=Decimal("1.00"))
        session.add(mine)
    with db.transaction(two.id) as session:
        theirs = AuditedThing(name="theirs", price=Decimal("1.00"))
        session.add(theirs)
    with db.transaction(one.id) as session:
        thing = session.get(AuditedThing, mine.id)
        thing.price = Decimal("2.00")
        assert flush_one(session, thing, expect={"name": "issued"}) == 0
        other = session.scalar(select(AuditedThing).where(AuditedThing.id == theirs.id),
                               execution_options={"all_businesses": True})
        other.price = Decimal("9.00")
        assert flush_one(session, other) == 0   # the UPDATE names business one: another's row is not touched
        session.rollback()
    with db.session(two.id) as session:
        assert session.get(AuditedThing, theirs.id).price == Decimal("1.00")
    with db.session(one.id) as session:
        assert session.get(AuditedThing, mine.id).price == Decimal("1.00")
    assert [e.action for e in entries(db, one.id)] == ["create"]
