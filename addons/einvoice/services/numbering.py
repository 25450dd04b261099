"""Series and fiscal numbers: gapless per business, series and year, taken at issue time.

A series belongs to one document type ("INV" for invoices, "CN" for credit
notes, a Vietnamese template symbol such as "1C26TAA"). The number comes from
core.sequences inside the issuing transaction, as late as possible, so a
rolled-back issue gives its number back; the unique constraint on
(business, series, year, number) is the backstop. ``gap_report`` proves it.
"""
from __future__ import annotations

import re
from string import Formatter

from sqlalchemy import bindparam, func, select

from core import sequences
from core.errors import NotFound, UserError
from core.i18n import _
from core.models import SequenceCounter

from ..models import DOC_TYPES, Document, Series

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,19}$")
FORMAT_FIELDS = {"series", "year", "yy", "number"}
DEFAULT_FORMAT = "{series}-{year}-{number:06d}"
SEQUENCE_PREFIX = "einvoice."


def sequence_key(code: str) -> str:
    """The core.sequences series of an e-invoice series (namespaced: other addons number too)."""
    return SEQUENCE_PREFIX + code


def format_number(number_format: str, code: str, year: int, number: int) -> str:
    return number_format.format(series=code, year=year, yy=f"{year % 100:02d}", number=number)


def _check_format(number_format: str) -> str:
    number_format = (number_format or "").strip()
    try:
        fields = {name for _text, name, _spec, _conv in Formatter().parse(number_format) if name is not None}
        format_number(number_format, "S", 2026, 1)
    except (ValueError, KeyError, IndexError) as exc:
        raise UserError(_("number format %(format)s is not valid (%(error)s); example: %(example)s",
                          format=repr(number_format), error=exc, example=DEFAULT_FORMAT)) from None
    unknown = fields - FORMAT_FIELDS
    if unknown or "number" not in fields:
        raise UserError(_("number format %(format)s must contain {number} and may use only %(fields)s",
                          format=repr(number_format), fields=", ".join("{" + f + "}" for f in sorted(FORMAT_FIELDS))))
    if len(format_number(number_format, "X" * 20, 9999, 99_999_999)) > 64:
        raise UserError(_("number format %(format)s makes numbers longer than 64 characters",
                          format=repr(number_format)))
    return number_format


def create_series(session, *, doc_type: str, code: str, name: str = "", number_format: str = DEFAULT_FORMAT,
                  active: bool = True) -> Series:
    """Add a series; its counters for this year are created ahead of time by the first issue."""
    problems = []
    if doc_type not in DOC_TYPES:
        problems.append(_("document type %(type)s: choose one of %(choices)s", type=repr(doc_type),
                          choices=", ".join(DOC_TYPES)))
    code = (code or "").strip()
    if not CODE_RE.match(code):
        problems.append(_("series code %(code)s: 1-20 letters, digits, '-' or '_', starting with a letter or digit",
                          code=repr(code)))
    elif session.scalar(select(Series.id).where(Series.code == code)):
        problems.append(_("series code %(code)s already exists", code=repr(code)))
    try:
        number_format = _check_format(number_format)
    except UserError as exc:
        problems.append(str(exc))
    if problems:
        raise UserError("; ".join(problems))
    series = Series(doc_type=doc_type, code=code, name=name or code, number_format=number_format,
                    active=bool(active))
    session.add(series)
    session.flush()
    return series


def update_series(session, series_id: int, **fields) -> Series:
    """Change name, format or active flag; the code and type are fixed once documents use the series."""
    series = session.scalar(select(Series).where(Series.id == series_id))
    if series is None:
        raise NotFound(_("no series #%(id)s", id=series_id))
    used = session.scalar(select(Document.id).where(Document.series == series.code).limit(1)) is not None
    for key, value in fields.items():
        if key in ("code", "doc_type"):
            if used and value != getattr(series, key):
                raise UserError(_("series %(code)s: %(field)s cannot change once documents use it", code=series.code,
                                  field=_("the code") if key == "code" else _("the document type")))
            if key == "doc_type" and value not in DOC_TYPES:
                raise UserError(_("document type %(type)s: choose one of %(choices)s", type=repr(value),
                                  choices=", ".join(DOC_TYPES)))
            if key == "code" and not CODE_RE.match(value or ""):
                raise UserError(_("series code %(code)s is not valid", code=repr(value)))
        elif key == "number_format":
            value = _check_format(value)
            if used and value != series.number_format:
                raise UserError(_("series %(code)s: the number format cannot change once documents use it",
                                  code=series.code))
        elif key not in ("name", "active"):
            raise UserError(_("series: unknown field %(field)s", field=repr(key)))
        setattr(series, key, value)
    session.flush()
    return series


def series_for(session, doc_type: str, code: str | None = None):
    """The series to number a document of ``doc_type``: the one named, else the oldest active one.

    A row (``code``, ``number_format``, ``doc_type``, ``name``, ``id``), read with a statement
    built once and the business bound explicitly (every issue asks)."""
    params = {"series_business": session.info["business_id"], "series_type": doc_type}
    if code:
        series = session.connection().execute(_NAMED_SERIES, dict(params, series_code=code)).first()
        if series is None:
            raise UserError(_("series %(code)s is not an active series for %(type)s documents", code=repr(code),
                              type=doc_type))
        return series
    series = session.connection().execute(_FIRST_SERIES, params).first()
    if series is None:
        raise UserError(_("no active series for %(type)s documents; add one under Settings › Invoice numbering "
                          "series", type=doc_type), cli_hint="or run 'manage.py einvoice series-add'")
    return series


_series = Series.__table__
_ACTIVE_SERIES = (select(_series.c.id, _series.c.doc_type, _series.c.code, _series.c.name, _series.c.number_format)
                  .where(_series.c.business_id == bindparam("series_business"),
                         _series.c.doc_type == bindparam("series_type"), _series.c.active.is_(True)))
_NAMED_SERIES = _ACTIVE_SERIES.where(_series.c.code == bindparam("series_code"))
_FIRST_SERIES = _ACTIVE_SERIES.order_by(_series.c.id).limit(1)


def ensure_default_series(session) -> list[Series]:
    """Give every document type a series when the business has none (idempotent; used on enable)."""
    defaults = {"vat_invoice": "VAT", "sales_invoice": "INV", "credit_note": "CN", "adjustment_invoice": "ADJ",
                "replacement_invoice": "REP", "receipt": "RCT"}
    have = set(session.scalars(select(Series.doc_type)))
    made = []
    for doc_type, code in defaults.items():
        if doc_type not in have and not session.scalar(select(Series.id).where(Series.code == code)):
            made.append(create_series(session, doc_type=doc_type, code=code))
    return made


def take_number(session, series, year: int) -> tuple[int, str]:
    """The next gapless number of ``series`` in ``year`` and its display form (issuing transaction only)."""
    number = sequences.next_number(session, sequence_key(series.code), year)
    return number, format_number(series.number_format, series.code, year, number)


# ---------------------------------------------------------------- gap report

def gap_report(session, code: str | None = None) -> list[dict]:
    """Per series and year: how many numbers were issued, the first and last, gaps and the counter.

    A gap is a number below the counter with no document. With numbers taken
    inside the issuing transaction and documents never deleted there should be
    none; this report is the proof an auditor asks for.
    """
    numbered = select(Document.series, Document.year, Document.number).where(Document.number.is_not(None))
    if code:
        numbered = numbered.where(Document.series == code)
    sub = numbered.add_columns(
        func.lag(Document.number).over(partition_by=(Document.series, Document.year),
                                       order_by=Document.number).label("prev")).subquery()
    breaks = session.execute(
        select(sub.c.series, sub.c.year, sub.c.number, sub.c.prev)
        .where(((sub.c.prev.is_(None)) & (sub.c.number > 1)) | (sub.c.number - sub.c.prev != 1))
        .order_by(sub.c.series, sub.c.year, sub.c.number)).all()
    summary_query = (select(Document.series, Document.year, func.count(), func.min(Document.number),
                            func.max(Document.number))
                     .where(Document.number.is_not(None)).group_by(Document.series, Document.year))
    if code:
        summary_query = summary_query.where(Document.series == code)
    counters = {(row.series[len(SEQUENCE_PREFIX):], row.year): row.next_value - 1
                for row in session.scalars(select(SequenceCounter)
                                           .where(SequenceCounter.series.startswith(SEQUENCE_PREFIX)))}
    types = dict(session.execute(select(Series.code, Series.doc_type)).all())
    report = {}
    for series, year, count, first, last in session.execute(summary_query).all():
        report[(series, year)] = {"series": series, "doc_type": types.get(series), "year": year,
                                  "issued": count, "first": first, "last": last,
                                  "counter": counters.get((series, year), 0), "gaps": [], "duplicates": []}
    for series, year, number, prev in breaks:
        entry = report[(series, year)]
        start = 1 if prev is None else prev + 1
        if prev is not None and number == prev:
            entry["duplicates"].append(number)
        elif number > start:
            entry["gaps"].append([start, number - 1])
    for (series, year), taken in counters.items():
        if code and series != code:
            continue
        entry = report.setdefault((series, year), {"series": series, "doc_type": types.get(series), "year": year,
                                                   "issued": 0, "first": None, "last": None, "counter": taken,
                                                   "gaps": [], "duplicates": []})
        last = entry["last"] or 0
        if taken > last:  # numbers the counter gave out that no document carries
            entry["gaps"].append([last + 1, taken])
    for entry in report.values():
        entry["missing"] = sum(b - a + 1 for a, b in entry["gaps"])
        entry["ok"] = not entry["gaps"] and not entry["duplicates"]
    return [report[key] for key in sorted(report)]
