"""E-invoice documents: drafts, lifecycle, stored files.

Every function takes a session bound to one business, validates, raises
UserError, and never commits: the caller's transaction commits all or nothing.
Issuing lives in ``issue``, totals in ``totals``, corrections in
``corrections``, e-mail in ``sending``, provider exchanges in ``submission``.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.util import identity_key

from core.db import tx_cache, utcnow
from core.errors import NotFound, UserError
from core.i18n import LANGUAGES, _, buyer_language
from core.jobs import addon_settings, binding_for
from core.models import Business
from core.money import ROUNDING_MODES, fit_column, minor_units
from core.taxid import validate_tax_id

from .. import immutability  # noqa: F401  registers the ORM guard
from ..models import DOC_TYPES, PAYMENT_METHODS, STATE_RANK, TAX_CATEGORIES, Document, DocumentLine, state_word
from ..totals import recompute
from . import numbering

UNIT_RE = re.compile(r"^[A-Z0-9]{2,3}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
BUYER_KEYS = ("kind", "name", "tax_id", "country", "address", "city", "region", "postal_code", "email", "phone",
              "peppol_id")
# Types whose XML is a UBL Invoice or CreditNote; a receipt has none.
XML_TYPES = ("vat_invoice", "sales_invoice", "credit_note", "adjustment_invoice", "replacement_invoice")


# ---------------------------------------------------------------- context

def runtime_of(session):
    return binding_for(session).runtime


def settings(session) -> dict:
    return addon_settings(session, "einvoice")


def business_of(session) -> Business:
    """The session's business (the ORM row, for services that read or change it)."""
    return session.get(Business, session.info["business_id"])


_business = Business.__table__
# What issuing reads of the business; ``issue`` reads them in the statement that locks the draft.
BUSINESS_FACTS = (_business.c.name, _business.c.legal_name, _business.c.tax_id, _business.c.country,
                  _business.c.address, _business.c.phone, _business.c.email, _business.c.timezone)
_BUSINESS_FACTS = select(*BUSINESS_FACTS).where(_business.c.id == bindparam("facts_business"))


def note_business_facts(session, facts) -> None:
    """Remember ``facts`` (a row with the ``BUSINESS_FACTS`` columns, read in this transaction)."""
    tx_cache(session)["einvoice.business"] = facts


def business_facts(session):
    """What issuing reads of the business (seller snapshot, time zone, country): a row read once
    per transaction with a statement built once; issuing asks for it several times."""
    loaded = session.identity_map.get(identity_key(Business, session.info["business_id"]))
    if loaded is not None:  # loaded in this transaction, perhaps changed and not yet flushed
        return loaded
    cache = tx_cache(session)
    facts = cache.get("einvoice.business")
    if facts is None:
        facts = cache["einvoice.business"] = session.connection().execute(
            _BUSINESS_FACTS, {"facts_business": session.info["business_id"]}).one()
    return facts


def business_today(session) -> date:
    return datetime.now(ZoneInfo(business_facts(session).timezone or "UTC")).date()


def get_document(session, document_id: int, *, lines: bool = True) -> Document:
    query = select(Document).where(Document.id == document_id)
    if lines:
        query = query.options(selectinload(Document.lines))
    doc = session.scalar(query)
    if doc is None:
        raise NotFound(_("no e-invoice document #%(id)s in this business", id=document_id))
    return doc


def find_document(session, number: str) -> Document:
    """By display number ("INV-2026-000012"), or "#id" for a draft."""
    number = (number or "").strip()
    if number.startswith("#") and number[1:].isdigit():
        return get_document(session, int(number[1:]))
    doc = session.scalar(select(Document).where(Document.display_number == number)
                         .options(selectinload(Document.lines)))
    if doc is None:
        raise NotFound(_("no e-invoice document numbered %(number)s in this business", number=repr(number)))
    return doc


# ---------------------------------------------------------------- snapshots

def seller_snapshot(session) -> dict:
    business = business_facts(session)
    conf = settings(session)
    return {"legal_name": business.legal_name or business.name, "tax_id": business.tax_id,
            "country": business.country, "address": business.address or "", "city": conf["seller_city"],
            "postal_code": conf["seller_postal_code"], "phone": business.phone or "", "email": business.email or "",
            "bank_name": conf["seller_bank_name"], "bank_account": conf["seller_bank_account"],
            "bic": conf["seller_bic"], "peppol_id": conf["seller_peppol_id"]}


def clean_buyer(buyer: dict, doc_type: str) -> dict:
    """A validated buyer snapshot; the tax id is checked with python-stdnum for the buyer's country."""
    if not isinstance(buyer, dict):
        raise UserError(_("buyer: expected the buyer's details (name, country, ...)"))
    unknown = set(buyer) - set(BUYER_KEYS) - {"street", "partner_id", "language"}
    if unknown:
        raise UserError(_("buyer: unknown fields %(fields)s", fields=", ".join(sorted(unknown))))
    out = {key: (str(buyer.get(key)).strip() if buyer.get(key) is not None else None) for key in BUYER_KEYS}
    if not out["address"] and buyer.get("street"):
        out["address"] = str(buyer["street"]).strip()
    problems = []
    out["kind"] = out["kind"] or "person"
    if out["kind"] not in ("company", "person"):
        problems.append(_("buyer kind %(kind)s: company or person", kind=repr(out["kind"])))
    if not out["name"]:
        problems.append(_("buyer name: required"))
    country = (out["country"] or "").upper()
    if not re.match(r"^[A-Z]{2}$", country):
        problems.append(_("buyer country %(country)s: a two-letter ISO code such as VN, KR, DE",
                           country=repr(out["country"])))
    out["country"] = country
    if out["tax_id"]:
        try:
            out["tax_id"] = validate_tax_id(country, out["tax_id"])
        except UserError as exc:
            problems.append(_("buyer tax id: %(error)s", error=exc))
    elif doc_type == "vat_invoice" and out["kind"] == "company":
        problems.append(_("buyer tax id: a VAT invoice to a company needs the buyer's tax id"))
    if out["email"] and not EMAIL_RE.match(out["email"]):
        problems.append(_("buyer e-mail %(email)s is not an e-mail address", email=repr(out["email"])))
    if problems:
        raise UserError("; ".join(problems))
    if buyer.get("partner_id"):
        out["partner_id"] = int(buyer["partner_id"])
    return out


def business_language(business: Business) -> str:
    """The business's default language: the first of its languages."""
    return (business.languages or ["en"])[0]


def document_language(business: Business, buyer: dict, partner_language=None) -> str:
    """The language a document (and its e-mail) is written in when the caller names none: the buyer's
    (a partner's), else their country's (a Vietnamese walk-in buyer reads Vietnamese), else the business's."""
    return buyer_language(partner_language, buyer.get("country"), business_language(business))


# ---------------------------------------------------------------- lines

def clean_line(raw: dict, position: int, doc_type: str) -> DocumentLine:
    where = _("line %(position)s", position=position)
    if not isinstance(raw, dict):
        raise UserError(_("%(line)s: expected description, quantity, unit_price, tax_rate", line=where))
    unknown = set(raw) - {"description", "quantity", "unit", "unit_price", "discount_percent", "tax_rate",
                          "tax_category", "sku"}
    if unknown:
        raise UserError(_("%(line)s: unknown fields %(fields)s", line=where, fields=", ".join(sorted(unknown))))

    def amount(key, default=None):
        # The column's scale is the contract: a value it cannot hold is refused, so the
        # document (XML, PDF) is always built from exactly what is stored.
        return fit_column(raw.get(key, default), getattr(DocumentLine, key), f"{where} {key}")

    description = str(raw.get("description") or "").strip()
    if not description:
        raise UserError(_("%(line)s: a description is required", line=where))
    quantity = amount("quantity")
    if quantity == 0 or (quantity < 0 and doc_type != "adjustment_invoice"):
        raise UserError(_("%(line)s quantity: must be more than zero (only an adjustment may decrease)",
                          line=where))
    unit_price = amount("unit_price")
    if unit_price < 0:
        raise UserError(_("%(line)s unit price: must not be negative", line=where))
    discount = amount("discount_percent", 0)
    if not 0 <= discount <= 100:
        raise UserError(_("%(line)s discount: between 0 and 100 percent", line=where))
    rate = raw.get("tax_rate")
    rate = None if rate is None or rate == "" else amount("tax_rate")
    if rate is not None and not 0 <= rate < 1:
        raise UserError(_("%(line)s tax rate: a fraction such as 0.10 for 10 %%, got %(rate)s", line=where, rate=rate))
    category = raw.get("tax_category") or ("E" if rate is None else "Z" if rate == 0 else "S")
    if category not in TAX_CATEGORIES:
        raise UserError(_("%(line)s tax category %(category)s: one of %(choices)s", line=where,
                          category=repr(category), choices=", ".join(TAX_CATEGORIES)))
    if category == "S" and not rate:
        raise UserError(_("%(line)s: standard-rated (S) needs a tax rate above zero", line=where))
    unit = str(raw.get("unit") or "C62").upper()
    if not UNIT_RE.match(unit):
        raise UserError(_("%(line)s unit %(unit)s: a UN/ECE rec. 20 code such as C62 (piece) or KGM", line=where,
                          unit=repr(unit)))
    return DocumentLine(position=position, description=description[:500], quantity=quantity, unit=unit,
                        unit_price=unit_price, discount_percent=discount, tax_rate=rate, tax_category=category,
                        sku=(str(raw["sku"])[:64] if raw.get("sku") else None))


# ---------------------------------------------------------------- drafts

def create_document(session, *, type: str, buyer: dict, lines: list[dict], currency: str | None = None,
                    language: str | None = None, series: str | None = None, order_id: int | None = None,
                    due_date: date | None = None, payment_terms: str = "", early_discount_percent=None,
                    early_discount_days: int | None = None, customer_po: str | None = None, exchange_rate="1",
                    payment_method: str = "bank_transfer", notes: str = "", corrects_id: int | None = None,
                    correction_reason: str | None = None, full_correction: bool = False,
                    buyer_agreement_ref: str | None = None, buyer_agreement_date: date | None = None,
                    rounding: str | None = None, prices_include_tax: bool = False) -> Document:
    """A draft with free lines (or lines copied from an order by ``create_from_order``).

    ``rounding`` (default: the business setting) and ``prices_include_tax`` are
    frozen on the document: an order passes its own, a correction its original's.
    """
    if type not in DOC_TYPES:
        raise UserError(_("document type %(type)s: choose one of %(choices)s", type=repr(type),
                          choices=", ".join(DOC_TYPES)))
    business = business_of(session)
    conf = settings(session)
    rounding = rounding or conf["rounding"]
    if rounding not in ROUNDING_MODES:
        raise UserError(_("rounding %(rounding)s: one of %(choices)s", rounding=repr(rounding),
                          choices=", ".join(ROUNDING_MODES)))
    if prices_include_tax and rounding != "line":
        raise UserError(_("rounding: tax-inclusive prices are rounded per line (the tax is the part of each "
                          "line's price that the rate accounts for)"))
    clean = clean_buyer(buyer, type)
    currency = (currency or business.currency).upper()
    minor_units(currency)  # raises a UserError for an unknown currency
    language = language or document_language(business, clean, buyer.get("language"))
    if language not in LANGUAGES:
        raise UserError(_("language %(language)s: one of %(choices)s", language=repr(language),
                          choices=", ".join(LANGUAGES)))
    if payment_method not in PAYMENT_METHODS:
        raise UserError(_("payment method %(method)s: one of %(choices)s", method=repr(payment_method),
                          choices=", ".join(PAYMENT_METHODS)))
    rate = fit_column(exchange_rate, Document.exchange_rate, "exchange rate")
    if rate <= 0:
        raise UserError(_("exchange rate: must be more than zero"))
    if early_discount_percent is not None:
        early_discount_percent = fit_column(early_discount_percent, Document.early_discount_percent,
                                            "early-payment discount")
        if not 0 <= early_discount_percent < 100:
            raise UserError(_("early-payment discount: between 0 and 100 percent"))
    if not lines:
        raise UserError(_("a document needs at least one line"))
    if series:
        numbering.series_for(session, type, series)
    doc = Document(type=type, state="draft", order_id=order_id, currency=currency, language=language,
                   seller=seller_snapshot(session), buyer=clean, buyer_name=clean["name"][:200],
                   buyer_country=clean["country"], series=series or None, due_date=due_date,
                   payment_terms=payment_terms or "", early_discount_percent=early_discount_percent,
                   early_discount_days=early_discount_days, customer_po=customer_po or None, exchange_rate=rate,
                   payment_method=payment_method, notes=notes or "", rounding=rounding,
                   prices_include_tax=bool(prices_include_tax),
                   corrects_id=corrects_id, correction_reason=correction_reason, full_correction=full_correction,
                   buyer_agreement_ref=buyer_agreement_ref or None, buyer_agreement_date=buyer_agreement_date)
    doc.lines = [clean_line(raw, i, type) for i, raw in enumerate(lines, start=1)]
    recompute(doc)
    session.add(doc)
    session.flush()
    return doc


def update_draft(session, document_id: int, *, lines: list[dict] | None = None, buyer: dict | None = None,
                 **fields) -> Document:
    """Edit a draft (an issued document refuses, here and in the database)."""
    doc = get_document(session, document_id)
    if doc.state != "draft":
        raise UserError(_("%(doc)s is %(state)s; only drafts can be edited, issue a correction instead",
                          doc=doc.label, state=state_word(doc.state)))
    allowed = {"due_date", "payment_terms", "early_discount_percent", "early_discount_days", "customer_po",
               "payment_method", "notes", "language", "series"}
    unknown = set(fields) - allowed
    if unknown:
        raise UserError(_("cannot edit %(fields)s of a draft here", fields=", ".join(sorted(unknown))))
    if "payment_method" in fields and fields["payment_method"] not in PAYMENT_METHODS:
        raise UserError(_("payment method %(method)s: one of %(choices)s", method=repr(fields["payment_method"]),
                          choices=", ".join(PAYMENT_METHODS)))
    if "language" in fields and fields["language"] not in LANGUAGES:
        raise UserError(_("language %(language)s: one of %(choices)s", language=repr(fields["language"]),
                          choices=", ".join(LANGUAGES)))
    if fields.get("series"):
        numbering.series_for(session, doc.type, fields["series"])
    for key, value in fields.items():
        setattr(doc, key, value)
    if buyer is not None:
        doc.buyer = clean_buyer(buyer, doc.type)
        doc.buyer_name, doc.buyer_country = doc.buyer["name"][:200], doc.buyer["country"]
    if lines is not None:
        if not lines:
            raise UserError(_("a document needs at least one line"))
        new_lines = [clean_line(raw, i, doc.type) for i, raw in enumerate(lines, start=1)]
        doc.lines.clear()
        session.flush()
        doc.lines.extend(new_lines)
    recompute(doc)
    session.flush()
    return doc


def delete_draft(session, document_id: int) -> None:
    doc = get_document(session, document_id)
    if doc.state != "draft":
        raise UserError(_("%(doc)s is issued; issued documents are never deleted, only corrected", doc=doc.label))
    session.delete(doc)
    session.flush()


# ---------------------------------------------------------------- lifecycle

def advance(doc: Document, state: str) -> bool:
    """Move the state forward (never back; a later state already reached stays)."""
    if STATE_RANK[state] > STATE_RANK[doc.state]:
        doc.state = state
        return True
    return False


def mark_paid(session, document_id: int, when: datetime | None = None) -> Document:
    doc = get_document(session, document_id, lines=False)
    if doc.state in ("draft", "cancelled"):
        raise UserError(_("%(doc)s is %(state)s; only issued documents can be paid", doc=doc.label,
                          state=state_word(doc.state)))
    if doc.paid_at is None:
        doc.paid_at = when or utcnow()
    advance(doc, "paid")
    session.flush()
    return doc


def render_pdf_bytes(session, doc: Document) -> bytes:
    """The document's PDF as it is in memory: what the renderer loads (its submissions) flushes nothing."""
    from ..rendering.pdf import render_document_pdf
    with session.no_autoflush:
        return render_document_pdf(doc)


def ensure_pdf(session, doc: Document) -> bytes:
    """The stored PDF; an issued document issued without one gets it now, once."""
    if doc.pdf is not None:
        return doc.pdf
    if doc.state == "draft":
        return render_pdf_bytes(session, doc)  # a preview, never stored
    doc.pdf = render_pdf_bytes(session, doc)
    session.flush()
    return doc.pdf


def preview_pdf(session, document_id: int) -> bytes:
    """What the document looks like: the stored PDF once issued, a fresh render of a draft (never stored)."""
    doc = get_document(session, document_id)
    return doc.pdf if doc.pdf is not None else render_pdf_bytes(session, doc)
