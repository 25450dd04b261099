"""Order arithmetic: line and order totals in Decimal, rounded per the currency.

Rounding happens per line (net and tax each rounded to the currency's minor
units), then lines are summed: that is what a printed invoice shows, so the
document always adds up. Prices are either tax-exclusive (tax added on top) or
tax-inclusive (the tax is the part of the gross that the rate accounts for),
as marketplaces in Korea and Vietnam quote consumer prices with VAT included.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.errors import UserError
from core.i18n import _
from core.money import fit_column, parse_decimal, quantize

HUNDRED = Decimal(100)
ZERO = Decimal(0)
# How orders round (see the module doc); documents made from an order freeze it to add up the same.
ROUNDING = "line"


@dataclass(frozen=True)
class LineAmounts:
    gross: Decimal      # qty x unit price, before discount, rounded
    discount: Decimal   # the discount taken off, rounded
    net: Decimal        # amount excluding tax
    tax: Decimal
    total: Decimal      # net + tax


def clean_amount(value, label: str, *, allow_zero: bool = True, allow_negative: bool = False,
                 column=None) -> Decimal:
    """A Decimal from user input, or a UserError that names the field.

    With ``column`` (``OrderLine.qty``) the value must also fit it: no more
    decimals than the column stores, so what is saved is what was computed with.
    """
    amount = parse_decimal(value, field=label)
    if not allow_negative and amount < 0:
        raise UserError(_("%(field)s: must not be negative, got %(value)s", field=label, value=amount))
    if not allow_zero and amount == 0:
        raise UserError(_("%(field)s: must be more than zero", field=label))
    return amount if column is None else fit_column(amount, column, label)


def line_amounts(qty: Decimal, unit_price: Decimal, discount_percent: Decimal, tax_rate: Decimal | None,
                 currency: str, *, prices_include_tax: bool = False) -> LineAmounts:
    """Amounts of one order line. ``tax_rate`` is a fraction (0.10 for 10 %); None means exempt."""
    rate = tax_rate or ZERO
    gross = quantize(qty * unit_price, currency)
    after_discount = quantize(qty * unit_price * (HUNDRED - discount_percent) / HUNDRED, currency)
    discount = gross - after_discount
    if prices_include_tax:
        net = quantize(after_discount / (1 + rate), currency)
        tax = after_discount - net
    else:
        net = after_discount
        tax = quantize(net * rate, currency)
    return LineAmounts(gross=gross, discount=discount, net=net, tax=tax, total=net + tax)


@dataclass(frozen=True)
class OrderAmounts:
    subtotal: Decimal        # sum of line nets
    discount_total: Decimal
    tax_total: Decimal
    shipping: Decimal        # what the customer is charged for shipping
    total: Decimal           # what the customer owes


def order_amounts(lines: list[LineAmounts], shipping_fee: Decimal, shipping_paid_by: str,
                  currency: str) -> OrderAmounts:
    """Sum the rounded lines; shipping is added only when the customer pays it."""
    subtotal = sum((line.net for line in lines), ZERO)
    discount = sum((line.discount for line in lines), ZERO)
    tax = sum((line.tax for line in lines), ZERO)
    shipping = quantize(shipping_fee, currency) if shipping_paid_by == "customer" else ZERO
    return OrderAmounts(subtotal=subtotal, discount_total=discount, tax_total=tax, shipping=shipping,
                        total=subtotal + tax + shipping)


def fmt(amount, currency: str) -> str:
    """An amount for a message: '50000 VND', '12.30 USD' (stored values carry 4 decimals)."""
    return f"{quantize(amount, currency)} {currency}"


def fmt_qty(qty) -> str:
    """A quantity without trailing zeros: '3', '2.5' (stored values carry 4 decimals)."""
    return format(Decimal(qty).normalize(), "f")
