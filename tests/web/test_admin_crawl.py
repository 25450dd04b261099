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
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.auth import create_user
from core.demo import seed_demo

from .conftest import PASSWORD, Client

HREF_RE = re.compile(r'href="([^"]+)"')
# Issue #10: what a person must never read in an amount, a quantity or a time.
# A number on its own (not a piece of a hex key such as a UUID's "...56e-8b1f"): 4.95E+5, 6e-8.
EXPONENT_RE = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?[Ee][+-]\d+(?![\w-])")
PADDED_RE = re.compile(r"\d[.,]\d*0000(?!\d)")
CSV_PADDED_RE = re.compile(r"\d\.\d*0000(?!\d)")   # a comma separates CSV cells
MICROSECONDS_RE = re.compile(r"\d\d:\d\d:\d\d\.\d{3,6}")
PLAIN_DECIMAL_RE = re.compile(r"^-?\d+(\.\d*[1-9])?$")


@pytest.fixture(scope="module")
def demo_business(runtime):
    """One business with every built-in addon enabled, its demo data loaded, and awkward amounts."""
    slug = f"crawl-{os.getpid()}"
    result = seed_demo(runtime, slug=slug)
    return result["business_id"], result["addons"]


@pytest.fixture(scope="module")
def awkward(runtime, demo_business):
    """Rows of every kind whose amounts tempt a formatter into ``1E+1`` or ``0.0001000``.

    495000 VND, 10.000000 (what ``Decimal.normalize`` turns into ``1E+1``), 0.0001 (a
    cost, a tax rate, a quantity), 0.5 and 12.5 % discounts: a catalog product and its
    price list item, a tax class, an order confirmed, paid, delivered and partly
    returned, stock received, a purchase order, a reorder point, a supplier price, and an
    issued invoice. Named to sort first, so every list shows them on its first page.
    Returns ``{view endpoint: [ids]}`` of the rows whose detail pages the crawl opens.
    """
    from addons.catalog import services as catalog
    from addons.einvoice.services.documents import create_document
    from addons.einvoice.services.issue import issue_document
    from addons.partners.services import create_partner
    from addons.sales import services as sales
    from addons.warehouse import services as wh
    from addons.warehouse.models import Warehouse
    business_id, _ = demo_business
    rows = {}
    with runtime.transaction(business_id) as s:
        tax = catalog.create_tax_class(s, "aaa-tiny", "AAA tiny rate", Decimal("0.0001"))
        big = catalog.create_product(s, sku="AAA-AWK-1", name="AAA awkward 495000", sale_price=Decimal("4.95E+5"),
                                     cost_price=Decimal("0.0001"), tax_class_code=tax.code)
        ten = catalog.create_product(s, sku="AAA-AWK-2", name="AAA awkward ten", sale_price=Decimal("10.000000"),
                                     cost_price=Decimal("10.000000"))
        item = catalog.set_list_price(s, "shopee", ten.variants[0].id, Decimal("10.000000"))
        variants = [big.variants[0].id, ten.variants[0].id]
        main = s.scalar(select(Warehouse.id).where(Warehouse.kind == "main"))
        wh.receive(s, main, [(variants[0], Decimal("10.000000")), (variants[1], Decimal("100.0001"))],
                   "AAA-RCV", unit_costs={variants[0]: Decimal("0.0001"), variants[1]: Decimal("10.000000")})
        supplier = create_partner(s, kind="company", name="AAA Awkward Supplier", country="VN",
                                  is_supplier=True, is_customer=False)
        supply = wh.set_supplier_product(s, supplier.id, variants[0], unit_cost=Decimal("0.0001"),
                                         min_qty=Decimal("10.000000"))
        point = wh.set_reorder_point(s, main, variants[1], Decimal("10.000000"), Decimal("100.000000"))
        purchase = wh.create_purchase_order(s, supplier.id, [(variants[0], Decimal("10.000000"))], warehouse_id=main)
        customer = create_partner(s, name="AAA Awkward Customer", country="VN", email="aaa@example.com")
        order = sales.create_order(s, partner_id=customer.id, lines=[
            {"variant_id": variants[0], "qty": Decimal("1.0000"), "discount_percent": Decimal("0.5")},
            {"variant_id": variants[1], "qty": Decimal("10.000000"), "discount_percent": Decimal("12.5")}])
        sales.confirm_order(s, order.id)
        payment = sales.register_payment(s, order.id, order.total, "bank_transfer", reference="AAA-PAY")
        sales.complete_order(s, order.id)
        ret = sales.create_return(s, order.id, [{"order_line_id": order.lines[1].id, "qty": Decimal("1.0000")}],
                                  reason="awkward")
        doc = create_document(s, type="sales_invoice", buyer={"kind": "person", "name": "AAA Awkward Buyer",
                                                               "country": "VN"},
                              lines=[{"description": "tiny", "quantity": "0.0001", "unit_price": "495000",
                                      "tax_rate": "0.10"},
                                     {"description": "ten", "quantity": "10.000000", "unit_price": "10.000000",
                                      "tax_rate": "0.08"}])
        issue_document(s, doc.id, render_pdf=False)
        rows = {"catalog_product": [big.id, ten.id], "catalog_variant": variants, "catalog_tax_class": [tax.id],
                "catalog_price_list_item": [item.id], "partners_partner": [supplier.id, customer.id],
                "sales_order": [order.id], "sales_payment": [payment.id], "sales_return": [ret.id],
                "warehouse_supplier_product": [supply.id], "warehouse_reorder_point": [point.id],
                "warehouse_purchase_order": [purchase.id], "einvoice_document": [doc.id]}
    return rows


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


def _crawl(client, urls, failures, expect=(200,)):
    """Each view's list, its first row's details and edit, its create page; returns pages visited."""
    visited = 0
    for url in urls:
        listing = _visit(client, url, failures, "list", expect)
        visited += 1
        if listing.status_code != 200:
            continue
        page = listing.get_data(as_text=True)
        for kind in ("details", "edit"):
            rows = _links(page, f"{url}{kind}/?id=")
            if rows:
                _visit(client, rows[0], failures, kind, expect)
                visited += 1
        if _links(page, f"{url}new/"):
            _visit(client, f"{url}new/", failures, "create", expect)
            visited += 1
    return visited


def test_every_admin_view_renders_over_demo_data(app, crawler, demo_business, awkward):
    """List, first row's details and edit, and the create page of every view: no error status."""
    views = _model_views(app, demo_business[1])
    assert len(views) >= 20, views  # core + catalog, partners, warehouse, sales, einvoice screens
    failures = []
    visited = _crawl(crawler, views, failures)
    assert not failures, f"{len(failures)} of {visited} admin pages failed:\n" + "\n".join(failures)


def test_awkward_amounts_render_plainly_on_every_kind_of_page(app, crawler, awkward):
    """Issue #10: 495000, 10.000000 and 0.0001 on the detail (document) and edit page of each
    kind of row, and on the lists they sort first in: no ``E+``, no ``.0000``, and the values
    are really there (a crawl over empty pages would prove nothing)."""
    failures, seen = [], {}
    for endpoint, ids in awkward.items():
        url = f"/admin/{endpoint}/"
        listing = _visit(crawler, url, failures, "list")
        seen[url] = _visible_text(listing.get_data(as_text=True))
        for row_id in ids:
            details = _visit(crawler, f"{url}details/?id={row_id}", failures, "details")
            page = details.get_data(as_text=True)
            seen[f"{url}details/?id={row_id}"] = _visible_text(page)
            if _links(page, f"{url}edit/?id={row_id}") or _links(listing.get_data(as_text=True),
                                                                  f"{url}edit/?id={row_id}"):
                _visit(crawler, f"{url}edit/?id={row_id}", failures, "edit")
    assert not failures, "\n".join(failures)
    product = seen[f"/admin/catalog_product/details/?id={awkward['catalog_product'][0]}"]
    assert "₫495,000" in product, product[:2000]
    assert "₫10" in seen["/admin/catalog_product/"] and "AAA awkward ten" in seen["/admin/catalog_product/"]
    order = seen[f"/admin/sales_order/details/?id={awkward['sales_order'][0]}"]
    assert "AAA-AWK-2" in order and re.search(r"\b10\b", order) and "12.5" in order, order[:3000]
    invoice = seen[f"/admin/einvoice_document/details/?id={awkward['einvoice_document'][0]}"]
    assert "0.0001" in invoice and "₫495,000" in invoice, invoice[:3000]


def test_document_timelines_name_every_change_by_its_label(app, crawler, demo_business, awkward):
    """Issue #10: a document page's activity timeline names each change as the record's own screen
    does ("Issue date", "Carrier status"), never by its column ("issue date", "carrier status")."""
    _, enabled = demo_business
    raw, pages = {}, 0
    for url in _model_views(app, enabled):
        listing = crawler.get(url).get_data(as_text=True)
        for link in _links(listing, f"{url}details/?id=")[:5]:
            page = crawler.get(link).get_data(as_text=True)
            if 'id="doc-timeline"' not in page:
                continue
            pages += 1
            start = page.index('id="doc-timeline"')
            end = page.find('id="doc-', start + 1)
            names = re.findall(r"<li>([^<:]+):", page[start:end if end > 0 else len(page)])
            unlabelled = {name for name in names if name[:1].islower()}
            if unlabelled:
                raw.setdefault(url, set()).update(unlabelled)
    assert pages >= 10, pages   # orders, invoices, purchase orders, counts, receipts, transfers, shipments, ...
    assert not raw, raw


def _menu_links(client) -> list[str]:
    """Every admin page the navigation bar links to (menu entries that are not model lists too)."""
    page = client.get("/admin/").get_data(as_text=True)
    nav = page[page.index("<nav"):page.index("</nav>")]
    return sorted({link.split("?")[0] for link in _links(nav, "/admin/")})


def test_every_admin_page_renders_in_all_six_languages(app, crawler, demo_business, awkward):
    """Issue #10: every menu entry, list, first row's details and edit, and create page, in en ko
    vi zh ru es (switched the way a person does, with the language switcher): no server error,
    and no amount in exponent form or padded with zeros in any of them."""
    from core.i18n import LANGUAGE_NAMES
    assert sorted(LANGUAGE_NAMES) == ["en", "es", "ko", "ru", "vi", "zh"]
    views = _model_views(app, demo_business[1])
    failures, visited = [], 0
    try:
        for lang in LANGUAGE_NAMES:
            assert crawler.post("/language", {"locale": lang, "next": "/admin/"}).status_code == 302
            home = crawler.get("/admin/").get_data(as_text=True)
            assert re.search(rf'<option value="{lang}"\s+selected', home), f"the switcher did not select {lang}"
            menu = _menu_links(crawler)
            assert len(menu) >= 20, menu
            for url in menu:
                response = _visit(crawler, url, failures, f"{lang} menu", expect=(200, 302))
                visited += 1
                if response.status_code >= 500:
                    failures.append(f"{lang} menu {url} -> {response.status_code}")
            visited += _crawl(crawler, views, failures)
            failures = [f if f.startswith(lang) else f"{lang} {f}" for f in failures]
    finally:
        crawler.post("/language", {"locale": "en"})
    assert not failures, f"{len(failures)} of {visited} pages failed:\n" + "\n".join(failures)


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


def test_demo_fills_the_sales_screens(runtime, crawler, demo_business, awkward):
    """Issue #3: the demo has orders across states, payments and a few returns to look at."""
    from addons.sales.models import Order, Payment, Return
    business_id, addons = demo_business
    assert {"sales", "warehouse", "sales_stock"} <= set(addons)
    with runtime.session(business_id) as session:
        states = dict(session.execute(select(Order.state, func.count()).where(
            Order.id.not_in(awkward["sales_order"])).group_by(Order.state)).all())
        payments = session.scalar(select(func.count()).select_from(Payment))
        returns = session.scalar(select(func.count()).select_from(Return))
    assert sum(states.values()) == 300, states
    assert states.get("processing", 0) + states.get("completed", 0) > 0, f"no order got past New: {states}"
    assert payments > 0 and returns > 0, f"payments={payments} returns={returns}"
    for url in ("/admin/sales_payment/", "/admin/sales_return/"):
        page = crawler.get(url).get_data(as_text=True)
        assert _links(page, f"{url}details/?id=") or _links(page, f"{url}edit/?id="), f"{url} is empty"
