"""The order's document page (core.admin_document): every part, refusals, tenancy, permissions."""
from __future__ import annotations

import re

from addons.sales import services
from tests.web.conftest import app, client_for, make_user  # noqa: F401  (fixtures)

from .test_admin import _order


def _page(client, order_id):
    response = client.get(f"/admin/sales_order/details/?id={order_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _part(page, element_id):
    """The page from the element with ``element_id`` up to the next document part."""
    start = page.index(f'id="{element_id}"')
    end = page.find('id="doc-', start + 1)
    return page[start:end if end > 0 else len(page)]


def test_order_page_shows_header_stages_actions_lines_totals_related_and_timeline(shop, make_user, client_for):  # noqa: F811
    order_id, number = _order(shop, "DOC-1")
    email = make_user(shop.business)
    client = client_for(email)
    client.post(f"/admin/sales_order/transition/?id={order_id}", {"transition": "confirm"})
    client.post(f"/admin/sales_order/pay/?id={order_id}", {"amount": "40000", "method": "cash", "reference": "TILL-7"})
    page = _page(client, order_id)
    assert number in _part(page, "doc-number") and "Nguyễn Văn A" in _part(page, "doc-party")
    stages = _part(page, "doc-stages")
    assert re.search(r'tessera-stage-done"[^>]*>New<', stages)
    assert re.search(r'tessera-stage-current"[^>]*>Processing<', stages)
    assert re.search(r'tessera-stage-todo"[^>]*>Completed<', stages) and "Cancelled" not in stages
    actions = page[page.index('id="doc-actions"'):page.index('id="doc-lines"')]
    assert "Register payment" in actions and "Cancel" in actions and ">Confirm<" not in actions
    assert 'name="csrf_token"' in actions and 'name="reason"' in actions
    lines = _part(page, "doc-lines")
    assert shop.skus[0] in lines and "₫100,000" in lines        # VND in the user's locale (en), no decimals
    totals = _part(page, "doc-totals")
    assert "Balance due" in totals and "₫60,000" in totals
    assert "TILL-7" in _part(page, "doc-related")
    timeline = _part(page, "doc-timeline")
    # Worded as the order's own screens word it: labels of the record, its fields and its codes.
    assert "Sales order is now Processing" in timeline and email in timeline and "Payment created" in timeline
    assert "Unpaid → Partly paid" in timeline and "payment status" not in timeline and "partly_paid" not in timeline
    due = re.search(r"Due date: — → ([^<]+)<", timeline)   # a date as the reader reads it, not ISO
    assert due and not re.fullmatch(r"\d{4}-\d\d-\d\d", due.group(1)), timeline


def test_cancelled_and_returned_orders_show_the_side_stage(shop, make_user, client_for):  # noqa: F811
    client = client_for(make_user(shop.business))
    order_id, _ = _order(shop, "DOC-2")
    client.post(f"/admin/sales_order/transition/?id={order_id}", {"transition": "cancel", "reason": "customer left"})
    page = _page(client, order_id)
    assert re.search(r'tessera-stage-off"[^>]*>Cancelled<', page) and "customer left" in page
    assert 'id="doc-actions"' not in page            # nothing left to do with a cancelled order
    returned, _ = _order(shop, "DOC-3")
    with shop.tx() as s:
        services.confirm_order(s, returned)
        services.register_payment(s, returned, "100000", "cash")
        services.complete_order(s, returned)
        line_id = services.get_order(s, returned).lines[0].id
    client.post(f"/admin/sales_order/return/?id={returned}", {f"qty_{line_id}": "1", "reason": "broken"})
    page = _page(client, returned)
    assert re.search(r'tessera-stage-off"[^>]*>Returned<', page)
    assert "Return" in _part(page, "doc-related")


def test_a_refused_action_is_a_message_on_the_page(shop, make_user, client_for):  # noqa: F811
    client = client_for(make_user(shop.business))
    order_id, number = _order(shop, "DOC-4")
    response = client.post(f"/admin/sales_order/pay/?id={order_id}", {"amount": "-5", "method": "cash"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="doc-number"' in page and "alert-danger" in page
    with shop.session() as s:
        assert services.get_order(s, order_id).amount_paid == 0


def test_another_business_order_page_is_404(shop, shop_factory, make_user, client_for):  # noqa: F811
    theirs, _ = _order(shop_factory(), "DOC-5")
    client = client_for(make_user(shop.business))
    assert client.get(f"/admin/sales_order/details/?id={theirs}").status_code == 404


def test_a_reader_sees_no_buttons_and_cannot_post_them(shop, make_user, client_for):  # noqa: F811
    order_id, _ = _order(shop, "DOC-6")
    client = client_for(make_user(shop.business, permissions=["sales.order.read", "sales.payment.read"]))
    page = _page(client, order_id)
    assert 'id="doc-actions"' not in page and "Register payment" not in page
    assert client.post(f"/admin/sales_order/transition/?id={order_id}", {"transition": "confirm"}).status_code == 403
    with shop.session() as s:
        assert services.get_order(s, order_id).state == "new"


def test_payment_form_offers_the_balance_as_plain_digits_in_every_locale(shop, make_user, client_for):  # noqa: F811
    """The amount input is read back by the server: '60.000' (Vietnamese grouping) would pay 60."""
    order_id, _ = _order(shop, "DOC-PAY")
    client = client_for(make_user(shop.business))
    client.post(f"/admin/sales_order/transition/?id={order_id}", {"transition": "confirm"})
    client.post("/language", {"locale": "vi"})
    actions = _page(client, order_id)
    pay_form = actions[actions.index("/sales_order/pay/"):]
    assert re.search(r'<option value="virtual_account"[^>]*>\s*Tài khoản ảo\s*<', pay_form), pay_form[:2000]
    amount = re.search(r'<input[^>]*name="amount"[^>]*>', pay_form).group(0)
    with shop.tx() as s:
        balance = services.get_order(s, order_id).balance
    offered = re.search(r'value="([^"]*)"', amount).group(1)
    assert balance >= 1000 and offered == str(int(balance)), amount      # no group separator, no decimals
    client.post(f"/admin/sales_order/pay/?id={order_id}", {"amount": offered, "method": "cash"})
    with shop.tx() as s:
        assert services.get_order(s, order_id).balance == 0
