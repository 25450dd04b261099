"""The reminder's fee and interest become a charge document only when the customer pays them."""
from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.errors import UserError
from tests.web.conftest import app, client_for, make_user  # noqa: F401  (fixtures)

from .conftest import TODAY
from .test_runs import cli


@pytest.fixture
def reminded(fresh_books):
    """A final notice with a 50 000 fee and 4 800 interest (365 000 x 12 % / 365 x 40 days), sent."""
    from addons.dunning.models import Level, Policy, Reminder
    b = fresh_books
    with b.tx() as s:
        policy = s.scalar(select(Policy).where(Policy.is_default.is_(True)))
        policy.interest_percent = Decimal(12)
        s.scalar(select(Level).where(Level.policy_id == policy.id, Level.days == 30)).fee = Decimal(50000)
    customer = b.customer(name="Late Payer Ltd", language="en", country="GB")
    number = b.invoice(customer, "365000", due=TODAY - timedelta(days=40))
    assert json.loads(cli(b, "run", "--as-of", TODAY.isoformat(), "--json").output)["sent"] == 1
    b.run_jobs("dunning.")
    with b.session() as s:
        reminder = s.scalar(select(Reminder))
        assert (reminder.state, reminder.fee, reminder.interest) == ("sent", Decimal(50000), Decimal(4800))
        return b, customer, number, reminder.id


def _charge(b, reminder_id):
    from addons.dunning.models import Receivable, Reminder
    from addons.einvoice.models import Document
    with b.session() as s:
        doc_id = s.scalar(select(Reminder.charge_document_id).where(Reminder.id == reminder_id))
        if doc_id is None:
            return None, None
        doc = s.get(Document, doc_id)
        rec = s.scalar(select(Receivable).where(Receivable.document_id == doc_id))
        return ((doc.type, doc.state, doc.total, [ln.description for ln in doc.lines], doc.display_number),
                (rec.state, rec.total, rec.open_amount))


def test_clerk_books_the_paid_fee_as_a_charge_document_and_the_invoice_owes_the_same(reminded, make_user,
                                                                                     client_for):
    b, customer, number, reminder_id = reminded
    assert _charge(b, reminder_id) == (None, None)
    user = make_user(b.business, permissions=["dunning.reminder.read"])  # no dunning.reminder.charge
    refused = client_for(user).post("/admin/dunning_reminder/action/", data={"action": "charge",
                                                                             "rowid": [str(reminder_id)]})
    assert refused.status_code == 403 and _charge(b, reminder_id) == (None, None)
    c = client_for(make_user(b.business))
    page = c.post("/admin/dunning_reminder/action/", data={"action": "charge", "rowid": [str(reminder_id)]},
                  follow_redirects=True).get_data(as_text=True)
    assert "1 charge document(s) issued" in page
    doc, rec = _charge(b, reminder_id)
    assert doc[:3] == ("sales_invoice", "paid", Decimal(54800))
    assert doc[3] == ["Reminder fee (Final notice, 2026-11-02)", f"Late-payment interest on {number}"]
    assert rec == ("paid", Decimal(54800), Decimal(0))
    assert b.receivable(number).open_amount == Decimal(365000)  # never added to the invoice
    from addons.dunning.services import charges
    with pytest.raises(UserError, match=f"already booked \\({doc[4]}\\)"):
        with b.tx() as s:
            charges.book_charge(s, reminder_id)


def test_a_statement_line_paying_the_invoice_and_exactly_the_charge_books_it(reminded):
    b, customer, number, reminder_id = reminded
    csv = ("date,amount,currency,reference,counterparty\n"
           f"{TODAY.isoformat()},419800,VND,{number},Late Payer Ltd\n").encode()
    from addons.dunning.services import statements
    with b.tx() as s:
        report = statements.import_statement(s, csv, filename="bank.csv", fmt="csv")
    doc, rec = _charge(b, reminder_id)
    assert doc[2] == Decimal(54800) and rec[0] == "paid"
    assert report["matched"][0]["invoices"] == [number, doc[4]]
    assert b.receivable(number).state == "paid"


def test_charging_refuses_a_reminder_without_fee_or_payment_of_another_customer(reminded):
    from addons.dunning.models import ReceivedPayment
    from addons.dunning.services import charges
    b, customer, number, reminder_id = reminded
    other = b.customer()
    with b.tx() as s:
        payment = ReceivedPayment(source="manual", kind="payment", partner_id=other, currency="VND",
                                  amount=Decimal(54800), unallocated=Decimal(54800), paid_on=TODAY)
        s.add(payment)
        s.flush()
        payment_id = payment.id
    with pytest.raises(UserError, match="payment: #\\d+ is not money from this customer"):
        with b.tx() as s:
            charges.book_charge(s, reminder_id, payment_id=payment_id)
    assert _charge(b, reminder_id) == (None, None)


def test_charge_command_books_it_once_and_says_why_not_the_second_time(reminded):
    from core.cli_main import cli as main
    from click.testing import CliRunner
    b, customer, number, reminder_id = reminded
    data = json.loads(cli(b, "charge", str(reminder_id), "--date", TODAY.isoformat(), "--reference", "FEE-1",
                          "--json").output)
    doc, rec = _charge(b, reminder_id)
    assert data == {"reminder": reminder_id, "document": doc[4], "amount": "54800", "currency": "VND"}
    assert rec[0] == "paid"
    again = CliRunner().invoke(main, ["--database-url", b.runtime.db.url, "dunning", "charge", str(reminder_id),
                                      "--business", b.business.slug])
    assert again.exit_code == 1 and f"error: reminder: its fee and interest are already booked ({doc[4]})" \
        in again.output
