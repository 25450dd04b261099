"""Menus grouped as a merchant thinks, refusal pages that say what is missing, and failed forms
that name the field and the reason."""
from __future__ import annotations

import re

from core.admin_menu import MENU_GROUPS

NAV_GROUP_RE = re.compile(r'<span class="tessera-menu tessera-menu-(\w+)"></span>(.*?)</ul>', re.S)


def menu(page: str) -> dict[str, list[str]]:
    """group code -> the entries' names, in the order shown."""
    return {code: [n.strip() for n in re.findall(r'class="dropdown-item[^"]*"[^>]*>\s*([^<]+?)\s*</a>', body)]
            for code, body in NAV_GROUP_RE.findall(page)}


def hrefs(page: str, code: str) -> list[str]:
    body = dict(NAV_GROUP_RE.findall(page))[code]
    return re.findall(r'href="([^"]+)"', body)


def test_menu_has_the_six_groups_in_order_with_human_names(make_business, make_user, client_for):
    business = make_business(addons=["sales", "warehouse", "einvoice"])
    page = client_for(make_user(business)).get("/admin/").get_data(as_text=True)
    groups = menu(page)
    assert list(groups) == list(MENU_GROUPS)
    nav = page.split("</nav>")[0]
    for machine in ("Einvoice", "Sales Stock", "Sales_stock", "Partners", ">Catalog<", ">Warehouse<",
                    "Administration"):
        assert machine not in nav
    assert "Orders" in groups["sales"] and "Payments" in groups["sales"]
    assert "/admin/sales_order/" in hrefs(page, "sales")
    assert {"Products", "Stock on hand", "Warehouses", "Transfer stock"} <= set(groups["inventory"])
    assert {"Purchase orders", "Supplier prices"} <= set(groups["purchasing"])
    assert "Invoices and receipts" in groups["invoicing"]
    assert groups["contacts"] == ["Customers and suppliers"]
    assert {"Businesses", "Users", "Roles", "Addons", "Jobs", "Audit log", "Payment terms"} <= set(groups["settings"])


def test_groups_without_a_screen_for_the_user_are_not_shown(make_business, make_user, client_for):
    business = make_business(addons=["sales"])
    page = client_for(make_user(business, permissions=["sales.order.read"])).get("/admin/").get_data(as_text=True)
    assert menu(page) == {"sales": ["Orders"]}


def test_unknown_menu_group_is_refused_at_registration():
    import pytest
    from core.addons.errors import AddonError
    from core.admin_menu import menu_group
    with pytest.raises(AddonError, match="menu 'stuff' is not one of sales, inventory"):
        menu_group("stuff", "gizmos")


def test_missing_permission_page_names_the_screen_and_the_permission(make_business, make_user, client_for):
    business = make_business(addons=["tfx_notes"])
    client = client_for(make_user(business, permissions=["tfx_notes.tag.read"]))
    response = client.get("/admin/tfx_notes_note/", headers={"Referer": "http://localhost/admin/tfx_notes_tag/"})
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert 'data-reason="permission"' in page and "Forbidden" not in page
    assert "does not allow you to open “Notes”" in page and "tfx_notes.note.read" in page
    assert business.name in page
    assert 'id="refused-home" href="/admin/"' in page and 'id="refused-back" href="/admin/tfx_notes_tag/"' in page
    assert 'id="admin-navbar-collapse"' in page                  # drawn in the admin layout
    created = client.get("/admin/tfx_notes_tag/new/")
    assert created.status_code == 403
    assert "create records in “Tags”" in created.get_data(as_text=True)


def test_disabled_addon_page_names_the_addon_and_links_admins_to_the_addons_screen(make_business, make_user,
                                                                                   client_for):
    business = make_business(addons=["sales"])
    admin = client_for(make_user(business))
    response = admin.get("/admin/einvoice_document/")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert 'data-reason="addon-disabled"' in page
    assert "E-invoicing is not enabled" in page and f"which is not enabled for {business.name}" in page
    assert "Invoices and receipts" in page
    assert 'id="refused-addons" href="/admin/core_addons/"' in page
    clerk = client_for(make_user(business, permissions=["sales.order.read"]))
    page = clerk.get("/admin/einvoice_document/").get_data(as_text=True)
    assert "E-invoicing is not enabled" in page and 'id="refused-addons"' not in page


def test_admin_404_is_a_page_of_the_admin(make_business, make_user, client_for, client):
    business = make_business(addons=["tfx_notes"])
    logged_in = client_for(make_user(business))
    for url in ("/admin/no_such_screen/", "/admin/tfx_notes_note/details/?id=987654321"):
        response = logged_in.get(url)
        assert response.status_code == 404, url
        page = response.get_data(as_text=True)
        assert 'data-reason="not-found"' in page and "Page not found" in page and 'id="refused-home"' in page
    assert client.get("/admin/no_such_screen/").status_code == 404
    assert 'data-reason' not in client.get("/admin/no_such_screen/").get_data(as_text=True)


def test_failed_form_names_the_field_and_why(runtime, make_business, make_user, client_for):
    from sqlalchemy import func, select
    business = make_business(addons=["tfx_notes"])
    client = client_for(make_user(business))
    response = client.post("/admin/tfx_notes_note/new/", {"title": "x" * 201, "body": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Failed to create record." not in page
    assert "Not saved: Title: " in page and "200" in page
    refused = client.post("/admin/tfx_notes_note/new/", {"title": "forbidden", "body": ""}).get_data(as_text=True)
    assert "title: &#39;forbidden&#39; is not allowed here" in refused           # the message at the top
    field = re.search(r'id="title".*?</div>', refused, re.S).group(0)
    assert "is not allowed here" in field                                          # and on the field
    from tfx_notes.models import Note
    with runtime.session(business.id) as session:
        assert session.scalar(select(func.count(Note.id))) == 0


def test_jobs_screen_shows_errors_in_screen_words(runtime, make_business, make_user, client_for):
    from core.models import OutboxJob
    business = make_business(addons=["tfx_notes"])
    report = 'Traceback (most recent call last):\n  File "x.py", line 1, in <module>\nValueError: boom-xyz'
    with runtime.transaction(all_businesses=True) as session:
        session.add_all([OutboxJob(business_id=business.id, actor="tfx_notes.noop", args={}, state="dead",
                                   attempts=5, last_error=report),
                         OutboxJob(business_id=business.id, actor="tfx_notes.noop", args={}, state="failed",
                                   attempts=1, last_error="note 7: title: required")])
    listing = client_for(make_user(business)).get("/admin/core_job/").get_data(as_text=True)
    assert "Unexpected error (ValueError: boom-xyz)" in listing and "Traceback" not in listing
    assert "note 7: title: required" in listing


def test_refusals_reaching_screens_name_no_cli_option(runtime, make_business, make_user, client_for):
    """The addons screen's refusal to disable a needed addon says what to do on the screen; the CLI
    gets its option as a hint (core.errors.UserError.cli_hint)."""
    business = make_business(addons=["sales"])
    client = client_for(make_user(business))
    client.post("/admin/core_addons/catalog/disable")
    page = client.get("/admin/core_addons/").get_data(as_text=True)
    assert "cannot disable &#39;catalog&#39;" in page and "disable them first" in page
    assert "--with-dependents" not in page and "manage.py" not in page


def test_cli_still_gets_its_option():
    from core.cli import one_line
    from core.errors import UserError
    assert one_line(UserError("cannot disable 'a'; disable them first", cli_hint="or use --with-dependents")) == \
        "cannot disable 'a'; disable them first; or use --with-dependents"


def test_service_refusal_is_shown_on_the_fields_it_names(runtime, make_business, make_user, client_for):
    """A service form (ServiceForms + run_service): every "field: reason" of the UserError lands on its field."""
    from sqlalchemy import func, select
    from addons.partners.models import Partner
    business = make_business(addons=["partners"])
    client = client_for(make_user(business))
    page = client.post("/admin/partners_partner/new/", {"kind": "company", "name": "Acme", "country": "VN",
                                                        "tax_id": "123", "email": "not-an-address",
                                                        "language": "vi"}).get_data(as_text=True)
    for name in ("tax_id", "email"):
        field = re.search(rf'id="{name}".*?</div>', page, re.S).group(0)
        assert "invalid-feedback" in field or "is-invalid" in field, (name, field)
    with runtime.session(business.id) as session:
        assert session.scalar(select(func.count(Partner.id))) == 0


def test_every_admin_page_declares_the_current_language(make_business, make_user, client_for):
    """<html lang> follows the locale the user picked, on the home page, lists, forms and refusals
    alike (Flask-Admin's own base template has no lang at all)."""
    business = make_business(addons=["sales", "warehouse", "einvoice"])
    client = client_for(make_user(business))
    urls = ("/admin/", "/admin/sales_order/", "/admin/partners_partner/", "/admin/partners_partner/new/",
            "/admin/warehouse_stock_balance/")
    for locale in ("en", "vi", "ko", "zh"):
        client.post("/language", {"locale": locale})
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert re.search(r"<html[^>]*>", response.get_data(as_text=True)).group(0) == f'<html lang="{locale}">', \
                (locale, url)
