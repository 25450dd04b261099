"""Sales benchmarks: the admin order list at a million orders (PostgreSQL).

``admin_list`` bulk-loads 1,000,000 orders for one business (50,000 with ``--quick``)
and a tenth as many for two other businesses (the tenancy fence must filter them out),
then times the order list through the Flask test client, logged in: page 1, a state
filter, a search by order number, page 1,000 (reached by its cursor) and the last page.
The floor, timed in the same run and interleaved with the list (and the five requests
round-robin) so all see the same machine, is the same 50 rows fetched with one plain
SQLAlchemy Core query (the same keyset predicate) and rendered as a plain Jinja table
with the same columns formatted
by the same formatter (dates in the business's time zone, amounts in the row's
currency, codes as labels, the status badge): any list must format, so what is left in
the ratio is Flask-Admin, the login and permission checks and the tenancy fence.
"""
from __future__ import annotations

import sys
import time

from harness import bench_runtime, median, p95, result, temp_database

PAGE_SIZE = 50
CHUNK = 50_000

# Orders g = start..end of business :b, one second apart going back from now, states and
# channels cycling, customers cycling over :customers.
BULK_ORDERS = """
INSERT INTO sales_order (business_id, number, channel, external_ref, partner_id, currency, prices_include_tax,
    state, payment_status, fulfilment_status, order_date, term_days, term_discount_percent, term_discount_days,
    subtotal, discount_total, tax_total, shipping_fee, shipping_paid_by, total, cod_amount, amount_paid,
    amount_refunded, amount_credited, early_discount, created_at, updated_at)
SELECT :b, :prefix || g, (ARRAY['web','shopee','lazada','tiktok','phone','facebook','counter','manual'])[1 + g % 8],
    CASE WHEN g % 8 IN (1, 2, 3) THEN :prefix || 'EXT' || g END,
    (CAST(:customers AS integer[]))[1 + g % cardinality(CAST(:customers AS integer[]))], 'VND', false,
    (ARRAY['new','processing','completed','completed','completed','cancelled'])[1 + g % 6],
    CASE WHEN g % 6 IN (2, 3, 4) THEN 'paid' ELSE 'unpaid' END,
    CASE WHEN g % 6 IN (2, 3, 4) THEN 'fulfilled' ELSE 'unfulfilled' END,
    (now() - (g || ' seconds')::interval)::date, 0, 0, 0, 100000, 0, 10000, 0, 'customer', 110000, 0,
    CASE WHEN g % 6 IN (2, 3, 4) THEN 110000 ELSE 0 END, 0, 0, 0,
    now() - (g || ' seconds')::interval, now() - (g || ' seconds')::interval
FROM generate_series(CAST(:start AS integer), CAST(:end AS integer)) AS g
"""

FLOOR_TABLE = """<table>
<thead><tr><th>Number</th><th>Created</th><th>Channel</th><th>External ref</th><th>Customer</th><th>Status</th>
<th>Payment</th><th>Fulfilment</th><th>Total</th></tr></thead>
<tbody>{% for r in rows %}<tr><td><a href="/admin/sales_order/details/?id={{ r.id }}">{{ r.number }}</a></td>
<td>{{ r.created_at|datetime }}</td><td>{{ code_label('channel', r.channel) }}</td><td>{{ r.external_ref or '' }}</td>
<td>{{ r.name or '' }}</td><td>{{ status_badge(code_label('order_state', r.state), colours.get(r.state)) }}</td>
<td>{{ code_label('payment_status', r.payment_status) }}</td>
<td>{{ code_label('fulfilment_status', r.fulfilment_status) }}</td><td>{{ r.total|amount(r.currency) }}</td>
</tr>{% endfor %}</tbody></table>"""


def _floor_env(timezone: str, locale: str = "en"):
    """The floor's Jinja environment: the same formatter as the list (core.formatting, the
    status badge of core.web.formatting) with the locale and time zone passed in, so the
    floor formats every value the list formats and pays none of Flask's request machinery."""
    import jinja2
    from addons.sales.admin import STATE_COLOURS
    from core import formatting
    from core.web.formatting import status_badge
    env = jinja2.Environment(autoescape=True)
    env.filters.update(datetime=lambda v: formatting.datetime_(v, timezone, locale),
                       amount=lambda v, c: formatting.amount(v, c, locale))
    env.globals.update(code_label=formatting.code_label, status_badge=status_badge, colours=STATE_COLOURS)
    return env


def _business(rt, slug: str, customers: int) -> tuple[int, list[int]]:
    from addons.partners.services import create_partner
    from core.addons import state
    from core.business import create_business
    with rt.transaction(all_businesses=True) as s:
        business = create_business(s, name=f"Bench {slug}", slug=slug, country="VN", currency="VND")
    with rt.transaction(business.id) as s:
        state.enable(s, rt.registry, business.id, ["sales"])
    with rt.transaction(business.id) as s:
        ids = [create_partner(s, name=f"Khách hàng {slug} {i:03d}", country="VN").id for i in range(customers)]
    return business.id, ids


def _load(rt, business_id, customers, prefix, n, bar):
    """INSERT ... SELECT generate_series in chunks, so the progress bar moves."""
    from sqlalchemy import text
    for start in range(1, n + 1, CHUNK):
        end = min(n, start + CHUNK - 1)
        with rt.db.engine.begin() as conn:
            conn.execute(text(BULK_ORDERS), {"b": business_id, "prefix": prefix, "customers": customers,
                                             "start": start, "end": end})
        bar.update(end - start + 1)


def _floor_query(business_id, state=None, number=None, after=None, last=False):
    """The list's 50 rows as one Core statement with the list's keyset order and predicate."""
    from sqlalchemy import select, tuple_
    from addons.partners.models import Partner
    from addons.sales.models import Order
    o, p = Order.__table__, Partner.__table__
    stmt = (select(o.c.id, o.c.number, o.c.created_at, o.c.channel, o.c.external_ref, p.c.name, o.c.state,
                   o.c.payment_status, o.c.fulfilment_status, o.c.total, o.c.currency)
            .select_from(o.outerjoin(p, p.c.id == o.c.partner_id)).where(o.c.business_id == business_id))
    if state:
        stmt = stmt.where(o.c.state == state)
    if number:
        stmt = stmt.where(o.c.number == number)
    if after is not None:
        stmt = stmt.where(o.c.created_at <= after[0], tuple_(o.c.created_at, o.c.id) < tuple_(*after))
    order = (o.c.created_at.asc(), o.c.id.asc()) if last else (o.c.created_at.desc(), o.c.id.desc())
    return stmt.order_by(*order).limit(PAGE_SIZE), last


def admin_list(quick: bool) -> list[dict]:
    """The admin order list at 1,000,000 orders (50,000 quick) on PostgreSQL: page 1, a state filter, a
    search, page 1,000 and the last page, each next to a plain Core query + Jinja table of the same rows."""
    import click
    from sqlalchemy import select, text
    from addons.sales.models import Order
    from core.auth import create_user
    n = 50_000 if quick else 1_000_000
    repeat = 15 if quick else 30
    out = []
    with temp_database("postgresql", "adminlist") as (url, folder):
        rt = bench_runtime(url, folder, WTF_CSRF_ENABLED=False)
        try:
            business_id, customers = _business(rt, "bench-main", 100)
            others = [_business(rt, f"bench-other-{k}", 10) for k in (1, 2)]
            with rt.transaction(business_id) as s:
                create_user(s, "bench@example.com", "bench horse battery staple", name="Bench",
                            business_id=business_id, role="Administrator")
            total = n + sum(n // 10 for _ in others)
            started = time.perf_counter()
            with click.progressbar(length=total, label=f"loading {total:,} orders", file=sys.stderr) as bar:
                _load(rt, business_id, customers, "BK-", n, bar)
                for k, (other_id, other_customers) in enumerate(others, start=1):
                    _load(rt, other_id, other_customers, f"OT{k}-", n // 10, bar)
            with rt.db.engine.begin() as conn:
                conn.execute(text("ANALYZE sales_order"))
            print(f"  loaded in {time.perf_counter() - started:.1f}s", file=sys.stderr)

            from core.app import create_app
            app = create_app(runtime=rt)
            client = app.test_client()
            login = client.post("/login", data={"email": "bench@example.com",
                                                "password": "bench horse battery staple"})
            if login.status_code != 302:
                raise RuntimeError(f"bench login failed ({login.status_code})")
            view = next(v for admin in app.extensions["admin"] for v in admin._views
                        if getattr(v, "endpoint", None) == "sales_order")
            with rt.db.engine.connect() as conn:
                deep = conn.execute(select(Order.created_at, Order.id).where(Order.business_id == business_id)
                                    .order_by(Order.created_at.desc(), Order.id.desc())
                                    .offset(999 * PAGE_SIZE - 1).limit(1)).one()
                number = conn.execute(select(Order.number).where(Order.business_id == business_id)
                                      .order_by(Order.id).offset(n // 2).limit(1)).scalar()
            with app.test_request_context():
                page_1000 = view.encode_cursor(list(deep), False)
                last = view.encode_cursor(None, True)
            from urllib.parse import quote
            cases = {
                "first_page": ("/admin/sales_order/", _floor_query(business_id)),
                "filter_state": ("/admin/sales_order/?flt0_0=processing", _floor_query(business_id, state="processing")),
                "search_number": (f"/admin/sales_order/?search={quote(number)}",
                                  _floor_query(business_id, number=number)),
                "page_1000": (f"/admin/sales_order/?cursor={page_1000}", _floor_query(business_id, after=tuple(deep))),
                "last_page": (f"/admin/sales_order/?cursor={last}", _floor_query(business_id, last=True)),
            }
            from core.models import Business
            with rt.transaction(all_businesses=True) as s:
                timezone = s.get(Business, business_id).timezone or "UTC"
            table = _floor_env(timezone).from_string(FLOOR_TABLE)
            def fetch(path):
                response = client.get(path)
                if response.status_code != 200 or b"BK-" not in response.data or b"OT1-" in response.data:
                    raise RuntimeError(f"{path}: status {response.status_code} or wrong rows")
                if b"damaged or out of date" in response.data:
                    raise RuntimeError(f"{path}: the cursor was refused")

            def floor(stmt, reverse):
                with rt.db.engine.connect() as conn:
                    rows = conn.execute(stmt).all()
                if reverse:
                    rows.reverse()
                if not table.render(rows=rows):
                    raise RuntimeError("empty floor page")

            times = {label: ([], []) for label in cases}
            for path, (stmt, reverse) in cases.values():   # warm-up
                fetch(path), floor(stmt, reverse)
            # Interleaved, list then floor, and round-robin over the five requests: each pair sees the
            # same moment of the (shared) machine, and so do page 1 and the deep pages they are compared with.
            for _ in range(repeat):
                for label, (path, (stmt, reverse)) in cases.items():
                    t0 = time.perf_counter()
                    fetch(path)
                    t1 = time.perf_counter()
                    floor(stmt, reverse)
                    t2 = time.perf_counter()
                    times[label][0].append((t1 - t0) * 1000)
                    times[label][1].append((t2 - t1) * 1000)
            medians = {}
            for label, (path, _query) in cases.items():
                page_times, floor_times = times[label]
                medians[label] = median(page_times)
                params = {"orders": n, "other_orders": total - n, "page_size": PAGE_SIZE, "repeat": repeat,
                          "path": path.split("?")[1][:40] if "?" in path else ""}
                out.append(result(f"admin_list.{label}.median", median(page_times), "ms", median(floor_times),
                                  "ms (Core query + Jinja table)", "postgresql", params, higher_is_better=False,
                                  values=page_times, floors=floor_times))   # ratio: median of the pairs'
                out.append(result(f"admin_list.{label}.p95", p95(page_times), "ms", p95(floor_times),
                                  "ms (Core query + Jinja table)", "postgresql", params, higher_is_better=False))
            for label in ("page_1000", "last_page"):
                out.append(result(f"admin_list.{label}.vs_first_page", medians[label], "ms",
                                  medians["first_page"], "ms (page 1)", "postgresql",
                                  {"orders": n, "target": "within 1.2 x page 1"}, higher_is_better=False))
        finally:
            rt.db.dispose()
    return out


BENCHMARKS = [admin_list]


# ---------------------------------------------------------------- REST API: POST /api/v1/orders
# The subject is the whole API request in process (Flask test client): bearer token lookup,
# rate limit, addon and scope checks, JSON and pydantic validation, create_order_from_entry, the
# answer rendered from the OpenAPI models, an Idempotency-Key kept. The floor is what any JSON
# endpoint must do for the same order: parse the same body, call the same service in one
# transaction and dump the order as JSON. The ratio is what the API frame costs.
import json as _json  # noqa: E402
import os as _os  # noqa: E402
import time as _time  # noqa: E402
from decimal import Decimal as _Decimal  # noqa: E402

from harness import StatementCounter, interleave, pg_url_if_reachable  # noqa: E402


def _api_shop(rt):
    from addons.catalog.services import create_product
    from addons.partners.services import create_partner
    from core.addons import state
    from core.api.tokens import create_token
    from core.business import create_business
    with rt.transaction(all_businesses=True) as s:
        business = create_business(s, name="API bench", slug=f"apib-{_os.getpid()}-{_time.time_ns() % 10**6}",
                                   country="VN", currency="VND")
    with rt.transaction(business.id) as s:
        state.enable(s, rt.registry, business.id, ["sales"])
    with rt.transaction(business.id) as s:
        customer = create_partner(s, name="Khách hàng", country="VN").id
        skus = [create_product(s, sku=f"A-{i}", name=f"API {i}", sale_price="10000").sku for i in range(5)]
        token = create_token(s, rt.registry, name="bench", scopes=["sales.order.create"]).token
    return business.id, customer, skus, token


def _api_body(customer, skus, ref) -> bytes:
    return _json.dumps({"customer": {"id": customer}, "lines": [{"sku": s, "qty": 1} for s in skus],
                       "external_ref": ref}).encode()


def _via_api(client, token, customer, skus, n, tag):
    started = _time.perf_counter()
    for i in range(n):
        response = client.post("/api/v1/orders", data=_api_body(customer, skus, f"{tag}-{i}"),
                               headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"{tag}-{i}",
                                        "Content-Type": "application/json"})
        assert response.status_code == 201, response.get_data(as_text=True)
    return n / (_time.perf_counter() - started)


def _api_floor(rt, business_id, customer, skus, n, tag):
    from addons.sales import services
    started = _time.perf_counter()
    for i in range(n):
        payload = _json.loads(_api_body(customer, skus, f"{tag}-{i}"), parse_float=_Decimal)
        payload["customer"] = {"code": str(payload["customer"]["id"])}
        payload["channel"] = "web"
        with rt.transaction(business_id) as session:
            order = services.create_order_from_entry(session, payload).order
            _json.dumps({"id": order.id, "number": order.number, "state": order.state, "total": str(order.total),
                        "lines": [{"sku": line.sku, "qty": str(line.qty)} for line in order.lines]})
    return n / (_time.perf_counter() - started)


def api_order_create(quick: bool) -> list[dict]:
    """Orders/s created through POST /api/v1/orders (5 lines, an Idempotency-Key each) next to the
    order entry service called directly with the same body, on SQLite and PostgreSQL."""
    from core.app import create_app
    rounds = 5 if quick else 7
    per_round = 10 if quick else 60
    backends = ["sqlite"] + (["postgresql"] if pg_url_if_reachable() else [])
    out = []
    for backend in backends:
        with temp_database(backend, "api") as (url, folder):
            rt = bench_runtime(url, folder, API_RATE_LIMIT=0)
            counter = StatementCounter(rt.db.engine)
            try:
                business_id, customer, skus, token = _api_shop(rt)
                client = create_app(runtime=rt).test_client()
                seq = iter(range(10 ** 6))
                _via_api(client, token, customer, skus, 3, "warm-a")
                _api_floor(rt, business_id, customer, skus, 3, "warm-f")
                counted = {"subject": 0, "floor": 0}

                def run(side, fn):
                    with counter:
                        rate = fn()
                    counted[side] += counter.count
                    return rate
                values, floors = interleave(
                    lambda: run("subject", lambda: _via_api(client, token, customer, skus, per_round,
                                                            f"api-{next(seq)}")),
                    lambda: run("floor", lambda: _api_floor(rt, business_id, customer, skus, per_round,
                                                        f"floor-{next(seq)}")),
                    rounds)
            finally:
                counter.close()
                rt.db.dispose()
        orders = per_round * len(values)
        out.append(result("api.order_create", 0, "orders/s", 0, "orders/s (the service called directly)", backend,
                          {"orders_per_round": per_round, "lines_per_order": 5, "idempotency_key": True},
                          values=values, floors=floors,
                          statements={"subject": round(counted["subject"] / orders, 1),
                                      "floor": round(counted["floor"] / orders, 1)}))
    return out


# The orders API is sales' api.py: its row sits with the other sales benchmarks.
BENCHMARKS.append(api_order_create)
