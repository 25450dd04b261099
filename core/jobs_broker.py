"""The broker, the actors and the worker loops: the layer above the outbox.

It imports ``core.jobs`` (the outbox), ``core.events``, ``core.mail`` and ``core.api.webhooks`` (which
define core jobs) and ``core.scheduler``; none of them imports this module, so
imports go one way.

``setup_broker`` must run before any addon module is imported (dramatiq binds
actors to the global broker at declaration), so ``build_runtime`` calls it first.
``stub://`` is the embedded default: dramatiq's in-memory broker, consumed by a
worker thread inside the web process; the outbox in the database means a restart
loses nothing, the sweep relays whatever was in flight.
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass, field

import dramatiq
from dramatiq.brokers.stub import StubBroker

from . import events, mail  # noqa: F401  importing them registers the core jobs they define
from .api import webhooks  # noqa: F401  core.deliver_webhook
from .errors import ConfigError
from .jobs import CORE_JOBS, QUEUE, Binding, bind, binding_for, execute, sweep
from .scheduler import tick

log = logging.getLogger(__name__)

SWEEP_EVERY_SECONDS = 30
# Infrastructure failures (database down while claiming) are retried by dramatiq
# itself a few times; anything beyond that is picked up by the sweep.
ACTOR_MAX_RETRIES = 3


def make_broker(url: str):
    """A dramatiq broker for ``url`` (stub://, redis[s]://, amqp[s]://) with our queue declared."""
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if scheme == "stub":
        broker = StubBroker()
    elif scheme in ("redis", "rediss"):
        from dramatiq.brokers.redis import RedisBroker
        broker = RedisBroker(url=url)
    elif scheme in ("amqp", "amqps"):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker
        broker = RabbitmqBroker(url=url)
    else:
        raise ConfigError(f"TESSERA_BROKER_URL: unsupported broker {url!r} (stub://, redis://, amqp://)")
    if scheme == "stub":
        broker.declare_queue(QUEUE)
    return broker


def setup_broker(config):
    """Create the configured broker and make it dramatiq's global one; return it."""
    broker = make_broker(config["BROKER_URL"])
    dramatiq.set_broker(broker)
    return broker


# ---------------------------------------------------------------- actors
def register_actors(runtime) -> Binding:
    """Bind this runtime's database to the current broker and declare one actor per job.

    Called by ``build_runtime`` right after ``setup_broker``; actors are named
    "<addon>.<function>" and "core.<name>" and receive only the outbox row id.
    """
    broker = dramatiq.get_broker()
    binding = bind(runtime, broker)
    names = list(CORE_JOBS) + (list(runtime.registry.jobs) if runtime.registry.loaded else [])
    time_limit = runtime.config["OUTBOX_CLAIM_SECONDS"] * 1000  # stop before the claim expires
    for name in names:
        def run(job_id, _name=name):
            execute(runtime, _name, job_id)
        run.__name__ = name.replace(".", "_")
        binding.actors[name] = dramatiq.actor(run, actor_name=name, queue_name=QUEUE, broker=broker,
                                              max_retries=ACTOR_MAX_RETRIES, min_backoff=1000,
                                              time_limit=time_limit)
    events.bind_events(runtime)
    return binding


# ---------------------------------------------------------------- workers
@dataclass
class EmbeddedWorker:
    """A dramatiq worker plus a sweeper thread inside this process."""
    runtime: object
    worker: object
    stop_event: threading.Event = field(default_factory=threading.Event)
    sweeper: threading.Thread | None = None

    def stop(self, timeout_ms: int = 5000):
        self.stop_event.set()
        self.worker.stop(timeout=timeout_ms)
        if self.sweeper is not None:
            self.sweeper.join(timeout=timeout_ms / 1000)
        _embedded.pop(id(self.worker.broker), None)

    def join_idle(self, timeout_s: float = 10):
        """Wait until the stub broker's queue is drained (tests, benchmarks, one-shot commands)."""
        broker = self.worker.broker
        if isinstance(broker, StubBroker):
            broker.join(QUEUE, timeout=int(timeout_s * 1000), fail_fast=False)
            self.worker.join()


_embedded: dict[int, EmbeddedWorker] = {}


def _sweep_loop(runtime, stop_event: threading.Event, every: float, scheduler: bool):
    while not stop_event.wait(every):
        try:
            sweep(runtime)
            if scheduler:
                tick(runtime)
        except Exception:  # the loop must survive a database hiccup; the next pass retries
            log.exception("outbox sweep failed; retrying in %ss", every)


def start_embedded_worker(runtime, threads: int = 2, *, sweep_every: float = SWEEP_EVERY_SECONDS,
                          scheduler: bool = False) -> EmbeddedWorker:
    """Start consuming this runtime's broker in background threads (one per process).

    With ``scheduler=True`` the sweeper thread also runs the cron scheduler, which
    is the whole embedded set-up in one process.
    """
    broker = binding_for(runtime).broker
    existing = _embedded.get(id(broker))
    if existing is not None:
        return existing
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    handle = EmbeddedWorker(runtime, worker)
    handle.sweeper = threading.Thread(target=_sweep_loop, args=(runtime, handle.stop_event, sweep_every, scheduler),
                                      name="tessera-outbox-sweeper", daemon=True)
    handle.sweeper.start()
    _embedded[id(broker)] = handle
    return handle


def run_worker(runtime, threads: int = 8, *, sweep_every: float = SWEEP_EVERY_SECONDS):
    """``manage.py worker``: consume jobs until SIGINT/SIGTERM, sweeping the outbox meanwhile."""
    broker = binding_for(runtime).broker
    worker = dramatiq.Worker(broker, worker_threads=threads)
    stop = threading.Event()

    def on_signal(signum, _frame):
        log.info("worker: signal %s, finishing running jobs", signum)
        stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    worker.start()
    log.info("worker: %d threads on %s", threads, runtime.config["BROKER_URL"].split("@")[-1])
    try:
        sweep(runtime)
        while not stop.wait(sweep_every):
            try:
                sweep(runtime)
            except Exception:
                log.exception("outbox sweep failed; retrying in %ss", sweep_every)
    finally:
        worker.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def wait_until(predicate, timeout: float = 10, every: float = 0.02) -> bool:
    """Poll ``predicate`` until true or ``timeout``; for callers that wait on a worker."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()
