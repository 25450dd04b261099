"""Provider submissions: idempotency key first, lookup before resend, killed workers, the offline provider."""
from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from addons.einvoice import providers
from addons.einvoice.services import submission
from addons.einvoice.models import Document, Submission
from core.errors import UserError

from .fake_provider import FakeAuthority, HttpTestProvider


class WorkerKilled(BaseException):
    """A worker dying mid-job: not an Exception, so nothing in the job may catch it."""


@pytest.fixture
def fake_provider(runtime):
    runtime.registry.providers[("einvoice", "fakehttp")] = ("einvoice", HttpTestProvider, "Fake HTTP authority")
    yield HttpTestProvider
    del runtime.registry.providers[("einvoice", "fakehttp")]
    HttpTestProvider.hooks = {}


def test_offline_provider_exports_files(shop, runtime, run_jobs):
    doc_id = shop.draft()
    shop.issue(doc_id, render_pdf=True)
    assert dict(run_jobs(shop.id))["einvoice.submit"] == "done"
    with shop.session() as s:
        sub = s.scalar(select(Submission).where(Submission.document_id == doc_id))
        assert sub.state == "accepted" and sub.provider == "offline"
        assert sub.authority_code == f"OFFLINE:{shop.doc(doc_id).display_number}"
    folder = Path(runtime.config["INSTANCE_PATH"]) / "einvoice-export" / str(shop.id)
    number = shop.doc(doc_id).display_number
    assert (folder / f"{number}.xml").read_bytes() == shop.doc(doc_id).xml
    assert (folder / f"{number}.pdf").read_bytes().startswith(b"%PDF-")
    offline = providers.OfflineProvider(runtime, {})
    assert offline.lookup(sub.idempotency_key).status == "accepted"
    assert offline.lookup("never-sent") is None


def test_provider_choice_per_document_type(shop, runtime, fake_provider):
    with shop.tx() as s:
        providers.set_provider(s, runtime, doc_type="vat_invoice", provider="fakehttp")
        assert providers.provider_code_for(s, "vat_invoice", "offline")[0] == "fakehttp"
        assert providers.provider_code_for(s, "receipt", "offline")[0] == "offline"
        with pytest.raises(UserError, match="not installed"):
            providers.set_provider(s, runtime, doc_type=None, provider="nope")


def test_unknown_blocks_new_attempts(shop, runtime, fake_provider):
    with shop.tx() as s:
        providers.set_provider(s, runtime, doc_type=None, provider="fakehttp")
    HttpTestProvider.url = "http://127.0.0.1:9"  # nothing listens: every call's outcome is unknown
    doc_id = shop.draft()
    shop.issue(doc_id)
    with shop.session() as s:
        sub_id = s.scalar(select(Submission.id).where(Submission.document_id == doc_id))
    with pytest.raises(submission.SubmissionPending):
        submission.run_submission(runtime, shop.id, sub_id)
    with shop.session() as s:
        assert s.get(Submission, sub_id).state == "unknown"
    with pytest.raises(UserError, match="still unknown"):
        with shop.tx() as s:
            submission.resubmit(s, doc_id)
    with FakeAuthority(timeout_rate=0) as authority:
        HttpTestProvider.url = authority.url
        assert submission.run_submission(runtime, shop.id, sub_id) == "accepted"
        assert len(authority.records) == 1


@pytest.mark.timeout(300)
def test_timeouts_and_killed_workers_lose_and_duplicate_nothing(shop, runtime, fake_provider, monkeypatch):
    """20 % of submissions time out after the authority stored them; workers die at random points."""
    rng = random.Random(42)
    monkeypatch.setattr(submission, "LEASE_SECONDS", 0)  # a dead worker's lease has expired when we re-run
    kill_points = ("before_submit", "after_submit", "before_lookup", "before_record")

    def maybe_kill():
        if rng.random() < 0.15:
            raise WorkerKilled()

    HttpTestProvider.hooks = {name: maybe_kill for name in kill_points[:3]}
    original_record = submission.record_result

    def record_or_die(*args, **kwargs):
        maybe_kill()
        return original_record(*args, **kwargs)

    with shop.tx() as s:
        providers.set_provider(s, runtime, doc_type=None, provider="fakehttp")
    doc_ids = [shop.draft() for _ in range(40)]
    for doc_id in doc_ids:
        shop.issue(doc_id)
    with shop.session() as s:
        sub_ids = list(s.scalars(select(Submission.id).where(Submission.document_id.in_(doc_ids))))
    assert len(sub_ids) == len(doc_ids)
    outcomes = Counter()
    with FakeAuthority(timeout_rate=0.2, delay=0.25) as authority:
        HttpTestProvider.url = authority.url
        submission.record_result = record_or_die
        try:
            for _round in range(60):  # the outbox redelivers until every submission is settled
                open_ids = _open(shop, sub_ids)
                if not open_ids:
                    break
                for sub_id in open_ids:
                    try:
                        outcomes[submission.run_submission(runtime, shop.id, sub_id)] += 1
                    except WorkerKilled:
                        outcomes["killed"] += 1
                    except submission.SubmissionPending:
                        outcomes["unknown"] += 1
        finally:
            submission.record_result = original_record
        records = list(authority.records)
    assert _open(shop, sub_ids) == []
    assert outcomes["killed"] > 0 and outcomes["unknown"] > 0
    per_number = Counter(r["number"] for r in records)
    with shop.session() as s:
        numbers = {d.display_number for d in s.scalars(select(Document).where(Document.id.in_(doc_ids)))}
        subs = list(s.scalars(select(Submission).where(Submission.id.in_(sub_ids))))
    assert set(per_number) == numbers, "lost documents"
    assert max(per_number.values()) == 1, f"duplicated documents: {[n for n, c in per_number.items() if c > 1]}"
    by_key = {r["key"]: r["uuid"] for r in records}
    assert all(sub.state == "accepted" and sub.authority_uuid == by_key[sub.idempotency_key] for sub in subs)


def _open(shop, sub_ids):
    with shop.session() as s:
        return list(s.scalars(select(Submission.id).where(Submission.id.in_(sub_ids),
                                                          Submission.state.not_in(("accepted", "rejected")))))


def test_a_live_lease_blocks_a_second_attempt(shop, runtime, fake_provider, run_jobs):
    with shop.tx() as s:
        providers.set_provider(s, runtime, doc_type=None, provider="fakehttp")
    doc_id = shop.draft()
    shop.issue(doc_id)
    with shop.session() as s:
        sub_id = s.scalar(select(Submission.id).where(Submission.document_id == doc_id))
    calls = []
    HttpTestProvider.hooks = {"before_submit": lambda: (_ for _ in ()).throw(WorkerKilled())}
    with pytest.raises(WorkerKilled):
        submission.run_submission(runtime, shop.id, sub_id)
    HttpTestProvider.hooks = {"before_submit": lambda: calls.append("submit"),
                              "before_lookup": lambda: calls.append("lookup")}
    with pytest.raises(submission.SubmissionPending, match="another attempt"):
        submission.run_submission(runtime, shop.id, sub_id)
    assert calls == []  # the dead worker's lease still runs: nobody talks to the provider
    with shop.tx() as s:
        from datetime import timedelta
        from core.db import utcnow
        s.get(Submission, sub_id).lease_until = utcnow() - timedelta(seconds=1)
        assert submission.open_submissions(s) == [sub_id]
    with FakeAuthority(timeout_rate=0) as authority:
        HttpTestProvider.url = authority.url
        from core.jobs import JobContext
        from addons.einvoice import jobs
        jobs.recheck_unknown(JobContext(runtime, shop.id, 0))
        states = run_jobs(shop.id, actor_prefix="einvoice.submit")
        assert ("einvoice.submit", "done") in states
        assert calls == ["lookup", "submit"] and len(authority.records) == 1
