"""The template and symbol of each document type, and the gapless 8-digit numbers under them.

A business registers with the tax authority which templates and symbols it uses;
here it names, per document type, the template and the symbol letters
(``add_symbol(session, doc_type="vat_invoice", symbol="1C26TAA")``). The year part
follows the issue year: an invoice issued in 2027 under the row of ``1C26TAA`` is
``1C27TAA``. A row used by an invoice is fixed (only ``active`` may change).
Numbers come from ``core.sequences`` (series ``einvoice_vn.<template><letters>``,
year of issue), taken inside the issuing transaction: a rolled-back issue gives its
number back.
"""
from __future__ import annotations

from sqlalchemy import select

from core import sequences
from core.errors import NotFound, UserError
from core.i18n import _

from .. import symbols as rules
from ..models import SYMBOL_DOC_TYPES, VnInvoice, VnSymbol

SEQUENCE_PREFIX = "einvoice_vn."


def add_symbol(session, *, doc_type: str, symbol: str) -> VnSymbol:
    if doc_type not in SYMBOL_DOC_TYPES:
        raise UserError(_("document type %(type)s: one of %(choices)s (adjustments and replacements use their "
                          "original's template and symbol)", type=repr(doc_type), choices=", ".join(SYMBOL_DOC_TYPES)))
    parsed = rules.parse(symbol)
    if doc_type == "vat_invoice" and parsed.template != "1":
        raise UserError(_("symbol %(symbol)s: VAT invoices use template 1", symbol=parsed.full))
    if doc_type == "sales_invoice" and parsed.template != "2":
        raise UserError(_("symbol %(symbol)s: sales invoices use template 2", symbol=parsed.full))
    if doc_type == "receipt" and parsed.type != "M":
        example = rules.Symbol(parsed.template, parsed.code, parsed.year, "M", parsed.mark).full
        raise UserError(_("symbol %(symbol)s: counter sales are invoices generated from a cash register, type "
                          "letter M (e.g. %(example)s)", symbol=parsed.full, example=example))
    existing = session.scalar(select(VnSymbol).where(VnSymbol.template == parsed.template,
                                                     VnSymbol.code == parsed.code,
                                                     VnSymbol.type_letter == parsed.type,
                                                     VnSymbol.mark == parsed.mark))
    if existing is not None:
        raise UserError(_("symbol %(symbol)s: already registered (for %(type)s)", symbol=parsed.full,
                          type=existing.doc_type))
    row = VnSymbol(doc_type=doc_type, template=parsed.template, code=parsed.code, type_letter=parsed.type,
                   mark=parsed.mark, active=True)
    session.add(row)
    session.flush()
    return row


def used(session, row: VnSymbol) -> bool:
    return session.scalar(select(VnInvoice.id).where(
        VnInvoice.template == row.template, VnInvoice.symbol.like(f"{row.code}__{row.type_letter}{row.mark}"))
        .limit(1)) is not None


def update_symbol(session, symbol_id: int, **fields) -> VnSymbol:
    """Only ``active`` may change once an invoice uses the symbol; before that the letters may be corrected."""
    row = session.scalar(select(VnSymbol).where(VnSymbol.id == symbol_id))
    if row is None:
        raise NotFound(_("no symbol #%(id)s", id=symbol_id))
    for key, value in fields.items():
        if key == "active":
            row.active = bool(value)
        elif key == "symbol":
            if used(session, row):
                raise UserError(_("symbol %(symbol)s: fixed once an invoice uses it; register a new symbol instead",
                                  symbol=str(row)))
            parsed = rules.parse(value)
            row.template, row.code, row.type_letter, row.mark = (parsed.template, parsed.code, parsed.type,
                                                                 parsed.mark)
        else:
            raise UserError(_("symbol: unknown field %(field)s (symbol, active)", field=repr(key)))
    session.flush()
    return row


def list_symbols(session) -> list[VnSymbol]:
    return list(session.scalars(select(VnSymbol).order_by(VnSymbol.doc_type, VnSymbol.id)))


def symbol_for(session, doc_type: str, year: int) -> rules.Symbol:
    row = session.scalar(select(VnSymbol).where(VnSymbol.doc_type == doc_type, VnSymbol.active.is_(True))
                         .order_by(VnSymbol.id).limit(1))
    if row is None:
        raise UserError(_("no active Vietnamese template and symbol for %(type)s documents; add one with "
                          "manage.py einvoice_vn symbol-add", type=doc_type),
                        cli_hint="manage.py einvoice_vn symbol-add --type TYPE --symbol 1C26TAA")
    return rules.Symbol(row.template, row.code, year, row.type_letter, row.mark)


def sequence_key(symbol: rules.Symbol) -> str:
    return f"{SEQUENCE_PREFIX}{symbol.template}{symbol.code}{symbol.type}{symbol.mark}"


def take_number(session, symbol: rules.Symbol) -> int:
    number = sequences.next_number(session, sequence_key(symbol), symbol.year)
    rules.check_number(symbol, number)
    return number
