"""Events: declared names, sync handlers in the publisher's transaction, in dependency order,
only for enabled addons; async handlers through the outbox."""
from __future__ import annotations

import pytest

from core.addons.errors import AddonError
from core.addons.registry import Registry
from core.events import EventError, publish
from core.errors import UserError

from .helpers import drain, jobs_of


def heard(events_mod, business_id):
    return [(addon, mode, n) for addon, mode, b, n in events_mod.HEARD if b == business_id]


def test_sync_handlers_run_in_dependency_order_inside_the_transaction(runtime, jobs_business, tfx):
    _, events_mod = tfx
    with runtime.transaction(jobs_business.id) as s:
        acted = publish(s, "tfx_jobs_base.pinged", n=1)
        # tfx_jobs depends on tfx_jobs_base, so base hears first although "tfx_jobs" sorts before it
        assert heard(events_mod, jobs_business.id) == [("tfx_jobs_base", "sync", 1), ("tfx_jobs", "sync", 1)]
        assert acted == 3
    records = [j.args for j in jobs_of(runtime, jobs_business.id, "tfx_jobs.record")]
    assert records == [{"value": "pinged-1"}]
    drain(runtime, [j.id for j in jobs_of(runtime, jobs_business.id)])


def test_sync_handler_writes_roll_back_with_the_publisher(runtime, jobs_business, tfx):
    _, events_mod = tfx
    with pytest.raises(RuntimeError):
        with runtime.transaction(jobs_business.id) as s:
            publish(s, "tfx_jobs_base.pinged", n=2)
            raise RuntimeError("the publisher fails after publishing")
    assert ("tfx_jobs", "sync", 2) in heard(events_mod, jobs_business.id)  # it did run...
    assert jobs_of(runtime, jobs_business.id) == []                       # ...and its writes are gone
    # and the async handler's outbox row went with them: nothing will ever deliver it
    assert ("tfx_jobs", "async", 2) not in heard(events_mod, jobs_business.id)


def test_only_enabled_addons_hear(runtime, make_business, tfx):
    _, events_mod = tfx
    base_only = make_business(addons=["tfx_jobs_base"])
    with runtime.transaction(base_only.id) as s:
        assert publish(s, "tfx_jobs_base.pinged", n=3) == 1
    assert heard(events_mod, base_only.id) == [("tfx_jobs_base", "sync", 3)]
    assert jobs_of(runtime, base_only.id) == []
    nobody = make_business()
    with runtime.transaction(nobody.id) as s:
        assert publish(s, "tfx_jobs_base.pinged", n=4) == 0
    assert heard(events_mod, nobody.id) == []


def test_async_handler_goes_through_the_outbox(runtime, jobs_business, tfx):
    _, events_mod = tfx
    with runtime.transaction(jobs_business.id) as s:
        publish(s, "tfx_jobs_base.pinged", n=5)
        assert ("tfx_jobs", "async", 5) not in heard(events_mod, jobs_business.id)
    dispatch = jobs_of(runtime, jobs_business.id, "core.dispatch_event")
    assert len(dispatch) == 1
    assert dispatch[0].args == {"event": "tfx_jobs_base.pinged", "handler": "tfx_jobs:.events:on_pinged_later",
                                "payload": {"n": 5}}
    outcomes = drain(runtime, [j.id for j in jobs_of(runtime, jobs_business.id)])
    assert sorted(state for _, state in outcomes) == ["done", "done"]
    assert heard(events_mod, jobs_business.id)[-1] == ("tfx_jobs", "async", 5)


def test_async_handler_of_a_since_disabled_addon_is_skipped(runtime, jobs_business, tfx):
    from core.addons import state
    _, events_mod = tfx
    with runtime.transaction(jobs_business.id) as s:
        publish(s, "tfx_jobs_base.pinged", n=6)
    with runtime.transaction(jobs_business.id) as s:
        state.disable(s, runtime.registry, jobs_business.id, "tfx_jobs")
    outcomes = dict(drain(runtime, [j.id for j in jobs_of(runtime, jobs_business.id)]))
    dispatch = jobs_of(runtime, jobs_business.id, "core.dispatch_event")[0]
    assert outcomes[dispatch.id] == "skipped"
    assert ("tfx_jobs", "async", 6) not in heard(events_mod, jobs_business.id)


def test_undeclared_event_and_bad_payload_raise(runtime, jobs_business):
    with runtime.transaction(jobs_business.id) as s:
        with pytest.raises(EventError, match="not declared"):
            publish(s, "tfx_jobs.never_declared", n=1)
        with pytest.raises(UserError, match="JSON"):
            publish(s, "tfx_jobs_base.pinged", n=object())
    with runtime.transaction(all_businesses=True) as s:
        with pytest.raises(UserError, match="no business"):
            publish(s, "tfx_jobs_base.pinged", n=1)


def test_declared_event_without_subscribers_is_fine(runtime, jobs_business):
    with runtime.transaction(jobs_business.id) as s:
        assert publish(s, "tfx_jobs.finished", id=1) == 0


def test_subscribing_to_an_undeclared_event_fails_at_start_up(tmp_path):
    addon = tmp_path / "tfx_deaf"
    addon.mkdir()
    (addon / "__init__.py").write_text("")
    (addon / "events.py").write_text("def on_x(session, business_id, **payload):\n    pass\n")
    (addon / "addon.toml").write_text('name = "tfx_deaf"\nversion = "1.0.0"\n'
                                      '[[events.subscribe]]\nevent = "nobody.says_this"\n'
                                      'handler = ".events:on_x"\n')
    registry = Registry.discover(None, builtin=False, extra_paths=[tmp_path], entry_points=False)
    with pytest.raises(AddonError, match="undeclared event 'nobody.says_this'"):
        registry.load()
