"""NTS business status (fake data.go.kr API): batches of 100, the per-number cache, validate, refusals;
and the daily self-issue for designated trades."""
from __future__ import annotations

from datetime import timedelta

import pytest

from addons.einvoice_kr.identity import brn_ok
from addons.einvoice_kr.services import automation, brn, common
from core.errors import UserError

from .conftest import BUYER_BRN, CLOSED_BRN, SUSPENDED_BRN
from .standards import vectors


def _valid_numbers(count):
    taken = {BUYER_BRN, CLOSED_BRN, SUSPENDED_BRN}
    out = [n.replace("-", "") for n in vectors("KR")["valid"] if n.replace("-", "") not in taken]
    base = 900000000
    while len(out) < count:
        first = str(base)
        for digit in "0123456789":
            if brn_ok(first + digit):
                out.append(first + digit)
        base += 1
    return list(dict.fromkeys(out))[:count]


def test_status_words_and_the_cache_per_number_and_date(kr, nts):
    with kr.tx() as s:
        result = brn.check(s, [BUYER_BRN, CLOSED_BRN, SUSPENDED_BRN, "220-81-62517"])
    assert [r["status"] for r in result] == ["active", "closed", "suspended", "unknown"]
    assert result[1]["closed_on"].isoformat() == "2024-01-31" and not any(r["cached"] for r in result)
    calls = len(nts.calls)
    with kr.tx() as s:
        again = brn.check(s, [BUYER_BRN])
    assert again[0]["cached"] and len(nts.calls) == calls
    with kr.tx() as s:   # yesterday's answer is stale
        from addons.einvoice_kr.models import BrnStatus
        from sqlalchemy import select
        row = s.scalar(select(BrnStatus).where(BrnStatus.brn == BUYER_BRN))
        row.checked_on = common.today(s) - timedelta(days=1)
    with kr.tx() as s:
        assert not brn.check(s, [BUYER_BRN])[0]["cached"]
    assert len(nts.calls) == calls + 1


def test_more_than_100_numbers_go_in_calls_of_100(kr, nts):
    numbers = _valid_numbers(230)
    before = len(nts.calls)
    with kr.tx() as s:
        result = brn.check(s, numbers)
    assert len(result) == 230 and [c for c in nts.calls[before:]] == [("status", 100), ("status", 100), ("status", 30)]


def test_check_digit_first_and_closed_refused(kr, nts):
    before = len(nts.calls)
    with kr.tx() as s, pytest.raises(UserError, match="number: 116-82-00277 is not a valid"):
        brn.check(s, ["116-82-00277"])
    assert len(nts.calls) == before
    with kr.tx() as s, pytest.raises(UserError, match="closed"):
        brn.require_trading(s, CLOSED_BRN)


def test_validate_with_start_date_and_representative(kr, nts):
    from datetime import date
    number = "2208162517"
    nts.registry[number] = ("01", "부가가치세 일반과세자", "")
    nts.owners[number] = ("20150301", "홍길동")
    with kr.tx() as s:
        good = brn.check(s, [number], start_date=date(2015, 3, 1), representative="홍길동")[0]
    assert good["validated"] is True and good["status"] == "active"
    with kr.tx() as s:   # a wrong representative: not validated; asked again the same day, the cache answers
        wrong = brn.check(s, [BUYER_BRN], start_date=date(2015, 3, 1), representative="김철수")[0]
        assert wrong["validated"] is False and not wrong["cached"] and wrong["status"] == "active"
        assert brn.check(s, [BUYER_BRN], start_date=date(2015, 3, 1), representative="김철수")[0]["cached"]


def test_self_issue_for_designated_trades(kr, popbill):
    with kr.session() as s:
        today = common.today(s)
    kr.settings(designated_trade=False)
    big = kr.order(lines=(("0", "4"),), paid_on=today - timedelta(days=2))          # 145,200 KRW, no identity
    small = kr.order(lines=(("0", "1"),), paid_on=today)                              # 36,300
    late = kr.order(lines=(("0", "4"),), paid_on=today - timedelta(days=9))
    card = kr.order(lines=(("0", "4"),), method="card", paid_on=today)
    with kr.tx() as s:
        assert automation.self_issue(s, today)["issued"] == []
    kr.settings(designated_trade=True)
    with kr.tx() as s:
        result = automation.self_issue(s, today)
    issued = {r["order"]: r for r in result["issued"]}
    from addons.sales.models import Order
    with kr.session() as s:
        numbers = {oid: s.get(Order, oid).number for oid in (big, small, late, card)}
    assert set(issued) == {numbers[big]} and issued[numbers[big]]["identity"] == "010-000-1234"
    assert [o["order"] for o in result["overdue"]] == [numbers[late]]
    kr.run_jobs()
    row = kr.receipts(big)[0]
    assert row["self_issued"] and row["purpose"] == "deduction" and row["state"] == "issued"
    assert popbill.cashbills[row["mgt_key"]]["identityNum"] == "0100001234"
    with kr.tx() as s:   # run twice: nothing more
        assert automation.self_issue(s, today)["issued"] == []
