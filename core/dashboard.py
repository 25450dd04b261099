"""The home page's tiles: each enabled addon says what a clerk should see first.

An addon declares ``[provides] dashboard = ".dashboard:tiles"``: a function
``tiles(ctx) -> list[Tile]`` taking a ``DashboardContext`` (the request's fenced
session, the business, its day in its own time zone, the formatter and
``list_url`` to build the link to the filtered list). Core calls it only for
the addons enabled for the current business and shows a tile only when the user
holds its ``permission`` (the read permission of the list it links to), so an
addon never checks either itself.

A tile's figure must be what its list shows: ``list_url`` names the list's own
Flask-Admin filters (by column and filter class, so a view may reorder or add
filters without breaking the link), and following it lists exactly the rows the
tile counted. The queries behind a tile run on every home-page view: aggregates
on indexed columns, never rows loaded into Python.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app, url_for

from .errors import UserError

log = logging.getLogger(__name__)
TONES = ("primary", "secondary", "success", "info", "warning", "danger")


@dataclass(frozen=True)
class ChartPoint:
    label: str          # the day, formatted for people
    value: Decimal      # its height (an amount)
    text: str           # the value formatted for people (the bar's tooltip)


@dataclass(frozen=True)
class Tile:
    """One figure of the home page.

    ``label`` and ``value`` are for people (translated, formatted); ``url`` is
    the list filtered to what ``value`` counts; ``permission`` the read
    permission of that list; ``tone`` a Bootstrap colour drawing the eye
    (``warning``, ``danger``) or None; ``chart`` bars drawn under the figure.
    """
    label: str
    value: str
    url: str | None
    permission: str
    tone: str | None = None
    hint: str = ""
    chart: tuple = field(default=())   # ChartPoint, oldest first
    key: str = ""                      # a stable id (tests, CSS): "sales_today"

    def __post_init__(self):
        if self.tone is not None and self.tone not in TONES:
            raise ValueError(f"tile {self.label!r}: tone {self.tone!r} is not one of {', '.join(TONES)}")


@dataclass
class DashboardContext:
    """What a ``tiles(ctx)`` function gets."""
    session: object            # the request's session, fenced to the business
    business: object
    addons: frozenset          # enabled for the business
    can: object                # can(permission) -> bool, the logged-in user's

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.business.timezone or "UTC")
        except (KeyError, ValueError):
            return ZoneInfo("UTC")

    @property
    def today(self) -> date:
        """The business's date now, in its own time zone."""
        return datetime.now(self.zone).date()

    def day_start(self, day: date) -> datetime:
        """Local midnight of ``day`` as the naive UTC time columns store (DST-correct)."""
        local = datetime.combine(day, time.min, tzinfo=self.zone)
        return local.astimezone(timezone.utc).replace(tzinfo=None)

    def day_range(self, first: date, last: date) -> tuple[datetime, datetime]:
        """[start, end] in stored UTC, both inclusive to the second, covering local days first..last:
        the bounds a Flask-Admin between-filter takes, so the tile and its list agree."""
        return self.day_start(first), self.day_start(last + timedelta(days=1)) - timedelta(seconds=1)

    def amount(self, value, currency=None) -> str:
        from .web.formatting import amount
        return amount(value, currency)

    def date_(self, value: date) -> str:
        from .web.formatting import date_
        return date_(value)

    def count(self, n: int) -> str:
        from .web.formatting import quantity
        return quantity(Decimal(n))

    def list_url(self, endpoint: str, *filters) -> str:
        return list_url(endpoint, *filters)


def list_url(endpoint: str, *filters) -> str:
    """The URL of the list view ``endpoint`` filtered by ``(column, FilterClass, value)`` triples.

    Each triple names one of that view's ``column_filters`` by its column (or
    ``None`` for a filter without one) and its class; the value is what the
    filter's input would hold. A filter the view does not have is a bug of the
    tile, reported as one.
    """
    view = _view(endpoint)
    args = {}
    for position, (column, cls, value) in enumerate(filters):
        for index, flt in enumerate(view._filters or ()):
            if type(flt) is cls and (column is None or getattr(flt.column, "key", None) == column.key):
                args[f"flt{position}_{view.get_filter_arg(index, flt)}"] = value
                break
        else:
            raise LookupError(f"{endpoint} has no {cls.__name__} filter on {getattr(column, 'key', column)}")
    return url_for(f"{endpoint}.index_view", **args)


def _view(endpoint: str):
    for admin in current_app.extensions.get("admin", []):
        for view in admin._views:
            if view.endpoint == endpoint:
                return view
    raise LookupError(f"no admin view {endpoint!r}")


def collect_tiles(runtime, ctx: DashboardContext) -> list[Tile]:
    """The tiles of every enabled addon, in load order, that the user may see.

    A tile function that refuses (a ``UserError``: a setting it needs is missing,
    say) is logged and left out, with the session rolled back, so one addon's
    figure cannot take the home page down; anything else is a bug and surfaces.
    """
    tiles = []
    for name in runtime.registry.names:
        if name not in ctx.addons:
            continue
        provider = runtime.registry.get(name, "dashboard")
        if provider is None:
            continue
        try:
            found = list(provider(ctx))
        except UserError as exc:
            log.warning("dashboard tiles of %s refused: %s", name, exc)
            ctx.session.rollback()
            continue
        tiles += [t for t in found if ctx.can(t.permission)]
    return tiles


def request_tiles() -> list[Tile]:
    """The tiles of the home page being served: the current business, user and session."""
    from .web import context
    business = context.current_business()
    if business is None:
        return []
    ctx = DashboardContext(session=context.db(), business=business, can=context.can,
                           addons=context.enabled_addons_here())
    return collect_tiles(context.current_runtime(), ctx)
