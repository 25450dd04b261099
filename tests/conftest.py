"""Shared fixtures.

One runtime per test session on SQLite (a temp file), or on PostgreSQL when
TESSERA_TEST_DATABASE_URL is set. Tests isolate by business, not by database:
each test makes its own businesses (``make_business``), and the tenancy fence
keeps them apart, which is itself under test.
"""
from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

FIXTURE_ADDONS = Path(__file__).parent / "fixtures" / "addons"
GOOD_ADDONS = FIXTURE_ADDONS / "good"
PG_URL = os.environ.get("TESSERA_TEST_DATABASE_URL")
BROKER_URL = os.environ.get("TESSERA_TEST_BROKER_URL")
_counter = itertools.count(1)


def fresh_database_url(tmp_path_factory, label: str) -> str:
    """A new empty database: a SQLite file, or a PostgreSQL database made for this run."""
    if not PG_URL:
        return "sqlite:///" + str(tmp_path_factory.mktemp(label) / "tessera.db")
    url = make_url(PG_URL)
    name = f"{url.database}_{label}_{os.getpid()}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def base_overrides(tmp_path_factory, database_url: str) -> dict:
    return {
        "ENV": "test",
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
        "DATABASE_URL": database_url,
        "ADDONS_PATH": [str(GOOD_ADDONS)],
        "SECRET_KEY": "test-secret-key",
        "BROKER_URL": "stub://",
        "DISABLE_ENTRY_POINTS": True,
    }


@pytest.fixture(scope="session")
def runtime(tmp_path_factory):
    """The shared runtime: every built-in and good fixture addon, schema migrated."""
    from core.runtime import build_runtime
    from core.addons.migrate import install_all
    url = fresh_database_url(tmp_path_factory, "main")
    rt = build_runtime(base_overrides(tmp_path_factory, url))
    install_all(rt)
    yield rt
    rt.db.dispose()


@pytest.fixture
def make_business(runtime):
    """Create a business (and enable addons for it): ``make_business(country="VN", addons=[...])``."""
    from core.business import create_business
    from core.addons import state

    def make(country="VN", currency=None, addons=(), **fields):
        n = next(_counter)
        slug = fields.pop("slug", f"biz{n}-{os.getpid()}")
        with runtime.transaction(all_businesses=True) as session:
            business = create_business(session, name=fields.pop("name", f"Business {n}"), slug=slug,
                                       country=country, currency=currency, **fields)
        if addons:
            with runtime.transaction(business.id) as session:
                state.enable(session, runtime.registry, business.id, list(addons))
        return business
    return make
