"""Moving NUMERIC money columns to the exact storage of ``core.money.ExactDecimal``.

Used by one revision per Alembic branch (core and each addon with money
columns). On PostgreSQL a NUMERIC stays NUMERIC: only a column narrower than its
new (precision, scale) is widened, which never loses a digit. On SQLite the
column becomes a 64-bit integer of units of ``10**-scale``: each stored value is
read, rounded to the column's scale and written back scaled, then the table is
rebuilt with the integer type (Alembic batch copy). The old values were REAL:
rounding the shortest representation of the float to the scale recovers what
was typed for anything of at most 15 significant digits; what SQLite had already
lost cannot come back. The revisions spell out their columns as plain numbers,
so they keep meaning the same thing whatever the models say later.

Triggers that name a rebuilt table (the e-invoice immutability guards) are
dropped for the conversion and recreated verbatim afterwards; CHECK constraints
whose literals change meaning with scaled storage (``rate < 1``) are replaced
by the SQLite text the revision gives.
"""
from __future__ import annotations

import re
import warnings
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

# {table: {column: (precision, scale)}}
Columns = dict[str, dict[str, tuple[int, int]]]
# {table: {constraint name: (condition on scaled integers, condition before)}}
Checks = dict[str, dict[str, tuple[str, str]]]


def upgrade(op, columns: Columns, sqlite_checks: Checks | None = None) -> None:
    """Convert ``columns`` to exact storage without loss."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        _widen(op, bind, columns)
        return
    _sqlite_convert(op, bind, columns, _to_scaled,
                    {table: {name: sa.BigInteger() for name in specs} for table, specs in columns.items()},
                    {table: {name: new for name, (new, _old) in checks.items()}
                     for table, checks in (sqlite_checks or {}).items()})


def downgrade(op, columns: Columns, sqlite_checks: Checks | None = None, *,
              previous: Columns | None = None) -> None:
    """Back to NUMERIC; ``previous`` names the columns that were narrower. SQLite gets REAL values back."""
    bind = op.get_bind()
    old = {table: {**specs, **(previous or {}).get(table, {})} for table, specs in columns.items()}
    if bind.dialect.name != "sqlite":
        for table, specs in old.items():
            for name, (precision, scale) in specs.items():
                op.alter_column(table, name, type_=sa.Numeric(precision, scale))
        return
    _sqlite_convert(op, bind, columns, _from_scaled,
                    {table: {name: sa.Numeric(p, s) for name, (p, s) in specs.items()} for table, specs in old.items()},
                    {table: {name: before for name, (_new, before) in checks.items()}
                     for table, checks in (sqlite_checks or {}).items()})


def _sqlite_convert(op, bind, columns: Columns, convert, types: dict, checks: dict) -> None:
    """Rewrite every value with ``convert``, then rebuild each table with ``types`` and ``checks``."""
    with _triggers_set_aside(bind, columns):
        with _checks_ignored(bind):
            for table, specs in columns.items():
                _rewrite_values(bind, table, specs, convert)
        for table in columns:
            _rebuild(op, table, types[table], checks.get(table, {}))


def exact_value(value, scale: int) -> Decimal | None:
    """A stored SQLite value (int, REAL or text) as the Decimal it stood for, at ``scale`` decimals."""
    if value is None:
        return None
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    return number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)


def _to_scaled(value, scale: int) -> int | None:
    exact = exact_value(value, scale)
    return None if exact is None else int(exact.scaleb(scale))


def _from_scaled(value, scale: int) -> float | None:
    return None if value is None else float(Decimal(value).scaleb(-scale))


def _rewrite_values(bind, table: str, specs: dict[str, tuple[int, int]], convert) -> None:
    names = list(specs)
    rows = bind.execute(sa.text(f"SELECT rowid, {', '.join(names)} FROM {table}")).all()
    if not rows:
        return
    assignments = ", ".join(f"{name} = :{name}" for name in names)
    params = [{"rowid": row[0], **{name: convert(row[i + 1], specs[name][1]) for i, name in enumerate(names)}}
              for row in rows]
    bind.execute(sa.text(f"UPDATE {table} SET {assignments} WHERE rowid = :rowid"), params)


def _rebuild(op, table: str, types: dict, checks: dict[str, str]) -> None:
    """Recreate ``table`` with the new column types and CHECKs (Alembic's batch "move and copy").

    Alembic reflects the table, and the tables its foreign keys name, to copy them; SQLAlchemy
    cannot reflect an index on an expression (``lower(sku)``) and warns that it skipped it. The
    batch would then recreate the table without such an index, so the table's own ones are kept
    here and created again afterwards, verbatim, and the warning (about an index this function
    restores, or one on a table it does not rebuild) is not shown to whoever runs ``migrate``."""
    bind = op.get_bind()
    indexes = bind.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t "
                                   "AND sql IS NOT NULL"), {"t": table}).all()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index")
        with op.batch_alter_table(table, recreate="always") as batch:
            for name, type_ in types.items():
                batch.alter_column(name, type_=type_)
            for name, condition in checks.items():
                batch.drop_constraint(op.f(name), type_="check")
                batch.create_check_constraint(op.f(name), sa.text(condition))
    present = set(bind.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"),
                               {"t": table}).scalars())
    for name, sql in indexes:
        if name not in present:
            bind.exec_driver_sql(sql)


@contextmanager
def _triggers_set_aside(bind, columns: Columns):
    """Drop the triggers that mention the tables; recreate them verbatim once the tables are rebuilt."""
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, columns)) + r")\b")
    rows = bind.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
    saved = [(name, sql) for name, sql in rows if pattern.search(sql or "")]
    for name, _sql in saved:
        bind.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield
    for _name, sql in saved:
        bind.exec_driver_sql(sql)


@contextmanager
def _checks_ignored(bind):
    """Values are rewritten row by row while the old CHECKs still hold the old literals; the
    rebuild that follows copies every row into the new table, which checks them all again."""
    bind.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
    try:
        yield
    finally:
        bind.exec_driver_sql("PRAGMA ignore_check_constraints = OFF")


def _widen(op, bind, columns: Columns) -> None:
    inspector = sa.inspect(bind)
    for table, specs in columns.items():
        current = {c["name"]: c["type"] for c in inspector.get_columns(table)}
        for name, (precision, scale) in specs.items():
            have = current[name]
            if (getattr(have, "precision", None), getattr(have, "scale", None)) != (precision, scale):
                op.alter_column(table, name, type_=sa.Numeric(precision, scale), existing_type=have)
