"""The PDF of an e-invoice document, in the buyer's language.

``render_document_pdf(document, business_style=None)`` picks the template of
the document's type (``einvoice/pdf/<type>.html``) along the search path:
the business's own template folders first, then folders other addons
registered with ``register_template_dir``, then this addon's. Templates extend
``einvoice/pdf/base.html`` and override its blocks (logo, colours, footer,
qr...). All values reach the HTML through Jinja autoescaping and the render
runs under core.pdf's resource policy and time limit.

Every PDF is PDF/A-3b (core.pdfa); an issued document of an EU seller carries
its UBL XML inside, as the PDF/A-3 ``Alternative`` of the printed invoice.
"""
from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from addons.sales import terms
from core.errors import UserError
from core.money import quantize
from core.pdf import font_stack, render_pdf
from core.pdfa import Attachment
from core.taxid import EU

from ..totals import tax_breakdown
from .columns import line_columns
from .common import DOCUMENT_TYPES, corrected_document, lines_of, party_value
from .formatting import DocumentFormat
from .qr import qr_payload
from .ubl import build_ubl
from .wording import document_title, tax_id_label, unit_word

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
_addon_template_dirs: list[Path] = []
MAX_LOGO_BYTES = 512 * 1024


def register_template_dir(path) -> None:
    """Let another addon override e-invoice PDF templates: its folder is searched before ours.

    The folder holds ``einvoice/pdf/<type>.html`` files that usually
    ``{% extends "einvoice/pdf/base.html" %}`` and override a few blocks.
    """
    folder = Path(path).resolve()
    if not folder.is_dir():
        raise UserError(f"template folder {folder} does not exist")
    if folder not in _addon_template_dirs:
        _addon_template_dirs.insert(0, folder)


_context_extenders: list = []


def register_context_extender(fn) -> None:
    """Let a country adapter addon print its regime's fiscal block on every PDF it concerns.

    ``fn(document) -> {"regime_sections": [{"title", "rows": [(label, value)], "blocks": [(label, [chunks])]}]}``
    or ``{}``; base.html prints the sections (escaped) before the QR code. It may raise
    ``UserError`` to refuse a PDF that must not exist yet (a CFDI not stamped).
    """
    if fn not in _context_extenders:
        _context_extenders.append(fn)


@dataclass(frozen=True)
class BusinessStyle:
    """A business's look: colours, a logo (PNG/JPEG bytes), footer text, its own template folders."""
    primary_color: str = "#1f3a5f"
    accent_color: str = "#e8eef5"
    footer_text: str = ""
    logo: bytes | None = None
    template_dirs: tuple = field(default_factory=tuple)

    @classmethod
    def coerce(cls, value) -> "BusinessStyle":
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, dict):
            unknown = set(value) - set(cls.__dataclass_fields__)
            if unknown:
                raise UserError(f"business style: unknown key(s) {', '.join(sorted(unknown))}")
            data = {k: v for k, v in value.items() if v is not None}
            data["template_dirs"] = tuple(data.get("template_dirs", ()))
            return cls(**data)
        raise UserError(f"business style must be a dict or BusinessStyle, got {type(value).__name__}")

    def logo_uri(self) -> str | None:
        """The logo as an inline data URI (the policy allows inline data, never a file or URL)."""
        if not self.logo:
            return None
        data = bytes(self.logo)
        if len(data) > MAX_LOGO_BYTES:
            raise UserError(f"logo is {len(data)} bytes; at most {MAX_LOGO_BYTES} are allowed")
        if data.startswith(b"\x89PNG\r\n\x1a\n"):
            kind = "png"
        elif data.startswith(b"\xff\xd8\xff"):
            kind = "jpeg"
        else:
            raise UserError("logo must be a PNG or JPEG image")
        return f"data:image/{kind};base64," + base64.b64encode(data).decode("ascii")


def search_paths(style: BusinessStyle) -> list[Path]:
    """Business folders, then addon folders, then this addon's templates: first match wins."""
    return [Path(p) for p in style.template_dirs] + list(_addon_template_dirs) + [TEMPLATES_DIR]


def render_document_pdf(document, *, business_style=None, time_limit: float | None = None) -> bytes:
    """Render ``document`` (ORM Document or any object with its attributes) to PDF/A-3b bytes."""
    if document.type not in DOCUMENT_TYPES:
        raise UserError(f"document type {document.type!r} has no PDF template")
    style = BusinessStyle.coerce(business_style)
    context = document_context(document, style)
    return render_pdf(f"einvoice/pdf/{document.type}.html", context, search_paths=search_paths(style),
                      time_limit=time_limit, title=" ".join(filter(None, [context["title"], context["number"]])),
                      author=party_value(document.seller, "legal_name"), attachments=ubl_attachments(document))


def ubl_attachments(document) -> tuple[Attachment, ...]:
    """The UBL of an issued document of an EU seller, to travel inside its PDF (EN 16931 with PDF/A-3).

    The stored XML when there is one (the bytes that were issued), else built now.
    """
    if _is_draft(document) or party_value(document.seller, "country").upper() not in EU:
        return ()
    xml = getattr(document, "xml", None)
    if xml is None:
        xml = build_ubl(document)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", document.display_number or "invoice") + ".xml"
    return (Attachment(name, bytes(xml), description="UBL 2.1 e-invoice (EN 16931)"),)


def _is_draft(document) -> bool:
    return getattr(document, "number", None) is None or getattr(document, "state", "draft") == "draft"


SELLER_FIELDS = ("legal_name", "tax_id", "address", "city", "postal_code", "country", "phone", "email",
                 "bank_name", "bank_account", "bic")
BUYER_FIELDS = ("name", "tax_id", "address", "city", "postal_code", "country", "email", "phone")


def document_context(document, style: BusinessStyle) -> dict:
    """Everything a template prints, already formatted for the buyer's locale."""
    fmt = DocumentFormat.of(document)
    lines = _lines(document, fmt)
    qr = qr_payload(document)
    extra = {"regime_sections": []}
    for extend in _context_extenders:
        extra["regime_sections"] += (extend(document) or {}).get("regime_sections", [])
    return {
        **extra,
        "doc": document, "labels": fmt.labels, "language": fmt.language, "fonts": font_stack(fmt.language),
        "title": document_title(document, fmt.language, fmt.labels), "is_draft": _is_draft(document),
        **_header(document, fmt),
        "seller": _party(document.seller, SELLER_FIELDS, fmt.language),
        "buyer": _party(document.buyer, BUYER_FIELDS, fmt.language),
        "lines": lines, "columns": line_columns(lines, fmt.labels, fmt.language),
        "taxes": [{"rate": fmt.rate(t["rate"], t["category"]), "category": t["category"],
                   "base": fmt.money(t["base"]), "tax": fmt.money(t["tax"])} for t in tax_breakdown(document)],
        "subtotal": fmt.money(document.subtotal), "tax_total": fmt.money(document.tax_total),
        "total": fmt.money(document.total),
        **_correction(document, fmt),
        "qr_uri": qr_data_uri(qr["payload"]) if qr else None, "qr_caption": qr["caption"] if qr else "",
        "style": style, "logo_uri": style.logo_uri(), "cjk_wrap": fmt.language in ("zh",),
        "amount_zero": quantize(0, document.currency),
    }


def _header(document, fmt: DocumentFormat) -> dict:
    """Number, dates, currency, payment: the block under the title."""
    exchange_rate = getattr(document, "exchange_rate", None)
    method = getattr(document, "payment_method", "") or ""
    return {
        "number": getattr(document, "display_number", None) or "", "series": document.series or "",
        "issue_date": fmt.day(document.issue_date), "due_date": fmt.day(getattr(document, "due_date", None)),
        "payment_terms": terms.words(getattr(document, "payment_terms", ""),
                                     getattr(document, "early_discount_percent", None),
                                     getattr(document, "early_discount_days", None), fmt.language),
        "customer_po": getattr(document, "customer_po", "") or "", "currency": document.currency,
        "exchange_rate": fmt.number(exchange_rate)
        if exchange_rate not in (None, "") and Decimal(exchange_rate) != 1 else "",
        "payment_method": fmt.labels.get(method, method), "notes": getattr(document, "notes", "") or "",
    }


def _lines(document, fmt: DocumentFormat) -> list[dict]:
    """The lines as printed: unit words, unit prices and rates with all their decimals."""
    return [{
        "position": str(getattr(line, "position", i + 1) or i + 1),
        "description": line.description, "sku": getattr(line, "sku", None) or "",
        "quantity": fmt.number(line.quantity), "unit": unit_word(getattr(line, "unit", ""), fmt.language),
        "unit_price": fmt.money(line.unit_price, exact=True),
        "discount": fmt.percent(Decimal(line.discount_percent) / 100)
        if getattr(line, "discount_percent", None) else "",
        "tax_rate": fmt.rate(line.tax_rate, (getattr(line, "tax_category", None) or "S").upper()),
        "net_amount": fmt.money(line.net_amount),
    } for i, line in enumerate(lines_of(document))]


def _correction(document, fmt: DocumentFormat) -> dict:
    """What a correcting document says about the one it corrects."""
    corrected = corrected_document(document)
    agreement = [getattr(document, "buyer_agreement_ref", "") or "",
                 fmt.day(getattr(document, "buyer_agreement_date", None))]
    return {"corrects": getattr(corrected, "display_number", "") if corrected is not None else "",
            "correction_reason": getattr(document, "correction_reason", "") or "",
            "agreement": " ".join(filter(None, agreement))}


def _party(snapshot, keys, language: str) -> dict:
    """A party's printed fields, with the tax id named as the party's country names it."""
    party = {key: party_value(snapshot or {}, key) for key in keys}
    party["tax_id_label"] = tax_id_label(party["country"], language)
    return party


def qr_data_uri(payload: str) -> str:
    """A PNG QR code of ``payload`` as a data URI (inline, so the resource policy lets it in)."""
    import qrcode

    image = qrcode.make(payload, box_size=4, border=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")
