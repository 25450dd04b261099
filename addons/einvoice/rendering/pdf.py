"""The PDF of an e-invoice document, in the buyer's language.

``render_document_pdf(document, business_style=None)`` picks the template of
the document's type (``einvoice/pdf/<type>.html``) along the search path:
the business's own template folders first, then folders other addons
registered with ``register_template_dir``, then this addon's. Templates extend
``einvoice/pdf/base.html`` and override its blocks (logo, colours, footer,
qr...). All values reach the HTML through Jinja autoescaping and the render
runs under core.pdf's resource policy and time limit.
"""
from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from babel import Locale, UnknownLocaleError

from core.errors import UserError
from core import formatting
from core.money import quantize
from core.pdf import font_stack, render_pdf

from ..totals import tax_breakdown
from .common import DOCUMENT_TYPES, corrected_document, lines_of, party_value
from .labels import labels_for
from .qr import qr_payload

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
    """Render ``document`` (ORM Document or any object with its attributes) to PDF bytes."""
    if document.type not in DOCUMENT_TYPES:
        raise UserError(f"document type {document.type!r} has no PDF template")
    style = BusinessStyle.coerce(business_style)
    context = document_context(document, style)
    return render_pdf(f"einvoice/pdf/{document.type}.html", context,
                      search_paths=search_paths(style), time_limit=time_limit)


def babel_locale(language: str, country: str | None) -> Locale:
    """The buyer's locale: language + buyer country when Babel knows it (es_MX, es_ES), else the language."""
    for candidate in (f"{language}_{country}" if country else None, language):
        if not candidate:
            continue
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en")


def document_context(document, style: BusinessStyle) -> dict:
    """Everything a template prints, already formatted for the buyer's locale."""
    labels = labels_for(document.language)
    language = str(document.language).split("_")[0].lower()
    buyer, seller = document.buyer or {}, document.seller or {}
    locale = babel_locale(language, party_value(buyer, "country").upper() or None)
    currency = document.currency

    def money(amount) -> str:
        return formatting.amount(amount, currency, str(locale))

    def day(value) -> str:
        return formatting.date_(value, str(locale)) if isinstance(value, date) else ""

    def rate(value, category: str = "S") -> str:
        if value is None or category == "E":
            return labels["exempt"]
        if category == "AE":
            return labels["reverse_charge"]
        return formatting.rate(value, str(locale))

    def number(value) -> str:
        return formatting.quantity(value, str(locale))

    lines = [{
        "position": getattr(line, "position", i + 1) or i + 1,
        "description": line.description, "sku": getattr(line, "sku", None) or "",
        "quantity": number(line.quantity), "unit": getattr(line, "unit", "") or "",
        "unit_price": money(line.unit_price),
        "discount": rate(Decimal(line.discount_percent) / 100) if getattr(line, "discount_percent", None) else "",
        "tax_rate": rate(line.tax_rate, (getattr(line, "tax_category", None) or "S").upper()),
        "net_amount": money(line.net_amount),
    } for i, line in enumerate(lines_of(document))]
    taxes = [{"rate": rate(t["rate"], t["category"]), "category": t["category"],
              "base": money(t["base"]), "tax": money(t["tax"])} for t in tax_breakdown(document)]
    early = ""
    if getattr(document, "early_discount_percent", None) and getattr(document, "early_discount_days", None):
        early = labels["early_discount"].format(percent=number(document.early_discount_percent),
                                                days=int(document.early_discount_days))
    corrected = corrected_document(document)
    exchange_rate = getattr(document, "exchange_rate", None)
    qr = qr_payload(document)
    return {
        "doc": document, "labels": labels, "language": language, "fonts": font_stack(language),
        "title": labels[document.type], "is_draft": getattr(document, "number", None) is None
        or getattr(document, "state", "draft") == "draft",
        "number": getattr(document, "display_number", None) or "", "series": document.series or "",
        "issue_date": day(document.issue_date), "due_date": day(getattr(document, "due_date", None)),
        "payment_terms": getattr(document, "payment_terms", "") or "", "early_discount": early,
        "customer_po": getattr(document, "customer_po", "") or "", "currency": currency,
        "exchange_rate": number(exchange_rate) if exchange_rate not in (None, "") and Decimal(exchange_rate) != 1
        else "",
        "payment_method": labels.get(getattr(document, "payment_method", "") or "",
                                     getattr(document, "payment_method", "") or ""),
        "notes": getattr(document, "notes", "") or "",
        "seller": _party(seller, ("legal_name", "tax_id", "address", "city", "postal_code", "country", "phone",
                                  "email", "bank_name", "bank_account", "bic")),
        "buyer": _party(buyer, ("name", "tax_id", "address", "city", "postal_code", "country", "email", "phone")),
        "lines": lines, "taxes": taxes,
        "subtotal": money(document.subtotal), "tax_total": money(document.tax_total),
        "total": money(document.total),
        "corrects": getattr(corrected, "display_number", "") if corrected is not None else "",
        "correction_reason": getattr(document, "correction_reason", "") or "",
        "agreement": " ".join(filter(None, [getattr(document, "buyer_agreement_ref", "") or "",
                                            day(getattr(document, "buyer_agreement_date", None))])),
        "qr_uri": qr_data_uri(qr["payload"]) if qr else None, "qr_caption": qr["caption"] if qr else "",
        "style": style, "logo_uri": style.logo_uri(),
        "cjk_wrap": language in ("zh",),
        "amount_zero": quantize(0, currency),
    }


def _party(snapshot, keys) -> dict:
    return {key: party_value(snapshot, key) for key in keys}


def qr_data_uri(payload: str) -> str:
    """A PNG QR code of ``payload`` as a data URI (inline, so the resource policy lets it in)."""
    import qrcode

    image = qrcode.make(payload, box_size=4, border=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")
