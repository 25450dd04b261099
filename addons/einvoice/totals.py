"""Document totals: line nets, taxes and the per-rate breakdown, computed from the lines alone.

Pure calculation (no session, no models import) so the models, the services
and the renderers all read the same numbers: ``Document.taxes``, issuing, the
PDF and the UBL call the same ``tax_breakdown``. Any object with the
document's attribute names works (the ORM ``Document`` or a plain namespace).
"""
from __future__ import annotations

from decimal import Decimal

from addons.sales.totals import line_amounts
from core.money import quantize

HUNDRED = Decimal(100)
FOUR = Decimal("0.0001")


def line_net_and_tax(doc, line) -> tuple[Decimal, Decimal]:
    """A line's net and tax under the document's frozen rounding and tax-inclusive flag.

    "line" rounding is the order's own arithmetic (``sales.totals.line_amounts``),
    so a document made from an order equals what the customer was charged;
    "total" keeps the line tax unrounded for the per-rate sum of ``tax_breakdown``.
    """
    if doc.rounding == "line":
        amounts = line_amounts(line.quantity, line.unit_price, line.discount_percent, line.tax_rate, doc.currency,
                               prices_include_tax=bool(getattr(doc, "prices_include_tax", False)))
        return amounts.net, amounts.tax
    exact = line.quantity * line.unit_price * (HUNDRED - line.discount_percent) / HUNDRED
    net = quantize(exact, doc.currency)
    return net, (net * (line.tax_rate or Decimal(0))).quantize(FOUR)


def net_unit_price(doc, line) -> Decimal:
    """The unit price without tax: what EN 16931 calls the item net price (BT-146)."""
    price = Decimal(line.unit_price)
    if getattr(doc, "prices_include_tax", False) and line.tax_rate:
        return (price / (1 + Decimal(line.tax_rate))).quantize(FOUR)
    return price


def recompute(doc) -> None:
    """Line nets and taxes (see ``line_net_and_tax``), then totals from the per-rate breakdown."""
    for line in doc.lines:
        net, tax = line_net_and_tax(doc, line)
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
