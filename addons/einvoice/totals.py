"""Document totals: line nets, taxes and the per-rate breakdown, computed from the lines alone.

Pure calculation (no session, no models import) so the models, the services
and the renderers all read the same numbers: ``Document.taxes``, issuing, the
PDF and the UBL call the same ``tax_breakdown``. Any object with the
document's attribute names works (the ORM ``Document`` or a plain namespace).
"""
from __future__ import annotations

from decimal import Decimal

from core.money import quantize

HUNDRED = Decimal(100)
FOUR = Decimal("0.0001")


def recompute(doc) -> None:
    """Line nets rounded to the currency; tax per line ("line") or per rate on the base ("total")."""
    currency = doc.currency
    for line in doc.lines:
        exact = line.quantity * line.unit_price * (HUNDRED - line.discount_percent) / HUNDRED
        net = quantize(exact, currency)
        raw_tax = net * (line.tax_rate or Decimal(0))
        tax = quantize(raw_tax, currency) if doc.rounding == "line" else raw_tax.quantize(FOUR)
        # Assign only real changes: an untouched line stays clean (no UPDATE, no fence check).
        if line.net_amount != net:
            line.net_amount = net
        if line.tax_amount != tax:
            line.tax_amount = tax
    doc.subtotal = sum((line.net_amount for line in doc.lines), Decimal(0))
    doc.tax_total = sum((group["tax"] for group in tax_breakdown(doc)), Decimal(0))
    doc.total = doc.subtotal + doc.tax_total


def tax_breakdown(doc) -> list[dict]:
    """Per (category, rate): taxable base and tax, highest rate first."""
    groups: dict = {}
    for line in doc.lines:
        rate = line.tax_rate if line.tax_rate is not None else None
        key = (line.tax_category, rate)
        group = groups.setdefault(key, {"rate": rate, "category": line.tax_category, "base": Decimal(0),
                                        "tax": Decimal(0)})
        group["base"] += line.net_amount
        group["tax"] += line.tax_amount
    for group in groups.values():
        if doc.rounding == "total":
            group["tax"] = group["base"] * (group["rate"] or Decimal(0))
        group["base"] = quantize(group["base"], doc.currency)
        group["tax"] = quantize(group["tax"], doc.currency)
    return sorted(groups.values(), key=lambda g: (-(g["rate"] or Decimal(-1)), g["category"]))
