"""Amounts and dates written for the customer who reads the reminder, in their language."""
from __future__ import annotations

from core import formatting

LOCALES = {"en": "en", "ko": "ko", "vi": "vi", "zh": "zh_Hans_CN", "ru": "ru", "es": "es"}


def locale_of(language: str) -> str:
    return LOCALES.get((language or "en")[:2], "en")


def money_in(value, currency: str, language: str) -> str:
    return formatting.amount(value, currency, locale_of(language))


def day_in(value, language: str) -> str:
    return formatting.date_(value, locale_of(language)) if value else ""
