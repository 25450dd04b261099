"""A return received on an invoiced order credits the invoice, and the order says when it does not."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from addons.einvoice.services import orders
from addons.einvoice.models import Document, ReturnCredit
from addons.sales import services as sales
from tests.web.conftest import app, client_for, make_user  # noqa: F401  fixtures

from .random_docs import make_shop


def _invoiced_order(shop, runtime):
    with shop.tx() as s:
        order = sales.create_order(s, partner_id=shop.customers[2], lines=[
            {"variant_id": shop.variants[0], "qty": "3", "unit_price": "19.99", "tax_rate": "0.19"},
            {"variant_id": shop.variants[1], "qty": "1.5", "unit_price": "7.3333", "discount_percent": "10",
             "tax_rate": "0.07"}])
        sales.register_payment(s, order.id, order.total, "bank_transfer")
        sales.confirm_order(s, order.id)
        sales.complete_order(s, order.id)
        invoice = orders.issue_for_order(s, order.id, "sales_invoice", render_pdf=False)
        return order.id, invoice.id, [line.id for line in order.lines]


def _return(shop, order_id, line_id, qty):
    with shop.tx() as s:
        return sales.create_return(s, order_id, [{"order_line_id": line_id, "qty": qty}], reason="too small").id


def test_a_return_issues_a_credit_note_for_the_returned_lines(runtime, make_business, run_jobs):
    shop = make_shop(runtime, make_business, "DE")
    order_id, invoice_id, line_ids = _invoiced_order(shop, runtime)
    return_id = _return(shop, order_id, line_ids[0], "2")
    run_jobs(shop.business.id)
    with shop.session() as s:
        credit = s.scalar(select(ReturnCredit).where(ReturnCredit.return_id == return_id))
        note = s.get(Document, credit.credit_note_id)
        invoice = s.get(Document, invoice_id)
        assert note.type == "credit_note" and note.corrects_id == invoice_id and note.state != "draft"
        assert not note.full_correction and invoice.state != "cancelled"
        assert [(l.description, l.quantity, l.unit_price) for l in note.lines] == [
            (invoice.lines[0].description, Decimal(2), invoice.lines[0].unit_price)]
        assert note.total == Decimal("47.58")  # 2 x 19.99 = 39.98 + 19 % (7.60)
        assert note.rounding == invoice.rounding and note.due_date == invoice.due_date


def test_without_the_setting_the_order_page_says_the_invoice_is_not_corrected(
        runtime, make_business, run_jobs, make_user, client_for):
    shop = make_shop(runtime, make_business, "DE")
    shop.settings(credit_on_return=False)
    order_id, invoice_id, line_ids = _invoiced_order(shop, runtime)
    _return(shop, order_id, line_ids[1], "1")
    run_jobs(shop.business.id)
    with shop.session() as s:
        assert s.scalar(select(Document.id).where(Document.type == "credit_note")) is None
        number = s.get(Document, invoice_id).display_number
    c = client_for(make_user(shop.business))
    page = c.get(f"/admin/sales_order/details/?id={order_id}").get_data(as_text=True)
    assert f"Invoice {number} is not yet corrected" in page
    shop.settings(credit_on_return=True)  # a later return on the same order is credited; the first still shows
    _return(shop, order_id, line_ids[0], "1")
    run_jobs(shop.business.id)
    page = c.get(f"/admin/sales_order/details/?id={order_id}").get_data(as_text=True)
    assert page.count("is not yet corrected") == 1


def test_a_return_on_an_order_without_invoice_records_nothing(runtime, make_business, run_jobs):
    shop = make_shop(runtime, make_business, "DE")
    with shop.tx() as s:
        order = sales.create_order(s, partner_id=shop.customers[2], lines=[
            {"variant_id": shop.variants[0], "qty": "1", "unit_price": "5", "tax_rate": "0.19"}])
        sales.register_payment(s, order.id, order.total, "cash")
        sales.confirm_order(s, order.id)
        sales.complete_order(s, order.id)
        order_id, line_id = order.id, order.lines[0].id
    _return(shop, order_id, line_id, "1")
    run_jobs(shop.business.id)
    with shop.session() as s:
        assert s.scalar(select(ReturnCredit.id)) is None
