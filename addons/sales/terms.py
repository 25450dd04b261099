"""Payment terms: when an order is due and what paying early is worth.

A term is one of: due on receipt (``days`` = 0), net N days, optionally with an
early-payment discount ("2/10 net 30": 2 % off when paid within 10 days). The
discount is taken only when the payment that settles the order falls inside the
window; it is a reduction of what is owed, recorded on the order, not a refund.

Documents print a term in words, in the document's language (``describe``, ``words``), never
as the trade notation (``notation`` / ``parse``) that only a bookkeeper reads.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from babel.numbers import format_decimal

from core.money import quantize

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Term:
    """A payment term as data: net ``days`` (0 = due on receipt), ``discount_percent`` within ``discount_days``."""
    days: int
    discount_percent: Decimal = Decimal(0)
    discount_days: int = 0


def due_date(days: int, start: date) -> date:
    """Due date of an order confirmed (invoiced) on ``start``."""
    return start + timedelta(days=days)


def early_discount(total: Decimal, discount_percent: Decimal, discount_days: int, start: date,
                   paid_on: date, currency: str) -> Decimal:
    """The early-payment discount on ``total`` if paid on ``paid_on``, else zero."""
    if not discount_percent or discount_days is None or paid_on > start + timedelta(days=discount_days):
        return Decimal(0)
    return quantize(total * discount_percent / HUNDRED, currency)


def notation(term: Term) -> str:
    """The trade notation of ``term``: '2/10 net 30', 'net 30', 'due on receipt' (what ``parse`` reads)."""
    if term.days == 0 and not term.discount_percent:
        return "due on receipt"
    net = f"net {term.days}"
    if term.discount_percent:
        return f"{format(Decimal(term.discount_percent).normalize(), 'f')}/{term.discount_days} {net}"
    return net


_IMMEDIATE = re.compile(r"(immediate|due on receipt|net\s*0|n/0)", re.IGNORECASE)
_NOTATION = re.compile(
    r"(?:(?P<percent>\d{1,2}(?:\.\d+)?)\s*%?\s*[/_ ]\s*(?P<discount_days>\d{1,3})\s*(?:days?)?\s*[,;_ ]\s*)?"
    r"(?:net|n)\s*[/_ ]?\s*(?P<days>\d{1,3})(?:\s*days?)?", re.IGNORECASE)


def parse(text: str | None) -> Term | None:
    """The term a notation spells ('2/10 net 30', '2_10_NET30', 'NET30', 'Net 30 days', 'n/30',
    'due on receipt'), or None for anything else, which is then free text to print as typed."""
    text = (text or "").strip()
    if _IMMEDIATE.fullmatch(text):
        return Term(0)
    match = _NOTATION.fullmatch(text)
    if not match:
        return None
    days = int(match["days"])
    if not match["percent"]:
        return Term(days)
    percent, discount_days = Decimal(match["percent"]), int(match["discount_days"])
    if not 0 < percent < HUNDRED or not 0 < discount_days <= days:
        return None
    return Term(days, percent, discount_days)


# How each document language words a term: the discount part and the net part are
# joined by ``join``; ``upper`` capitalises the first letter of the sentence.
TERM_TEXTS = {
    "en": {"receipt": "due on receipt", "net": "due in {days} days",
           "discount": "{percent} % discount if paid within {days} days", "join": ", ", "upper": True},
    "ko": {"receipt": "수령 즉시 지급", "net": "{days}일 이내 지급",
           "discount": "{days}일 이내 결제 시 {percent}% 할인", "join": ", ", "upper": False},
    "vi": {"receipt": "thanh toán ngay khi nhận hóa đơn", "net": "hạn thanh toán {days} ngày",
           "discount": "chiết khấu {percent}% nếu thanh toán trong {days} ngày", "join": ", ", "upper": True},
    "zh": {"receipt": "见票即付", "net": "{days}天内付款", "discount": "{days}天内付款享受{percent}%折扣",
           "join": "，", "upper": False},
    "ru": {"receipt": "оплата по получении", "net": "оплата в течение {days} дн.",
           "discount": "скидка {percent} % при оплате в течение {days} дн.", "join": ", ", "upper": True},
    "es": {"receipt": "pago al recibir la factura", "net": "vence en {days} días",
           "discount": "{percent} % de descuento si se paga dentro de {days} días", "join": ", ", "upper": True},
}


def _language(language: str | None) -> str:
    """'ko', 'vi_VN', 'es-MX' -> a key of TERM_TEXTS (English for a language it does not have)."""
    lang = str(language or "en").split("_")[0].split("-")[0].lower()
    return lang if lang in TERM_TEXTS else "en"


def describe_discount(discount_percent, discount_days: int, language: str = "en") -> str:
    """'2 % discount if paid within 10 days' in ``language`` (the percent written the language's way)."""
    lang = _language(language)
    percent = format_decimal(Decimal(discount_percent).normalize(), "#,##0.####", locale=lang)
    return TERM_TEXTS[lang]["discount"].format(percent=percent, days=discount_days)


def describe(term: Term, language: str = "en") -> str:
    """The term as a sentence in ``language``: '2 % discount if paid within 10 days, due in 30 days'."""
    texts = TERM_TEXTS[_language(language)]
    net = texts["receipt"] if term.days == 0 else texts["net"].format(days=term.days)
    parts = [describe_discount(term.discount_percent, term.discount_days, language)] if term.discount_percent else []
    sentence = texts["join"].join(parts + [net])
    return sentence[:1].upper() + sentence[1:] if texts["upper"] else sentence


def words(text: str | None, discount_percent=None, discount_days: int | None = None, language: str = "en") -> str:
    """Payment terms as a document prints them, in ``language``.

    A trade notation ('2/10 net 30', 'NET30') becomes words; free text stays as
    typed. An early-payment discount given apart (a document's own fields) wins
    over the notation's, and follows free text in words.
    """
    typed = (text or "").strip()
    discount = (Decimal(discount_percent), int(discount_days)) if discount_percent and discount_days else None
    term = parse(typed)
    if term is not None:
        return describe(Term(term.days, *discount) if discount else term, language)
    parts = [typed] + ([describe_discount(*discount, language)] if discount else [])
    return TERM_TEXTS[_language(language)]["join"].join(part for part in parts if part)
