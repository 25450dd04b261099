"""How every admin view shows numbers, dates and codes (mixed into ``SecureModelView``).

Lists and detail pages format Decimal columns as amounts in the row's currency
(``currency_attr``, else the business's), as quantities or as rates (the naming
rule of ``core.formatting.column_kind``, exceptions in ``column_kinds``); dates
and times in the business's time zone; code columns (``code_columns``) through
their registered labels; and the view's one ``status_column`` as a coloured
badge. CSV exports keep plain decimals and raw codes, for machines. Forms show
plain decimals, leave a zero default empty, and read dates as the clerk types
them in their locale.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask import g, has_request_context
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.form import DatePickerWidget
from flask_admin.model import typefmt
from flask_admin.model.form import converts
from jinja2 import pass_context
from markupsafe import Markup
from wtforms import fields

from . import formatting
from .errors import UserError
from .web import formatting as web_formatting


class PlainDecimalField(fields.DecimalField):
    """A number input showing '742500' (never '7.425E+5' or '0.5000'); a zero default shows empty.

    An empty input means the field's default, so a clerk never deletes a '0' first.
    """

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None or (self.data == 0 and self.default == 0):
            return ""
        return formatting.plain_decimal(self.data)

    def process_formdata(self, valuelist):
        if valuelist and not valuelist[0].strip() and self.default is not None:
            self.data = Decimal(str(self.default))
            return
        try:
            super().process_formdata(valuelist)
        except (InvalidOperation, ValueError):
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value.")) from None


class LocaleDateField(fields.DateField):
    """A date input that reads ISO dates and the user's locale order (31/03/2026 in vi)."""

    def process_formdata(self, valuelist):
        text = " ".join(valuelist or ()).strip()
        if not text:
            self.data = None
            return
        try:
            self.data = formatting.parse_date(text, web_formatting.current_locale())
        except UserError as exc:
            self.data = None
            raise ValueError(str(exc)) from None


class FormattingConverter(AdminModelConverter):
    @converts("Numeric")
    def handle_decimal_types(self, column, field_args, **extra):
        field_args.setdefault("places", None)
        return PlainDecimalField(**field_args)

    @converts("Date")
    def convert_date(self, field_args, **extra):
        field_args.setdefault("widget", DatePickerWidget())
        return LocaleDateField(**field_args)


EXPORT_TYPE_FORMATTERS = {
    **typefmt.EXPORT_FORMATTERS,
    Decimal: lambda view, value, name: formatting.plain_decimal(value),
    datetime: lambda view, value, name: value.replace(microsecond=0).isoformat(),
}


class FormattedColumns:
    """Mixed into the secure base view: one formatting path for lists, details and exports
    (its form converter, core.admin.ExactDecimalConverter, extends FormattingConverter)."""

    column_kinds: dict = {}           # Decimal column -> "amount" | "quantity" | "rate"
    currency_attr: str = "currency"   # dotted path from the row to its currency code
    code_columns: dict = {}           # column -> code_label kind (payment_method, unit, ...)
    status_column: str | None = None  # the list's one status column, shown as a badge
    status_kind: str | None = None    # code_label kind of the status codes (default: the column name)
    status_colours: dict = {}         # status code -> badge colour (success, warning, danger, info, ...)
    column_type_formatters_export = EXPORT_TYPE_FORMATTERS

    @pass_context
    def get_list_value(self, context, model, name):
        return self._for_people(model, name, super().get_list_value(context, model, name))

    @pass_context
    def list_values(self, context, model, columns):
        """[(column, formatted value)] of one list row: ``get_list_value`` for each column in one
        call from tessera/list.html, instead of one template call per cell (nine per row)."""
        if type(self).get_list_value is not FormattedColumns.get_list_value:   # a view's own: honour it
            return [(c, self.get_list_value(context, model, c)) for c, _name in columns]
        reader = _reader()
        return [(c, self._for_people(model, c, self._list_cell(context, model, c), reader)) for c, _name in columns]

    def _list_cell(self, context, model, name):
        """Flask-Admin's ``_get_list_value`` (column formatter or attribute, choices, type formatter)
        with the type formatter looked up once per value class instead of by ``isinstance`` over
        every registered type for every cell; the same formatter is found (the first that matches)."""
        column_fmt = self.column_formatters.get(name)
        if column_fmt is not None:
            value = column_fmt(self, context, model, name)
        elif "." in name:
            value = self._get_field_value(model, name)
        else:
            value = getattr(model, name, None)
        choices_map = self._column_choices_map.get(name)
        if choices_map:
            return choices_map.get(value) or value
        type_fmt = self._type_formatter(value.__class__)
        if type_fmt is None:
            return value
        try:
            return type_fmt(self, value, name)
        except TypeError:   # a formatter of Flask-Admin's old two-argument form: its own path
            return super().get_list_value(context, model, name)

    def _type_formatter(self, cls):
        formatters = self.column_type_formatters
        cache = self.__dict__.get("_type_formatter_cache")
        if cache is None or cache[0] is not formatters:
            cache = self.__dict__["_type_formatter_cache"] = (formatters, {})
        found = cache[1]
        if cls not in found:
            found[cls] = next((fmt for typeobj, fmt in formatters.items() if issubclass(cls, typeobj)), None)
        return found[cls]

    @pass_context
    def get_detail_value(self, context, model, name):
        return self._for_people(model, name, super().get_detail_value(context, model, name))

    def _for_people(self, model, name, value, reader=None):
        if value is None or value.__class__ in _PASSED_THROUGH:
            return value
        reader = reader or _reader()
        if name == self.status_column and isinstance(value, str):
            return reader.badge(self.status_kind or name, value, self.status_colours.get(value))
        if name in self.code_columns and isinstance(value, str):
            return reader.label(self.code_columns[name], value)
        if isinstance(value, Decimal):
            kind = self.column_kinds.get(name) or formatting.column_kind(name)
            return formatting.decimal_for_people(value, kind, self._row_currency(model, reader), reader.locale)
        if isinstance(value, datetime):
            return formatting.datetime_(value, reader.timezone, reader.locale)
        if isinstance(value, date):
            return formatting.date_(value, reader.locale)
        return value

    def _row_currency(self, model, reader=None):
        value = model
        for part in self.currency_attr.split("."):
            value = getattr(value, part, None)
        return value or (reader or _reader()).currency


# Values shown as they are (and never a code, an amount or a date): skipped before any lookup.
_PASSED_THROUGH = (int, bool)


class _Reader:
    """Who reads the page (locale, the business's time zone and currency) and the code labels and
    status badges already rendered for them, resolved once per request.

    Why: a list formats nine cells on each of 50 rows; asking Flask-Babel for the locale, the
    request's business for its zone and the translation catalog for a label once per cell cost
    more than formatting the values themselves. The same labels and badges, the same escaping.
    """

    __slots__ = ("locale", "timezone", "currency", "_labels", "_badges")

    def __init__(self):
        self.locale = web_formatting.current_locale()
        self.timezone = web_formatting.business_timezone()
        self.currency = web_formatting.business_currency()
        self._labels, self._badges = {}, {}

    def label(self, kind, code) -> str:
        key = (kind, code)
        text = self._labels.get(key)
        if text is None:
            text = self._labels[key] = formatting.code_label(kind, code)
        return text

    def badge(self, kind, code, colour) -> Markup:
        key = (kind, code, colour)
        html = self._badges.get(key)
        if html is None:
            html = self._badges[key] = web_formatting.status_badge(self.label(kind, code), colour)
        return html


def _reader() -> _Reader:
    if not has_request_context():
        return _Reader()
    reader = g.get("_tessera_reader")
    if reader is None:
        reader = g._tessera_reader = _Reader()
    return reader
