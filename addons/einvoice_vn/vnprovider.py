"""What the Vietnamese provider adapters share: the stored invoice XML, settings, checks, the provider's number.

An adapter reads the document's Vietnamese invoice (``VnInvoice``: its XML is what is
sent, in the provider's own JSON), checks the buyer before anything is sent
(``validate``), and keeps the number the provider gave (``provider_number``), in
its own transaction. The framework's idempotency key becomes the provider's id
(``payload.transaction_uuid``): Viettel's ``transactionUuid``, MISA's ``RefID``.
"""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import undefer

from addons.einvoice.providers import EInvoiceProvider, ProviderResult

from .models import VnInvoice
from .payload import business_of_key, invoice_facts


class VnProvider(EInvoiceProvider):
    def conf(self, business_id: int) -> dict:
        from core.settings import get_settings
        with self.runtime.session(business_id) as session:
            return dict(get_settings(session, self.runtime.registry, "einvoice_vn", self.runtime.config["SECRET_KEY"]))

    def seller_tax_code(self, business_id: int) -> str:
        from core.models import Business
        with self.runtime.session(business_id) as session:
            return (session.get(Business, business_id).tax_id or "").replace("-", "")

    def invoice(self, business_id: int, document_id: int) -> tuple[VnInvoice | None, dict | None]:
        with self.runtime.session(business_id) as session:
            row = session.scalar(select(VnInvoice).where(VnInvoice.document_id == document_id)
                                 .options(undefer(VnInvoice.xml)))
            if row is None:
                return None, None
            session.expunge(row)
        return row, invoice_facts(row.xml)

    def record_number(self, business_id: int, document_id: int, number: str | None,
                      series: str | None = None) -> str | None:
        """Keep the provider's number and compare it with ours; returns the mismatch (what the provider
        said, e.g. ``1C26TAA 00000013``) or None. A mismatch is kept on the row, never silently accepted."""
        from .symbols import number_mismatch
        if not number:
            return None
        with self.runtime.transaction(business_id) as session:
            row = session.scalar(select(VnInvoice).where(VnInvoice.document_id == document_id).with_for_update())
            if row is None:
                return None
            if row.provider_number is None:
                row.provider_number = str(number)[:64]
                row.provider_series = str(series)[:16] if series else None
                row.number_mismatch = number_mismatch(row.template, row.symbol, row.number, row.provider_number,
                                                      row.provider_series)
            return row.number_mismatch

    @staticmethod
    def mismatch_note(row_text: str, mismatch: str | None) -> str:
        return f"; NUMBER MISMATCH: the provider numbered it {mismatch}, ours is {row_text}" if mismatch else ""

    def accepted_key(self, business_id: int, document_id: int) -> str | None:
        """The idempotency key under which this provider accepted a document (its transactionUuid / RefID)."""
        from addons.einvoice.models import Submission
        with self.runtime.session(business_id) as session:
            return session.scalar(select(Submission.idempotency_key).where(
                Submission.document_id == document_id, Submission.provider == self.code,
                Submission.state == "accepted").order_by(Submission.id.desc()).limit(1))

    def cancelled_by_key(self, idempotency_key: str) -> tuple[int, int] | None:
        """(business, cancelled document) when the key is a cancellation's (a full credit note), else None."""
        from addons.einvoice.models import Document, Submission
        business_id, document_id = self.document_of_key(idempotency_key)
        with self.runtime.session(business_id) as session:
            action = session.scalar(select(Submission.action).where(Submission.idempotency_key == idempotency_key))
            corrects = session.scalar(select(Document.corrects_id).where(Document.id == document_id))
        return (business_id, corrects) if action == "cancel" and corrects else None

    def document_of_key(self, idempotency_key: str) -> tuple[int, int]:
        business, document, _rest = idempotency_key.split("-", 2)
        return int(business), int(document)

    def validate(self, document) -> list[str]:
        """The buyer's fields the provider would refuse, before anything is sent."""
        if document.type == "credit_note":
            return []
        row, facts = self.invoice(document.business_id, document.id)
        if row is None:
            return [f"{document.label}: no Vietnamese invoice (template, symbol, number) was made at issue"]
        problems = []
        buyer = facts["buyer"]
        if document.type == "vat_invoice" and (document.buyer or {}).get("kind") == "company":
            if not buyer["tax_id"]:
                problems.append("buyer tax code (MST): required for a VAT invoice to a company")
            if not buyer["address"]:
                problems.append("buyer address: required for a VAT invoice to a company")
        if not row.cash_register and not (buyer["name"] or buyer["contact"]):
            problems.append("buyer name: required")
        if buyer["email"] and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", buyer["email"]):
            problems.append(f"buyer e-mail {buyer['email']!r}: not an e-mail address")
        return problems

    def business_of(self, idempotency_key: str) -> int:
        return business_of_key(idempotency_key)


def rejected(provider: str, code, message) -> ProviderResult:
    return ProviderResult("rejected", reason=f"{provider} {code or 'error'}: {message or 'no description'}")
