"""The cron scheduler: once per business and tick, never twice, even with two schedulers."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core.db import Database, utcnow
from core.jobs import bind, binding_for
from core.models import ScheduleTick
from core.runtime import Runtime
from core.scheduler import _fire, latest_tick, run_scheduler, tick

from .helpers import drain, jobs_of


def mine(fired, business_id):
    return [f for f in fired if f.business_id == business_id]


def tick_rows(runtime, business_id):
    with runtime.session(all_businesses=True) as s:
        return s.scalar(select(func.count()).select_from(ScheduleTick).where(ScheduleTick.business_id == business_id))


def test_latest_tick_in_the_business_time_zone():
    now = datetime(2024, 1, 1, 18, 0, 30, tzinfo=timezone.utc)
    assert latest_tick("* * * * *", now, timezone.utc) == datetime(2024, 1, 1, 18, 0, tzinfo=timezone.utc)
    # 02:00 in Seoul (UTC+9) on 2 January is 17:00 UTC on 1 January
    assert latest_tick("0 2 * * *", now, ZoneInfo("Asia/Seoul")) == datetime(2024, 1, 1, 17, 0, tzinfo=timezone.utc)
    assert latest_tick("0 2 * * *", now, timezone.utc) == datetime(2024, 1, 1, 2, 0, tzinfo=timezone.utc)


def test_fires_once_per_enabled_business_and_tick(runtime, make_business, tfx):
    jobs_mod, _ = tfx
    a, b = make_business(addons=["tfx_jobs"]), make_business(addons=["tfx_jobs"])
    off = make_business(addons=["tfx_jobs_base"])
    now = (utcnow() + timedelta(minutes=1)).replace(second=5)  # +20s below stays in this minute
    fired = tick(runtime, now)
    for business in (a, b):
        (f,) = mine(fired, business.id)
        assert (f.addon, f.schedule, f.job) == ("tfx_jobs", "every_minute", "tfx_jobs.tick")
        assert f.job_id is not None and f.tick == now.replace(second=0, microsecond=0)
    assert mine(fired, off.id) == []
    # the same minute again: nothing new
    assert mine(tick(runtime, now + timedelta(seconds=20)), a.id) == []
    # the next minute fires again
    assert len(mine(tick(runtime, now + timedelta(minutes=1)), a.id)) == 1
    jobs = jobs_of(runtime, a.id, "tfx_jobs.tick")
    assert len(jobs) == 2 and tick_rows(runtime, a.id) == 2
    drain(runtime, [j.id for j in jobs] + [j.id for j in jobs_of(runtime, b.id)])
    assert [v for v, biz, _ in jobs_mod.CALLS if biz == a.id] == ["tick", "tick"]


def test_no_tick_from_before_the_addon_was_enabled(runtime, make_business):
    fresh = make_business(addons=["tfx_jobs"])
    assert mine(tick(runtime, utcnow() - timedelta(minutes=5)), fresh.id) == []


def test_two_schedulers_in_the_same_minute_do_not_double_fire(runtime, make_business):
    businesses = [make_business(addons=["tfx_jobs"]) for _ in range(3)]
    # two scheduler processes: same database, separate engines and connection pools
    others = [Runtime(runtime.config, Database(runtime.db.url), runtime.registry) for _ in range(2)]
    for rt in others:  # bound to this runtime's broker by their own pools, not by whichever runtime bound the URL last
        bind(rt, binding_for(runtime).broker)
    now = utcnow() + timedelta(minutes=3)
    barrier = threading.Barrier(len(others))
    results, errors = [], []

    def run(rt):
        try:
            barrier.wait()
            results.extend(tick(rt, now))
        except Exception as exc:  # surfaced below; a thread must not swallow it
            errors.append(exc)
    threads = [threading.Thread(target=run, args=(rt,)) for rt in others]
    [t.start() for t in threads]
    [t.join() for t in threads]
    [rt.db.dispose() for rt in others]
    assert errors == []
    for business in businesses:
        assert len([f for f in mine(results, business.id) if f.job_id is not None]) == 1
        assert tick_rows(runtime, business.id) == 1
        assert len(jobs_of(runtime, business.id, "tfx_jobs.tick")) == 1
    drain(runtime, [j.id for b in businesses for j in jobs_of(runtime, b.id)])


def test_a_lost_race_rolls_back_its_enqueue(runtime, make_business):
    business = make_business(addons=["tfx_jobs"])
    at = (utcnow() + timedelta(minutes=7)).replace(second=0, microsecond=0)
    first = _fire(runtime, "tfx_jobs", "every_minute", business.id, at, "tfx_jobs.tick")
    second = _fire(runtime, "tfx_jobs", "every_minute", business.id, at, "tfx_jobs.tick")
    assert first is not None and second is None
    assert [j.id for j in jobs_of(runtime, business.id)] == [first]
    drain(runtime, [first])


def test_run_scheduler_once(runtime, make_business):
    business = make_business(addons=["tfx_jobs"])
    # enabled "now", so the current minute's tick predates it; back-date the enabling
    from sqlalchemy import update
    from core.models import BusinessAddon
    with runtime.transaction(all_businesses=True) as s:
        s.execute(update(BusinessAddon).where(BusinessAddon.business_id == business.id)
                  .values(changed_at=utcnow() - timedelta(minutes=2)))
    fired = mine(run_scheduler(runtime, once=True), business.id)
    assert len(fired) == 1 and fired[0].job_id is not None
    drain(runtime, [fired[0].job_id])
