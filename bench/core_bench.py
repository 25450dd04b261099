"""Core benchmarks: start-up time and outbox throughput, each next to its floor.

Every benchmark returns result dicts (name, value, unit, floor, floor_unit,
ratio, backend, params); the floor is the cost of the thing underneath measured
in the same run (a bare interpreter; the raw dramatiq broker), so the ratio
says what Tessera adds, independent of the machine.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from harness import default_backend, interleave, median, overrides_for, redis_url_if_reachable, result, temp_database  # noqa: E402


def db_backend(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


# ---------------------------------------------------------------- startup
STACK_FLOOR = "import flask, sqlalchemy, alembic, flask_admin, dramatiq"


def _time_once(args: list[str], env: dict) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"start-up failed: {proc.stderr.strip().splitlines()[-1:]}")
    return elapsed


def startup(quick: bool) -> list[dict]:
    """Seconds to build the app with every addon loaded, in a fresh interpreter, next to a fresh
    interpreter importing the stack it stands on (flask, sqlalchemy, alembic, flask_admin,
    dramatiq); and ``manage.py addons list`` next to a bare interpreter."""
    rounds = 5 if quick else 9
    with temp_database(default_backend(), "startup") as (url, folder):
        from core.runtime import build_runtime
        from core.addons.migrate import install_all
        overrides = overrides_for(url, folder)
        rt = build_runtime(overrides, make_current=False)
        install_all(rt)
        addons = len(rt.registry.names)
        rt.db.dispose()
        code = f"o = {overrides!r}\nfrom core.app import create_app; create_app(o)"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("TESSERA_") and k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPATH"] = str(ROOT)
        # Measured as installed: an install compiles bytecode once (pip does), so every round
        # reads it from a cache rather than compiling Tessera's sources again, while the floor's
        # site-packages have theirs. The cache goes to the benchmark's temporary folder, which
        # keeps the working tree clean even where PYTHONDONTWRITEBYTECODE is set.
        env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
        env["TESSERA_DATABASE_URL"] = url
        env["TESSERA_INSTANCE_PATH"] = str(folder)
        for args in (["-c", code], ["-c", STACK_FLOOR], [str(ROOT / "manage.py"), "addons", "list"]):
            _time_once(args, env)  # bytecode compiled and files cached before any round counts
        app_values, app_floors = interleave(lambda: _time_once(["-c", code], env),
                                            lambda: _time_once(["-c", STACK_FLOOR], env), rounds)
        list_values, list_floors = interleave(
            lambda: _time_once([str(ROOT / "manage.py"), "addons", "list"], env),
            lambda: _time_once(["-c", "pass"], env), rounds)
    backend = db_backend(url)
    return [result("startup.create_app", 0, "s", 0, "s (stack imports)", backend,
                   {"addons": addons, "goal": "<= 2 x floor"}, higher_is_better=False,
                   values=app_values, floors=app_floors),
            result("startup.addons_list", 0, "s", 0, "s (python -c pass)", backend,
                   {"addons": addons, "goal": "<= 0.25 s"}, higher_is_better=False,
                   values=list_values, floors=list_floors)]


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


class _OutboxRig:
    """One database, one broker and one embedded worker shared by the outbox and its fair floor.

    The fair floor is what any durable job needs on the same database and broker: one INSERT
    transaction writing the job row, one broker send, and, in the worker, one UPDATE transaction
    marking it done. The outbox adds its claim, relay stamp and retry bookkeeping on top."""

    def __init__(self, url: str, folder, broker_url: str, threads: int):
        import dramatiq
        from sqlalchemy import insert, update
        from core.addons.migrate import install_all
        from core.business import create_business
        from core.db import utcnow
        from core.jobs import binding_for
        from core.jobs_broker import start_embedded_worker
        from core.models import OutboxJob
        from core.runtime import build_runtime

        self.rt = rt = build_runtime(overrides_for(url, folder, broker_url), make_current=False)
        install_all(rt)
        self.broker = broker = binding_for(rt).broker
        if hasattr(broker, "flush_all"):
            broker.flush_all()
        with rt.transaction(all_businesses=True) as s:
            self.business_id = create_business(s, name="Bench shop", slug="bench", country="VN").id
        table = OutboxJob.__table__
        self.floor_done = threading.Semaphore(0)
        write = rt.db._write_engine

        def bench_floor_job(job_id):
            with write.begin() as conn:
                conn.execute(update(table).where(table.c.id == job_id)
                             .values(state="done", attempts=1, finished_at=utcnow()))
            self.floor_done.release()
        self.floor_actor = dramatiq.actor(bench_floor_job, actor_name="bench_floor_job", queue_name="bench_floor",
                                          broker=broker, max_retries=0)

        def floor_enqueue():
            with write.begin() as conn:
                job_id = conn.execute(insert(table).values(business_id=self.business_id, actor="bench_floor_job",
                                                           args={}, state="pending", attempts=0, max_attempts=5,
                                                           available_at=utcnow(), created_at=utcnow())
                                      .returning(table.c.id)).scalar()
            self.floor_actor.send(job_id)
        self.floor_enqueue = floor_enqueue
        self.worker = start_embedded_worker(rt, threads=threads, sweep_every=3600)

    def outbox_rate(self, n: int) -> float:
        """Jobs/s enqueued (one business transaction each) and run to "done" through the outbox."""
        from sqlalchemy import func, select
        from core.jobs import enqueue
        from core.models import OutboxJob
        rt = self.rt
        start = time.perf_counter()
        first = None
        for _ in range(n):
            with rt.transaction(self.business_id) as s:
                job = enqueue(s, "core.ping")
            first = job.id if first is None else first
        # Waiting for "done" reads the database, where the floor's wait is a semaphore: one
        # statement per look, on a system connection (no session, no set_config; it sees every
        # business's rows), counting only this round's jobs, so the look costs the subject little.
        table = OutboxJob.__table__
        done = (select(func.count()).select_from(table)
                .where(table.c.id >= first, table.c.state == "done", table.c.actor == "core.ping"))
        deadline = time.monotonic() + 120
        with rt.db.system_autocommit_engine().connect() as conn:
            while True:
                finished = conn.execute(done).scalar()
                if finished >= n:
                    return n / (time.perf_counter() - start)
                if time.monotonic() > deadline:
                    raise RuntimeError(f"outbox benchmark stalled at {finished}/{n} jobs")
                time.sleep(0.005)

    def floor_rate(self, n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            self.floor_enqueue()
        for _ in range(n):
            if not self.floor_done.acquire(timeout=60):
                raise RuntimeError("outbox floor stalled")
        return n / (time.perf_counter() - start)

    def close(self):
        self.worker.stop()
        if hasattr(self.broker, "flush_all"):
            self.broker.flush_all()
        self.rt.db.dispose()


def outbox(quick: bool) -> list[dict]:
    """Outbox jobs/s next to a fair floor (job row INSERT transaction + broker send + UPDATE
    transaction, same database and broker), on the stub broker and on Redis when reachable; the
    raw broker's messages/s is printed beside it."""
    import dramatiq
    rounds = 5 if quick else 7
    per_round = 120 if quick else 300  # a round of 40 jobs lasted ~0.1 s: too short to be steady
    threads = 4
    brokers = [("stub", "stub://")]
    redis_url = redis_url_if_reachable()
    if redis_url:
        brokers.append(("redis", redis_url))
    out = []
    previous = dramatiq.get_broker()
    for label, broker_url in brokers:
        with temp_database(default_backend(), "outbox") as (url, folder):
            rig = _OutboxRig(url, folder, broker_url, threads)
            try:
                rig.outbox_rate(10), rig.floor_rate(10)  # warm-up: connections, compiled statements
                raw = []

                def floor():
                    raw.append(_raw_broker_rate(broker_url, per_round, threads))
                    return rig.floor_rate(per_round)
                values, floors = interleave(lambda: rig.outbox_rate(per_round), floor, rounds)
            finally:
                rig.close()
                dramatiq.set_broker(previous)
        row = result(f"outbox.{label}", 0, "jobs/s", 0, "jobs/s (INSERT tx + send + UPDATE tx)",
                     f"{db_backend(url)}+{label}",
                     {"jobs_per_round": per_round, "worker_threads": threads, "transaction_per_job": True},
                     values=values, floors=floors)
        row["raw_broker"] = round(median(raw), 2)
        row["raw_broker_ratio"] = round(median([v / r for v, r in zip(values, raw)]), 4)
        out.append(row)
    return out


BENCHMARKS = [startup, outbox]
