"""The transactional outbox: relay after commit, claim once, skip, retry, dead, sweep."""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from core.addons import state
from core.db import utcnow
from core.errors import NotFound, UserError
from core.jobs import enqueue, execute, list_jobs, relay, retry_job, sweep, binding_for
from core.models import OutboxJob

from .helpers import drain, job_row, queued


def _values(tfx_jobs, job_ids):
    return [v for v, _, jid in tfx_jobs.CALLS if jid in set(job_ids)]


def test_committed_job_is_relayed_and_runs_once(runtime, broker, jobs_business, tfx):
    jobs_mod, _ = tfx
    with runtime.transaction(jobs_business.id) as s:
        job = enqueue(s, "tfx_jobs.record", value="hello")
        assert job.business_id == jobs_business.id and job.state == "pending"
        assert ("tfx_jobs.record", job.id) not in queued(broker), "nothing may leave before commit"
    assert ("tfx_jobs.record", job.id) in queued(broker)
    assert job_row(runtime, job.id).relayed_at is not None
    assert drain(runtime, [job.id]) == [(job.id, "done")]
    row = job_row(runtime, job.id)
    assert (row.state, row.attempts) == ("done", 1) and row.finished_at is not None
    assert _values(jobs_mod, [job.id]) == ["hello"]


def test_rolled_back_transaction_sends_nothing(runtime, broker, jobs_business):
    with pytest.raises(RuntimeError):
        with runtime.transaction(jobs_business.id) as s:
            job = enqueue(s, "tfx_jobs.record", value="never")
            job_id = job.id
            raise RuntimeError("business rule broke after the enqueue")
    assert job_row(runtime, job_id) is None
    assert all(jid != job_id for _, jid in queued(broker))
    # the next commit on a fresh session must not relay the forgotten id either
    with runtime.transaction(jobs_business.id) as s:
        other = enqueue(s, "tfx_jobs.record", value="later")
    assert [jid for _, jid in queued(broker) if jid in (job_id, other.id)] == [other.id]
    drain(runtime, [other.id])


def test_broker_down_at_commit_loses_nothing(runtime, broker, jobs_business, tfx, monkeypatch, caplog):
    jobs_mod, _ = tfx

    def down(*a, **k):
        raise ConnectionError("broker unreachable")
    monkeypatch.setattr(broker, "enqueue", down)
    with caplog.at_level(logging.WARNING, logger="core.jobs"):
        with runtime.transaction(jobs_business.id) as s:
            job = enqueue(s, "tfx_jobs.record", value="survivor")
    assert "relay to broker failed" in caplog.text
    row = job_row(runtime, job.id)
    assert (row.state, row.relayed_at) == ("pending", None)
    # still down: the sweep tries and keeps the row
    assert sweep(runtime, relay_grace_seconds=0)["relayed"] == 0
    monkeypatch.undo()
    # young rows are left to the commit-time relay; stranded ones are relayed
    assert job.id not in [jid for _, jid in queued(broker)]
    sweep(runtime, now=utcnow() + timedelta(seconds=5), relay_grace_seconds=30)
    assert job.id not in [jid for _, jid in queued(broker)]
    assert sweep(runtime, relay_grace_seconds=0)["relayed"] >= 1
    assert drain(runtime, [job.id]) == [(job.id, "done")]
    assert _values(jobs_mod, [job.id]) == ["survivor"]


def test_message_delivered_twice_runs_once(runtime, broker, jobs_business, tfx):
    jobs_mod, _ = tfx
    with runtime.transaction(jobs_business.id) as s:
        job = enqueue(s, "tfx_jobs.record", value="once")
    relay(binding_for(runtime), [job.id])  # a duplicate delivery, as at-least-once brokers do
    assert [jid for _, jid in queued(broker)].count(job.id) == 2
    assert sorted(state for _, state in drain(runtime, [job.id])) == ["done", "ignored"]
    assert _values(jobs_mod, [job.id]) == ["once"]


def test_concurrent_deliveries_claim_once(runtime, jobs_business, tfx):
    jobs_mod, _ = tfx
    with runtime.transaction(jobs_business.id) as s:
        job = enqueue(s, "tfx_jobs.slow_record", value="raced", seconds=0.1)
    drain_ids = [job.id]
    results, barrier = [], threading.Barrier(4)

    def deliver():
        barrier.wait()
        results.append(execute(runtime, "tfx_jobs.slow_record", job.id))
    threads = [threading.Thread(target=deliver) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results) == ["done", "ignored", "ignored", "ignored"]
    assert _values(jobs_mod, drain_ids) == ["raced"]
    drain(runtime, drain_ids)  # the relayed copy is now a duplicate too
    assert _values(jobs_mod, drain_ids) == ["raced"]


def test_disabled_addon_job_is_skipped_with_a_log_line(runtime, jobs_business, tfx, caplog):
    jobs_mod, _ = tfx
    with runtime.transaction(jobs_business.id) as s:
        job = enqueue(s, "tfx_jobs.record", value="too late")
    with runtime.transaction(jobs_business.id) as s:
        state.disable(s, runtime.registry, jobs_business.id, "tfx_jobs")
    with caplog.at_level(logging.INFO, logger="core.jobs"):
        assert drain(runtime, [job.id]) == [(job.id, "skipped")]
    assert f"job #{job.id} tfx_jobs.record skipped: addon 'tfx_jobs' is disabled for business " \
           f"{jobs_business.id}" in caplog.text
    assert job_row(runtime, job.id).state == "skipped"
    assert _values(jobs_mod, [job.id]) == []


def test_retry_budget_then_dead_then_retry_job(runtime, jobs_business, tfx, fast_retries):
    jobs_mod, _ = tfx
    key = f"flaky-{jobs_business.id}"
    with runtime.transaction(jobs_business.id) as s:
        job = enqueue(s, "tfx_jobs.flaky", max_attempts=3, key=key, fail_times=3)
    outcomes = [state for _, state in drain(runtime, [job.id])]
    assert outcomes == ["pending", "pending", "dead"]
    row = job_row(runtime, job.id)
    assert (row.state, row.attempts) == ("dead", 3)
    assert "flaky " + key + " failing on purpose (3/3)" in row.last_error
    with runtime.session(jobs_business.id) as s:
        assert job.id in [j.id for j in list_jobs(s, state="dead")]
    with runtime.transaction(jobs_business.id) as s:
        retry_job(s, job.id)
    assert drain(runtime, [job.id]) == [(job.id, "done")]
    row = job_row(runtime, job.id)
    assert (row.state, row.attempts) == ("done", 1)
    assert _values(jobs_mod, [job.id]) == [key]


def test_retries_wait_for_their_backoff(runtime, jobs_business, tfx, monkeypatch):
    monkeypatch.setitem(runtime.config.values, "JOB_RETRY_BACKOFF_SECONDS", 60)
    with runtime.transaction(jobs_business.id) as s:
        job = enqueue(s, "tfx_jobs.flaky", key=f"slow-{jobs_business.id}", fail_times=1)
    # first attempt fails; the retry is relayed as a delayed message, and an early copy is ignored
    assert drain(runtime, [job.id]) == [(job.id, "pending"), (job.id, "ignored")]
    row = job_row(runtime, job.id)
    assert row.state == "pending" and row.available_at.replace(tzinfo=None) > \
        (utcnow() + timedelta(seconds=40)).replace(tzinfo=None)


def test_user_error_fails_without_retry(runtime, jobs_business):
    with runtime.transaction(jobs_business.id) as s:
        job = enqueue(s, "tfx_jobs.refuse", value="the impossible")
    assert drain(runtime, [job.id]) == [(job.id, "failed")]
    row = job_row(runtime, job.id)
    assert (row.state, row.attempts, row.last_error) == ("failed", 1, "cannot do the impossible")


def test_job_context_transaction_enqueues_more(runtime, jobs_business, tfx):
    jobs_mod, _ = tfx
    with runtime.transaction(jobs_business.id) as s:
        job = enqueue(s, "tfx_jobs.chain", value="chained")
    drain(runtime, [job.id])
    with runtime.session(jobs_business.id) as s:
        child = [j for j in list_jobs(s) if j.args == {"value": "chained"}][0]
    assert child.business_id == jobs_business.id
    assert drain(runtime, [child.id]) == [(child.id, "done")]
    assert _values(jobs_mod, [child.id]) == ["chained"]


def test_expired_claim_is_swept_back_and_finally_dead(runtime, jobs_business, tfx):
    jobs_mod, _ = tfx
    with runtime.transaction(jobs_business.id) as s:
        job = enqueue(s, "tfx_jobs.record", value="orphan", max_attempts=2)
    lost = utcnow() - timedelta(seconds=1)
    with runtime.transaction(all_businesses=True) as s:  # a worker claimed it, then was killed
        s.execute(update(OutboxJob).where(OutboxJob.id == job.id)
                  .values(state="running", attempts=1, claimed_until=lost))
    drain(runtime, [job.id])  # the original message finds it running: ignored
    counts = sweep(runtime, relay_grace_seconds=0)
    assert counts["expired"] >= 1 and job_row(runtime, job.id).state == "pending"
    assert drain(runtime, [job.id]) == [(job.id, "done")]
    assert _values(jobs_mod, [job.id]) == ["orphan"]

    with runtime.transaction(jobs_business.id) as s:
        last = enqueue(s, "tfx_jobs.record", value="gone", max_attempts=1)
    drain(runtime, [])
    with runtime.transaction(all_businesses=True) as s:
        s.execute(update(OutboxJob).where(OutboxJob.id == last.id)
                  .values(state="running", attempts=1, claimed_until=lost))
    sweep(runtime, relay_grace_seconds=0)
    row = job_row(runtime, last.id)
    assert row.state == "dead" and "claim expired" in row.last_error
    drain(runtime, [last.id])


def test_enqueue_and_operations_refuse_bad_input(runtime, jobs_business, make_business):
    with runtime.transaction(jobs_business.id) as s:
        with pytest.raises(UserError, match="unknown job"):
            enqueue(s, "tfx_jobs.nope")
        with pytest.raises(UserError, match="JSON"):
            enqueue(s, "tfx_jobs.record", value=object())
        with pytest.raises(UserError, match="negative"):
            enqueue(s, "tfx_jobs.record", delay_seconds=-1, value=1)
        with pytest.raises(UserError, match="unknown job state"):
            list_jobs(s, state="exploded")
        job = enqueue(s, "tfx_jobs.record", value="mine")
        with pytest.raises(UserError, match="only failed, dead, skipped"):
            retry_job(s, job.id)
    other = make_business()
    with runtime.transaction(other.id) as s:
        with pytest.raises(NotFound):
            retry_job(s, job.id)  # another business's job is invisible
        assert job.id not in [j.id for j in list_jobs(s)]
    drain(runtime, [job.id])


def test_delayed_job_waits(runtime, broker, jobs_business):
    with runtime.transaction(jobs_business.id) as s:
        job = enqueue(s, "tfx_jobs.record", delay_seconds=3600, value="later")
    assert ("tfx_jobs.record", job.id) in queued(broker)
    assert ("tfx_jobs.record", job.id) not in queued(broker, include_delayed=False)
    assert drain(runtime, [job.id]) == [(job.id, "ignored")]
    assert job_row(runtime, job.id).state == "pending"


def test_job_acts_for_the_user_who_enqueued_it(runtime, jobs_business, monkeypatch):
    from core.audit import acting_as, current_user_id
    seen = []
    monkeypatch.setitem(runtime.registry.jobs, "tfx_jobs.record",
                        ("tfx_jobs", lambda ctx, value: seen.append((value, current_user_id.get()))))
    with runtime.transaction(jobs_business.id) as s:
        with acting_as(42):
            by_user = enqueue(s, "tfx_jobs.record", value="by user")
        by_system = enqueue(s, "tfx_jobs.record", value="by system")
        with pytest.raises(UserError, match="reserved"):
            enqueue(s, "tfx_jobs.record", value="x", _acting_user_id=1)
    drain(runtime, [by_user.id, by_system.id])
    assert sorted(seen, key=str) == [("by system", None), ("by user", 42)]


def test_bookkeeping_connections_are_the_system_and_no_other_connection_is(runtime):
    """Claims and settles run on a pool of their own (core.db.Database.system_autocommit_engine):
    on PostgreSQL its connections carry the system flag and skip the WAL wait; the app's do not."""
    if runtime.db.is_sqlite:
        pytest.skip("the connection-level settings are PostgreSQL's")
    with runtime.db.system_autocommit_engine().connect() as conn:
        assert conn.exec_driver_sql("SELECT current_setting('tessera.all_businesses'), "
                                    "current_setting('synchronous_commit')").one() == ("on", "off")
    with runtime.db.engine.connect() as conn:
        flag, commit = conn.exec_driver_sql("SELECT current_setting('tessera.all_businesses', true), "
                                            "current_setting('synchronous_commit')").one()
    assert flag in (None, "", "off") and commit == "on"
