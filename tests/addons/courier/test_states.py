"""The one forward-only state machine (pure)."""
from __future__ import annotations

import pytest

from addons.courier import states as st


@pytest.mark.parametrize("current,new,ok", [
    (st.DRAFT, st.REQUESTED, True), (st.REQUESTED, st.PICKED, True), (st.PICKED, st.READY_TO_PICK, False),
    (st.IN_TRANSIT, st.PICKED, False), (st.DELIVERING, st.DELIVERED, True), (st.DELIVERED, st.RETURNED, False),
    (st.DELIVERING, st.DELIVERY_FAILED, True), (st.DELIVERY_FAILED, st.RETURNING, True),
    (st.RETURNING, st.DELIVERED, False), (st.RETURNING, st.RETURNED, True), (st.PICKED, st.CANCELLED, False),
    (st.READY_TO_PICK, st.CANCELLED, True), (st.CANCELLED, st.REQUESTED, False), (st.IN_TRANSIT, st.LOST, True),
    (st.LOST, st.DELIVERED, False), (st.REQUESTED, st.REQUESTED, False), (st.REQUESTED, "bogus", False),
])
def test_moves_only_forward(current, new, ok):
    assert st.can_move(current, new) is ok


def test_a_new_attempt_after_a_failure_needs_a_newer_event():
    assert st.can_move(st.DELIVERY_FAILED, st.DELIVERING, newer=True)
    assert not st.can_move(st.DELIVERY_FAILED, st.DELIVERING, newer=False)


def test_every_state_has_a_label_and_a_colour():
    assert set(st.STATE_LABELS) == set(st.STATES) == set(st.STATE_COLOURS) == set(st.RANK)


# The status lists as the carriers document them: GHN's order statuses, Viettel Post's table (8).
GHN_STATUSES = ("ready_to_pick", "picking", "cancel", "money_collect_picking", "picked", "storing", "transporting",
                "sorting", "delivering", "money_collect_delivering", "delivered", "delivery_fail",
                "waiting_to_return", "return", "return_transporting", "return_sorting", "returning", "return_fail",
                "returned", "exception", "damage", "lost")
VTP_STATUSES = (100, 101, 102, 103, 104, 105, 107, 200, 201, 202, 300, 400, 500, 501, 502, 503, 504, 505, 506, 507,
                508, 509, 515, 550)


def test_every_carrier_status_maps_to_a_state_and_the_final_ones_to_final_states():
    from addons.courier_ghn.carrier import STATUS_MAP as GHN
    from addons.courier_viettelpost.carrier import STATUS_MAP as VTP
    assert set(GHN) == set(GHN_STATUSES) and set(VTP_STATUSES) <= set(VTP)   # + older editions' numbers
    assert set(GHN.values()) | set(VTP.values()) <= set(st.STATES)
    # Viettel Post: no status follows 101/107/201/501/503/504 (documentation 7.1)
    assert {VTP[n] for n in (101, 107, 201, 501, 503, 504)} <= set(st.FINAL)
    assert (GHN["delivered"], GHN["returned"], VTP[501], VTP[504]) == (st.DELIVERED, st.RETURNED,
                                                                       st.DELIVERED, st.RETURNED)
