"""Receivables: open amount = total - credit notes - payments; payments reach invoices; allocation."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.errors import UserError

from .conftest import TODAY
from tests.web.conftest import app, client_for, make_user  # noqa: F401  (fixtures)


def test_manual_invoice_credit_note_and_payment(books):
    from addons.dunning.services import receivables
    from addons.einvoice.models import Document
    from addons.einvoice.services import corrections
    from core.models import MailMessage
    customer = books.customer()
    number = books.invoice(customer, "300000")
    rec = books.receivable(number)
    assert (rec.total, rec.open_amount, rec.state, rec.partner_id) == (Decimal(300000), Decimal(300000), "open",
                                                                       customer)
    with books.tx() as s:
        doc = s.scalar(select(Document).where(Document.display_number == number))
        draft = corrections.credit_note(s, doc.id, reason="one item missing", lines=[
            {"description": "Service", "quantity": "1", "unit_price": "50000", "tax_rate": "0",
             "tax_category": "Z"}])
        from addons.einvoice.services.issue import issue_document
        issue_document(s, draft.id, issue_date=TODAY, render_pdf=False, submit=False)
    assert books.receivable(number).open_amount == Decimal(250000)
    with books.tx() as s:
        receivables.pay_invoice(s, number, "100000", paid_on=TODAY)
    assert books.receivable(number).open_amount == Decimal(150000)
    with pytest.raises(UserError, match="amount: .* owes only"):
        with books.tx() as s:
            receivables.pay_invoice(s, number, "150001", paid_on=TODAY)
    with books.tx() as s:
        receivables.pay_invoice(s, number, "150000", paid_on=TODAY)
    rec = books.receivable(number)
    assert (rec.open_amount, rec.state) == (Decimal(0), "paid")
    with books.session() as s:
        assert s.scalar(select(Document.state).where(Document.display_number == number)) == "paid"
        subjects = list(s.scalars(select(MailMessage.subject).where(
            MailMessage.reference == f"dunning:paid:{rec.id}")))
    assert len(subjects) == 1 and number in subjects[0]


def test_order_payment_reaches_its_invoice_and_a_refund_reopens_it(books):
    from addons.sales.services import refund_payment, register_payment
    customer = books.customer()
    order_id, number = books.order_invoice(customer, qty="2")
    rec = books.receivable(number)
    assert rec.open_amount == rec.total > 0 and rec.order_id == order_id
    with books.tx() as s:
        register_payment(s, order_id, Decimal(50000), "cash", paid_on=TODAY)
    assert books.receivable(number).open_amount == rec.total - 50000
    with books.tx() as s:
        register_payment(s, order_id, rec.total - 50000, "cash", paid_on=TODAY)
    assert books.receivable(number).state == "paid"
    with books.tx() as s:
        refund_payment(s, order_id, Decimal(20000), "cash", paid_on=TODAY)
    after = books.receivable(number)
    assert (after.state, after.open_amount) == ("open", Decimal(20000))


def test_money_paid_before_the_invoice_is_set_against_it_at_issue(books):
    customer = books.customer()
    from addons.sales.models import Order
    order_id, number = books.order_invoice(customer, paid=Decimal(30000))
    rec = books.receivable(number)
    with books.session() as s:
        total = s.get(Order, order_id).total
    assert rec.open_amount == total - 30000


def test_payment_on_an_order_invoice_goes_through_the_order(books):
    from addons.dunning.services import receivables
    from addons.sales.models import Order
    customer = books.customer()
    order_id, number = books.order_invoice(customer)
    with books.tx() as s:
        receivables.pay_invoice(s, number, "40000", paid_on=TODAY)
    with books.session() as s:
        assert s.get(Order, order_id).amount_paid == Decimal(40000)
    assert books.receivable(number).open_amount == books.receivable(number).total - 40000


def test_allocation_by_hand_and_release(books):
    from addons.dunning.models import ReceivedPayment
    from addons.dunning.services import receivables
    customer = books.customer()
    older = books.invoice(customer, "100000", due=TODAY - timedelta(days=20))
    newer = books.invoice(customer, "80000", due=TODAY - timedelta(days=5))
    with books.tx() as s:
        payment = ReceivedPayment(source="manual", kind="payment", partner_id=customer, currency="VND",
                                  amount=Decimal(120000), unallocated=Decimal(120000), paid_on=TODAY)
        s.add(payment)
        s.flush()
        assert receivables.auto_allocate(s, payment) == 0  # oldest first: 100000 + 20000
        payment_id = payment.id
    assert books.receivable(older).state == "paid"
    assert books.receivable(newer).open_amount == Decimal(60000)
    with books.tx() as s:
        from addons.dunning.models import Allocation
        entry = s.scalar(select(Allocation).where(Allocation.payment_id == payment_id,
                                                  Allocation.receivable_id == books.receivable(older).id))
        receivables.release(s, entry)
        receivables.allocate_by_hand(s, payment_id, books.receivable(newer).id, "60000")
    assert books.receivable(newer).state == "paid"
    assert books.receivable(older).open_amount == Decimal(100000)  # 40000 of the payment is free again
    with pytest.raises(UserError, match="amount: at most"):
        with books.tx() as s:
            receivables.allocate_by_hand(s, payment_id, books.receivable(older).id, "40001")
    assert books.receivable(older).open_amount == Decimal(100000)


def test_dispute_needs_a_known_invoice(books):
    from addons.dunning.services import receivables
    with pytest.raises(UserError, match="invoice: no issued invoice"):
        with books.tx() as s:
            receivables.set_dispute(s, "NOPE-1")


def test_acknowledged_invoices_show_when_the_buyer_confirmed_receipt(books, make_user, client_for):
    from addons.dunning.services import receivables
    from addons.einvoice.models import Document
    from addons.einvoice.services import sending
    customer = books.customer(name="Confirming Buyer")
    number = books.invoice(customer, "42000")
    with books.tx() as s:
        doc_id = s.scalar(select(Document.id).where(Document.display_number == number))
        delivery_id = sending.send_document(s, doc_id).id
    c = client_for(make_user(books.business))

    def last_cell():
        page = c.get(f"/admin/dunning_receivable/?search={number}").get_data(as_text=True)
        assert "Receipt confirmed" in page
        assert f'<td class="col-number">{number}</td>' in page
        return re.search(r'<td class="col-acknowledged">(.*?)</td>', page, re.S).group(1).strip()

    with books.session() as s:
        assert receivables.acknowledged(s, [doc_id]) == {}
    assert last_cell() == ""
    with books.tx() as s:
        sending.confirm_receipt(s, delivery_id)
    with books.session() as s:
        assert doc_id in receivables.acknowledged(s, [doc_id])
    assert re.search(r"\d{1,2}:\d{2}", last_cell())
