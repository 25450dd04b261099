"""Undoing an allocation on the Allocations screen: permission, CSRF, and the money back on the payment."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from tests.web.conftest import app, client_for, make_user  # noqa: F401  (fixtures)

from .conftest import TODAY


def test_undo_an_allocation_on_the_screen(books, make_user, client_for):
    from addons.dunning.models import Allocation, ReceivedPayment
    customer = books.customer(name="Undo Trading")
    number = books.invoice(customer, "70000", due=TODAY - timedelta(days=3))
    with books.tx() as s:
        payment = ReceivedPayment(source="manual", kind="payment", partner_id=customer, currency="VND",
                                  amount=Decimal(70000), unallocated=Decimal(70000), paid_on=TODAY)
        s.add(payment)
        s.flush()
        from addons.dunning.services import receivables
        receivables.auto_allocate(s, payment)
        payment_id = payment.id
        entry_id = s.scalar(select(Allocation.id).where(Allocation.payment_id == payment_id))
    assert books.receivable(number).state == "paid"
    form = {"action": "release", "rowid": [str(entry_id)]}

    reader = client_for(make_user(books.business, permissions=["dunning.payment.read"]))
    page = reader.get(f"/admin/dunning_allocation/?flt0_0={books.receivable(number).id}").get_data(as_text=True)
    assert number in page
    assert reader.post("/admin/dunning_allocation/action/", data=form).status_code == 403  # no payment.edit
    clerk = client_for(make_user(books.business, permissions=["dunning.payment.read", "dunning.payment.edit"]))
    clerk.get("/admin/dunning_allocation/")
    no_token = clerk.post("/admin/dunning_allocation/action/", data=form, csrf=False)
    assert no_token.status_code in (400, 403)
    assert books.receivable(number).state == "paid"  # nothing changed

    done = clerk.post("/admin/dunning_allocation/action/", data=form, follow_redirects=True)
    assert "1 allocation(s) undone" in done.get_data(as_text=True)
    rec = books.receivable(number)
    assert (rec.state, rec.open_amount) == ("open", Decimal(70000))
    with books.session() as s:
        assert s.get(ReceivedPayment, payment_id).unallocated == Decimal(70000)
        assert s.scalar(select(Allocation.id).where(Allocation.id == entry_id)) is None
