"""Crawl every registered admin view of a business filled with the demo data.

Why: each screen is tested on its own elsewhere with a few hand-made rows; this
walks all of them the way a person clicking through the menu would (list, the
first row's details and edit pages, the create page, the CSV export) over the
realistic demo data, so a column formatter, a lazy relationship or a form field
that breaks on real rows shows up as a failing URL rather than a 500 in use.
"""
from __future__ import annotations

import csv
import html
import io
import os
import re

import pytest
from sqlalchemy import func, select

from core.auth import create_user
from core.demo import seed_demo

from .conftest import PASSWORD, Client

HREF_RE = re.compile(r'href="([^"]+)"')
# Issue #10: what a person must never read in an amount, a quantity or a time.
EXPONENT_RE = re.compile(r"\d[Ee][+-]\d")
PADDED_RE = re.compile(r"\d[.,]\d*0000(?!\d)")
CSV_PADDED_RE = re.compile(r"\d\.\d*0000(?!\d)")   # a comma separates CSV cells
MICROSECONDS_RE = re.compile(r"\d\d:\d\d:\d\d\.\d{3,6}")
PLAIN_DECIMAL_RE = re.compile(r"^-?\d+(\.\d*[1-9])?$")


@pytest.fixture(scope="module")
def demo_business(runtime):
    """One business with every built-in addon enabled and its demo data loaded."""
    slug = f"crawl-{os.getpid()}"
    result = seed_demo(runtime, slug=slug)
    return result["business_id"], result["addons"]


@pytest.fixture(scope="module")
def crawler(app, runtime, demo_business):
    """A superuser (so the core screens are visible too) switched to the demo business."""
    business_id, _ = demo_business
    email = f"crawler-{os.getpid()}@example.com"
    with runtime.transaction(business_id) as session:
        create_user(session, email, PASSWORD, name="Crawler", business_id=business_id,
                    role="Administrator", superuser=True)
    client = Client(app.test_client())
    assert client.login(email).status_code == 302
    assert client.post("/switch-business", {"business_id": str(business_id)}).status_code in (200, 302)
    return client


def _model_views(app, enabled):
    """Every registered admin view except the index and those of addons the business
    has not enabled (fixture addons; their refusal is tested in test_screens): list URLs."""
    urls = []
    for admin in app.extensions["admin"]:
        for view in admin._views:
            addon = getattr(view, "addon", None)
            if view.endpoint == admin.endpoint or (addon and addon != "core" and addon not in enabled):
                continue
            urls.append(view.url.rstrip("/") + "/")
    return urls


def _links(page: str, prefix: str) -> list[str]:
    return [html.unescape(h) for h in HREF_RE.findall(page) if html.unescape(h).startswith(prefix)]


def _visible_text(page: str) -> str:
    """What a person reads: the page without scripts, styles, tags and attribute values."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]*>", " ", page))


def _unreadable_numbers(url: str, page: str) -> list[str]:
    text = _visible_text(page)
    # The audit log shows each change's stored before/after payload verbatim, as evidence
    # (column scale and all); only an exponent there would still be a formatting bug.
    checks = (EXPONENT_RE,) if url.startswith("/admin/core_audit/") else (
        EXPONENT_RE, PADDED_RE, MICROSECONDS_RE)
    return [m.group(0) for rx in checks for m in rx.finditer(text)]


def _visit(client, url, failures, kind, expect=(200,)):
    response = client.get(url)
    body = response.get_data(as_text=True)
    if response.status_code not in expect:
        failures.append(f"{kind} {url} -> {response.status_code}: {body[:300]!r}")
    elif bad := _unreadable_numbers(url, body):
        failures.append(f"{kind} {url} shows unformatted numbers: {bad[:5]}")
    return response


def test_every_admin_view_renders_over_demo_data(app, crawler, demo_business):
    """List, first row's details and edit, and the create page of every view: no error status."""
    views = _model_views(app, demo_business[1])
    assert len(views) >= 20, views  # core + catalog, partners, warehouse, sales, einvoice screens
    failures, visited = [], 0
    for url in views:
        listing = _visit(crawler, url, failures, "list")
        visited += 1
        if listing.status_code != 200:
            continue
        page = listing.get_data(as_text=True)
        for kind in ("details", "edit"):
            rows = _links(page, f"{url}{kind}/?id=")
            if rows:
                _visit(crawler, rows[0], failures, kind)
                visited += 1
        if _links(page, f"{url}new/"):
            _visit(crawler, f"{url}new/", failures, "create")
            visited += 1
    assert not failures, f"{len(failures)} of {visited} admin pages failed:\n" + "\n".join(failures)


def test_every_admin_csv_export_streams_completely(app, crawler, demo_business):
    """The export link of every list downloads a whole CSV (rows render after the view returned)."""
    failures = []
    for url in _model_views(app, demo_business[1]):
        listing = crawler.get(url)
        if listing.status_code != 200:
            continue
        for link in sorted(set(_links(listing.get_data(as_text=True), f"{url}export/"))):
            try:
                response = crawler.get(link)
                body = response.get_data(as_text=True)
            except Exception as exc:  # a streamed body that dies half-way
                failures.append(f"{link}: {type(exc).__name__}: {str(exc)[:200]}")
                continue
            if response.status_code != 200 or not body.strip():
                failures.append(f"{link} -> {response.status_code} ({len(body)} chars)")
            elif bad := [m.group(0) for rx in ((EXPONENT_RE,) if url.startswith("/admin/core_audit/")
                                               else (EXPONENT_RE, CSV_PADDED_RE)) for m in rx.finditer(body)]:
                failures.append(f"{link}: numbers not plain decimals: {bad[:5]}")
    assert not failures, "CSV exports failed:\n" + "\n".join(failures)


def test_order_list_formats_amounts_and_one_status_badge(crawler):
    """Issue #10: amounts with their currency, one status column as a badge with a label,
    codes as labels; the CSV export of the same list keeps plain decimals and raw codes."""
    page = crawler.get("/admin/sales_order/").get_data(as_text=True)
    headers = [h.strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", _visible_text_keep_th(page), re.S)]
    assert sum(1 for h in headers if h in ("Status", "State", "Label")) == 1, headers
    assert re.search(r'<span class="badge badge-pill badge-\w+ tessera-status">(New|Processing|Completed|'
                     r'Cancelled)</span>', page), "no status badge"
    text = _visible_text(" ".join(re.findall(r"<td class=\"col-[^>]*>(.*?)</td>", page, re.S)))
    assert re.search(r"\d{1,3}(,\d{3})+", text), "no thousands separator in any amount"
    assert "partly_paid" not in text and "bank_transfer" not in text
    export = crawler.get("/admin/sales_order/export/csv/").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(export)))
    assert rows and all(PLAIN_DECIMAL_RE.match(r["Total"]) for r in rows), rows[:3]


def _visible_text_keep_th(page: str) -> str:
    return re.sub(r"<(?!/?th\b)[^>]*>", "", page)


def test_demo_fills_the_sales_screens(runtime, crawler, demo_business):
    """Issue #3: the demo has orders across states, payments and a few returns to look at."""
    from addons.sales.models import Order, Payment, Return
    business_id, addons = demo_business
    assert {"sales", "warehouse", "sales_stock"} <= set(addons)
    with runtime.session(business_id) as session:
        states = dict(session.execute(select(Order.state, func.count()).group_by(Order.state)).all())
        payments = session.scalar(select(func.count()).select_from(Payment))
        returns = session.scalar(select(func.count()).select_from(Return))
    assert sum(states.values()) == 300, states
    assert states.get("processing", 0) + states.get("completed", 0) > 0, f"no order got past New: {states}"
    assert payments > 0 and returns > 0, f"payments={payments} returns={returns}"
    for url in ("/admin/sales_payment/", "/admin/sales_return/"):
        page = crawler.get(url).get_data(as_text=True)
        assert _links(page, f"{url}details/?id=") or _links(page, f"{url}edit/?id="), f"{url} is empty"
