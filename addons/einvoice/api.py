"""E-invoicing resources of the REST API: invoices, credit notes and receipts, listed, read, and
downloaded as PDF and UBL 2.1 XML.

``GET /api/v1/invoices`` pages by ``(created_at, id)`` with ``?type=`` and ``?state=`` (the
admin's indexes ``(business_id, type|state, created_at)``); ``?order_id=`` lists one order's
documents. The PDF is the stored one of an issued document (a draft renders as a preview,
never stored); the XML is the stored UBL (built from the document when none was kept), for
the invoice and correction types; a draft or a receipt has none (409).
"""
from __future__ import annotations

from datetime import date
from typing import Literal

from flask import Response
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.api.pagination import Page, PageQuery, keyset_page
from core.api.problems import Conflict
from core.api.schemas import Money, Number, Out, Timestamp
from core.i18n import _, _l
from core.money import quantize

from .models import DOC_TYPES, STATES, Document
from .services import documents


class DocumentLineOut(Out):
    position: int
    sku: str | None
    description: str
    quantity: Number
    unit: str
    unit_price: Number
    discount_percent: Number
    tax_rate: Number | None
    net_amount: Number
    tax_amount: Number


class DocumentOut(Out):
    id: int
    type: str
    state: str
    number: str | None = Field(description="The fiscal number (null on a draft).")
    issue_date: date | None
    due_date: date | None
    currency: str
    buyer_name: str
    buyer_country: str | None
    subtotal: Money
    tax_total: Money
    total: Money
    order_id: int | None
    corrects_id: int | None = Field(description="The document a credit note or correction corrects.")
    lines: list[DocumentLineOut]
    created_at: Timestamp
    updated_at: Timestamp


class DocumentQuery(PageQuery):
    type: Literal[DOC_TYPES] | None = None  # type: ignore[valid-type]
    state: Literal[STATES] | None = None  # type: ignore[valid-type]
    order_id: int | None = Field(None, ge=1, le=2 ** 31 - 1, description="Only the documents of this order.")


def document_out(doc: Document) -> DocumentOut:
    q = lambda v: quantize(v, doc.currency)  # noqa: E731
    return DocumentOut(id=doc.id, type=doc.type, state=doc.state, number=doc.display_number,
                       issue_date=doc.issue_date, due_date=doc.due_date, currency=doc.currency,
                       buyer_name=doc.buyer_name, buyer_country=doc.buyer_country, subtotal=q(doc.subtotal),
                       tax_total=q(doc.tax_total), total=q(doc.total), order_id=doc.order_id, corrects_id=doc.corrects_id,
                       lines=[DocumentLineOut.model_validate(line) for line in doc.lines],
                       created_at=doc.created_at, updated_at=doc.updated_at)


def document_payload(session, business_id: int, document_id: int, **_event) -> dict:
    """The ``data`` of invoice.issued: the document as ``GET /api/v1/invoices/{id}`` shows it."""
    return document_out(documents.get_document(session, document_id)).model_dump(mode="json")


def _file(data: bytes, media: str, doc: Document, suffix: str) -> Response:
    name = (doc.display_number or f"draft-{doc.id}").replace("/", "_")
    return Response(data, mimetype=media, headers={"Content-Disposition": f'attachment; filename="{name}.{suffix}"'})


def register(api):
    @api.get("/invoices", scope="einvoice.document.read", summary=_l("Invoices, credit notes and receipts"),
             query=DocumentQuery, response=Page[DocumentOut])
    def list_documents(ctx, query: DocumentQuery):
        statement = select(Document).options(selectinload(Document.lines))
        if query.type:
            statement = statement.where(Document.type == query.type)
        if query.state:
            statement = statement.where(Document.state == query.state)
        if query.order_id:
            statement = statement.where(Document.order_id == query.order_id)
        rows, next_url = keyset_page(ctx.session, statement, (Document.created_at, Document.id), query, "invoices")
        return Page[DocumentOut](data=[document_out(d) for d in rows], next=next_url)

    @api.get("/invoices/{document_id}", scope="einvoice.document.read", summary=_l("An invoice"),
             response=DocumentOut)
    def get_document(ctx, document_id: int):
        return document_out(documents.get_document(ctx.session, document_id))

    @api.get("/invoices/{document_id}/pdf", scope="einvoice.document.read", summary=_l("An invoice as PDF"),
             produces=("application/pdf",))
    def document_pdf(ctx, document_id: int):
        doc = documents.get_document(ctx.session, document_id)
        return _file(documents.preview_pdf(ctx.session, document_id), "application/pdf", doc, "pdf")

    @api.get("/invoices/{document_id}/xml", scope="einvoice.document.read", summary=_l("An invoice as UBL XML"),
             produces=("application/xml",), errors=(409,))
    def document_xml(ctx, document_id: int):
        from .rendering.ubl import build_ubl
        doc = documents.get_document(ctx.session, document_id)
        if doc.state == "draft" or doc.type not in documents.XML_TYPES:
            raise Conflict(_("%(document)s has no UBL XML: only issued invoices and corrections do",
                             document=doc.display_number or _("the draft")))
        return _file(doc.xml if doc.xml is not None else build_ubl(doc), "application/xml", doc, "xml")
