"""core.money's column types: exact round trip, SUM, order and comparison in SQL, on the
suite's backend (SQLite, or PostgreSQL when TESSERA_TEST_DATABASE_URL is set)."""
from __future__ import annotations

import random
from decimal import Decimal

import pytest
from sqlalchemy import CheckConstraint, Column, Integer, MetaData, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError, StatementError

from core.errors import UserError
from core.money import PERCENT, TAX_RATE, Amount, Quantity, Rate, fit, scaled_check, sum_of

COUNT = 10_000
LARGEST = 10 ** 18 - 1  # 18 digits: 14 before the point, 4 after


def random_amounts(seed: int) -> list[Decimal]:
    rng = random.Random(seed)
    return [Decimal(f"{rng.randint(-LARGEST, LARGEST)}e-4") for _ in range(COUNT)]


@pytest.fixture
def scratch(owner_engine):
    """A table of its own (not an addon's), dropped after the test; made as the database's owner,
    since on PostgreSQL the app role has no DDL rights."""
    metadata = MetaData()
    table = Table("test_exact_amounts", metadata, Column("id", Integer, primary_key=True),
                  Column("grp", Integer), Column("amount", Amount()), Column("qty", Quantity()),
                  Column("rate", Rate(*TAX_RATE)), Column("pct", Rate(*PERCENT)),
                  CheckConstraint(scaled_check("rate >= 0 AND rate < :one", Rate(*TAX_RATE), one=1),
                                  name="ck_test_exact_rate"),
                  CheckConstraint("qty >= 0 AND amount <= qty", name="ck_test_exact_qty"))
    engine = owner_engine
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield engine, table
    metadata.drop_all(engine)


def test_10000_random_18_digit_amounts_round_trip_and_sum_exactly(scratch):
    engine, table = scratch
    amounts = random_amounts(8)
    assert any(a.adjusted() == 13 for a in amounts)  # full-width values are in the sample
    with engine.begin() as conn:
        conn.execute(insert(table), [{"id": i, "grp": i % 7, "amount": a, "qty": abs(a)}
                                     for i, a in enumerate(amounts)])
    with engine.connect() as conn:
        back = conn.execute(select(table.c.amount, table.c.qty).order_by(table.c.id)).all()
        assert [row.amount for row in back] == amounts
        assert [row.qty for row in back] == [abs(a) for a in amounts]
        assert all(str(row.amount) == str(a) for row, a in zip(back, amounts))  # 4 decimals, same text
        # Past 9.2e18 units: SQLite's integer SUM would stop with "integer overflow".
        assert sum(abs(a) for a in amounts) * 10 ** 4 > 2 ** 63
        assert conn.scalar(select(sum_of(table.c.amount))) == sum(amounts)
        assert conn.scalar(select(sum_of(table.c.qty))) == sum(abs(a) for a in amounts)
        by_group = dict(conn.execute(select(table.c.grp, sum_of(table.c.qty - table.c.amount))
                                     .group_by(table.c.grp)).all())
        assert by_group == {g: sum((abs(a) - a for i, a in enumerate(amounts) if i % 7 == g), Decimal(0))
                            for g in range(7)}
        assert conn.scalar(select(sum_of(table.c.amount)).where(table.c.id < 0)) == Decimal("0.0000")


def test_amounts_sort_compare_and_update_in_sql(scratch):
    engine, table = scratch
    amounts = random_amounts(9)[:500]
    with engine.begin() as conn:
        conn.execute(insert(table), [{"id": i, "amount": a, "qty": abs(a)} for i, a in enumerate(amounts)])
        pivot = amounts[17]
        assert conn.scalar(select(func.count()).where(table.c.amount > pivot)) == \
            sum(1 for a in amounts if a > pivot)
        assert list(conn.scalars(select(table.c.amount).order_by(table.c.amount))) == sorted(amounts)
        assert conn.scalar(select(func.max(table.c.amount))) == max(amounts)
        assert conn.scalar(select(func.min(table.c.amount))) == min(amounts)
        # the guarded-update shape of stock reservations: column arithmetic against a literal
        short = next(i for i, a in enumerate(amounts) if a < 0)  # qty - amount = 2 |a| > 0
        full = next(i for i, a in enumerate(amounts) if a > 0)   # qty - amount = 0
        for row in (short, full):
            conn.execute(update(table).where(table.c.id == row, table.c.qty - table.c.amount >= Decimal("0.0001"))
                         .values(amount=table.c.amount + Decimal("0.0001")))
        assert conn.scalar(select(table.c.amount).where(table.c.id == short)) == amounts[short] + Decimal("0.0001")
        assert conn.scalar(select(table.c.amount).where(table.c.id == full)) == amounts[full]


def test_check_constraints_keep_their_meaning(scratch):
    engine, table = scratch
    with engine.begin() as conn:
        conn.execute(insert(table), [{"id": 1, "amount": Decimal("2.5"), "qty": Decimal("2.5"),
                                      "rate": Decimal("0.9999")}])
    for row in ({"id": 2, "amount": Decimal(3), "qty": Decimal("2.9999")},     # amount <= qty
                {"id": 3, "amount": Decimal(0), "qty": Decimal(0), "rate": Decimal(1)}):  # rate < 1
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert(table), [row])


def test_more_decimals_than_the_column_holds_are_refused_not_rounded(scratch):
    engine, table = scratch
    for row in ({"id": 1, "amount": Decimal("1.00001")}, {"id": 2, "pct": Decimal("12.345")},
                {"id": 3, "amount": Decimal("100000000000000")}, {"id": 4, "amount": 0.5}):
        with pytest.raises(StatementError) as caught, engine.begin() as conn:
            conn.execute(insert(table), [row])
        assert isinstance(caught.value.orig, UserError)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(table)) == 0


def test_sql_products_of_scaled_columns_are_refused(scratch):
    _engine, table = scratch
    with pytest.raises(TypeError, match="compute with Decimal"):
        table.c.qty * table.c.amount
    with pytest.raises(TypeError, match="compute with Decimal"):
        table.c.amount / 2
    assert str(table.c.amount * 2)  # whole multiples keep the scale


def test_fit_names_the_field_and_the_allowed_decimals():
    assert str(fit("2.5", 18, 4)) == "2.5000"
    with pytest.raises(UserError, match=r"^unit_price: 1\.23456 has more than 4 decimals \(allowed: 4\)"):
        fit("1.23456", 18, 4, "unit_price")
    with pytest.raises(UserError, match=r"^qty: .* too large"):
        fit("1e20", 18, 4, "qty")
    with pytest.raises(UserError, match=r"^qty: .*float"):
        fit(1.5, 18, 4, "qty")



def test_tax_rates_hold_six_decimals_so_8_875_percent_is_stored_exactly(scratch):
    """US sales taxes such as 8.875 % (0.08875) need five decimals of a fraction; the tax-rate
    columns keep six, and a seventh is refused rather than rounded away."""
    engine, table = scratch
    with engine.begin() as conn:
        conn.execute(insert(table), [{"id": 1, "rate": Decimal("0.08875")}, {"id": 2, "rate": Decimal("0.123456")}])
    with engine.connect() as conn:
        assert conn.execute(select(table.c.rate).order_by(table.c.id)).scalars().all() == [
            Decimal("0.08875"), Decimal("0.123456")]
    with pytest.raises(StatementError) as caught, engine.begin() as conn:
        conn.execute(insert(table), [{"id": 3, "rate": Decimal("0.0887501")}])
    assert isinstance(caught.value.orig, UserError)
