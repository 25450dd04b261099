"""Real workers: the embedded dramatiq worker on the stub broker, and Redis end to end."""
from __future__ import annotations

import os

import dramatiq
import pytest

from core.jobs import binding_for, enqueue
from core.jobs_broker import make_broker, start_embedded_worker
from core.errors import ConfigError

from .helpers import job_row, wait_for


def test_embedded_worker_runs_jobs_and_retries(runtime, jobs_business, tfx, fast_retries):
    jobs_mod, _ = tfx
    worker = start_embedded_worker(runtime, threads=2, sweep_every=0.2)
    try:
        assert start_embedded_worker(runtime) is worker  # one per process and broker
        with runtime.transaction(jobs_business.id) as s:
            ok = enqueue(s, "tfx_jobs.record", value="threaded")
            flaky = enqueue(s, "tfx_jobs.flaky", key=f"threaded-{jobs_business.id}", fail_times=2)
        assert wait_for(lambda: job_row(runtime, ok.id).state == "done")
        assert wait_for(lambda: job_row(runtime, flaky.id).state == "done")
        assert job_row(runtime, flaky.id).attempts == 3
    finally:
        worker.stop()
    values = [v for v, b, _ in jobs_mod.CALLS if b == jobs_business.id]
    assert values.count("threaded") == 1 and values.count(f"threaded-{jobs_business.id}") == 1


def test_make_broker_by_url():
    from dramatiq.brokers.stub import StubBroker
    assert isinstance(make_broker("stub://"), StubBroker)
    from dramatiq.brokers.redis import RedisBroker
    assert isinstance(make_broker("redis://127.0.0.1:6379/15"), RedisBroker)
    from dramatiq.brokers.rabbitmq import RabbitmqBroker
    assert isinstance(make_broker("amqp://guest:guest@127.0.0.1:5672"), RabbitmqBroker)  # connects lazily
    with pytest.raises(ConfigError):
        make_broker("kafka://127.0.0.1")


@pytest.mark.skipif(not os.environ.get("TESSERA_TEST_BROKER_URL"), reason="TESSERA_TEST_BROKER_URL not set")
def test_redis_broker_end_to_end(runtime, tmp_path_factory, tfx):
    """enqueue -> commit -> relay to Redis -> dramatiq worker -> done, on its own database."""
    from core import runtime as runtime_module
    from core.addons import state
    from core.addons.migrate import install_all
    from core.business import create_business
    from tests.conftest import base_overrides, fresh_database_url

    jobs_mod, _ = tfx
    overrides = base_overrides(tmp_path_factory, fresh_database_url(tmp_path_factory, "redisjobs"))
    overrides["BROKER_URL"] = os.environ["TESSERA_TEST_BROKER_URL"]
    previous_broker = dramatiq.get_broker()
    rt = runtime_module.build_runtime(overrides, make_current=False)
    try:
        broker = binding_for(rt).broker
        assert type(broker).__name__ == "RedisBroker"
        broker.flush_all()
        install_all(rt)
        with rt.transaction(all_businesses=True) as s:
            business = create_business(s, name="Redis shop", slug="redis-shop", country="VN")
        with rt.transaction(business.id) as s:
            state.enable(s, rt.registry, business.id, ["tfx_jobs"])
        worker = start_embedded_worker(rt, threads=2)
        try:
            with rt.transaction(business.id) as s:
                job = enqueue(s, "tfx_jobs.record", value="via redis")
            assert wait_for(lambda: job_row(rt, job.id).state == "done", timeout=15)
        finally:
            worker.stop()
        assert ("via redis", business.id, job.id) in jobs_mod.CALLS
        broker.flush_all()
    finally:
        dramatiq.set_broker(previous_broker)
        rt.db.dispose()
