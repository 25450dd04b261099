"""Gapless fiscal numbering: one counter row per (business, series, year).

Tax authorities (Mexico's CFDI folios, Vietnam's e-invoice numbers, EU invoice
series) want numbers without holes. A database sequence cannot give that: a
rolled-back transaction burns its value. So the number is taken from a counter
row *inside the issuing transaction* with one guarded statement::

    UPDATE core_sequence SET next_value = next_value + 1
     WHERE business_id = :b AND series = :s AND year = :y
    RETURNING next_value

The UPDATE locks the row until the issuing transaction ends (PostgreSQL: a row
lock, and a concurrent issuer waits and then sees the new value under READ
COMMITTED; SQLite: the IMMEDIATE write transaction already serialises writers).
If the transaction rolls back, the increment rolls back with it: no gap. Take the
number as late as possible in the transaction, since the row stays locked until
commit. Documents that use a series keep a unique constraint on
(business_id, series, year, number) as the backstop; that belongs to the addon
owning the document table.

Counters are created ahead of time (``ensure_counters`` when a business is set
up or a year opens). If one is missing anyway, ``next_number`` creates it with an
insert that does nothing on conflict, so two first issuers cannot both create it.
"""
from __future__ import annotations

import re

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from .db import TenancyError, upsert_insert
from .errors import UserError
from .models import SequenceCounter

SERIES_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,31}$")
_table = SequenceCounter.__table__


def ensure_counter(session, series: str, year: int) -> None:
    """Create the counter of (the session's business, ``series``, ``year``) if it is missing."""
    business_id = _business(session)
    _validate(series, year)
    _insert_missing(session, business_id, series, year)


def ensure_counters(session, series_list, years) -> None:
    """Create every (series, year) counter of the session's business ahead of time."""
    for series in series_list:
        for year in years:
            ensure_counter(session, series, year)


def next_number(session, series: str, year: int) -> int:
    """Take the next number of ``series`` in ``year`` for the session's business.

    Must run in the issuing write transaction (``runtime.transaction`` or
    ``run_in_transaction``); the number is only issued if that transaction commits.
    """
    business_id = _business(session)
    _validate(series, year)
    number = _bump(session, business_id, series, year)
    if number is None:
        _insert_missing(session, business_id, series, year)
        number = _bump(session, business_id, series, year)
    if number is None:  # pragma: no cover - the row was just ensured in this transaction
        raise UserError(f"sequence {series}/{year}: counter could not be created")
    return number


def peek(session, series: str, year: int) -> int:
    """The number the next issue would get (for display only: it is not reserved)."""
    business_id = _business(session)
    value = session.execute(select(_table.c.next_value).where(*_key(business_id, series, year))).scalar()
    return 1 if value is None else value


def gaps(numbers, start: int = 1) -> list[tuple[int, int]]:
    """Missing ranges ``(first, last)`` in ``numbers`` from ``start`` to their maximum.

    ``gaps([1, 2, 5, 7])`` is ``[(3, 4), (6, 6)]``. Duplicates are ignored here;
    find them with ``duplicates``.
    """
    have = sorted(set(int(n) for n in numbers))
    missing, expected = [], start
    for n in have:
        if n < start:
            continue
        if n > expected:
            missing.append((expected, n - 1))
        expected = n + 1
    return missing


def duplicates(numbers) -> list[int]:
    """Numbers that occur more than once, sorted."""
    seen, twice = set(), set()
    for n in numbers:
        (twice if n in seen else seen).add(n)
    return sorted(twice)


# ---------------------------------------------------------------- internals

def _business(session) -> int:
    business_id = session.info.get("business_id")
    if business_id is None:
        raise TenancyError("sequences: no business selected; numbers belong to one business")
    return business_id


def _validate(series, year):
    if not isinstance(series, str) or not SERIES_RE.match(series):
        raise UserError(f"sequence series {series!r}: use 1-32 letters, digits, '_', '-', '.', '/'")
    if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 9999:
        raise UserError(f"sequence year {year!r}: expected a four-digit year")


def _key(business_id, series, year):
    return (_table.c.business_id == business_id, _table.c.series == series, _table.c.year == year)


# Core statement with the business bound explicitly: the ORM tenancy filter does not apply
# to Table statements, so the key is the fence (and row-level security on PostgreSQL). Built
# once and run on the session's connection: every order and invoice takes a number, and
# rebuilding, re-keying and passing it through the session's ORM hooks cost more than the UPDATE.
_BUMP = (update(_table).where(_table.c.business_id == bindparam("key_business"),
                              _table.c.series == bindparam("key_series"), _table.c.year == bindparam("key_year"))
         .values(next_value=_table.c.next_value + 1)
         .returning(_table.c.next_value - 1))


def _bump(session, business_id, series, year) -> int | None:
    return session.connection().execute(
        _BUMP, {"key_business": business_id, "key_series": series, "key_year": year}).scalar()


def _insert_missing(session, business_id, series, year):
    values = {"business_id": business_id, "series": series, "year": year, "next_value": 1}
    dialect = session.get_bind().dialect.name
    upsert = upsert_insert(dialect)
    if upsert is not None:
        stmt = upsert(_table).values(**values).on_conflict_do_nothing(
            index_elements=["business_id", "series", "year"])
        session.execute(stmt)
        return
    try:  # other databases: a savepoint keeps the caller's transaction usable
        with session.begin_nested():
            session.execute(insert(_table).values(**values))
    except IntegrityError:
        pass
