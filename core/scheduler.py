"""Cron schedules from addon manifests, fired once per business and tick.

Each ``[[schedules]]`` entry (name, cron, job) runs for every active business
that has the addon enabled, in that business's time zone. A tick is fired by
inserting its ``core_schedule_tick`` row and enqueueing the job in ONE
transaction: the unique key (addon, schedule, business, tick) makes a second
scheduler's insert fail, and its enqueue rolls back with it, so any number of
scheduler processes can run without doubles.

Only the most recent due tick is fired (a scheduler that was down catches up
once, not once per missed minute), and never a tick from before the addon was
enabled for that business.
"""
from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .db import utcnow
from .jobs import enqueue, sweep
from .models import Business, BusinessAddon, ScheduleTick

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fired:
    addon: str
    schedule: str
    business_id: int
    tick: datetime
    job: str
    job_id: int | None  # None when another scheduler fired this tick first


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _zone(name: str | None):
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("scheduler: unknown time zone %r, using UTC", name)
        return timezone.utc


def latest_tick(cron: str, now: datetime, tz) -> datetime:
    """The most recent tick of ``cron`` at or before ``now`` (in ``tz``), in UTC, whole seconds."""
    from croniter import croniter   # here: every process imports this module, only the scheduler reads cron
    local = _utc(now).astimezone(tz).replace(microsecond=0) + timedelta(seconds=1)
    return _utc(croniter(cron, local).get_prev(datetime)).replace(microsecond=0)


def _enabled_businesses(runtime, addon: str) -> list[tuple[int, str, datetime]]:
    with runtime.session(all_businesses=True) as session:
        return list(session.execute(
            select(BusinessAddon.business_id, Business.timezone, BusinessAddon.changed_at)
            .join(Business, Business.id == BusinessAddon.business_id)
            .where(BusinessAddon.addon == addon, BusinessAddon.enabled, Business.active)
            .order_by(BusinessAddon.business_id)).all())


def tick(runtime, now: datetime | None = None) -> list[Fired]:
    """One pass over every schedule; return what this pass decided (fired or found fired)."""
    now = _utc(now or utcnow())
    out: list[Fired] = []
    for addon, manifest in runtime.registry.manifests.items():
        if not manifest.schedules:
            continue
        businesses = _enabled_businesses(runtime, addon)
        if not businesses:
            continue
        for schedule in manifest.schedules:
            job = schedule.job if "." in schedule.job else f"{addon}.{schedule.job}"
            due = []
            for business_id, tz_name, enabled_at in businesses:
                at = latest_tick(schedule.cron, now, _zone(tz_name))
                if enabled_at is None or at >= _utc(enabled_at).replace(microsecond=0):
                    due.append((business_id, at))
            if not due:
                continue
            with runtime.session(all_businesses=True) as session:
                seen = {(b, _utc(t)) for b, t in session.execute(
                    select(ScheduleTick.business_id, ScheduleTick.tick).where(
                        ScheduleTick.addon == addon, ScheduleTick.schedule == schedule.name,
                        ScheduleTick.tick >= min(t for _, t in due)))}
            for business_id, at in due:
                if (business_id, at) in seen:
                    continue
                job_id = _fire(runtime, addon, schedule.name, business_id, at, job)
                out.append(Fired(addon, schedule.name, business_id, at, job, job_id))
    return out


def _fire(runtime, addon: str, name: str, business_id: int, at: datetime, job: str) -> int | None:
    """Insert the tick and enqueue the job together; None if another scheduler won."""
    session = runtime.session(business_id, write=True)
    try:
        session.add(ScheduleTick(addon=addon, schedule=name, business_id=business_id, tick=at, fired_at=utcnow()))
        session.flush()
        job_row = enqueue(session, job)
        session.commit()
        log.info("scheduler: %s/%s fired for business %s at %s (job #%s)", addon, name, business_id,
                 at.isoformat(), job_row.id)
        return job_row.id
    except IntegrityError:
        session.rollback()
        log.debug("scheduler: %s/%s tick %s for business %s already fired elsewhere", addon, name, at, business_id)
        return None
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def run_scheduler(runtime, once: bool = False, *, every: float = 20.0) -> list[Fired]:
    """``manage.py scheduler``: tick (and sweep the outbox) until SIGINT/SIGTERM.

    ``once=True`` does a single pass and returns what it fired.
    """
    if once:
        fired = tick(runtime)
        sweep(runtime)
        return fired
    stop = threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, lambda s, f: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    log.info("scheduler: running every %ss", every)
    try:
        while not stop.is_set():
            try:
                tick(runtime)
                sweep(runtime)
            except Exception:  # a database hiccup must not end the scheduler
                log.exception("scheduler pass failed; retrying in %ss", every)
            stop.wait(every)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return []
