"""Typed addon settings (declared in graph_a's manifest), secrets encrypted at rest."""
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from core.addons.errors import AddonError
from core.addons.registry import Registry
from core.errors import UserError
from core.models import SettingValue
from core.settings import coerce_setting, get_setting, get_settings, mask, set_settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "addons"
KEY = "settings-test-secret"


@pytest.fixture(scope="module")
def registry():
    return Registry.discover(extra_paths=[FIXTURES / "graph"], builtin=False, entry_points=False)


def stored(runtime, business_id) -> dict:
    with runtime.session(business_id) as session:
        return dict(session.execute(select(SettingValue.key, SettingValue.value)
                                    .where(SettingValue.addon == "graph_a")).all())


def test_defaults_come_typed_from_the_manifest(runtime, make_business, registry):
    business = make_business()
    with runtime.session(business.id) as session:
        assert get_settings(session, registry, "graph_a", KEY) == {
            "enabled_flag": True, "max_items": 10, "rate": Decimal("0.10"), "mode": "safe",
            "title": "Shop", "api_key": ""}
    assert stored(runtime, business.id) == {}


def test_values_from_forms_are_coerced_and_read_back_typed(runtime, make_business, registry):
    business = make_business()
    with runtime.transaction(business.id) as session:
        clean = set_settings(session, registry, "graph_a", {
            "enabled_flag": "off", "max_items": " 42 ", "rate": "0.075", "mode": "fast", "title": "Cửa hàng"}, KEY)
    assert clean == {"enabled_flag": False, "max_items": 42, "rate": Decimal("0.075"), "mode": "fast",
                     "title": "Cửa hàng"}
    with runtime.transaction(business.id) as session:  # update in place, no duplicate rows
        set_settings(session, registry, "graph_a", {"max_items": 43}, KEY)
    with runtime.session(business.id) as session:
        values = get_settings(session, registry, "graph_a", KEY)
        assert values["max_items"] == 43 and values["rate"] == Decimal("0.075") and values["enabled_flag"] is False
        assert isinstance(values["rate"], Decimal)
        assert get_setting(session, registry, "graph_a", "title", KEY) == "Cửa hàng"
    assert len(stored(runtime, business.id)) == 5


def test_secrets_are_encrypted_at_rest(runtime, make_business, registry):
    business = make_business()
    secret = "sk_live_51HxYzVerySecret"
    with runtime.transaction(business.id) as session:
        set_settings(session, registry, "graph_a", {"api_key": secret}, KEY)
    raw = stored(runtime, business.id)["api_key"]
    assert secret not in raw and "VerySecret" not in raw and raw.startswith("enc:")
    with runtime.session(business.id) as session:
        assert get_setting(session, registry, "graph_a", "api_key", KEY) == secret
        with pytest.raises(UserError, match="cannot be decrypted"):
            get_setting(session, registry, "graph_a", "api_key", "another-secret-key")
    assert mask(secret) == "••••••••et"
    assert mask("short") == "••••••••" and mask("") == ""


def test_a_bad_value_changes_nothing_and_every_problem_is_named(runtime, make_business, registry):
    business = make_business()
    with runtime.transaction(business.id) as session:
        set_settings(session, registry, "graph_a", {"title": "Before"}, KEY)
    with pytest.raises(UserError) as err:
        with runtime.transaction(business.id) as session:
            set_settings(session, registry, "graph_a", {
                "title": "After", "max_items": "lots", "mode": "turbo", "rate": "NaN", "colour": "red"}, KEY)
    message = str(err.value)
    for part in ("graph_a.max_items", "graph_a.mode", "graph_a.rate", "unknown setting 'colour'"):
        assert part in message
    assert stored(runtime, business.id) == {"title": '"Before"'}


def test_settings_are_per_business(runtime, make_business, registry):
    one, two = make_business(), make_business()
    with runtime.transaction(one.id) as session:
        set_settings(session, registry, "graph_a", {"mode": "fast"}, KEY)
    with runtime.session(two.id) as session:
        assert get_setting(session, registry, "graph_a", "mode", KEY) == "safe"


def test_an_unknown_addon_is_refused(runtime, make_business, registry):
    business = make_business()
    with runtime.session(business.id) as session:
        with pytest.raises(AddonError, match="'nope' is not an addon here"):
            get_settings(session, registry, "nope", KEY)


@pytest.mark.parametrize("kind, raw, expected", [
    ("bool", True, True), ("bool", "yes", True), ("bool", "0", False), ("bool", "", False),
    ("int", "7", 7), ("int", -3, -3), ("decimal", "1.50", Decimal("1.50")), ("decimal", 2, Decimal(2)),
    ("str", "x", "x"), ("secret", "s", "s"), ("choice", "b", "b"), ("choice", None, "a"),
])
def test_coercion(kind, raw, expected):
    assert coerce_setting(kind, raw, ("a", "b")) == expected


@pytest.mark.parametrize("kind, raw", [
    ("bool", "maybe"), ("bool", 1), ("int", True), ("int", "1.5"), ("int", 2.0), ("int", None),
    ("decimal", "abc"), ("decimal", "Infinity"), ("decimal", True), ("str", 5), ("secret", None),
    ("choice", "c"), ("colour", "red"),
])
def test_coercion_refuses(kind, raw):
    with pytest.raises(ValueError):
        coerce_setting(kind, raw, ("a", "b"))


def test_settings_are_read_once_per_transaction_and_a_write_is_seen_at_once(runtime, make_business, registry):
    """get_settings reads the stored values once per transaction (core.db.tx_cache); set_settings
    in the same transaction drops that memo, so the next read sees the new value, and the memo
    does not outlive the transaction."""
    from sqlalchemy import event
    business = make_business()
    reads = []

    def count(conn, cursor, statement, *_):
        if "core_setting" in statement and statement.lstrip().upper().startswith("SELECT"):
            reads.append(statement)
    event.listen(runtime.db.engine, "before_cursor_execute", count)
    try:
        with runtime.transaction(business.id) as session:
            assert get_setting(session, registry, "graph_a", "max_items", KEY) == 10
            assert get_setting(session, registry, "graph_a", "mode", KEY) == "safe"
            assert len(reads) == 1
            set_settings(session, registry, "graph_a", {"max_items": "7"}, KEY)
            assert get_setting(session, registry, "graph_a", "max_items", KEY) == 7
        with runtime.transaction(business.id) as session:
            before = len(reads)
            assert get_setting(session, registry, "graph_a", "max_items", KEY) == 7
            assert len(reads) == before + 1  # a new transaction reads again
    finally:
        event.remove(runtime.db.engine, "before_cursor_execute", count)
