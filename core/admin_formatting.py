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

from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.form import DatePickerWidget
from flask_admin.model import typefmt
from flask_admin.model.form import converts
from jinja2 import pass_context
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
    def get_detail_value(self, context, model, name):
        return self._for_people(model, name, super().get_detail_value(context, model, name))

    def _for_people(self, model, name, value):
        if name == self.status_column and isinstance(value, str):
            label = formatting.code_label(self.status_kind or name, value)
            return web_formatting.status_badge(label, self.status_colours.get(value))
        if name in self.code_columns and isinstance(value, str):
            return formatting.code_label(self.code_columns[name], value)
        if isinstance(value, Decimal):
            kind = self.column_kinds.get(name) or formatting.column_kind(name)
            return formatting.decimal_for_people(value, kind, self._row_currency(model),
                                                 web_formatting.current_locale())
        if isinstance(value, datetime):
            return web_formatting.datetime_(value)
        if isinstance(value, date):
            return web_formatting.date_(value)
        return value

    def _row_currency(self, model):
        value = model
        for part in self.currency_attr.split("."):
            value = getattr(value, part, None)
        return value or web_formatting.business_currency()
