"""The formatter of core.formatting bound to the request: the user's locale, the
current business's time zone and currency, and the Jinja filters templates use.

Templates write ``{{ order.total|amount(order.currency) }}``, ``{{ line.quantity|quantity }}``,
``{{ line.tax_rate|rate }}`` (0.10 -> 10 %), ``{{ line.discount_percent|percent }}``, ``{{ order.created_at|datetime }}``, ``{{ order.order_date|date }}``,
``{{ value|plain_decimal }}`` (form inputs) and ``{{ code_label('payment_method', p.method) }}``.
"""
from __future__ import annotations

from flask import has_request_context
from markupsafe import Markup, escape

from .. import formatting
from .context import current_business


def current_locale() -> str:
    from flask_babel import get_locale
    return str(get_locale() or "en") if has_request_context() else "en"


def _business_value(name: str, default):
    business = current_business() if has_request_context() else None
    return getattr(business, name, None) or default


def business_timezone() -> str:
    return _business_value("timezone", "UTC")


def business_currency() -> str | None:
    return _business_value("currency", None)


def amount(value, currency=None) -> str:
    """An amount in ``currency`` (the business's when not given) for the current reader."""
    return formatting.decimal_for_people(value, "amount", currency or business_currency(), current_locale())


def quantity(value) -> str:
    return formatting.quantity(value, current_locale())


def rate(value) -> str:
    return formatting.rate(value, current_locale())


def percent(value) -> str:
    return formatting.percent(value, current_locale())


def datetime_(value) -> str:
    return formatting.datetime_(value, business_timezone(), current_locale())


def date_(value) -> str:
    return formatting.date_(value, current_locale())


def status_badge(label: str, colour: str | None) -> Markup:
    """The one status badge of lists and pages: a coloured pill with a human label."""
    return Markup(f'<span class="badge badge-pill badge-{escape(colour or "secondary")} '
                  f'tessera-status">{escape(label)}</span>')


def install(app) -> None:
    """Register the filters and globals once, in create_app."""
    app.jinja_env.filters.update(amount=amount, quantity=quantity, rate=rate, percent=percent, datetime=datetime_, date=date_,
                                 plain_decimal=formatting.plain_decimal)
    from .chart import bar_chart
    app.jinja_env.globals.update(code_label=formatting.code_label, status_badge=status_badge, bar_chart=bar_chart)
