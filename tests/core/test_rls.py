"""PostgreSQL row-level security, the wall under the ORM fence (core.rls).

The runtime of the test suite connects as the app role of tests/conftest.py (no
superuser, owns no table), so these tests see what production's app role sees.
SQLite has the ORM fence only.
"""
import pytest
from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.exc import DBAPIError, ProgrammingError

from core import rls
from core.addons.migrate import app_role, owner_of, upgrade
from core.models import Role


@pytest.fixture
def pg(runtime):
    if runtime.db.is_sqlite:
        pytest.skip("row-level security is PostgreSQL's; SQLite has the ORM fence only")
    return runtime


@pytest.fixture
def owner(pg, owner_engine):
    return owner_engine


def uncovered(runtime, conn) -> list[str]:
    """Uncovered tables of the core and the addons (tests' scratch tables belong to no one)."""
    return [name for name in rls.uncovered(conn) if owner_of(name, runtime.registry.names)]


@pytest.fixture
def pair(pg, make_business):
    a, b = make_business(), make_business()
    with pg.transaction(b.id) as session:
        session.add(Role(name="Theirs", permissions=[]))
    return a, b


def test_migrations_connect_as_the_owner_and_grant_the_app_role(tmp_path):
    from core.config import load_config

    def config(**values):
        return load_config(values, config_dir=tmp_path, environ={})
    two_roles = config(DATABASE_URL="postgresql://app@db/t", MIGRATE_DATABASE_URL="postgresql://owner@db/t")
    assert two_roles.migrate_database_url == "postgresql://owner@db/t"
    assert app_role(two_roles) == "app"
    one_role = config(DATABASE_URL="postgresql://app@db/t")
    assert one_role.migrate_database_url == "postgresql://app@db/t" and app_role(one_role) is None
    assert app_role(config(DATABASE_URL="sqlite:///x.db", MIGRATE_DATABASE_URL="sqlite:///x.db")) is None
    assert rls.unfenced_warning(create_engine("sqlite://")) is None  # SQLite has no roles to warn about


def test_the_app_connects_as_a_role_the_policies_bind(pg, owner):
    with pg.db.engine.connect() as conn:
        assert rls.bypass_reason(conn) is None
    assert rls.unfenced_warning(pg.db.engine) is None
    # the owner (here a superuser) runs migrations and is not fenced; web/worker/scheduler warn about it
    assert "does not bind" in rls.unfenced_warning(owner) and "superuser" in rls.unfenced_warning(owner)
    assert app_role(pg.config) == pg.db.engine.url.username


def test_text_select_and_update_see_and_touch_no_row_of_another_business(pg, pair):
    a, b = pair
    with pg.transaction(a.id) as session:
        seen = session.execute(text("SELECT count(*) FROM core_role WHERE business_id = :b"), {"b": b.id}).scalar()
        touched = session.execute(text("UPDATE core_role SET name = 'Hijacked' WHERE business_id = :b"),
                                  {"b": b.id}).rowcount
        table = Role.__table__
        core_touched = session.execute(update(table).where(table.c.business_id == b.id).values(name="Core")).rowcount
        own = session.execute(text("SELECT count(*) FROM core_role")).scalar()
    assert (seen, touched, core_touched) == (0, 0, 0)
    assert own == 1  # the own business's Administrator role
    with pg.session(b.id) as session:
        assert sorted(session.scalars(select(Role.name))) == ["Administrator", "Theirs"]


def test_a_text_insert_into_another_business_is_refused(pg, pair):
    a, b = pair
    with pytest.raises(DBAPIError, match="row-level security"):
        with pg.transaction(a.id) as session:
            session.execute(text("INSERT INTO core_role (business_id, name, permissions) VALUES (:b, 'x', '[]')"),
                            {"b": b.id})


def test_system_sessions_see_every_business_and_others_see_none(pg, pair):
    a, b = pair
    count = text("SELECT count(*) FROM core_role WHERE business_id IN (:a, :b)")
    with pg.session(all_businesses=True) as session:
        assert session.execute(count, {"a": a.id, "b": b.id}).scalar() == 3
    with pg.session() as session:
        assert session.execute(count, {"a": a.id, "b": b.id}).scalar() == 0
    with pg.db.engine.connect() as conn:  # outside a session nothing is set: nothing is visible
        assert conn.execute(count, {"a": a.id, "b": b.id}).scalar() == 0


def test_every_business_scoped_table_has_its_policy(pg, owner):
    with owner.connect() as conn:
        tables = rls.business_tables(conn)
        assert {"core_role", "core_audit_log", "sales_order", "tfx_notes_note"} <= set(tables)
        assert uncovered(pg, conn) == []


def test_a_table_created_later_is_covered_by_the_next_upgrade(pg, owner, pair):
    """An addon's new table needs nothing from its author: the upgrade that creates it fences it."""
    a, b = pair
    with owner.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE tfx_notes_late_item (id serial PRIMARY KEY, business_id int NOT NULL)")
    try:
        with owner.connect() as conn:
            assert uncovered(pg, conn) == ["tfx_notes_late_item"]
        upgrade(pg.registry, pg.config.migrate_database_url, app_role=app_role(pg.config))
        with owner.connect() as conn:
            assert uncovered(pg, conn) == [] and "tfx_notes_late_item" not in rls.uncovered(conn)
        for business in (a, b):
            with pg.transaction(business.id) as session:
                session.execute(text("INSERT INTO tfx_notes_late_item (business_id) VALUES (:b)"), {"b": business.id})
        with pg.session(a.id) as session:
            assert session.execute(text("SELECT business_id FROM tfx_notes_late_item")).scalars().all() == [a.id]
    finally:
        with owner.begin() as conn:
            conn.exec_driver_sql("DROP TABLE tfx_notes_late_item")


def test_the_app_role_has_no_ddl_and_cannot_write_the_version_table(pg):
    with pytest.raises(ProgrammingError, match="permission denied"):
        with pg.db.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE tfx_forbidden (id int)")
    with pytest.raises(ProgrammingError, match="permission denied"):
        with pg.db.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM alembic_version")
    with pg.db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(text("alembic_version"))).scalar() >= 1


def test_one_statement_may_opt_out_and_the_flag_is_off_again_after_it(pg, pair):
    """``execution_options={"all_businesses": True}`` is a system statement on both walls, and only it."""
    a, b = pair
    flag = text("SELECT current_setting('tessera.all_businesses')")
    with pg.session(a.id) as session:
        owners = session.scalars(select(Role.business_id).where(Role.business_id.in_([a.id, b.id])),
                                 execution_options={"all_businesses": True}).all()
        assert sorted(owners) == sorted([a.id, b.id, b.id])  # B has "Theirs" besides its Administrator
        assert session.execute(text("SELECT count(*) FROM core_role WHERE business_id = :b"), {"b": b.id}).scalar() == 0
        assert session.execute(flag).scalar() == "off"
        with pytest.raises(ProgrammingError):
            with session.begin_nested():  # a failing system statement leaves the flag off too
                session.execute(select(Role).where(text("no_such_column = 1")),
                                execution_options={"all_businesses": True})
        assert session.execute(flag).scalar() == "off"


def test_the_revision_downgrade_switches_it_off_and_enable_restores_it(pg, owner, pair):
    a, b = pair
    count = text("SELECT count(*) FROM core_role WHERE business_id = :b")
    try:
        with owner.begin() as conn:
            rls.disable(conn)
            assert set(uncovered(pg, conn)) >= {"core_role", "sales_order"}
        with pg.session(a.id) as session:
            assert session.execute(count, {"b": b.id}).scalar() == 2
    finally:
        with owner.begin() as conn:
            rls.enable(conn)
    with owner.connect() as conn:
        assert uncovered(pg, conn) == []
    with pg.session(a.id) as session:
        assert session.execute(count, {"b": b.id}).scalar() == 0
