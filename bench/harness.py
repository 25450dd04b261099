"""What every benchmark needs: a throw-away database, a runtime on it, and one result shape.

Benchmarks (bench/run.py collects bench/core_bench.py and one bench/<addon>.py per
addon) report a figure next to a floor measured in the same run, so the ratio says
what Tessera adds, independent of the machine. Nothing under bench/ is installed
with the app: benchmarks are a developer's tool, not part of the packages users get.
"""
from __future__ import annotations

import os
import shutil
import statistics
import tempfile
from contextlib import contextmanager
from pathlib import Path

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_DEFAULT = "redis://127.0.0.1:6379/15"


def pg_url_if_reachable() -> str | None:
    """TESSERA_BENCH_DATABASE_URL (or the local default) when a PostgreSQL server answers there."""
    url = os.environ.get("TESSERA_BENCH_DATABASE_URL") or PG_DEFAULT
    if not url.startswith("postgresql"):
        return None
    try:
        from sqlalchemy import create_engine, text
        engine = create_engine(url, connect_args={"connect_timeout": 2})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return url
    except Exception:  # unreachable or misconfigured: the caller reports the backend as skipped
        return None


def redis_url_if_reachable() -> str | None:
    url = os.environ.get("TESSERA_BENCH_REDIS_URL", REDIS_DEFAULT)
    try:
        import redis
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
        return url
    except Exception:  # unreachable: the caller skips the Redis figure
        return None


def default_backend() -> str:
    """PostgreSQL when TESSERA_BENCH_DATABASE_URL names one, else SQLite."""
    return "postgresql" if os.environ.get("TESSERA_BENCH_DATABASE_URL", "").startswith("postgresql") else "sqlite"


@contextmanager
def temp_database(backend: str, label: str):
    """Yield (url, folder) of a fresh database ("sqlite" or "postgresql"), dropped afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=f"tessera-bench-{label}-"))
    try:
        if backend == "sqlite":
            yield "sqlite:///" + str(folder / "bench.db"), folder
            return
        base = pg_url_if_reachable()
        if base is None:
            raise RuntimeError("this benchmark needs PostgreSQL: set TESSERA_BENCH_DATABASE_URL "
                               f"(tried {os.environ.get('TESSERA_BENCH_DATABASE_URL') or PG_DEFAULT})")
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url
        url = make_url(base)
        name = f"tessera_bench_{label}_{os.getpid()}"
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False), folder
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def overrides_for(url: str, folder: Path, broker: str = "stub://") -> dict:
    return {"ENV": "test", "DATABASE_URL": url, "INSTANCE_PATH": str(folder), "BROKER_URL": broker,
            "SECRET_KEY": "bench-secret-key", "DISABLE_ENTRY_POINTS": True}


def bench_runtime(url: str, folder: Path, broker: str = "stub://", **overrides):
    """A runtime with every addon installed on ``url``."""
    from core.addons.migrate import install_all
    from core.runtime import build_runtime
    runtime = build_runtime(dict(overrides_for(url, folder, broker), **overrides))
    install_all(runtime)
    return runtime


def result(name, value, unit, floor, floor_unit, backend, params, higher_is_better=True, *,
           values=None, floors=None, statements=None) -> dict:
    """One result row. With ``values``/``floors`` (one figure per interleaved round, see
    :func:`interleave`) the value and floor are their medians, the ratio is the median of the
    per-round ratios (a round's subject and floor ran back to back, so a load swing on the shared
    machine moves both), and min/max and the spread are kept so the table can flag unsteady figures.
    ``statements`` is {"subject": n, "floor": m} SQL statements per unit of work, when counted."""
    row_extra = {}
    if values is not None:
        values, floors = list(values), list(floors)
        value, floor = median(values), median(floors)
        ratios = [v / f for v, f in zip(values, floors) if f]
        ratio = median(ratios) if ratios else None
        row_extra = {"rounds": len(values),
                     "value_min": round(min(values), 4), "value_max": round(max(values), 4),
                     "floor_min": round(min(floors), 4), "floor_max": round(max(floors), 4),
                     "ratio_min": round(min(ratios), 4) if ratios else None,
                     "ratio_max": round(max(ratios), 4) if ratios else None,
                     "spread": round(max(spread(values), spread(floors)), 4)}
    else:
        ratio = (value / floor) if floor else None
    row = {"name": name, "value": round(value, 4), "unit": unit, "floor": round(floor, 4),
           "floor_unit": floor_unit, "ratio": round(ratio, 4) if ratio is not None else None,
           "backend": backend, "params": dict(params, higher_is_better=higher_is_better)}
    if statements is not None:
        row["statements"] = statements
    return row | row_extra


MIN_ROUNDS = 5
UNSTEADY = 0.20  # a figure whose (max - min) / median exceeds this is flagged in the table


def spread(values) -> float:
    """(max - min) / median: how far apart a figure's rounds landed."""
    mid = median(values)
    return (max(values) - min(values)) / mid if mid else 0.0


def interleave(subject, floor, rounds: int = MIN_ROUNDS) -> tuple[list, list]:
    """Run ``subject()`` and ``floor()`` alternately ``rounds`` times (at least MIN_ROUNDS), each
    returning one figure (a rate or a time); return (subject figures, floor figures).

    Which side goes first alternates too, so neither always gets the warm cache or the quiet
    moment. One long subject run followed by one long floor run is what made single figures
    swing 2x between runs on the shared machine.
    """
    rounds = max(MIN_ROUNDS, rounds)
    values, floors = [], []
    for i in range(rounds):
        if i % 2:
            floors.append(floor())
            values.append(subject())
        else:
            values.append(subject())
            floors.append(floor())
    return values, floors


class StatementCounter:
    """Counts the SQL statements sent through an engine (``with counter: ...``; ``counter.count``).

    executemany counts as one statement: it is one round trip's worth of work for the driver
    (SQLAlchemy's insertmanyvalues sends it as one multi-row INSERT where the backend allows)."""

    def __init__(self, *engines):
        self.engines = [e for e in engines if e is not None]
        self.count = 0
        self.active = False
        for engine in self.engines:
            from sqlalchemy import event
            event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        if self.active:
            self.count += 1

    def __enter__(self):
        self.count, self.active = 0, True
        return self

    def __exit__(self, *exc):
        self.active = False

    def close(self):
        from sqlalchemy import event
        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self._seen)


def p95(values) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def median(values) -> float:
    return statistics.median(values)
