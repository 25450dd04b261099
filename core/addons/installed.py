"""The installed addon versions (the ``core_addon`` table) read with the bare database driver.

``manage.py addons list`` shows them beside every manifest, and is the command people run
to see what is there: it must answer in a blink, so it reads this one small table with the
DB-API driver (sqlite3 from the standard library, psycopg for PostgreSQL) rather than
importing SQLAlchemy, the models and the tenancy machinery (about 0.3 s) for one SELECT.
Everything that writes, or needs a business, goes through ``core.addons.state`` as usual.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import UserError

TABLE = "core_addon"


class NotLight(Exception):
    """The URL names a driver this reader does not speak: the caller uses SQLAlchemy."""


def installed_versions(url: str) -> dict[str, str] | None:
    """{addon: version} installed in the database at ``url``; None if it is not created or not
    migrated yet. Raises NotLight for a backend other than SQLite and PostgreSQL, UserError
    (naming the database) when it cannot be reached."""
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if scheme == "sqlite":
        return _sqlite(url)
    if scheme in ("postgresql", "postgres"):
        return _postgresql(url)
    raise NotLight(scheme)


def _sqlite(url: str) -> dict[str, str] | None:
    import sqlite3
    path = url.split("///", 1)[-1].split("?", 1)[0] if "///" in url else ""
    if not path or path == ":memory:" or not Path(path).exists():
        return None  # an in-memory or not yet created database has nothing installed
    try:
        conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise UserError(f"database: {exc} (check TESSERA_DATABASE_URL)") from None
    try:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)).fetchone() is None:
            return None
        return dict(conn.execute(f"SELECT name, version FROM {TABLE}").fetchall())
    except sqlite3.Error as exc:
        raise UserError(f"database: {exc} (check TESSERA_DATABASE_URL)") from None
    finally:
        conn.close()


def _postgresql(url: str) -> dict[str, str] | None:
    try:
        import psycopg
    except ImportError:
        raise NotLight("postgresql without psycopg") from None
    # libpq takes the URL itself once SQLAlchemy's "+driver" suffix is dropped.
    scheme, rest = url.split("://", 1)
    conninfo = "postgresql://" + rest
    try:
        with psycopg.connect(conninfo, connect_timeout=10) as conn:
            if conn.execute("SELECT to_regclass(%s)", (TABLE,)).fetchone()[0] is None:
                return None
            return dict(conn.execute(f"SELECT name, version FROM {TABLE}").fetchall())
    except psycopg.Error as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"database: {message} (check TESSERA_DATABASE_URL)") from None
