"""Transition rules and the derived label (pure, no database)."""
from types import SimpleNamespace

import pytest

from addons.sales import states
from core.errors import UserError

ALLOWED = {
    "confirm": {"new"}, "cancel": {"new", "processing"}, "complete": {"processing"},
    "deliver": {"processing"}, "edit": {"new"}, "pay": {"new", "processing", "completed"},
    "return": {"processing", "completed"},
}


@pytest.mark.parametrize("action", sorted(ALLOWED))
@pytest.mark.parametrize("state", states.STATES)
def test_every_transition_is_allowed_or_refused_with_a_reason(action, state):
    order = SimpleNamespace(number="SO-2026-0007", state=state)
    if state in ALLOWED[action]:
        states.check_transition(order, action)
    else:
        with pytest.raises(UserError) as err:
            states.check_transition(order, action)
        assert f"order SO-2026-0007 is {states.STATE_LABELS[state]}; only " in str(err.value)


def test_refusal_message_names_the_allowed_states():
    order = SimpleNamespace(number="SO-2026-0007", state="completed")
    with pytest.raises(UserError, match=r"^order SO-2026-0007 is Completed; only New or Processing orders can "
                                        r"be cancelled$"):
        states.check_transition(order, "cancel")


@pytest.mark.parametrize("args, kw, label", [
    (("cancelled", "refunded", "returned"), {}, "Cancelled"),
    (("completed", "refunded", "returned"), {}, "Refunded"),
    (("completed", "paid", "returned"), {}, "Returned"),
    (("completed", "paid", "fulfilled"), {}, "Completed"),
    (("new", "unpaid", "unfulfilled"), {}, "New"),
    (("new", "paid", "unfulfilled"), {}, "New (paid)"),
    (("processing", "unpaid", "unfulfilled"), {}, "Awaiting payment"),
    (("processing", "unpaid", "unfulfilled"), {"ships_before_payment": True}, "To ship"),
    (("processing", "paid", "unfulfilled"), {}, "To ship"),
    (("processing", "partly_paid", "partly"), {}, "Partly shipped"),
    (("processing", "unpaid", "fulfilled"), {}, "Shipped"),
])
def test_display_label(args, kw, label):
    assert states.display_label(*args, **kw) == label
