"""Vietnamese invoice templates (Mẫu số, ``KHMSHDon``) and symbols (Ký hiệu, ``KHHDon``): rules, no session.

Circular 78/2021/TT-BTC art. 4 (as amended by Circular 32/2025/TT-BTC): the
template number is one digit naming the kind of invoice; the symbol is six
characters: ``C`` (with the tax authority's code) or ``K`` (without), the last
two digits of the year the invoice is issued in, a letter for the kind of
e-invoice, and two capital letters the seller picks. ``1C26TAA`` is template 1,
symbol ``C26TAA``. Numbers run per template and symbol, up to eight digits.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import UserError
from core.i18n import _

TEMPLATES = {
    "1": "Hóa đơn giá trị gia tăng (VAT invoice)",
    "2": "Hóa đơn bán hàng (sales invoice)",
    "3": "Hóa đơn bán tài sản công (sale of public assets)",
    "4": "Hóa đơn bán hàng dự trữ quốc gia (sale of national reserve goods)",
    "5": "Tem, vé, thẻ, phiếu thu and other kinds of invoices",
    "6": "Phiếu xuất kho (delivery notes used as invoices)",
}
CODE_LETTERS = {"C": "with the tax authority's code (có mã của cơ quan thuế)",
                "K": "without the tax authority's code (không có mã)"}
TYPE_LETTERS = {
    "T": "e-invoice registered with the tax authority by an enterprise, organisation or household",
    "D": "e-invoice for the sale of public assets or national reserve goods, or a special invoice",
    "L": "e-invoice issued by the tax authority case by case",
    "M": "e-invoice generated from a cash register (máy tính tiền)",
    "N": "e-delivery note for internal transport (phiếu xuất kho kiêm vận chuyển nội bộ)",
    "B": "e-delivery note for goods sent to agents (phiếu xuất kho hàng gửi bán đại lý)",
    "G": "VAT invoice in the form of a stamp, ticket or card",
    "H": "sales invoice in the form of a stamp, ticket or card",
}
SYMBOL_RE = re.compile(r"^(?P<code>[CK])(?P<yy>\d{2})(?P<type>[TDLMNBGH])(?P<mark>[A-Z]{2})$")
FULL_RE = re.compile(r"^(?P<template>\d)(?P<symbol>[A-Z0-9]{6})$")
MAX_NUMBER = 99_999_999
# Which template a document type is issued under (corrections keep their original's).
TEMPLATE_OF_TYPE = {"vat_invoice": "1", "sales_invoice": "2", "receipt": "2"}


@dataclass(frozen=True)
class Symbol:
    template: str
    code: str       # C / K
    year: int       # 2026 for "26"
    type: str       # T D L M N B G H
    mark: str       # two capital letters

    @property
    def symbol(self) -> str:
        return f"{self.code}{self.year % 100:02d}{self.type}{self.mark}"

    @property
    def full(self) -> str:
        return self.template + self.symbol

    def for_year(self, year: int) -> "Symbol":
        return Symbol(self.template, self.code, year, self.type, self.mark)


def parse(text: str, template: str | None = None) -> Symbol:
    """``1C26TAA`` (template and symbol) or ``C26TAA`` with ``template``; UserError naming what is wrong."""
    raw = (text or "").strip().upper()
    problems = []
    if template is None:
        full = FULL_RE.match(raw)
        if not full:
            raise UserError(_("symbol %(symbol)s: expected the template digit and the 6-character symbol, "
                              "e.g. 1C26TAA (or C26TAA with a template)", symbol=repr(text)))
        template, raw = full["template"], full["symbol"]
    template = str(template).strip()
    if template not in TEMPLATES:
        problems.append(_("template (KHMSHDon) %(template)s: one of %(choices)s", template=repr(template),
                          choices=", ".join(TEMPLATES)))
    match = SYMBOL_RE.match(raw)
    if not match:
        problems.extend(_symbol_problems(raw))
    if problems:
        raise UserError(_("symbol %(symbol)s: %(problems)s", symbol=repr(text), problems="; ".join(problems)))
    return Symbol(template, match["code"], 2000 + int(match["yy"]), match["type"], match["mark"])


def _symbol_problems(raw: str) -> list[str]:
    if len(raw) != 6:
        return [_("KHHDon must be 6 characters (C/K, 2-digit year, type letter, 2 capital letters), got %(n)s",
                  n=len(raw))]
    out = []
    if raw[0] not in CODE_LETTERS:
        out.append(_("1st character %(char)s: C (with the tax authority's code) or K (without)", char=repr(raw[0])))
    if not raw[1:3].isdigit():
        out.append(_("characters 2-3 %(chars)s: the last two digits of the issue year", chars=repr(raw[1:3])))
    if raw[3] not in TYPE_LETTERS:
        out.append(_("4th character %(char)s: one of %(choices)s", char=repr(raw[3]), choices=", ".join(TYPE_LETTERS)))
    if not re.match(r"^[A-Z]{2}$", raw[4:6]):
        out.append(_("characters 5-6 %(chars)s: two capital letters chosen by the seller", chars=repr(raw[4:6])))
    return out


def check_year(symbol: Symbol, issue_year: int) -> None:
    if symbol.year != issue_year:
        yy = symbol.symbol[1:3]
        raise UserError(_("symbol %(symbol)s: its year part %(yy)s is not the issue year %(year)s (an invoice "
                          "issued in %(year)s uses %(other)s)", symbol=symbol.full, yy=yy,
                          year=issue_year, other=symbol.for_year(issue_year).full))


def check_number(symbol: Symbol, number: int) -> None:
    if not 1 <= number <= MAX_NUMBER:
        raise UserError(_("symbol %(symbol)s: number %(number)s is beyond 8 digits; register a new symbol",
                          symbol=symbol.full, number=number))


def explain(text: str) -> dict:
    """What a symbol says, part by part (``manage.py einvoice_vn check-symbol``)."""
    s = parse(text) if FULL_RE.match((text or "").strip().upper()) else parse(text, template="1")
    return {"symbol": s.full, "template": s.template, "template_meaning": TEMPLATES[s.template],
            "khmshdon": s.template, "khhdon": s.symbol,
            "code": s.code, "code_meaning": CODE_LETTERS[s.code], "year": s.year,
            "type": s.type, "type_meaning": TYPE_LETTERS[s.type], "mark": s.mark,
            "cash_register": s.type == "M", "with_authority_code": s.code == "C",
            "numbers": f"00000001 to {MAX_NUMBER:08d}, gapless per template and symbol"}


_PROVIDER_NUMBER = re.compile(r"^\s*(?P<template>[1-9])?\s*(?P<symbol>[CK]\d{2}[A-Z]{3})[\s/-]*(?P<number>\d{1,8})\s*$")
_PROVIDER_SERIES = re.compile(r"^\s*(?P<template>[1-9])?\s*(?P<symbol>[CK]\d{2}[A-Z]{3})\s*$")


def provider_reading(template: str, provider_number: str, provider_series: str | None = None):
    """(template, symbol, number) a provider gave an invoice, or None when its answer does not say them.

    Viettel answers ``invoiceNo`` as symbol and number together (``C26TAA12``, at times with the
    template in front); MISA answers ``InvSeries`` (``1C26TAA``) and ``InvNo`` (``00000012``). Where
    the provider names no template it is the one the invoice was sent under (``template``)."""
    if provider_series:
        series = _PROVIDER_SERIES.match(provider_series)
        if series is None or not (provider_number or "").strip().isdigit() or len(provider_number.strip()) > 8:
            return None
        return series["template"] or template, series["symbol"], int(provider_number)
    found = _PROVIDER_NUMBER.match(provider_number or "")
    if found is None:
        return None
    return found["template"] or template, found["symbol"], int(found["number"])


def number_mismatch(template: str, symbol: str, number: int, provider_number: str,
                    provider_series: str | None = None) -> str | None:
    """None when the provider's number is ours (template, symbol and number); else what the provider said."""
    reading = provider_reading(template, provider_number, provider_series)
    if reading == (template, symbol, number):
        return None
    if reading is None:
        return " ".join(p for p in (provider_series, provider_number) if p)[:300]
    return f"{reading[0]}{reading[1]} {reading[2]:08d}"
