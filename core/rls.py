"""PostgreSQL row-level security: the second wall under the ORM fence of ``core.tenancy``.

The ORM fence cannot see Core ``Table`` statements or ``text()`` SQL. On
PostgreSQL every table with a ``business_id`` column therefore carries one policy,
``tessera_business``: a row is visible and writable when its business is the one
the transaction set (``tessera.business_id``) or when the transaction is a system
one (``tessera.all_businesses = 'on'``); rows without a business (audit entries,
jobs of no business) belong to sessions without one. Each transaction sets both
values with ``SET LOCAL`` semantics as it begins (``_set_business`` below), from
the session's ``business_id`` and ``all_businesses``.

Policies do not bind a table's owner (no ``FORCE``): migrations run as the owner
role (``TESSERA_MIGRATE_DATABASE_URL``) and may rewrite every business's rows,
while the app connects as a role with DML grants only (``TESSERA_DATABASE_URL``),
which the policies do bind. A superuser or ``BYPASSRLS`` role bypasses them.

Coverage keeps itself: the core revision switches row-level security on, and
every later upgrade (``after_upgrade``, run by ``migrations/env.py`` in the same
transaction) gives each new business-scoped table, an addon's included, its
policy, and grants the app role its DML rights. ``uncovered`` lists tables that
escaped, for tests and checks. SQLite has only the ORM fence.
"""
from __future__ import annotations

from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

POLICY = "tessera_business"
BUSINESS_SETTING = "tessera.business_id"
SYSTEM_SETTING = "tessera.all_businesses"
# NULLIF: once a connection has run SET LOCAL, the unset value reads back as '' rather than NULL.
_CURRENT = f"NULLIF(current_setting('{BUSINESS_SETTING}', true), '')::int"
_SYSTEM = f"current_setting('{SYSTEM_SETTING}', true) = 'on'"
_SYSTEM_OFF = f"SELECT set_config('{SYSTEM_SETTING}', 'off', true)"
MARKER_TABLE = "core_role"  # row-level security on this table means the core revision is applied


@event.listens_for(Session, "after_begin")
def _set_business(session, _transaction, connection):
    """Tell PostgreSQL which business this transaction works for (one round trip, transaction-local)."""
    if connection.dialect.name != "postgresql":
        return
    business_id = session.info.get("business_id")
    connection.exec_driver_sql(
        f"SELECT set_config('{BUSINESS_SETTING}', %s, true), set_config('{SYSTEM_SETTING}', %s, true)",
        ("" if business_id is None else str(int(business_id)),
         "on" if session.info.get("all_businesses") else "off"))


def run_as_system(state):
    """Run one ORM statement that asked for ``all_businesses`` with the system flag on.

    A business session's explicit per-statement opt-in (counting a user's
    memberships in every business, say) would otherwise see only its business
    here. The flag is switched off again before anything else runs; if the
    statement fails, the rollback of its (sub)transaction restores it, and the
    reset is tried anyway. Returns None off PostgreSQL: the ORM fence alone decides.
    """
    connection = state.session.connection()
    if connection.dialect.name != "postgresql":
        return None
    connection.exec_driver_sql(f"SELECT set_config('{SYSTEM_SETTING}', 'on', true)")
    try:
        result = state.invoke_statement()
    except BaseException:
        try:
            connection.exec_driver_sql(_SYSTEM_OFF)
        except DBAPIError:
            pass  # the transaction is aborted; rolling it back restores the flag
        raise
    connection.exec_driver_sql(_SYSTEM_OFF)
    return result


def policy_expression(nullable: bool) -> str:
    """The one rule of every policy; a nullable business_id lets business-less sessions own NULL rows."""
    own = f"business_id = {_CURRENT}"
    if nullable:
        own = f"({own} OR (business_id IS NULL AND {_CURRENT} IS NULL))"
    return f"{own} OR {_SYSTEM}"


def business_tables(connection) -> dict[str, bool]:
    """Tables of the current schema with a business_id column: ``{table: business_id is nullable}``."""
    rows = connection.execute(text(
        "SELECT c.table_name, c.is_nullable = 'YES' FROM information_schema.columns c "
        "JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
        "WHERE c.table_schema = current_schema() AND c.column_name = 'business_id' "
        "AND t.table_type = 'BASE TABLE' ORDER BY c.table_name"))
    return dict(rows.all())


def _state(connection) -> dict[str, tuple[bool, bool]]:
    """``{table: (row security enabled, policy present)}`` for the current schema's tables."""
    rows = connection.execute(text(
        "SELECT c.relname, c.relrowsecurity, EXISTS (SELECT 1 FROM pg_policies p WHERE p.schemaname = n.nspname "
        "AND p.tablename = c.relname AND p.policyname = :policy) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'"),
        {"policy": POLICY})
    return {name: (enabled, has_policy) for name, enabled, has_policy in rows}


def uncovered(connection) -> list[str]:
    """Business-scoped tables without row-level security or without the policy (should be none)."""
    state = _state(connection)
    return [name for name in business_tables(connection) if state.get(name) != (True, True)]


def enable(connection):
    """Give every business-scoped table row-level security and the policy; idempotent.

    Only what is missing is created, so an upgrade locks no table that is already covered.
    """
    state = _state(connection)
    quote = connection.dialect.identifier_preparer.quote
    for name, nullable in business_tables(connection).items():
        enabled, has_policy = state.get(name, (False, False))
        if not has_policy:
            rule = policy_expression(nullable)
            connection.exec_driver_sql(f"CREATE POLICY {POLICY} ON {quote(name)} USING ({rule}) WITH CHECK ({rule})")
        if not enabled:
            connection.exec_driver_sql(f"ALTER TABLE {quote(name)} ENABLE ROW LEVEL SECURITY")


def disable(connection):
    """Drop the policies and switch row-level security off (the core revision's downgrade)."""
    quote = connection.dialect.identifier_preparer.quote
    for name in business_tables(connection):
        connection.exec_driver_sql(f"DROP POLICY IF EXISTS {POLICY} ON {quote(name)}")
        connection.exec_driver_sql(f"ALTER TABLE {quote(name)} DISABLE ROW LEVEL SECURITY")


def grant_app_role(connection, role: str):
    """DML on every table and sequence, now and for tables the owner creates later; no DDL.

    The app reads the version table (to refuse starting with pending migrations)
    but never writes it.
    """
    role, schema = connection.dialect.identifier_preparer.quote(role), _schema(connection)
    for statement in (
            "GRANT USAGE ON SCHEMA {schema} TO {role}",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
            "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role}",
            "REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {role}"):
        connection.exec_driver_sql(statement.format(schema=schema, role=role))


def _schema(connection) -> str:
    return connection.dialect.identifier_preparer.quote(connection.execute(text("SELECT current_schema()")).scalar())


def after_upgrade(connection, app_role: str | None):
    """After every upgrade on PostgreSQL: grants for the app role, policies for new tables."""
    if connection.dialect.name != "postgresql":
        return
    if app_role and app_role != connection.execute(text("SELECT current_user")).scalar():
        grant_app_role(connection, app_role)
    if _state(connection).get(MARKER_TABLE, (False, False))[0]:
        enable(connection)


def bypass_reason(connection) -> str | None:
    """Why the connected role is not bound by the policies (superuser, BYPASSRLS, table owner), or None."""
    superuser, bypass = connection.execute(text(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
    if superuser:
        return "it is a superuser"
    if bypass:
        return "it has BYPASSRLS"
    owned = connection.execute(text(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND pg_get_userbyid(c.relowner) = current_user"
    )).scalar()
    return f"it owns {owned} table(s)" if owned else None


def unfenced_warning(engine) -> str | None:
    """On PostgreSQL, a sentence saying that the app's role escapes the policies and why; else None."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        reason = bypass_reason(connection)
    if reason is None:
        return None
    return (f"row-level security does not bind the database role of TESSERA_DATABASE_URL ({reason}); "
            f"connect the app as a role with DML rights only and migrate with TESSERA_MIGRATE_DATABASE_URL "
            f"(README: Security)")
