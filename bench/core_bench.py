"""Core benchmarks: start-up time and outbox throughput, each next to its floor.

Every benchmark returns result dicts (name, value, unit, floor, floor_unit,
ratio, backend, params); the floor is the cost of the thing underneath measured
in the same run (a bare interpreter; the raw dramatiq broker), so the ratio
says what Tessera adds, independent of the machine.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from harness import default_backend, overrides_for, redis_url_if_reachable, result, temp_database  # noqa: E402


def db_backend(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


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
    with temp_database(default_backend(), "startup") as (url, folder):
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
    from core.jobs import binding_for, enqueue
    from core.jobs_broker import start_embedded_worker
    from core.models import OutboxJob
    from core.runtime import build_runtime

    previous = dramatiq.get_broker()
    with temp_database(default_backend(), "outbox") as (url, folder):
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
