"""Jobs through a transactional outbox.

``enqueue`` writes a ``core_job`` row in the caller's transaction; after that
transaction commits, the row's id is relayed to the broker (nothing is sent on
rollback). The database is the truth and the broker only transport: the actor
claims its row with a guarded UPDATE before running, so a second delivery of the
same message does nothing, and ``sweep`` re-relays rows whose message never left
(broker down at commit) or whose worker died (claim expired). Retries and the
"dead" state live in the row, where an operator can see them and ``retry_job``.

Broker set-up, the actors and the worker loops live in ``core.jobs_broker``, one
layer up: this module imports none of its users (events, mail, scheduler).
"""
from __future__ import annotations

import json
import logging
import random
import threading
import traceback
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import bindparam, event, insert, or_, select, update
from sqlalchemy.orm import Session

from .addons.state import enabled_addons
from .audit import acting_as, current_user_id
from .db import utcnow
from .errors import NotFound, UserError
from .models import OutboxJob

log = logging.getLogger(__name__)

QUEUE = "default"
ACTING_USER_KEY = "_acting_user_id"  # in a row's args: the user the job acts for (core.audit)
JOB_STATES = ("pending", "running", "done", "failed", "dead", "skipped")
RETRYABLE_STATES = ("failed", "dead", "skipped")
MAX_BACKOFF_SECONDS = 3600

# Core's own jobs ("core.send_mail", "core.dispatch_event"), registered by the
# modules that define them with @core_job.
CORE_JOBS: dict[str, Callable] = {}


class SkipJob(Exception):
    """Raised by a job to end it as "skipped" (with the message logged), not failed."""


def core_job(name: str):
    def register(fn):
        CORE_JOBS[f"core.{name}"] = fn
        return fn
    return register


# ---------------------------------------------------------------- bindings
@dataclass
class Binding:
    """What one database's outbox relays to: the runtime and its broker."""
    runtime: Any
    broker: Any
    actors: dict = field(default_factory=dict)
    events: Any = None  # blinker Namespace of this registry's receivers (core.events)
    pool: Any = None    # held so its id() stays this binding's key


# A session finds its binding through its engine's connection pool (shared by the
# read and the write engine of one Database); the URL is the fallback for a second
# Database opened on the same database (another scheduler in the same process).
_by_pool: dict[int, Binding] = {}
_by_url: dict[str, Binding] = {}


def _url_key(bind) -> str:
    return bind.url.render_as_string(hide_password=False)


def binding_for(runtime_or_session) -> Binding:
    bind = (runtime_or_session.get_bind() if isinstance(runtime_or_session, Session)
            else runtime_or_session.db.engine)
    pool = getattr(bind, "pool", None) or bind.engine.pool
    binding = _by_pool.get(id(pool)) or _by_url.get(_url_key(bind))
    if binding is None:
        raise RuntimeError("this database has no job broker bound; build the runtime with "
                           "core.runtime.build_runtime (it calls core.jobs_broker.register_actors)")
    return binding


def bind(runtime, broker) -> Binding:
    binding = Binding(runtime, broker, pool=runtime.db.engine.pool)
    _by_pool[id(binding.pool)] = binding
    _by_url[_url_key(runtime.db.engine)] = binding
    return binding


def addon_settings(session, addon: str) -> dict:
    """``core.settings.get_settings`` for a service that holds only a session: the registry and the
    secret key come from the runtime bound to the session's database."""
    from .settings import get_settings
    runtime = binding_for(session).runtime
    return get_settings(session, runtime.registry, addon, runtime.config["SECRET_KEY"])


# ---------------------------------------------------------------- context
@dataclass
class JobContext:
    """What a job function gets first: where it runs and for which business."""
    runtime: Any
    business_id: int | None
    job_id: int
    attempt: int = 1

    def transaction(self):
        """A write transaction bound to the job's business (commits or rolls back)."""
        return self.runtime.transaction(self.business_id, all_businesses=self.business_id is None)

    def session(self):
        return self.runtime.session(self.business_id, all_businesses=self.business_id is None)


# ---------------------------------------------------------------- enqueue
def enqueue(session: Session, actor: str, delay_seconds: float | None = None,
            max_attempts: int | None = None, **kwargs) -> OutboxJob:
    """Write a job row in ``session``'s transaction; it is relayed after commit.

    The business comes from the session. ``kwargs`` must be JSON values (ids,
    strings, numbers): a job must not depend on objects of the enqueuing process.
    """
    binding = binding_for(session)
    known = binding.runtime.registry.jobs
    if actor not in known and actor not in CORE_JOBS:
        raise UserError(f"unknown job {actor!r}; a job is '<addon>.<function>' of an addon's jobs module")
    try:
        json.dumps(kwargs)
    except (TypeError, ValueError) as exc:
        raise UserError(f"job {actor}: arguments must be JSON values (ids, strings, numbers): {exc}") from None
    if delay_seconds is not None and delay_seconds < 0:
        raise UserError(f"job {actor}: delay_seconds must not be negative")
    if ACTING_USER_KEY in kwargs:
        raise UserError(f"job {actor}: {ACTING_USER_KEY!r} is reserved")
    user_id = current_user_id.get()
    config = binding.runtime.config
    attempts = max_attempts if max_attempts is not None else config["JOB_MAX_RETRIES"] + 1
    if attempts < 1:
        raise UserError(f"job {actor}: max_attempts must be at least 1")
    now = utcnow()
    # relayed_at is stamped optimistically: the relay right after commit clears it
    # if the broker refuses, so the sweep picks the row up after a short grace; a
    # process dying between commit and relay is caught once a claim period passed.
    args = dict(kwargs, **{ACTING_USER_KEY: user_id}) if user_id is not None else kwargs
    values = dict(business_id=session.info.get("business_id"), actor=actor, args=args, state="pending",
                  attempts=0, max_attempts=attempts, available_at=now + timedelta(seconds=delay_seconds or 0),
                  created_at=now, relayed_at=now)
    # One Core INSERT on the session's connection rather than an ORM object through the unit of
    # work: a job row is written once and never edited by its enqueuer, so the identity map gains
    # nothing. The flush first keeps the order of writes as before (the caller's pending rows,
    # which the job's arguments may name, go in ahead of the job); with nothing pending it is free.
    session.flush()
    job_id = session.connection().execute(_INSERT_JOB, values).scalar_one()
    job = OutboxJob(id=job_id, **values)
    _pending(session).append((job_id, actor, job.available_at))
    return job


_JOBS = OutboxJob.__table__
_INSERT_JOB = insert(_JOBS).returning(_JOBS.c.id)


def _pending(session: Session) -> list:
    return session.info.setdefault("outbox_pending", [])


@event.listens_for(Session, "after_commit")
def _relay_after_commit(session: Session):
    rows = session.info.pop("outbox_pending", None)
    if not rows:
        return
    try:
        binding = binding_for(session)
    except RuntimeError:
        log.warning("outbox: jobs %s committed without a bound broker; the sweep will relay them",
                    [r[0] for r in rows])
        return
    sent = _send(binding, rows)
    if len(sent) < len(rows):
        unsent = [r[0] for r in rows if r[0] not in set(sent)]
        _stamp(binding.runtime, unsent, None)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session):
    session.info.pop("outbox_pending", None)


def relay(binding: Binding, ids) -> int:
    """Send the pending jobs ``ids`` to the broker and stamp them relayed; return how many went.

    A broker failure is logged and leaves the rows for ``sweep``: the caller's
    commit already happened and must not fail because of transport.
    """
    runtime = binding.runtime
    with runtime.session(all_businesses=True) as session:
        rows = session.execute(select(OutboxJob.id, OutboxJob.actor, OutboxJob.available_at)
                               .where(OutboxJob.id.in_(list(ids)), OutboxJob.state == "pending")).all()
    if not rows:
        return 0
    sent = _send(binding, rows)
    if sent:
        _stamp(runtime, sent, utcnow())
    return len(sent)


def _send(binding: Binding, rows) -> list[int]:
    """Put one message per (id, actor, available_at) on the broker; return the ids that went."""
    from dramatiq import Message
    sent = []
    now = utcnow()
    try:
        for job_id, actor, available_at in rows:
            message = Message(queue_name=QUEUE, actor_name=actor, args=(job_id,), kwargs={}, options={})
            ms = int((_aware(available_at) - now).total_seconds() * 1000)
            binding.broker.enqueue(message, delay=ms if ms > 0 else None)
            sent.append(job_id)
    except Exception as exc:  # broker down: the database keeps the job for the sweep
        log.warning("outbox: relay to broker failed after %d of %d jobs (%s: %s); the sweep will retry",
                    len(sent), len(rows), type(exc).__name__, exc)
    return sent


def _stamp(runtime, ids, relayed_at):
    try:
        with runtime.transaction(all_businesses=True) as session:
            session.execute(update(OutboxJob).where(OutboxJob.id.in_(list(ids)))
                            .values(relayed_at=relayed_at).execution_options(synchronize_session=False))
    except Exception as exc:  # costs at most a late or duplicate relay, which the claim absorbs
        log.warning("outbox: could not stamp %d jobs as relayed=%s (%s)", len(ids), relayed_at, exc)


def _aware(value: datetime) -> datetime:
    from datetime import timezone
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


# ---------------------------------------------------------------- running
@dataclass(frozen=True)
class Claim:
    """A job row this worker now owns: what to run, for whom, on which attempt."""
    actor: str
    business_id: int | None
    args: dict
    attempt: int
    max_attempts: int


def execute(runtime, actor: str, job_id: int) -> str:
    """Run one delivery of job ``job_id``; return the state it ended in (or "ignored").

    Claim first (pending -> running, guarded), so a duplicate or early message is
    ignored; a job of an addon disabled for its business is skipped with a log line.
    """
    claim = _claim(runtime, actor, job_id)
    if isinstance(claim, str):
        return claim
    return _run(runtime, job_id, claim)


_sqlite_write_locks: dict = {}


@contextmanager
def _bookkeeping(runtime):
    """The connection of a claim or a settle: one statement, frequent, and cheap to lose.

    It comes from the database's system autocommit engine
    (``Database.system_autocommit_engine``), where each statement is its own transaction:
    on PostgreSQL one round trip, as the system (the row may be any business's), committed
    without waiting for the WAL flush (``synchronous_commit = off``): a claim or an outcome
    lost in a server crash leaves the job running with an expired claim, which the sweep
    delivers again, the same at-least-once delivery a worker crash already gives. The job's
    own work, and the enqueuing transaction, keep full durability. Core statements built
    once, not an ORM session: there is no unit of work to run.

    On SQLite the worker threads of one process take turns through a Python lock rather
    than through SQLite's busy handler, which sleeps and polls for the write lock: a
    waiting thread starts the moment the previous one is done."""
    db = runtime.db
    lock = _sqlite_write_locks.setdefault(db.url, threading.Lock()) if db.is_sqlite else nullcontext()
    engine = db.write_engine if db.in_memory else db.system_autocommit_engine()
    with lock, engine.begin() as conn:  # in autocommit, BEGIN and COMMIT send nothing
        yield conn


# Built once: the claim and the settle of a finished job run for every job.
_CLAIM = (update(_JOBS)
          .where(_JOBS.c.id == bindparam("job_id"), _JOBS.c.state == "pending",
                 _JOBS.c.available_at <= bindparam("due"))
          .values(state="running", attempts=_JOBS.c.attempts + 1, claimed_until=bindparam("until"))
          .returning(_JOBS.c.actor, _JOBS.c.business_id, _JOBS.c.args, _JOBS.c.attempts, _JOBS.c.max_attempts))
_SETTLE_FINISHED = (update(_JOBS)
                    .where(_JOBS.c.id == bindparam("job_id"), _JOBS.c.state == "running",
                           _JOBS.c.attempts == bindparam("attempt"))
                    .values(state=bindparam("outcome"), claimed_until=None, finished_at=bindparam("at")))


def _addons_of(runtime, business_id: int) -> frozenset:
    """The addons enabled for ``business_id`` (cached by core.addons.state, so usually without a
    query; a session connects only when it runs one)."""
    with runtime.session(all_businesses=True) as session:
        return enabled_addons(session, business_id)


def _claim(runtime, actor: str, job_id: int) -> Claim | str:
    """Take the row (one guarded UPDATE ... RETURNING); the end state instead when there is nothing to run."""
    now = utcnow()
    claim_seconds = runtime.config["OUTBOX_CLAIM_SECONDS"]
    table = _JOBS
    with _bookkeeping(runtime) as conn:
        # One statement claims and reads the row (RETURNING: SQLite >= 3.35, PostgreSQL).
        job = conn.execute(_CLAIM, {"job_id": job_id, "due": now + timedelta(seconds=2),
                                    "until": now + timedelta(seconds=claim_seconds)}).one_or_none()
        if job is None:
            log.debug("job #%s (%s): not pending or not yet due; duplicate delivery ignored", job_id, actor)
            return "ignored"
        addon = job.actor.split(".", 1)[0]
        if addon != "core" and job.business_id is not None and addon not in _addons_of(runtime, job.business_id):
            reason = f"addon '{addon}' is disabled for business {job.business_id}"
            log.info("job #%s %s skipped: %s", job_id, job.actor, reason)
            conn.execute(update(table).where(table.c.id == job_id)
                         .values(state="skipped", claimed_until=None, finished_at=now, last_error=reason))
            return "skipped"
        if job.actor != actor:
            log.warning("job #%s is %s but was delivered to actor %s; running %s", job_id, job.actor, actor,
                        job.actor)
        return Claim(job.actor, job.business_id, dict(job.args or {}), job.attempts, job.max_attempts)


def _run(runtime, job_id: int, claim: Claim) -> str:
    """Call the job function and record how it ended: done, skipped, failed, dead or pending again."""
    actor, attempt, args = claim.actor, claim.attempt, dict(claim.args)
    fn = runtime.registry.jobs.get(actor, (None, None))[1] or CORE_JOBS.get(actor)
    ctx = JobContext(runtime, claim.business_id, job_id, attempt)
    try:
        if fn is None:
            raise UserError(f"no job function {actor!r} in this installation")
        # the job's audited changes are attributed to whoever enqueued it (None: the system)
        with acting_as(args.pop(ACTING_USER_KEY, None)):
            fn(ctx, **args)
    except SkipJob as exc:
        log.info("job #%s %s skipped: %s", job_id, actor, exc)
        return _settle(runtime, job_id, attempt, "skipped", str(exc))
    except UserError as exc:
        # Bad input does not get better by retrying; it waits for a person (retry_job).
        log.warning("job #%s %s failed: %s", job_id, actor, exc)
        return _settle(runtime, job_id, attempt, "failed", str(exc))
    except Exception as exc:
        return _retry_or_bury(runtime, job_id, claim, exc)
    return _settle(runtime, job_id, attempt, "done", None)


def _retry_or_bury(runtime, job_id: int, claim: Claim, exc: Exception) -> str:
    """An unexpected failure: pending again after a backoff, or dead once the attempts are spent."""
    error = "".join(traceback.format_exception(exc))[-4000:]
    if claim.attempt >= claim.max_attempts:
        log.error("job #%s %s is dead after %d attempts: %s", job_id, claim.actor, claim.attempt, exc)
        return _settle(runtime, job_id, claim.attempt, "dead", error)
    delay = backoff_seconds(runtime, claim.attempt)
    log.warning("job #%s %s attempt %d/%d failed (%s); retry in %.1fs",
                job_id, claim.actor, claim.attempt, claim.max_attempts, exc, delay)
    state = _settle(runtime, job_id, claim.attempt, "pending", error, retry_in=delay)
    if state == "pending":
        relay(binding_for(runtime), [job_id])
    return state


def backoff_seconds(runtime, attempt: int) -> float:
    """Exponential backoff with jitter: base, 2*base, 4*base ... capped at an hour."""
    base = runtime.config["JOB_RETRY_BACKOFF_SECONDS"]
    return min(MAX_BACKOFF_SECONDS, base * 2 ** (attempt - 1)) * (0.75 + random.random() / 2)


def _settle(runtime, job_id: int, attempt: int, state: str, error: str | None, retry_in: float = 0) -> str:
    """Record the outcome, fenced by the attempt number: a worker whose claim expired
    and was taken over by another must not overwrite that one's result."""
    if error is None and state != "pending":
        statement, params = _SETTLE_FINISHED, {"job_id": job_id, "attempt": attempt, "outcome": state,
                                               "at": utcnow()}
    else:
        values: dict = {"state": state, "claimed_until": None}
        if error is not None:
            values["last_error"] = error
        if state == "pending":
            values.update(available_at=utcnow() + timedelta(seconds=retry_in), relayed_at=None)
        else:
            values["finished_at"] = utcnow()
        statement = update(_JOBS).where(_JOBS.c.id == job_id, _JOBS.c.state == "running",
                                        _JOBS.c.attempts == attempt).values(**values)
        params = None
    with _bookkeeping(runtime) as conn:
        done = conn.execute(statement, params).rowcount
    if not done:
        log.warning("job #%s: outcome %s not recorded, its claim was taken over", job_id, state)
        return "ignored"
    return state


# ---------------------------------------------------------------- operating
def _fence(session: Session, query):
    business_id = session.info.get("business_id")
    if business_id is not None and not session.info.get("all_businesses"):
        query = query.where(OutboxJob.business_id == business_id)
    elif business_id is None and not session.info.get("all_businesses"):
        query = query.where(OutboxJob.business_id.is_(None))
    return query


def list_jobs(session: Session, state: str | None = None, limit: int = 100) -> list[OutboxJob]:
    """Newest jobs first, of the session's business (all of them with all_businesses)."""
    if state is not None and state not in JOB_STATES:
        raise UserError(f"unknown job state {state!r} (one of {', '.join(JOB_STATES)})")
    if not isinstance(limit, int) or limit < 1:
        raise UserError("limit must be a positive whole number")
    query = _fence(session, select(OutboxJob))
    if state:
        query = query.where(OutboxJob.state == state)
    return list(session.scalars(query.order_by(OutboxJob.id.desc()).limit(limit)))


def retry_job(session: Session, job_id: int) -> OutboxJob:
    """Give a dead, failed or skipped job a fresh retry budget; relayed after commit."""
    job = session.scalars(_fence(session, select(OutboxJob).where(OutboxJob.id == job_id))).one_or_none()
    if job is None:
        raise NotFound(f"no job #{job_id} here")
    if job.state not in RETRYABLE_STATES:
        raise UserError(f"job #{job_id} is {job.state}; only {', '.join(RETRYABLE_STATES)} jobs can be retried")
    job.state = "pending"
    job.attempts = 0
    job.available_at = utcnow()
    job.relayed_at = job.available_at
    job.finished_at = None
    job.claimed_until = None
    session.flush()
    _pending(session).append((job.id, job.actor, job.available_at))
    return job


def sweep(runtime, now: datetime | None = None, relay_grace_seconds: float = 30, batch: int = 500) -> dict:
    """Recover what transport lost; safe to run in many processes at once.

    - running rows whose claim expired (worker killed): back to pending, or dead
      when the retry budget is spent;
    - pending rows never relayed (broker down at commit) once ``relay_grace_seconds``
      old, and rows relayed so long ago (a claim period) that the message must be
      lost (a broker restart, or a process that died between commit and relay).
    """
    now = now or utcnow()
    claim = timedelta(seconds=runtime.config["OUTBOX_CLAIM_SECONDS"])
    counts = {"expired": 0, "dead": 0, "relayed": 0}
    with runtime.transaction(all_businesses=True) as session:
        expired = session.execute(select(OutboxJob.id, OutboxJob.attempts, OutboxJob.max_attempts)
                                  .where(OutboxJob.state == "running", OutboxJob.claimed_until < now)
                                  .limit(batch)).all()
        for job_id, attempts, max_attempts in expired:
            dead = attempts >= max_attempts
            values = {"state": "dead" if dead else "pending", "claimed_until": None,
                      "last_error": "worker lost: the claim expired before the job finished"}
            values.update({"finished_at": now} if dead else {"available_at": now, "relayed_at": None})
            hit = session.execute(update(OutboxJob).where(OutboxJob.id == job_id, OutboxJob.state == "running",
                                                          OutboxJob.attempts == attempts)
                                  .values(**values).execution_options(synchronize_session=False)).rowcount
            if hit:
                counts["dead" if dead else "expired"] += 1
                if dead:
                    log.error("job #%s is dead: its worker was lost on the last attempt", job_id)
    grace = now - timedelta(seconds=relay_grace_seconds)
    with runtime.session(all_businesses=True) as session:
        ids = list(session.scalars(
            select(OutboxJob.id).where(
                OutboxJob.state == "pending",
                or_((OutboxJob.relayed_at.is_(None)) & (OutboxJob.available_at <= grace),
                    (OutboxJob.relayed_at <= now - claim) & (OutboxJob.available_at <= now - claim)))
            .order_by(OutboxJob.id).limit(batch)))
    if ids:
        counts["relayed"] = relay(binding_for(runtime), ids)
        log.info("outbox sweep: relayed %d of %d stranded jobs", counts["relayed"], len(ids))
    return counts


@core_job("ping")
def ping(ctx, **_):
    """Does nothing: proves a worker takes jobs end to end (``jobs ping``, the outbox benchmark)."""
