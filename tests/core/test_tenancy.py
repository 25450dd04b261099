"""The tenancy fence against every shape of ORM write from business A's session (core.tenancy).

Each test fails on a fence that only filters SELECT/UPDATE/DELETE criteria and
flushed new/dirty rows: bulk UPDATE by primary key, bulk INSERT, sessions without
a business, references written by bulk UPDATE and deletes of another business's
objects all used to get through.
"""
import itertools

import pytest
from sqlalchemy import bindparam, delete, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from core.db import TenancyError
from core.models import Membership, Role, User

_emails = itertools.count(1)


@pytest.fixture
def two(runtime, make_business):
    """Businesses A and B, each with a role "Clerk"; returns (a, b, a_role, b_role)."""
    a, b = make_business(), make_business()
    roles = []
    for business in (a, b):
        with runtime.transaction(business.id) as session:
            role = Role(name="Clerk", permissions=[])
            session.add(role)
        roles.append(role)
    return a, b, roles[0], roles[1]


def names(runtime, business_id):
    with runtime.session(business_id) as session:
        return sorted(session.scalars(select(Role.name)))


def member(runtime, business_id, role_id):
    with runtime.transaction(all_businesses=True) as session:
        user = User(email=f"fence{next(_emails)}@example.com", password_hash="x")
        session.add(user)
        session.flush()
        session.add(Membership(user_id=user.id, role_id=role_id, business_id=business_id))
    return user


# ---------------------------------------------------------------- bulk UPDATE / DELETE

@pytest.mark.parametrize("sync", ["auto", "fetch", "evaluate", False])
def test_bulk_update_and_delete_by_criteria_touch_only_the_own_business(runtime, two, sync):
    a, b, _mine, _theirs = two
    with runtime.transaction(a.id) as session:
        session.execute(update(Role).where(Role.name == "Clerk").values(name="Renamed"),
                        execution_options={"synchronize_session": sync})
        session.execute(delete(Role).where(Role.name == "Administrator"),
                        execution_options={"synchronize_session": sync})
    assert names(runtime, a.id) == ["Renamed"]
    assert names(runtime, b.id) == ["Administrator", "Clerk"]


def test_bulk_update_by_primary_key_cannot_rename_another_business_row(runtime, two):
    a, b, mine, theirs = two
    with runtime.transaction(a.id) as session:
        loaded = session.get(Role, mine.id)
        session.execute(update(Role), [{"id": theirs.id, "name": "Hijacked"}, {"id": mine.id, "name": "Mine"}])
        assert loaded.name == "Mine"  # the identity map does not keep the old value
    assert names(runtime, b.id) == ["Administrator", "Clerk"]
    assert names(runtime, a.id) == ["Administrator", "Mine"]


def test_bulk_update_by_primary_key_cannot_move_a_row_or_point_it_across(runtime, two):
    a, b, mine, theirs = two
    with pytest.raises(TenancyError, match="another business cannot be written here"):
        with runtime.transaction(a.id) as session:
            session.execute(update(Role), [{"id": mine.id, "business_id": b.id}])
    user = member(runtime, a.id, mine.id)
    with runtime.session(a.id) as session:
        membership_id = session.scalar(select(Membership.id).where(Membership.user_id == user.id))
    with pytest.raises(TenancyError, match=rf"core_role #{theirs.id} is not a record of this business"):
        with runtime.transaction(a.id) as session:
            session.execute(update(Membership), [{"id": membership_id, "role_id": theirs.id}])


def test_bulk_update_values_cannot_reference_another_business(runtime, two):
    """Before: A's user got B's role (and B's permissions) through one UPDATE."""
    a, b, mine, theirs = two
    user = member(runtime, a.id, mine.id)
    with pytest.raises(TenancyError, match=rf"core_role #{theirs.id} is not a record of this business"):
        with runtime.transaction(a.id) as session:
            session.execute(update(Membership).where(Membership.user_id == user.id).values(role_id=theirs.id))
    with pytest.raises(TenancyError, match="must set it to a plain value"):
        with runtime.transaction(a.id) as session:
            session.execute(update(Membership).values(role_id=literal(theirs.id) + 0))
    with pytest.raises(TenancyError, match="another business cannot be written here"):
        with runtime.transaction(a.id) as session:
            session.execute(update(Role).where(Role.id == mine.id).values(business_id=b.id))
    with runtime.transaction(a.id) as session:  # a role of the own business is fine
        admin = session.scalar(select(Role.id).where(Role.name == "Administrator"))
        session.execute(update(Membership).where(Membership.user_id == user.id).values(role_id=admin))
    with runtime.session(a.id) as session:
        assert session.scalar(select(Membership.role_id).where(Membership.user_id == user.id)) == admin


# ---------------------------------------------------------------- bulk INSERT

def test_bulk_insert_cannot_plant_a_row_in_another_business(runtime, two):
    a, b, _mine, _theirs = two
    statements = [
        lambda s: s.execute(insert(Role), [{"name": "Planted", "business_id": b.id, "permissions": []}]),
        lambda s: s.execute(insert(Role).values(name="Planted", business_id=b.id, permissions=[])),
        lambda s: s.execute(insert(Role).values([{"name": "Planted", "business_id": b.id, "permissions": []}])),
        lambda s: s.execute(insert(Role).values(name="Planted", business_id=bindparam("owner"), permissions=[]),
                            {"owner": b.id}),
    ]
    for run in statements:
        with pytest.raises(TenancyError, match="another business cannot be written here"):
            with runtime.transaction(a.id) as session:
                run(session)
    assert names(runtime, b.id) == ["Administrator", "Clerk"]


def test_bulk_insert_is_stamped_with_the_own_business(runtime, two):
    a, b, _mine, _theirs = two
    with runtime.transaction(a.id) as session:
        session.execute(insert(Role), [{"name": "Bulk1", "permissions": []}, {"name": "Bulk2", "permissions": []}])
        session.execute(insert(Role).values(name="Single", permissions=[]))
        session.execute(insert(Role).values([{"name": "Multi", "business_id": a.id, "permissions": []}]))
    assert names(runtime, a.id) == ["Administrator", "Bulk1", "Bulk2", "Clerk", "Multi", "Single"]
    assert names(runtime, b.id) == ["Administrator", "Clerk"]
    with pytest.raises(TenancyError, match="must give business_id in every row"):
        with runtime.transaction(a.id) as session:
            session.execute(insert(Role).values([{"name": "Unowned", "permissions": []}]))
    with pytest.raises(TenancyError, match="INSERT ... FROM SELECT is not fenced"):
        with runtime.transaction(a.id) as session:
            session.execute(insert(Role).from_select(["name", "business_id", "permissions"],
                                                     select(literal("Copied"), literal(b.id), Role.permissions)))


def test_an_upsert_cannot_rewrite_another_business_row(runtime, two):
    a, b, mine, theirs = two
    dialect_insert = sqlite_insert if runtime.db.is_sqlite else pg_insert
    upsert = dialect_insert(Role).values(name="Clerk", permissions=["x"])
    with pytest.raises(TenancyError, match="must name business_id in its conflict target"):
        with runtime.transaction(a.id) as session:
            session.execute(upsert.on_conflict_do_update(index_elements=["name"], set_={"permissions": ["x"]}))
    with pytest.raises(TenancyError, match="another business cannot be written here"):
        with runtime.transaction(a.id) as session:
            session.execute(upsert.on_conflict_do_update(index_elements=["business_id", "name"],
                                                         set_={"business_id": b.id}))
    with runtime.transaction(a.id) as session:  # colliding with the own row is an update of it
        session.execute(upsert.on_conflict_do_update(index_elements=["business_id", "name"],
                                                     set_={"permissions": ["x"]}))
    with runtime.session(all_businesses=True) as session:
        assert session.get(Role, mine.id).permissions == ["x"]
        untouched = session.get(Role, theirs.id)
        assert (untouched.permissions, untouched.business_id) == ([], b.id)


def test_bulk_insert_references_are_fenced(runtime, two):
    a, _b, _mine, theirs = two
    with runtime.transaction(all_businesses=True) as session:
        other = User(email=f"fence{next(_emails)}@example.com", password_hash="x")
        session.add(other)
    with pytest.raises(TenancyError, match=rf"core_role #{theirs.id} is not a record of this business"):
        with runtime.transaction(a.id) as session:
            session.execute(insert(Membership), [{"user_id": other.id, "role_id": theirs.id}])
    with runtime.session(a.id) as session:
        assert session.scalars(select(Membership).where(Membership.user_id == other.id)).all() == []


# ---------------------------------------------------------------- flush

def test_a_session_without_business_cannot_write_scoped_rows(runtime, two):
    a, b, _mine, theirs = two
    with pytest.raises(TenancyError, match="no business selected"):
        with runtime.transaction() as session:
            session.add(Role(name="Planted", business_id=b.id, permissions=[]))
    with pytest.raises(TenancyError, match="no business selected"):
        with runtime.transaction() as session:
            session.execute(insert(Role).values(name="Planted", business_id=b.id, permissions=[]))
    with pytest.raises(TenancyError, match="no business selected"):
        with runtime.transaction() as session:
            session.delete(session.merge(theirs, load=False))
    assert names(runtime, b.id) == ["Administrator", "Clerk"]
    with runtime.transaction(all_businesses=True) as session:  # system work may
        session.add(Role(name="Seeded", business_id=b.id, permissions=[]))
    assert names(runtime, b.id) == ["Administrator", "Clerk", "Seeded"]


def test_deleting_another_business_object_is_refused(runtime, two):
    a, b, mine, theirs = two
    with pytest.raises(TenancyError, match="another business cannot be written here"):
        with runtime.transaction(a.id) as session:
            session.delete(session.merge(theirs, load=False))
    assert names(runtime, b.id) == ["Administrator", "Clerk"]
    with runtime.transaction(a.id) as session:
        session.delete(session.get(Role, mine.id))
    assert names(runtime, a.id) == ["Administrator"]


def test_vouched_rows_skip_the_owner_query_and_a_system_session_vouches_for_nothing(runtime, two):
    from sqlalchemy import event
    from core.tenancy import vouch_for
    a, _b, mine, theirs = two
    users = []
    with runtime.transaction(all_businesses=True) as session:
        for _ in range(2):
            users.append(User(email=f"fence{next(_emails)}@example.com", password_hash="x"))
            session.add(users[-1])
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)
    event.listen(runtime.db.engine, "before_cursor_execute", record)
    try:
        with runtime.transaction(a.id) as session:
            session.execute(insert(Membership), [{"user_id": users[0].id, "role_id": mine.id}])
        asked = [s for s in seen if "FROM core_role" in s]
        seen.clear()
        with runtime.transaction(a.id) as session:
            ids = list(session.scalars(select(Role.id).where(Role.name == "Clerk")))  # through the fence
            assert ids == [mine.id]
            vouch_for(session, Role.__table__.name, ids)
            seen.clear()
            session.execute(insert(Membership), [{"user_id": users[1].id, "role_id": mine.id}])
        vouched = [s for s in seen if "FROM core_role" in s]
    finally:
        event.remove(runtime.db.engine, "before_cursor_execute", record)
    assert len(asked) == 1 and vouched == []  # the owner query, then none for the vouched row
    with runtime.session(all_businesses=True) as session:
        vouch_for(session, Role.__table__.name, [theirs.id])
        assert "_fenced_refs" not in session.info


_ROLES_NAMED = select(Role.id, Role.name).where(Role.name == bindparam("role_name"))   # built once, like a hot path's


def test_a_statement_built_once_is_fenced_for_each_business_that_runs_it(runtime, two, monkeypatch):
    """The fence hands a statement built once the same fenced copy per business (reused, so
    SQLAlchemy's cache key is worked out once): each business still sees its own rows only,
    in any order of use, and past the per-statement bound too."""
    from core import tenancy
    a, b, mine, theirs = two
    monkeypatch.setattr(tenancy, "_FENCED_PER_STATEMENT", 1)   # every switch of business clears
    for business, role in [(a, mine), (b, theirs), (a, mine), (b, theirs)]:
        with runtime.session(business.id) as session:
            assert session.execute(_ROLES_NAMED, {"role_name": "Clerk"}).all() == [(role.id, "Clerk")]
    monkeypatch.setattr(tenancy, "_FENCED_PER_STATEMENT", 64)
    with runtime.session(a.id) as session:
        first = tenancy._fenced(_ROLES_NAMED, a.id)
        assert tenancy._fenced(_ROLES_NAMED, a.id) is first and tenancy._fenced(_ROLES_NAMED, b.id) is not first
