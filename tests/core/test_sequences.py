import random
import threading
from collections import Counter

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, UniqueConstraint, insert, select

from core import sequences
from core.db import TenancyError
from core.errors import UserError
from core.models import SequenceCounter
from core.sequences import duplicates, ensure_counter, ensure_counters, gaps, next_number, peek


def counters(runtime, business_id):
    with runtime.session(business_id) as session:
        return {(c.series, c.year): c.next_value for c in session.scalars(select(SequenceCounter))}


def test_counters_are_created_ahead_once(runtime, make_business):
    business = make_business()
    with runtime.transaction(business.id) as session:
        ensure_counters(session, ["INV", "CN"], [2025, 2026])
        ensure_counter(session, "INV", 2025)  # again: nothing changes
    assert counters(runtime, business.id) == {("INV", 2025): 1, ("INV", 2026): 1, ("CN", 2025): 1, ("CN", 2026): 1}


def test_numbers_run_per_business_series_and_year(runtime, make_business):
    one, two = make_business(), make_business()
    with runtime.transaction(one.id) as session:
        ensure_counter(session, "INV", 2025)
        assert [next_number(session, "INV", 2025) for _ in range(3)] == [1, 2, 3]
        assert next_number(session, "INV", 2026) == 1  # created on the fly
        assert next_number(session, "CN", 2025) == 1
        assert peek(session, "INV", 2025) == 4
    with runtime.transaction(two.id) as session:
        assert next_number(session, "INV", 2025) == 1
    assert counters(runtime, one.id) == {("INV", 2025): 4, ("INV", 2026): 2, ("CN", 2025): 2}


def test_a_rolled_back_issue_leaves_no_gap(runtime, make_business):
    business = make_business()
    with runtime.transaction(business.id) as session:
        assert next_number(session, "R", 2025) == 1
    with pytest.raises(RuntimeError):
        with runtime.transaction(business.id) as session:
            assert next_number(session, "R", 2025) == 2
            raise RuntimeError("printer on fire")
    with runtime.transaction(business.id) as session:
        assert next_number(session, "R", 2025) == 2


@pytest.mark.parametrize("series, year", [("", 2025), ("has space", 2025), ("X" * 33, 2025), (None, 2025),
                                          ("INV", 25), ("INV", "2025"), ("INV", True)])
def test_bad_series_or_year_is_refused(runtime, make_business, series, year):
    business = make_business()
    with runtime.transaction(business.id) as session:
        with pytest.raises(UserError, match="sequence"):
            next_number(session, series, year)
    assert counters(runtime, business.id) == {}


def test_numbers_need_a_business(runtime):
    with runtime.transaction(all_businesses=True) as session:
        with pytest.raises(TenancyError):
            next_number(session, "INV", 2025)
        with pytest.raises(TenancyError):
            ensure_counter(session, "INV", 2025)


def test_gap_and_duplicate_reports():
    assert gaps([1, 2, 5, 7]) == [(3, 4), (6, 6)]
    assert gaps([3, 1, 2]) == []
    assert gaps([]) == []
    assert gaps([2, 3], start=1) == [(1, 1)]
    assert gaps([10, 12], start=10) == [(11, 11)]
    assert duplicates([1, 2, 2, 3, 3, 3]) == [2, 3]


class ForcedRollback(Exception):
    pass


def test_concurrent_issuers_across_a_year_boundary_leave_no_gaps_or_duplicates(runtime, make_business, owner_engine):
    """8 writers, each with its own connection, 200 committed numbers each, ~10 % rolled back.

    The first half of each writer's documents are dated 2025 (counter created
    ahead), the second half 2026 (counter created on the fly, concurrently).
    """
    business = make_business(country="MX")
    writers, per_writer = 8, 200
    metadata = MetaData()
    issued = Table("test_seq_issued", metadata,
                   Column("id", Integer, primary_key=True),
                   Column("business_id", Integer, nullable=False),
                   Column("series", String(32), nullable=False),
                   Column("year", Integer, nullable=False),
                   Column("number", Integer, nullable=False),
                   Column("writer", Integer, nullable=False),
                   UniqueConstraint("business_id", "series", "year", "number"))
    metadata.drop_all(owner_engine)  # the app role has no DDL rights
    metadata.create_all(owner_engine)
    with runtime.transaction(business.id) as session:
        ensure_counters(session, ["F"], [2025])
    errors, rolled_back = [], Counter()

    def writer(index):
        rng = random.Random(index)
        done = 0
        try:
            while done < per_writer:
                year = 2025 if done < per_writer // 2 else 2026
                fail = rng.random() < 0.1

                def issue(session):
                    number = next_number(session, "F", year)
                    session.execute(insert(issued).values(business_id=business.id, series="F", year=year,
                                                          number=number, writer=index))
                    if fail:
                        raise ForcedRollback()
                    return number

                try:
                    runtime.db.run_in_transaction(issue, business.id)
                    done += 1
                except ForcedRollback:
                    rolled_back[index] += 1
        except Exception as exc:  # surfaced by the assertion below
            errors.append(repr(exc))

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    try:
        assert not errors, errors[:3]
        assert sum(rolled_back.values()) > writers * per_writer * 0.05
        with runtime.db.engine.connect() as conn:
            rows = conn.execute(select(issued.c.year, issued.c.number)
                                .where(issued.c.business_id == business.id)).all()
        for year in (2025, 2026):
            numbers = [n for y, n in rows if y == year]
            assert len(numbers) == writers * per_writer // 2
            assert duplicates(numbers) == []
            assert gaps(numbers) == []
            assert sorted(numbers) == list(range(1, writers * per_writer // 2 + 1))
        assert counters(runtime, business.id) == {("F", 2025): 801, ("F", 2026): 801}
    finally:
        metadata.drop_all(owner_engine)
