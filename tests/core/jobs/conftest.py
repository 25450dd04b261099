"""Fixtures for the jobs/events/scheduler/mail tests.

Most tests drive the stub broker by hand (``helpers.drain``): they pop the
messages relayed for their own jobs and run them through the real actor wrapper,
so what is asserted is exactly what a worker would do, without sleeping on threads.
"""
from __future__ import annotations

import pytest

from core.jobs import binding_for


@pytest.fixture
def broker(runtime):
    return binding_for(runtime).broker


@pytest.fixture
def fast_retries(runtime, monkeypatch):
    monkeypatch.setitem(runtime.config.values, "JOB_RETRY_BACKOFF_SECONDS", 0)


@pytest.fixture
def tfx(runtime):
    """The fixture addon's job and event modules (imported by the registry)."""
    import tfx_jobs.jobs
    import tfx_jobs_base.events
    return tfx_jobs.jobs, tfx_jobs_base.events


@pytest.fixture
def jobs_business(make_business):
    return make_business(addons=["tfx_jobs"])
