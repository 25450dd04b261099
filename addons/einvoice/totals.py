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

# Tax regimes an addon registers (``register_tax_regime``): a regime whose taxes are not one VAT
# rate per line (Mexico) answers ``fn(doc)`` with its line nets, line taxes and tax lines, else None.
_tax_regimes: list = []


def register_tax_regime(fn) -> None:
    """``fn(doc) -> {"lines": [(net, tax), ...], "tax_lines": [{"category", "rate", "base", "tax", "label", "vat"}]} | None``.

    ``vat`` False marks a tax line that is no VAT (an excise, a withholding): the UBL's
    VAT breakdown leaves it out.

    Why a hook: a document has one total. When a regime's fiscal XML computes taxes the
    per-line VAT cannot express (an excise on the base, a VAT on base + excise, amounts
    withheld), the document's subtotal, tax total and total must still equal the XML's, so
    the regime's own arithmetic sets them here, where every document's totals are made.
    """
    if fn not in _tax_regimes:
        _tax_regimes.append(fn)


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


def _regime_of(doc):
    for fn in _tax_regimes:
        answer = fn(doc)
        if answer is not None:
            return answer
    return None


def recompute(doc) -> None:
    """Line nets and taxes (see ``line_net_and_tax``), then totals from the per-rate breakdown.

    A registered tax regime (``register_tax_regime``) that claims the document gives the
    line amounts and the tax lines instead; its tax lines are kept on the document
    (``tax_lines``, frozen at issue) and the totals are their sum.
    """
    regime = _regime_of(doc)
    if regime is not None:
        for line, (net, tax) in zip(doc.lines, regime["lines"]):
            if line.net_amount != net:
                line.net_amount = net
            if line.tax_amount != tax:
                line.tax_amount = tax
        stored = [{"category": t["category"], "label": t.get("label", ""), "vat": bool(t.get("vat", True)),
                   "rate": None if t["rate"] is None else str(t["rate"]), "base": str(t["base"]),
                   "tax": str(t["tax"])} for t in regime["tax_lines"]]
        if doc.tax_lines != stored:
            doc.tax_lines = stored
        doc.subtotal = sum((line.net_amount for line in doc.lines), Decimal(0))
        doc.tax_total = sum((Decimal(t["tax"]) for t in stored), Decimal(0))
        doc.total = doc.subtotal + doc.tax_total
        return
    if getattr(doc, "tax_lines", None) is not None:
        doc.tax_lines = None
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
    """Per (category, rate): taxable base and tax, highest rate first; a regime's frozen tax lines as kept."""
    if getattr(doc, "tax_lines", None):
        return [{"category": t["category"], "label": t.get("label", ""), "vat": t.get("vat", True),
                 "rate": None if t["rate"] is None else Decimal(t["rate"]),
                 "base": quantize(Decimal(t["base"]), doc.currency), "tax": quantize(Decimal(t["tax"]), doc.currency)}
                for t in doc.tax_lines]
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
