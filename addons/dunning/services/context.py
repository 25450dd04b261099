"""What every dunning flow reads: the addon's settings, the business's currency, today and working days."""
from __future__ import annotations

import gc
from contextlib import contextmanager
from datetime import date, datetime
from zoneinfo import ZoneInfo

from core.errors import UserError
from core.i18n import _
from core.jobs import addon_settings, binding_for
from core.models import Business

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def runtime_of(session):
    return binding_for(session).runtime


def settings(session) -> dict:
    return addon_settings(session, "dunning")


def business_of(session) -> Business:
    return session.get(Business, session.info["business_id"])


def today(session) -> date:
    """Today in the business's time zone (a run at 00:30 in Hanoi is already tomorrow in UTC terms)."""
    business = business_of(session)
    return datetime.now(ZoneInfo(business.timezone or "UTC")).date()


def working_days(conf: dict) -> set[int]:
    days = set()
    for word in str(conf.get("working_days") or "").split(","):
        word = word.strip().lower()[:3]
        if not word:
            continue
        if word not in WEEKDAYS:
            raise UserError(_("working_days: %(day)s is not one of %(days)s", day=repr(word),
                              days=", ".join(WEEKDAYS)))
        days.add(WEEKDAYS.index(word))
    return days


def holidays(conf: dict) -> set[date]:
    out = set()
    for word in str(conf.get("holidays") or "").split(","):
        word = word.strip()
        if not word:
            continue
        try:
            out.add(date.fromisoformat(word))
        except ValueError:
            raise UserError(_("holidays: %(day)s is not a date (YYYY-MM-DD)", day=repr(word))) from None
    return out


def is_working_day(conf: dict, day: date) -> bool:
    return day.weekday() in working_days(conf) and day not in holidays(conf)


def parse_day(value, field: str) -> date:
    """A date typed on the command line or in a form (ISO, YYYY-MM-DD)."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise UserError(_("%(field)s: %(value)s is not a date (YYYY-MM-DD)", field=field,
                          value=repr(value))) from None


@contextmanager
def no_gc():
    """The cyclic garbage collector paused while a run or a report builds its many small objects (none of
    them cyclic): on a large heap its full passes cost more than the work itself. Restored after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
