"""The base list view pages by keyset (core/admin_keyset.py): no OFFSET, no duplicates or gaps
forward and backward, with sorts, filters and search; a tampered cursor shows page 1."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select, text

from addons.partners.models import Partner
from addons.partners.services import create_partner

EMAIL_RE = re.compile(r"kp(\d+)@pager\.test")
LIST = "/admin/partners_partner/"


@pytest.fixture
def shop(runtime, make_business, make_user, client_for):
    """120 partners whose names repeat in threes (the id breaks the ties), every other one a
    customer, every fourth one with "Blue" in its name; and another business's partners."""
    business = make_business(addons=["partners"])
    other = make_business(addons=["partners"])
    ids = {}
    with runtime.transaction(business.id) as s:
        for i in range(120):
            name = f"{'Blue' if i % 4 == 0 else 'Red'} {i % 40:03d}"
            p = create_partner(s, name=name, email=f"kp{i}@pager.test", is_customer=i % 2 == 0, country="VN")
            ids[p.id] = i
    with runtime.transaction(other.id) as s:
        for i in range(5):
            create_partner(s, name=f"Blue {i:03d}", email=f"kp{1000 + i}@pager.test", country="VN")
    return business, ids, client_for(make_user(business))


def _rows(page: str) -> list[int]:
    found = [int(n) for n in EMAIL_RE.findall(page)]
    return list(dict.fromkeys(found))  # an e-mail may appear twice in a row (link text + title)


def _link(page: str, rel: str) -> str | None:
    match = re.search(rf'rel="{rel}"[^>]*href="([^"]+)"', page)
    return html.unescape(match.group(1)) if match else None


def _walk(client, url, rel):
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        pages.append(_rows(page))
        url = _link(page, rel)
        assert len(pages) < 50, "the pager does not end"
    return pages


def _expected(runtime, business, ids, where=(), order=(Partner.name.asc(), Partner.id.asc())):
    with runtime.transaction(business.id) as s:
        got = s.execute(select(Partner.id).where(*where).order_by(*order)).scalars().all()
    return [ids[i] for i in got]


@pytest.mark.parametrize("query, where, order", [
    ("", (), (Partner.name.asc(), Partner.id.asc())),
    ("sort=1&desc=1", (), (Partner.name.desc(), Partner.id.desc())),
    ("flt0_2=1", (Partner.is_customer.is_(True),), (Partner.name.asc(), Partner.id.asc())),
    ("search=Blue", (Partner.name.like("Blue%"),), (Partner.name.asc(), Partner.id.asc())),
])
def test_pager_walks_forward_and_back_without_duplicates_or_gaps(runtime, shop, query, where, order):
    business, ids, client = shop
    expected = _expected(runtime, business, ids, where, order)
    assert len(expected) in (120, 60, 30)
    first = f"{LIST}?page_size=20&{query}"
    forward = _walk(client, first, "next")
    assert [i for page in forward for i in page] == expected
    assert all(len(page) == 20 for page in forward[:-1])

    last = _link(client.get(first).get_data(as_text=True), "last")
    backward = _walk(client, last, "prev")
    assert backward[0] == expected[-20:]                   # the last page holds the last rows
    assert [i for page in reversed(backward) for i in page] == expected
    assert not any(n >= 1000 for page in forward + backward for n in page)   # the fence holds


def test_first_page_has_no_previous_and_last_page_no_next(shop):
    _business, _ids, client = shop
    page = client.get(f"{LIST}?page_size=20").get_data(as_text=True)
    assert _link(page, "prev") is None and _link(page, "first") is None
    last = client.get(_link(page, "last")).get_data(as_text=True)
    assert _link(last, "next") is None and _link(last, "last") is None
    assert _link(last, "first") and _link(last, "prev")


def test_page_links_keep_the_filter_and_a_new_sort_starts_from_page_one(shop):
    _business, _ids, client = shop
    page = client.get(f"{LIST}?page_size=20&flt0_2=1").get_data(as_text=True)
    second = _link(page, "next")
    assert "flt0_2=1" in second and "page_size=20" in second and "cursor=" in second
    sorted_page = client.get(second).get_data(as_text=True)
    sort_links = re.findall(r'href="([^"]*sort=1[^"]*)"', sorted_page)
    assert sort_links and not any("cursor=" in link for link in sort_links)


@pytest.mark.parametrize("mangle", [
    lambda c: c[:-3] + ("AAA" if not c.endswith("AAA") else "BBB"),   # signature broken
    lambda c: "x" + c,                                                  # payload broken
    lambda c: "not-a-cursor",
    lambda c: "%00%ff" * 10,
    lambda c: "A" * 5000,
])
def test_tampered_cursor_shows_the_first_page_with_a_message(runtime, shop, mangle):
    business, ids, client = shop
    page = client.get(f"{LIST}?page_size=20").get_data(as_text=True)
    cursor = re.search(r"cursor=([^&\"]+)", _link(page, "next")).group(1)
    response = client.get(f"{LIST}?page_size=20&cursor={mangle(cursor)}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "damaged or out of date" in body
    assert _rows(body) == _expected(runtime, business, ids)[:20]


def test_cursor_of_another_sort_or_view_is_refused(runtime, shop, app):
    business, ids, client = shop
    page = client.get(f"{LIST}?page_size=20&sort=1&desc=1").get_data(as_text=True)
    cursor = re.search(r"cursor=([^&\"]+)", _link(page, "next")).group(1)
    body = client.get(f"{LIST}?page_size=20&cursor={cursor}").get_data(as_text=True)   # default sort
    assert "damaged or out of date" in body
    assert _rows(body) == _expected(runtime, business, ids)[:20]


def test_list_query_uses_the_index_without_a_sort(runtime, shop):
    """The default order of the big lists (sort column, then id) is read from an index."""
    if not runtime.db.is_sqlite:
        pytest.skip("query plans are checked on SQLite; PostgreSQL picks plans by table size")
    from addons.einvoice.models import Document
    from addons.sales.models import Order, Payment
    from addons.warehouse.models import StockMove
    cases = [(Order, Order.created_at, None), (Order, Order.created_at, Order.state == "new"),
             (Order, Order.created_at, Order.channel == "web"),
             (Order, Order.created_at, Order.payment_status == "paid"),
             (Order, Order.created_at, Order.fulfilment_status == "fulfilled"),
             (Order, Order.created_at, Order.currency == "VND"), (Order, Order.number, None),
             (Payment, Payment.id, None), (Payment, Payment.paid_on, None),
             (Payment, Payment.id, Payment.kind == "refund"), (Payment, Payment.id, Payment.method == "cash"),
             (StockMove, StockMove.created_at, None), (StockMove, StockMove.created_at, StockMove.kind == "in"),
             (Document, Document.created_at, None), (Document, Document.created_at, Document.state == "issued"),
             (Document, Document.created_at, Document.type == "receipt"),
             (Partner, Partner.name, None), (Partner, Partner.name, Partner.is_customer == True),  # noqa: E712 (the SQL)
             (Partner, Partner.name, Partner.is_supplier == True), (Partner, Partner.name, Partner.kind == "company"),
             (Partner, Partner.name, Partner.country == "VN"), (Partner, Partner.name, Partner.active == True)]  # noqa: E712
    for model, column, where in cases:
        stmt = select(model.id).where(model.business_id == 1)
        if where is not None:
            stmt = stmt.where(where)
        stmt = stmt.order_by(column.desc(), model.id.desc()).limit(51)
        compiled = stmt.compile(runtime.db.engine, compile_kwargs={"literal_binds": True})
        with runtime.db.engine.connect() as conn:
            plan = " ".join(str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "INDEX" in plan and "TEMP B-TREE" not in plan, (model.__name__, column.key, plan)
        if where is not None:   # the filter is a range of the index, not a check on every row of the business
            assert f"{where.left.key}=?" in plan, (model.__name__, where.left.key, plan)


def _plan(runtime, stmt) -> str:
    compiled = stmt.compile(runtime.db.engine, compile_kwargs={"literal_binds": True})
    with runtime.db.engine.connect() as conn:
        return " | ".join(str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))


def test_range_and_not_equal_order_filters_use_an_index(runtime):
    """"Due date" (before a day) is a range of (business_id, due_date): only the matching orders are
    sorted. "State is not" cannot be a range; it walks the default order's index and stops at a page."""
    if not runtime.db.is_sqlite:
        pytest.skip("query plans are checked on SQLite; PostgreSQL picks plans by table size")
    from datetime import date

    from addons.sales.models import Order
    page = select(Order.id).where(Order.business_id == 1)
    due = _plan(runtime, page.where(Order.due_date < date(2026, 12, 1))
                .order_by(Order.created_at.desc(), Order.id.desc()).limit(51))
    assert "ix_sales_order_business_due_date (business_id=? AND due_date<?)" in due, due
    not_cancelled = _plan(runtime, page.where(Order.state != "cancelled")
                          .order_by(Order.created_at.desc(), Order.id.desc()).limit(51))
    assert "ix_sales_order_business_created (business_id=?)" in not_cancelled, not_cancelled
    assert "TEMP B-TREE" not in not_cancelled, not_cancelled


def test_low_stock_reads_an_index_range_not_every_balance(runtime, make_business):
    """The Low stock tile's COUNT and the Stock list's filter run ``services.low_stock``: at or below zero
    is a range of the (business_id, on_hand - reserved) index, a reorder point's minimum comes from the
    business's points with each balance looked up by its unique key; no step reads every balance."""
    if not runtime.db.is_sqlite:
        pytest.skip("query plans are checked on SQLite; PostgreSQL picks plans by table size")
    from sqlalchemy import event, func

    from addons.warehouse import services as wh
    from addons.warehouse.models import StockBalance
    business = make_business(addons=["partners", "catalog", "warehouse"])
    seen = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "warehouse_stock_balance" in statement:
            seen.append((statement, parameters))
    event.listen(runtime.db.engine, "before_cursor_execute", capture)
    try:
        with runtime.session(business.id) as s:   # the tenancy fence adds business_id everywhere
            assert s.scalar(wh.low_stock(select(func.count(StockBalance.id)))) == 0
            assert s.scalars(wh.low_stock(select(StockBalance)).order_by(StockBalance.id).limit(51)).all() == []
    finally:
        event.remove(runtime.db.engine, "before_cursor_execute", capture)
    assert len(seen) == 2
    for statement, parameters in seen:
        with runtime.db.engine.connect() as conn:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        plan = " | ".join(str(row[-1]) for row in rows)
        assert "ix_warehouse_stock_balance_business_available (business_id=? AND <expr><?)" in plan, plan
        assert "SEARCH warehouse_reorder_point" in plan and "(business_id=? AND warehouse_id=? AND variant_id=?)" \
            in plan, plan
        assert "(business_id=? AND rowid=?)" in plan, plan        # the balances found, fetched by id
        assert "SCAN" not in plan, plan
