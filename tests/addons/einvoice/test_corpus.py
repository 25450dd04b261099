"""A seeded random corpus of fiscal documents, issued through the services, exported and validated.

Six seller countries and currencies (KRW, VND, MXN, EUR, CNY, USD); invoices
from tax-inclusive and tax-exclusive orders and with free lines (fractional
quantities, prices with four decimals, discounts 0-100 %, several rates,
zero-rated and exempt lines in one document); full and partial credit notes,
adjustments and replacements. Every exported UBL must pass the UBL 2.1 XSD
and EN 16931, plus Peppol BIS 3 where both parties have a Peppol address; a
document from an order must equal the order, a full credit note its invoice.
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from addons.einvoice.rendering.ubl import peppol_ready, validate_ubl
from addons.einvoice.services import corrections, orders
from addons.einvoice.models import Document
from addons.einvoice.services.documents import create_document, get_document
from addons.einvoice.services.issue import issue_document
from addons.einvoice.totals import tax_breakdown
from addons.sales.models import Order
from core.models import Business
from tests.cli.conftest import Cli, cli_env
from tests.conftest import GOOD_ADDONS

from .random_docs import CUSTOMERS, SELLERS, make_shop, random_free_lines, random_order

DOCS_PER_SHOP = 36
START = date.today() - timedelta(days=40)


def _buyer(rng):
    customer = dict(rng.choice(CUSTOMERS))
    customer["address"] = customer.pop("street")
    customer.pop("language", None)
    return customer


def _agreement(shop, doc_type):
    if shop.country == "VN" and doc_type != "credit_note":
        return {"agreement_ref": "BB-2026-17", "agreement_date": START}
    return {}


class Corpus:
    """Issues random documents for one shop, day by day, and remembers what each must equal."""

    def __init__(self, rng, shop):
        self.rng, self.shop, self.day = rng, shop, START
        self.invoices: list[int] = []          # issued invoices that may still be corrected
        self.expect: dict[int, tuple] = {}     # document id -> (what, expected amounts)

    def next_date(self):
        self.day += timedelta(days=self.rng.choice([0, 0, 1]))
        return self.day

    def issue(self, session, doc_id):
        return issue_document(session, doc_id, issue_date=self.next_date(), render_pdf=False, submit=False)

    def one(self):
        kind = self.rng.choices(["order", "free", "credit", "partial", "adjust", "replace"],
                                [30, 25, 10, 10, 10, 8])[0]
        if kind in ("credit", "partial", "adjust", "replace") and not self.invoices:
            kind = "free"
        getattr(self, f"_{kind}")()

    def _order(self):
        order_id = random_order(self.rng, self.shop)
        doc_type = self.rng.choice(["sales_invoice", "vat_invoice"])
        with self.shop.tx() as s:
            doc = self.issue(s, orders.create_from_order(s, order_id, doc_type).id)
            order = s.get(Order, order_id)
            self.expect[doc.id] = ("order total", (order.total, order.tax_total))
            self.invoices.append(doc.id)

    def _free(self):
        with self.shop.tx() as s:
            draft = create_document(s, type=self.rng.choice(["sales_invoice", "vat_invoice"]),
                                    buyer=_buyer(self.rng), lines=random_free_lines(self.rng, self.shop),
                                    customer_po=self.rng.choice([None, "PO-4711"]))
            self.invoices.append(self.issue(s, draft.id).id)

    def _credit(self):
        original = self.invoices.pop(self.rng.randrange(len(self.invoices)))
        with self.shop.tx() as s:
            note = self.issue(s, corrections.credit_note(s, original, reason="Order cancelled").id)
            invoice = get_document(s, original)
            self.expect[note.id] = ("invoice amounts", _amounts(invoice))

    def _partial(self):
        original = self.rng.choice(self.invoices)
        with self.shop.tx() as s:
            invoice = get_document(s, original)
            line = self.rng.choice(invoice.lines)
            part = {"description": line.description, "quantity": line.quantity / 2, "unit_price": line.unit_price,
                    "discount_percent": line.discount_percent, "tax_rate": line.tax_rate,
                    "tax_category": line.tax_category, "unit": line.unit}
            self.issue(s, corrections.credit_note(s, original, reason="Returned", lines=[part]).id)

    def _adjust(self):
        original = self.rng.choice(self.invoices)
        lines = random_free_lines(self.rng, self.shop, self.rng.randint(1, 3))
        for line in lines:
            if self.rng.random() < 0.5:
                line["quantity"] = -line["quantity"]
        with self.shop.tx() as s:
            draft = corrections.adjust(s, original, reason="Price corrected", lines=lines,
                                       **_agreement(self.shop, "adjustment_invoice"))
            self.issue(s, draft.id)

    def _replace(self):
        original = self.invoices.pop(self.rng.randrange(len(self.invoices)))
        with self.shop.tx() as s:
            draft = corrections.replace(s, original, reason="Wrong address",
                                        **_agreement(self.shop, "replacement_invoice"))
            doc = self.issue(s, draft.id)
            self.expect[doc.id] = ("invoice amounts", _amounts(get_document(s, original)))
            self.invoices.append(doc.id)


def _amounts(doc) -> tuple:
    return (doc.subtotal, doc.tax_total, doc.total,
            [(g["category"], g["rate"], g["base"], g["tax"]) for g in tax_breakdown(doc)])


def _export(runtime, shop, out: Path) -> dict[str, bytes]:
    """The UBL files as ``manage.py einvoice export`` writes them."""
    with runtime.session(all_businesses=True) as s:
        slug = s.get(Business, shop.business.id).slug
    cli = Cli(cli_env(runtime.db.url, addons_path=(GOOD_ADDONS,), instance=out))
    cli.json("einvoice", "export", "--format", "ubl", "--out", str(out / "ubl"), "--business", slug)
    return {path.stem: path.read_bytes() for path in (out / "ubl").glob("*.xml")}


@pytest.mark.timeout(600)
def test_random_corpus_is_valid_and_adds_up(runtime, make_business, tmp_path):
    rng = random.Random(20261201)
    checked, failures, profiles, compared = 0, [], {"peppol": 0, "en16931": 0}, {}
    for country in sorted(SELLERS):
        shop = make_shop(runtime, make_business, country)
        shop.settings(rounding=rng.choice(["line", "total"]), payment_days=rng.choice([0, 14, 30]))
        corpus = Corpus(rng, shop)
        for _ in range(DOCS_PER_SHOP):
            corpus.one()
        files = _export(runtime, shop, tmp_path / country)
        with shop.session() as s:
            for doc in s.query(Document).filter(Document.state != "draft").order_by(Document.id):
                profile = "peppol" if peppol_ready(doc) else "en16931"
                profiles[profile] += 1
                xml = files[doc.display_number]
                assert xml == doc.xml
                problems = validate_ubl(xml, profile=profile)
                if problems:
                    failures.append(f"{country} {doc.display_number} ({doc.type}, {profile}): {problems}")
                what, expected = corpus.expect.get(doc.id, (None, None))
                compared[what] = compared.get(what, 0) + 1
                if what == "order total" and (doc.total, doc.tax_total) != expected:
                    failures.append(f"{country} {doc.display_number}: {(doc.total, doc.tax_total)} != {what} "
                                    f"{expected}")
                if what == "invoice amounts" and _amounts(doc) != expected:
                    failures.append(f"{country} {doc.display_number}: {_amounts(doc)} != {what} {expected}")
                checked += 1
    assert failures == [], "\n".join(failures)
    assert checked >= 200 and profiles["peppol"] and profiles["en16931"], (checked, profiles)
    assert compared.get("order total", 0) >= 50 and compared.get("invoice amounts", 0) >= 20, compared
