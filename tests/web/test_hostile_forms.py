"""Issue #7 item 9: every admin create/edit form and every POST action of every enabled addon,
posted with random and hostile values, never answers 5xx, and a rejected post writes nothing.

The forms are read from the rendered pages of a demo-filled business (the create and edit
pages, the details pages with their action buttons, the list's delete buttons and mass
actions, and the plain pages such as the transfer and the CSV import), so a new screen is
covered without being listed here. Hypothesis draws each field from the page's own values,
plain values and hostile ones (1e309, NaN, 29 digits, Devanagari digits, -0, NUL bytes,
5000 characters, another business's ids, missing ids, empty, absent). It is derandomized, so
CI sees the same examples every run.
"""
from __future__ import annotations

import html
import os
import re
from urllib.parse import urlsplit

import pytest
from flask import got_request_exception
from hypothesis import HealthCheck, example, given, settings
from sqlalchemy import inspect, select, text

from addons.catalog import csvio
from addons.catalog.services import create_product
from addons.partners.services import create_partner
from addons.warehouse import services as wh
from addons.warehouse.models import Warehouse
from core.auth import create_user
from core.config import PROJECT_ROOT
from core.demo import seed_demo

from .conftest import PASSWORD, Client
from .hostile import as_post_data, explicit_examples, form_values, post_forms, row_counts

MAX_EXAMPLES = int(os.environ.get("TESSERA_HOSTILE_EXAMPLES", "20"))
HREF_RE = re.compile(r'href="([^"]+)"')
FILE_HEADERS = {"/admin/catalog_import/": ",".join(csvio.COLUMNS)}
# Forms that would lock the test out of its own business or change which addons run.
SKIPPED_ACTIONS = re.compile(r"/admin/core_(user|role|business)/(edit|delete|action)|/enable$|/disable$")


@pytest.fixture(scope="module")
def hostile_setup(app, runtime, make_business_module):
    """The demo business (every built-in addon), a superuser client in it, and the ids of
    another business's rows plus a missing id (the values a select must refuse)."""
    result = seed_demo(runtime, slug=f"hostile-{os.getpid()}")
    business_id = result["business_id"]
    email = f"hostile-{os.getpid()}@example.com"
    with runtime.transaction(business_id) as session:
        create_user(session, email, PASSWORD, name="Hostile", business_id=business_id,
                    role="Administrator", superuser=True)
        warehouse = session.scalar(select(Warehouse.id).order_by(Warehouse.id))
        wh.start_count(session, wh.create_count(session, warehouse, "hostile").id)   # its record/import forms
    client = Client(app.test_client())
    assert client.login(email).status_code == 302
    assert client.post("/switch-business", {"business_id": str(business_id)}).status_code in (200, 302)
    return client, result["addons"], _other_business_ids(runtime, make_business_module)


@pytest.fixture(scope="module")
def make_business_module(runtime):
    from core.business import create_business
    from core.addons import state

    def make(addons):
        with runtime.transaction(all_businesses=True) as session:
            business = create_business(session, name="Other", slug=f"hostile-other-{os.getpid()}", country="VN")
        with runtime.transaction(business.id) as session:
            state.enable(session, runtime.registry, business.id, list(addons))
        return business
    return make


def _other_business_ids(runtime, make_business) -> list[str]:
    other = make_business(["warehouse", "sales"])
    with runtime.transaction(other.id) as s:
        create_partner(s, name="Other's supplier", country="VN", kind="company", is_supplier=True)
        wh.create_warehouse(s, code="OTHER", name="Other")
        create_product(s, sku="OTHER-1", name="Other's product", sale_price="1000")
    ids = set()
    with runtime.db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            columns = {c["name"] for c in inspect(conn).get_columns(table)}
            if {"id", "business_id"} <= columns:
                ids.update(conn.execute(text(f'SELECT id FROM "{table}" WHERE business_id = :b'),
                                        {"b": other.id}).scalars())
    return sorted(str(i) for i in ids) + ["987654321", "-1", "0"]


def _links(page: str, prefix: str) -> list[str]:
    return [html.unescape(h) for h in HREF_RE.findall(page) if html.unescape(h).startswith(prefix)]


def _views(app, enabled):
    for admin in app.extensions["admin"]:
        for view in admin._views:
            addon = getattr(view, "addon", None)
            if view.endpoint != admin.endpoint and (not addon or addon == "core" or addon in enabled):
                yield view


def _pages_of(client, view) -> list[str]:
    """The list, the create page, the first row's edit page, the first twelve details pages (rows in
    different states show different buttons) and the view's other pages linked from its list."""
    base = view.url.rstrip("/") + "/"
    listing = client.get(base).get_data(as_text=True)
    pages = [base]
    if _links(listing, f"{base}new/"):
        pages.append(f"{base}new/")
    pages += _links(listing, f"{base}edit/?id=")[:1] + _links(listing, f"{base}details/?id=")[:12]
    pages += sorted({link for link in _links(listing, base) if urlsplit(link).path != base
                     and not re.search(r"/(new|edit|details|export|delete|action)/", link)})   # e.g. "New draft"
    return pages


def _mass_actions(client, view):
    """Flask-Admin's mass actions of a list, as a form: action name and row ids (JS builds it in a browser)."""
    from .hostile import Field, Form
    base = view.url.rstrip("/") + "/"
    names = [name for name, _ in getattr(view, "_actions", [])]
    if not names:
        return []
    listing = client.get(base).get_data(as_text=True)
    rows = re.findall(r'name="rowid" value="([^"]+)"', listing)[:2]
    return [Form(action=f"{base}action/", fields={"action": Field("action", "hidden", names),
                                                   "rowid": Field("rowid", "hidden", rows)})]


def collect_forms(client, app, enabled) -> list:
    """Every distinct POST form (by path and field names) reachable from the enabled views."""
    forms, seen = [], set()
    candidates = []
    for view in _views(app, enabled):
        for page in _pages_of(client, view):
            candidates += post_forms(client.get(page).get_data(as_text=True), page)
        candidates += _mass_actions(client, view)
    for name in enabled:
        page = f"/admin/core_addons/{name}/settings"
        candidates += post_forms(client.get(page).get_data(as_text=True), page)
    for form in candidates:
        form.action = html.unescape(form.action)
        key = (urlsplit(form.action).path, tuple(sorted(form.fields)))
        if not form.action.startswith("/admin/") or SKIPPED_ACTIONS.search(urlsplit(form.action).path) \
                or key in seen:
            continue
        seen.add(key)
        forms.append(form)
    return forms


def _rejected(client, response, form) -> bool:
    """A refusal: an error status, an error flash (kept for the next page or shown now), or a
    create/edit page shown again instead of the redirect that follows a save (a save that shows a
    new secret once, core/api's secret_once page, answers 200 on purpose: that is not a refusal)."""
    with client.c.session_transaction() as sess:
        flashes = sess.pop("_flashes", [])
    body = response.get_data(as_text=True)
    path = urlsplit(form.action).path
    return (response.status_code >= 400 or any(category == "error" for category, _ in flashes)
            or "alert-danger" in body
            or (response.status_code == 200 and re.search(r"/(new|edit)/$", path) is not None
                and 'id="secret-once"' not in body))


def check_form(client, engine, form, ids, errors) -> str | None:
    """Post hypothesis-drawn values to one form; the first failure (shrunk) as a message, or None."""
    path = urlsplit(form.action).path

    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None, report_multiple_bugs=False,
              suppress_health_check=list(HealthCheck))
    @given(form_values(form.fields, ids, FILE_HEADERS.get(path)))
    def post(values):
        before = row_counts(engine)
        shown = {k: (v if len(repr(v)) < 80 else repr(v)[:60] + "...") for k, v in values.items()}
        errors.clear()
        response = client.post(form.action, as_post_data(values))
        cause = f"{type(errors[-1]).__name__}: {str(errors[-1])[:300]}" if errors else response.status_code
        assert response.status_code < 500, f"{cause} with {shown!r}"
        if _rejected(client, response, form):
            after = row_counts(engine)
            changed = {t: (before[t], after[t]) for t in before if before[t] != after.get(t)}
            assert not changed, f"rejected but wrote {changed} with {shown!r}"

    for values in explicit_examples(form.fields, ids, FILE_HEADERS.get(path)):
        post = example(values)(post)
    try:
        post()
    except AssertionError as exc:
        return f"{form.action}: {exc}"
    return None


@pytest.fixture
def server_errors(app):
    """Exceptions answered as 500s, as in production: the request's teardown closes its session
    (a propagated exception can leave SQLite's write lock held) and the test sees the status."""
    seen = []

    def remember(sender, exception, **extra):
        seen.append(exception)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    got_request_exception.connect(remember, app)
    yield seen
    got_request_exception.disconnect(remember, app)
    app.config["PROPAGATE_EXCEPTIONS"] = None


@pytest.fixture(scope="module")
def hostile_forms(app, hostile_setup):
    client, enabled, _ = hostile_setup
    return collect_forms(client, app, enabled)


def _addon_of(form) -> str:
    """The addon whose screen a form is on: /admin/<addon>_<view>/ or /admin/core_addons/<addon>/settings."""
    path = urlsplit(form.action).path
    settings_page = re.match(r"/admin/core_addons/([a-z_]+)/settings", path)
    if settings_page:
        return settings_page.group(1)
    return next((a for a in sorted(ADDONS, key=len, reverse=True) if path.startswith(f"/admin/{a}_")), "core")


# Every built-in addon (each has at least its settings form), so a new addon's screens are checked
# in their own group without being listed here.
ADDONS = ("core", *sorted(p.parent.name for p in (PROJECT_ROOT / "addons").glob("*/addon.toml")))


def test_the_forms_of_issue_7_are_found_on_the_pages(hostile_forms):
    paths = {urlsplit(f.action).path for f in hostile_forms}
    for expected in ("/admin/catalog_product/new/", "/admin/catalog_category/new/", "/admin/sales_order/pay/",
                     "/admin/warehouse_transfer/", "/admin/catalog_import/", "/admin/warehouse_purchase_order/line/",
                     "/admin/warehouse_reorder_point/new/", "/admin/warehouse_supplier_product/new/",
                     "/admin/catalog_price_list_item/new/", "/admin/catalog_variant/edit/",
                     "/admin/einvoice_document/draft/", "/admin/warehouse_stock_count/transition/"):
        assert expected in paths, (expected, sorted(paths))


@pytest.mark.parametrize("addon", [pytest.param(a, marks=pytest.mark.xdist_group(f"hostile-{a}")) for a in ADDONS])
def test_hostile_values_never_give_a_5xx_or_a_half_write(runtime, hostile_setup, hostile_forms, server_errors,
                                                         addon):
    """One test per addon's screens (each stays well inside the suite's per-test timeout)."""
    client, _, other_ids = hostile_setup
    forms = [form for form in hostile_forms if _addon_of(form) == addon]
    assert forms, f"no form found on the {addon} screens"
    failures = [f for f in (check_form(client, runtime.db.engine, form, other_ids, server_errors) for form in forms)
                if f]
    assert not failures, f"{len(failures)} of {len(forms)} forms failed:\n" + "\n\n".join(failures)
