"""A document's amounts, numbers, rates and dates written the way its reader writes them.

The locale is the document language with the buyer's country (es_MX, es_ES).
Printed figures must let an accountant redo the arithmetic on paper, so only
amounts round to the currency's minor units: a unit price, a quantity or a tax
rate prints with every decimal it has (0.125 €, 8.875 %), never a rounded copy.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from core.money import format_money

from .common import party_value
from .labels import labels_for


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


def _decimals(value: Decimal) -> int:
    """How many decimals ``value`` really has (0.1250 -> 3, 1E+3 -> 0)."""
    return max(0, -value.normalize().as_tuple().exponent)


@dataclass(frozen=True)
class DocumentFormat:
    """Formatting of one document: its language, locale, currency and captions."""
    language: str
    locale: Locale
    currency: str
    labels: dict

    @classmethod
    def of(cls, document) -> "DocumentFormat":
        labels = labels_for(document.language)  # refuses a language without captions
        language = str(document.language).split("_")[0].split("-")[0].lower()
        country = party_value(document.buyer or {}, "country").upper() or None
        return cls(language, babel_locale(language, country), document.currency, labels)

    def money(self, amount, *, exact: bool = False) -> str:
        """An amount in the document currency; ``exact`` keeps a unit price's extra decimals."""
        return "" if amount is None else format_money(amount, self.currency, str(self.locale), exact=exact)

    def day(self, value) -> str:
        return format_date(value, "medium", locale=self.locale) if isinstance(value, date) else ""

    def number(self, value) -> str:
        """A quantity or an exchange rate, with every decimal it has."""
        value = Decimal(value)
        digits = _decimals(value)
        return format_decimal(value, "#,##0" + ("." + "0" * digits if digits else ""), locale=self.locale)

    def percent(self, fraction) -> str:
        """A fraction as a percent with every decimal it has: 0.08875 -> '8.875%'."""
        fraction = Decimal(fraction)
        digits = _decimals(fraction * 100)
        return format_percent(fraction, "#,##0" + ("." + "0" * digits if digits else "") + "%", locale=self.locale)

    def rate(self, value, category: str = "S") -> str:
        """A line's or a breakdown row's tax rate, or the words for exempt and reverse-charge supplies."""
        if value is None or category == "E":
            return self.labels["exempt"]
        if category == "AE":
            return self.labels["reverse_charge"]
        return self.percent(value)
