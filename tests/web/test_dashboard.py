"""The home page dashboard: figures against known orders and stock, each tile's link lists exactly
what it counts, tiles follow permissions and enabled addons, and the SVG chart obeys the CSP."""
from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from tests.addons.sales.conftest import build_shop

TILE_RE = r'id="tile-{key}".*?<a class="stretched-link[^"]*" href="([^"]+)">([^<]+)</a>'


def tile(page: str, key: str) -> tuple[str, str]:
    """(link, value) of the tile ``key`` on the home page."""
    match = re.search(TILE_RE.format(key=key), page, re.S)
    assert match, f"no tile {key} on the page"
    return html.unescape(match.group(1)), match.group(2).strip()


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def local_now(business) -> datetime:
    return datetime.now(ZoneInfo(business.timezone))


def utc_naive(local: datetime) -> datetime:
    return local.astimezone(timezone.utc).replace(tzinfo=None)


@pytest.fixture
def known_shop(runtime, make_business):
    """A VND shop with orders placed at known local times and states:

    - A: today, New, unpaid, 100,000          - B: today, Processing, unfulfilled, 250,000
    - C: today, Cancelled, 49,000 (never counted)
    - D: earlier this month (or yesterday on the 1st: then not in the month), Completed, paid, 100,000
    - E: 40 days ago, Processing, partly paid 50,000 of 250,000, due 10 days ago (overdue)
    """
    from addons.sales import services
    from addons.sales.models import Order
    shop = build_shop(runtime, make_business, addons=("sales", "warehouse"),
                      prices=("100000", "250000", "49000"))
    now = local_now(shop.business)
    today = now.date()
    in_month = today.replace(day=1) if today.day > 1 else None
    at = {
        "A": now - timedelta(minutes=1), "B": now - timedelta(minutes=2), "C": now - timedelta(minutes=3),
        "D": datetime.combine(in_month or today - timedelta(days=1), datetime.min.time(),
                              tzinfo=now.tzinfo) + timedelta(hours=9),
        "E": now - timedelta(days=40),
    }
    lines = {"A": 0, "B": 1, "C": 2, "D": 0, "E": 1}
    numbers = {}
    with shop.tx() as s:
        for key in "ABCDE":
            order = services.create_order(s, channel="web", partner_id=shop.customer_id,
                                          lines=[{"variant_id": shop.variants[lines[key]], "qty": "1"}])
            numbers[key] = order.number
            values = {"created_at": utc_naive(at[key])}
            if key in "BDE":
                values.update(state="processing", confirmed_at=utc_naive(at[key]))
            if key == "C":
                values.update(state="cancelled")
            if key == "D":
                values.update(state="completed", payment_status="paid", fulfilment_status="fulfilled",
                              amount_paid=Decimal("100000"))
            if key == "E":
                values.update(payment_status="partly_paid", amount_paid=Decimal("50000"),
                              due_date=today - timedelta(days=10))
            s.execute(update(Order).where(Order.id == order.id).values(**values))
    return shop, numbers, in_month is not None


def test_sales_tiles_show_known_figures_and_link_to_exactly_those_orders(known_shop, make_user, client_for):
    shop, numbers, d_in_month = known_shop
    client = client_for(make_user(shop.business))
    page = client.get("/admin/").get_data(as_text=True)

    expected = {
        "sales_today": ("₫", "350000", "AB"),
        "sales_month": ("₫", "450000" if d_in_month else "350000", "ABD" if d_in_month else "AB"),
        "sales_to_confirm": (None, "1", "A"),
        "sales_to_ship": (None, "2", "BE"),
        "sales_receivables": ("₫", "550000", "ABE"),      # 100k + 250k + (250k - 50k)
        "sales_overdue": ("₫", "200000", "E"),
    }
    for key, (symbol, figure, keys) in expected.items():
        link, value = tile(page, key)
        assert digits(value) == digits(figure), (key, value)
        if symbol:
            assert symbol in value, (key, value)
        listed = client.get(link)
        assert listed.status_code == 200, (key, link)
        body = listed.get_data(as_text=True)
        shown = {k for k, n in numbers.items() if n in body}
        assert shown == set(keys), (key, link, shown)


def test_chart_is_svg_without_style_and_sums_the_last_30_days(known_shop, make_user, client_for):
    shop, numbers, d_in_month = known_shop
    client = client_for(make_user(shop.business))
    response = client.get("/admin/")
    page = response.get_data(as_text=True)
    chart = re.search(r'id="tile-sales_chart".*?(<svg.*?</svg>)', page, re.S).group(1)
    assert "style=" not in chart and "<script" not in chart
    assert chart.count('class="tessera-chart-bar"') == 30
    today_bar = re.findall(r'<rect class="tessera-chart-bar"[^>]*><title>([^<]*)</title>', chart)[-1]
    assert digits(today_bar.split(":")[-1]) == "350000"      # A + B; C cancelled
    link, value = tile(page, "sales_chart")
    assert digits(value) == "450000"                          # A + B + D (E is 40 days old)
    body = client.get(link).get_data(as_text=True)
    assert {k for k, n in numbers.items() if n in body} == set("ABD")
    assert "cdn" not in page.lower()


def test_low_stock_tile_counts_balances_at_or_below_their_reorder_point(runtime, make_business, make_user,
                                                                         client_for):
    from addons.warehouse import services as wh
    shop = build_shop(runtime, make_business, addons=("warehouse",), prices=("1", "2", "3"))
    with shop.tx() as s:
        main = wh.create_warehouse(s, code="WH-MAIN", name="Main", kind="main")
        wh.receive(s, main.id, [(shop.variants[0], Decimal("5")), (shop.variants[1], Decimal("20")),
                                (shop.variants[2], Decimal("1"))], "R1")
        wh.set_reorder_point(s, main.id, shop.variants[0], "5", "10")     # 5 <= 5: low
        wh.set_reorder_point(s, main.id, shop.variants[1], "5", "30")     # 20 > 5: fine
        wh.scrap(s, main.id, [(shop.variants[2], Decimal("1"))], None, "broken")   # 0 <= 0 (no point): low
    client = client_for(make_user(shop.business))
    link, value = tile(client.get("/admin/").get_data(as_text=True), "warehouse_low_stock")
    assert value == "2"
    body = client.get(link).get_data(as_text=True)
    assert shop.skus[0] in body and shop.skus[2] in body and shop.skus[1] not in body


def test_tiles_follow_permissions_and_enabled_addons(runtime, make_business, make_user, client_for):
    shop = build_shop(runtime, make_business, addons=("sales", "warehouse"))
    only_stock = client_for(make_user(shop.business, permissions=["warehouse.stock.read"]))
    page = only_stock.get("/admin/").get_data(as_text=True)
    assert 'id="tile-warehouse_low_stock"' in page and 'id="tile-sales_today"' not in page
    everything = client_for(make_user(shop.business))
    assert 'id="tile-sales_today"' in everything.get("/admin/").get_data(as_text=True)
    assert everything.post("/admin/core_addons/warehouse/disable", {}).status_code == 302
    page = everything.get("/admin/").get_data(as_text=True)
    assert 'id="tile-warehouse_low_stock"' not in page and 'id="tile-sales_today"' in page
    nothing = client_for(make_user(shop.business, permissions=["core.audit.read"]))
    page = nothing.get("/admin/").get_data(as_text=True)
    assert 'id="dashboard-empty"' in page and "tile-" not in page


def test_tile_of_a_view_filter_that_does_not_exist_is_a_bug(app):
    from flask_admin.contrib.sqla.filters import FilterEqual
    from addons.sales.models import Order
    from core.dashboard import list_url
    with app.test_request_context("/admin/"):
        with pytest.raises(LookupError, match="sales_order has no FilterEqual filter on number"):
            list_url("sales_order", (Order.number, FilterEqual, "x"))
        assert list_url("sales_order", (Order.state, FilterEqual, "new")).startswith("/admin/sales_order/?flt0_")


def test_day_range_is_the_business_day_in_utc():
    from core.dashboard import DashboardContext

    class B:
        timezone = "Asia/Ho_Chi_Minh"
    ctx = DashboardContext(session=None, business=B(), addons=frozenset(), can=lambda p: True)
    start, end = ctx.day_range(date(2026, 3, 1), date(2026, 3, 31))
    assert start == datetime(2026, 2, 28, 17, 0) and end == datetime(2026, 3, 31, 16, 59, 59)


def test_orders_to_invoice_tile_counts_confirmed_or_paid_orders_without_a_document(runtime, make_business,
                                                                                     make_user, client_for):
    from addons.einvoice.services import orders as invoicing
    from addons.sales import services
    from addons.sales.models import Order
    shop = build_shop(runtime, make_business, addons=("sales", "einvoice"), prices=("100000",))
    made = {}
    with shop.tx() as s:
        for key in ("new", "confirmed", "paid_new", "invoiced", "cancelled"):
            order = services.create_order(s, channel="web", partner_id=shop.customer_id,
                                          lines=[{"variant_id": shop.variants[0], "qty": "1"}])
            made[key] = (order.id, order.number)
        changes = {"confirmed": {"state": "processing"}, "invoiced": {"state": "processing"},
                   "paid_new": {"payment_status": "paid"}, "cancelled": {"state": "cancelled"}}
        for key, values in changes.items():
            s.execute(update(Order).where(Order.id == made[key][0]).values(**values))
    with shop.tx() as s:
        invoicing.create_from_order(s, made["invoiced"][0], "receipt")
    client = client_for(make_user(shop.business))
    link, value = tile(client.get("/admin/").get_data(as_text=True), "einvoice_to_invoice")
    assert value == "2" and link == "/admin/einvoice_to_invoice/"
    body = client.get(link).get_data(as_text=True)
    assert {k for k, (_, number) in made.items() if number in body} == {"confirmed", "paid_new"}
    clerk = client_for(make_user(shop.business, permissions=["sales.order.read"]))
    assert 'id="tile-einvoice_to_invoice"' not in clerk.get("/admin/").get_data(as_text=True)
