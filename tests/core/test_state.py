"""Enabled-per-business rules on the graph fixture (graph_a <- graph_b <- graph_c; graph_x;
graph_bridge auto-installs once graph_b and graph_x are both enabled).

These tests use their own database, because installing fixture addons into the
shared one would show up in every other test's addon listings.
"""
import itertools
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from core.addons import state
from core.addons.errors import AddonError
from core.addons.registry import Registry
from core.business import create_business
from core.config import load_config
from core.db import Base, Database
from core.errors import UserError
from core.models import BusinessAddon, InstalledAddon, SequenceCounter
from core.runtime import Runtime
from tests.conftest import fresh_database_url

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "addons"
_slugs = itertools.count(1)


@pytest.fixture(scope="module")
def graph_rt(tmp_path_factory):
    config = load_config({"ENV": "test", "SECRET_KEY": "graph-test"}, config_dir=tmp_path_factory.mktemp("cfg"),
                         environ={})
    db = Database(fresh_database_url(tmp_path_factory, "graph"))
    Base.metadata.create_all(db.engine)
    registry = Registry.discover(extra_paths=[FIXTURES / "graph"], builtin=False, entry_points=False).load()
    with db.transaction(all_businesses=True) as session:
        session.add_all(InstalledAddon(name=m.name, version=m.version) for m in registry.manifests.values())
    yield Runtime(config=config, db=db, registry=registry)
    db.dispose()


@pytest.fixture
def business(graph_rt):
    with graph_rt.transaction(all_businesses=True) as session:
        return create_business(session, name="Graph shop", slug=f"graph-{next(_slugs)}", country="KR")


@pytest.fixture
def hook_calls():
    from graph_a.hooks import CALLS
    CALLS.clear()
    return CALLS


def enable(rt, business_id, *names):
    with rt.transaction(business_id) as session:
        return state.enable(session, rt.registry, business_id, list(names))


def disable(rt, business_id, name, **kw):
    with rt.transaction(business_id) as session:
        return state.disable(session, rt.registry, business_id, name, **kw)


def enabled(rt, business_id):
    with rt.session(business_id) as session:
        return set(state.enabled_addons(session, business_id))


def test_enable_pulls_in_dependencies_in_load_order_and_runs_on_enable(graph_rt, business, hook_calls):
    assert enable(graph_rt, business.id, "graph_c") == ["graph_a", "graph_b", "graph_c"]
    assert enabled(graph_rt, business.id) == {"graph_a", "graph_b", "graph_c"}
    assert hook_calls == [business.id]
    with graph_rt.session(business.id) as session:
        assert session.scalars(select(SequenceCounter.series)).all() == ["GA"]
    assert enable(graph_rt, business.id, "graph_c", "graph_a") == []  # already on: nothing reruns
    with graph_rt.transaction(business.id) as session:  # a single name is a name, not letters
        assert state.enable(session, graph_rt.registry, business.id, "graph_b") == []
    assert hook_calls == [business.id]


def test_a_bridge_joins_when_its_dependencies_are_enabled_and_leaves_with_them(graph_rt, business):
    assert enable(graph_rt, business.id, "graph_b") == ["graph_a", "graph_b"]
    assert enable(graph_rt, business.id, "graph_x") == ["graph_x", "graph_bridge"]
    assert disable(graph_rt, business.id, "graph_x") == ["graph_bridge", "graph_x"]
    assert enabled(graph_rt, business.id) == {"graph_a", "graph_b"}


def test_disable_is_refused_while_dependents_are_enabled(graph_rt, business):
    enable(graph_rt, business.id, "graph_c")
    with pytest.raises(UserError) as err:
        disable(graph_rt, business.id, "graph_a")
    assert "graph_b, graph_c" in str(err.value) and "disable them first" in str(err.value)
    assert "--" not in str(err.value) and err.value.cli_hint == "or use --with-dependents"   # screens show no option
    assert enabled(graph_rt, business.id) == {"graph_a", "graph_b", "graph_c"}
    assert disable(graph_rt, business.id, "graph_c") == ["graph_c"]
    assert disable(graph_rt, business.id, "graph_a", with_dependents=True) == ["graph_b", "graph_a"]
    assert enabled(graph_rt, business.id) == set()
    with pytest.raises(UserError, match="not enabled"):
        disable(graph_rt, business.id, "graph_a")


def test_disabling_drops_nothing_and_re_enabling_is_idempotent(graph_rt, business, hook_calls):
    enable(graph_rt, business.id, "graph_a")
    disable(graph_rt, business.id, "graph_a")
    with graph_rt.session(business.id) as session:
        rows = session.execute(select(BusinessAddon.addon, BusinessAddon.enabled)).all()
        assert rows == [("graph_a", False)]
        assert session.scalars(select(SequenceCounter.series)).all() == ["GA"]  # data stays
    assert enable(graph_rt, business.id, "graph_a") == ["graph_a"]
    assert hook_calls == [business.id, business.id]  # the hook ran again and did not fail or duplicate
    with graph_rt.session(business.id) as session:
        assert session.scalars(select(SequenceCounter.series)).all() == ["GA"]
        assert session.execute(select(BusinessAddon.addon, BusinessAddon.enabled)).all() == [("graph_a", True)]


def test_enabled_sets_are_per_business(graph_rt, business):
    with graph_rt.transaction(all_businesses=True) as session:
        other = create_business(session, name="Other", slug=f"graph-{next(_slugs)}", country="VN")
    enable(graph_rt, business.id, "graph_x")
    assert enabled(graph_rt, other.id) == set()
    assert state.is_enabled(graph_rt.session(business.id), business.id, "graph_x")


def test_unknown_or_uninstalled_addons_are_refused(graph_rt, business):
    with pytest.raises(AddonError, match="'ghost' is not an addon here"):
        enable(graph_rt, business.id, "ghost")
    with pytest.raises(UserError, match="not installed in this database: graph_x"):
        with graph_rt.transaction(business.id) as session:
            session.execute(delete(InstalledAddon).where(InstalledAddon.name == "graph_x"))
            state.enable(session, graph_rt.registry, business.id, ["graph_x"])
    assert enabled(graph_rt, business.id) == set()


def test_a_failing_on_enable_rolls_everything_back_and_leaves_no_stale_cache(graph_rt, business, monkeypatch):
    """The hook reads the enabled set (as an event publisher would) and then fails; the
    uncommitted set it saw must not be served from the cache afterwards."""
    def failing_hook(session, business_id):
        assert "graph_a" in state.enabled_addons(session, business_id)
        raise UserError("setup failed")

    monkeypatch.setitem(graph_rt.registry.provided, ("graph_a", "on_enable"), failing_hook)
    with pytest.raises(UserError, match="setup failed"):
        enable(graph_rt, business.id, "graph_a")
    assert enabled(graph_rt, business.id) == set()
    with graph_rt.session(business.id) as session:
        assert session.scalars(select(BusinessAddon)).all() == []


def test_the_cache_is_dropped_when_an_enabling_transaction_commits(graph_rt, business):
    assert enabled(graph_rt, business.id) == set()  # cached empty
    enable(graph_rt, business.id, "graph_x")
    assert enabled(graph_rt, business.id) == {"graph_x"}
