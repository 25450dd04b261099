"""Dunning fixtures: one business per module (module-scoped: fast), customers and hand-made invoices."""
from __future__ import annotations

import itertools
import os
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.core.jobs.helpers import smtp  # noqa: F401  (the SMTP server on loopback, a fixture)

_n = itertools.count(1)
TODAY = date(2026, 11, 2)  # a Monday
# Numbers follow dates within a series: every test invoice is dated the same day, due dates vary.
ISSUED = TODAY - timedelta(days=120)


class Books:
    """A business with dunning enabled, a product, and helpers that issue invoices and pay them."""

    def __init__(self, runtime, business, variant_id):
        self.runtime, self.business, self.variant_id = runtime, business, variant_id

    @property
    def id(self):
        return self.business.id

    def tx(self):
        return self.runtime.transaction(self.business.id)

    def session(self):
        return self.runtime.session(self.business.id)

    def customer(self, name=None, email="auto", language="vi", country="VN"):
        from addons.partners.services import create_partner
        n = next(_n)
        name = name or f"Khách hàng {n}"
        with self.tx() as s:
            return create_partner(s, name=name, kind="person", country=country,
                                  email=(f"c{n}-{os.getpid()}@example.vn" if email == "auto" else email),
                                  language=language).id

    def invoice(self, partner_id, amount="100000", due=None, issued=None, **kw):
        """A hand-made sales invoice (no order) to the partner; returns its number."""
        from addons.einvoice.services.documents import create_document
        from addons.einvoice.services.issue import issue_document
        from addons.partners.models import Partner
        from addons.partners.services import partner_snapshot
        issued = issued or ISSUED
        with self.tx() as s:
            snap = partner_snapshot(s.get(Partner, partner_id))
            buyer = {k: snap[k] for k in ("kind", "name", "country", "email", "partner_id", "language")}
            doc = create_document(s, type="sales_invoice", buyer=buyer, lines=[
                {"description": "Service", "quantity": "1", "unit_price": amount, "tax_rate": "0",
                 "tax_category": "Z"}], due_date=due or issued + timedelta(days=30), **kw)
            doc = issue_document(s, doc.id, issue_date=issued, render_pdf=False, submit=False)
            return doc.display_number

    def order_invoice(self, partner_id, qty="1", paid=None, due=None):
        """An order to the partner with its invoice issued; ``paid`` registers that payment first."""
        from addons.einvoice.services.issue import issue_document
        from addons.einvoice.services.orders import create_from_order
        from addons.sales.services import confirm_order, create_order, register_payment
        with self.tx() as s:
            order = create_order(s, partner_id=partner_id, lines=[{"variant_id": self.variant_id,
                                                                    "qty": Decimal(qty)}])
            confirm_order(s, order.id)
            if paid:
                register_payment(s, order.id, paid, "bank_transfer", paid_on=TODAY - timedelta(days=1))
            draft = create_from_order(s, order.id, "sales_invoice")
            draft.due_date = due or TODAY + timedelta(days=30)
            doc = issue_document(s, draft.id, issue_date=ISSUED, render_pdf=False, submit=False)
            return order.id, doc.display_number

    def receivable(self, number):
        from addons.dunning.services.receivables import find_receivable
        with self.session() as s:
            rec = find_receivable(s, number)
            s.expunge(rec)
            return rec

    def run_jobs(self, prefix=""):
        from core.jobs import execute
        from core.models import OutboxJob
        out = []
        for _ in range(6):
            with self.runtime.session(all_businesses=True) as s:
                rows = s.execute(select(OutboxJob.id, OutboxJob.actor).where(
                    OutboxJob.business_id == self.id, OutboxJob.state == "pending",
                    OutboxJob.actor.startswith(prefix)).order_by(OutboxJob.id)).all()
            if not rows:
                break
            for job_id, actor in rows:
                out.append((actor, execute(self.runtime, actor, job_id)))
        return out

    def settings(self, **values):
        from core.settings import set_settings
        with self.tx() as s:
            set_settings(s, self.runtime.registry, "dunning", values, self.runtime.config["SECRET_KEY"])


def make_books(runtime, country="VN"):
    from addons.catalog.services import create_product
    from core.addons import state
    from core.business import create_business
    n = next(_n)
    with runtime.transaction(all_businesses=True) as s:
        business = create_business(s, name=f"Dunning shop {n}", slug=f"dun{n}-{os.getpid()}", country=country,
                                   tax_id="0100109106", legal_name="Công ty TNHH Nhắc Nợ",
                                   email="ketoan@nhacno.vn", timezone="Asia/Ho_Chi_Minh")
    with runtime.transaction(business.id) as s:
        state.enable(s, runtime.registry, business.id, ["dunning"])
    with runtime.transaction(business.id) as s:
        variant = create_product(s, sku=f"DUN-{n}", name="Widget", sale_price="100000").variants[0].id
    return Books(runtime, business, variant)


@pytest.fixture(scope="module")
def books(runtime):
    return make_books(runtime)


@pytest.fixture
def fresh_books(runtime):
    return make_books(runtime)
