"""Core benchmarks: start-up time and outbox throughput, each next to its floor.

Every benchmark returns result dicts (name, value, unit, floor, floor_unit,
ratio, backend, params); the floor is the cost of the thing underneath measured
in the same run (a bare interpreter; the raw dramatiq broker), so the ratio
says what Tessera adds, independent of the machine.
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_REDIS = "redis://127.0.0.1:6379/15"


# ---------------------------------------------------------------- helpers
@contextmanager
def temp_database(label: str):
    """A fresh database: SQLite in a temp folder, or a PostgreSQL database made from
    TESSERA_BENCH_DATABASE_URL and dropped afterwards. Yields (url, folder)."""
    folder = Path(tempfile.mkdtemp(prefix=f"tessera-bench-{label}-"))
    base = os.environ.get("TESSERA_BENCH_DATABASE_URL")
    try:
        if not base:
            yield "sqlite:///" + str(folder / "bench.db"), folder
            return
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


def db_backend(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


def overrides_for(url: str, folder: Path, broker: str = "stub://") -> dict:
    return {"ENV": "test", "DATABASE_URL": url, "INSTANCE_PATH": str(folder), "BROKER_URL": broker,
            "SECRET_KEY": "bench-secret-key", "DISABLE_ENTRY_POINTS": True}


def result(name, value, unit, floor, floor_unit, backend, params, higher_is_better):
    ratio = (value / floor) if floor else None
    return {"name": name, "value": round(value, 4), "unit": unit, "floor": round(floor, 4),
            "floor_unit": floor_unit, "ratio": round(ratio, 4) if ratio is not None else None,
            "backend": backend, "params": dict(params, higher_is_better=higher_is_better)}


def redis_url_if_reachable() -> str | None:
    url = os.environ.get("TESSERA_BENCH_REDIS_URL", DEFAULT_REDIS)
    try:
        import redis
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
        return url
    except Exception:
        return None


# ---------------------------------------------------------------- startup
def _time_command(code: str, env: dict, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise RuntimeError(f"start-up failed: {proc.stderr.strip().splitlines()[-1:]}")
    return statistics.median(times)


def startup(quick: bool) -> list[dict]:
    """Seconds to build the app (or the runtime) with every addon loaded, in a fresh interpreter."""
    runs = 3 if quick else 7
    with temp_database("startup") as (url, folder):
        from core.runtime import build_runtime
        from core.addons.migrate import install_all
        overrides = overrides_for(url, folder)
        rt = build_runtime(overrides, make_current=False)
        install_all(rt)
        addons = len(rt.registry.names)
        rt.db.dispose()
        has_app = (ROOT / "core" / "app.py").exists()
        call = "from core.app import create_app; create_app(o)" if has_app else \
            "from core.runtime import build_runtime; build_runtime(o)"
        code = f"o = {overrides!r}\n{call}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
        env["PYTHONPATH"] = str(ROOT)
        floor = _time_command("pass", env, runs)
        value = _time_command(code, env, runs)
    return [result("startup", value, "s", floor, "s", db_backend(url),
                   {"runs": runs, "addons": addons, "measured": "create_app" if has_app else "build_runtime"},
                   higher_is_better=False)]


# ---------------------------------------------------------------- outbox
def _raw_broker_rate(broker_url: str, n: int, threads: int) -> float:
    """Messages/s through dramatiq alone: send n no-op messages and process them."""
    import dramatiq
    from core.jobs_broker import make_broker
    broker = make_broker(broker_url)
    done = threading.Semaphore(0)

    def bench_raw_noop(i):
        done.release()
    actor = dramatiq.actor(bench_raw_noop, actor_name="bench_raw_noop", queue_name="bench_raw", broker=broker,
                           max_retries=0)
    if hasattr(broker, "flush_all"):
        broker.flush_all()
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    try:
        start = time.perf_counter()
        for i in range(n):
            actor.send(i)
        for _ in range(n):
            if not done.acquire(timeout=60):
                raise RuntimeError("raw broker benchmark stalled")
        return n / (time.perf_counter() - start)
    finally:
        worker.stop()
        if hasattr(broker, "flush_all"):
            broker.flush_all()


def _outbox_rate(broker_url: str, n: int, threads: int) -> tuple[float, str]:
    """Jobs/s enqueued (one business transaction each) and run to "done" through the outbox."""
    import dramatiq
    from sqlalchemy import func, select
    from core.addons.migrate import install_all
    from core.business import create_business
    from core.jobs import binding_for, enqueue, start_embedded_worker
    from core.models import OutboxJob
    from core.runtime import build_runtime

    previous = dramatiq.get_broker()
    with temp_database("outbox") as (url, folder):
        rt = build_runtime(overrides_for(url, folder, broker_url), make_current=False)
        try:
            install_all(rt)
            broker = binding_for(rt).broker
            if hasattr(broker, "flush_all"):
                broker.flush_all()
            with rt.transaction(all_businesses=True) as s:
                business = create_business(s, name="Bench shop", slug="bench", country="VN")
            worker = start_embedded_worker(rt, threads=threads, sweep_every=3600)
            try:
                start = time.perf_counter()
                for _ in range(n):
                    with rt.transaction(business.id) as s:
                        enqueue(s, "core.ping")
                deadline = time.monotonic() + 120
                while True:
                    with rt.session(all_businesses=True) as s:
                        finished = s.scalar(select(func.count()).select_from(OutboxJob)
                                            .where(OutboxJob.state == "done"))
                    if finished >= n:
                        break
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"outbox benchmark stalled at {finished}/{n} jobs")
                    time.sleep(0.01)
                elapsed = time.perf_counter() - start
            finally:
                worker.stop()
            if hasattr(broker, "flush_all"):
                broker.flush_all()
            return n / elapsed, db_backend(url)
        finally:
            rt.db.dispose()
            dramatiq.set_broker(previous)


def outbox(quick: bool) -> list[dict]:
    """Outbox jobs/s vs raw dramatiq messages/s, on the stub broker and on Redis when reachable."""
    n = 200 if quick else 2000
    threads = 4
    brokers = [("stub", "stub://")]
    redis_url = redis_url_if_reachable()
    if redis_url:
        brokers.append(("redis", redis_url))
    out = []
    for label, url in brokers:
        floor = _raw_broker_rate(url, n, threads)
        value, db = _outbox_rate(url, n, threads)
        out.append(result(f"outbox.{label}", value, "jobs/s", floor, "messages/s", f"{db}+{label}",
                          {"jobs": n, "worker_threads": threads, "transaction_per_job": True},
                          higher_is_better=True))
    return out


BENCHMARKS = [startup, outbox]
