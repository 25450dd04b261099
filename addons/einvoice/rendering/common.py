"""What the PDF and the UBL renderers read off a document, read the same way.

Both renderers accept any object with the attribute names of the e-invoice
contract (the ORM ``Document``, or a plain namespace in tests and previews).
Snapshots are dicts frozen at issue time; older snapshots may say ``street``
where newer ones say ``address``, so reading goes through ``party_value``.
"""
from __future__ import annotations

from decimal import Decimal

CREDIT_TYPES = frozenset({"credit_note"})
DOCUMENT_TYPES = ("vat_invoice", "sales_invoice", "credit_note", "adjustment_invoice",
                  "replacement_invoice", "receipt")
_ALIASES = {"address": ("address", "street"), "name": ("name", "legal_name"),
            "legal_name": ("legal_name", "name")}


def party_value(snapshot, key: str, default: str = "") -> str:
    """A field of a seller/buyer snapshot (dict or object) as text; '' when absent."""
    if snapshot is None:
        return default
    for name in _ALIASES.get(key, (key,)):
        value = snapshot.get(name) if isinstance(snapshot, dict) else getattr(snapshot, name, None)
        if value not in (None, ""):
            return str(value)
    return default


def lines_of(document) -> list:
    """The document's lines in print order."""
    return sorted(list(document.lines or []), key=lambda line: (getattr(line, "position", 0) or 0))


def category_of(line) -> str:
    """UNCL 5305 tax category of a line: given, or S/E inferred from the rate."""
    category = (getattr(line, "tax_category", None) or "").strip().upper()
    if category:
        return category
    return "E" if line.tax_rate is None else ("Z" if Decimal(line.tax_rate) == 0 else "S")


def corrected_document(document):
    """The document a correction refers to (``corrects`` relationship), or None."""
    return getattr(document, "corrects", None)

