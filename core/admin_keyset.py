"""Keyset pagination for the one base list view (``SecureModelView`` mixes this in).

Why not Flask-Admin's page numbers: ``OFFSET n`` makes the database read and throw away
``n`` rows, so page 1,000 of a million orders costs a thousand pages, and a numbered
pager needs ``COUNT(*)`` over every row. A keyset page starts *after the last row
shown* instead::

    WHERE (created_at, id) < (:last_created_at, :last_id)
    ORDER BY created_at DESC, id DESC LIMIT 51

which an index on ``(business_id, created_at, id)`` answers by reading 51 entries at
any depth. The sort column(s) of the list are always followed by the primary key, so
the order is total and no row is shown twice or skipped between pages.

The cursor in the URL (``?cursor=``) is opaque: the sort key values of the row to
start from, signed with the app's secret key (itsdangerous) and bound to the view and
to the sort it was made for. A tampered, stale or foreign cursor shows the first page
with a message, never an error. The tenancy fence is untouched: every page is built
on ``get_query()``, which is the fenced query.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from flask import current_app, flash, g
from flask_admin import expose
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import and_, false, literal, or_, tuple_
from sqlalchemy.orm import joinedload, load_only

from .admin_rows import RowLinks
from .i18n import _

CURSOR_ARG = "cursor"
MAX_CURSOR_LENGTH = 2000       # a cursor holds a few key values; anything longer is not one of ours
_LAST = "last"                 # the cursor value meaning "the last page"


@dataclass
class SortKey:
    expr: Any          # the column expression (on its join alias when the column is a related one)
    desc: bool
    nullable: bool


@dataclass
class KeysetState:
    """What one list request knows about its page; ``pager`` reads it to draw the links."""
    view_args: Any = None
    raw: str | None = None         # the cursor as it came in the URL (kept in return_url if valid)
    has_prev: bool = False
    has_next: bool = False
    prev_token: str | None = None
    next_token: str | None = None
    urls: dict = field(default_factory=dict)


def _nullable(attr) -> bool:
    prop = getattr(attr, "property", None)
    columns = getattr(prop, "columns", None)
    if columns:
        return bool(getattr(columns[0], "nullable", True))
    return bool(getattr(getattr(attr, "expression", attr), "nullable", True))


# JSON carries str, int, float, bool and None; the other key types get a tag.
def _encode_value(value):
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, time):
        return {"t": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return {"s": str(value)}    # enums and the like compare by their string form


def _decode_value(value):
    if isinstance(value, dict) and len(value) == 1:
        (tag, raw), = value.items()
        if not isinstance(raw, str):
            raise ValueError("bad cursor value")
        if tag == "dt":
            return datetime.fromisoformat(raw)
        if tag == "d":
            return date.fromisoformat(raw)
        if tag == "t":
            return time.fromisoformat(raw)
        if tag == "n":
            return Decimal(raw)
        if tag == "s":
            return raw
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise ValueError("bad cursor value")


def _walk_desc(key: SortKey, before: bool) -> bool:
    """Is the walk over this key descending? Walking back to a previous page reverses every key."""
    return key.desc != before


def _later(key: SortKey, value, before: bool):
    """Rows strictly later than ``value`` on this key in the walk's order (NULL sorts as the greatest)."""
    if not _walk_desc(key, before):
        if value is None:
            return false()
        return or_(key.expr > value, key.expr.is_(None)) if key.nullable else key.expr > value
    if value is None:
        return key.expr.is_not(None)
    return key.expr < value


def keyset_condition(keys: list[SortKey], values: list, before: bool):
    """WHERE clause for the rows after (``before``: preceding) the row whose key values are ``values``.

    Keys all in one direction and never NULL (the usual case: a sort column and the id) get a
    row-value comparison plus a bound on the leading key, which both SQLite and PostgreSQL
    serve from the index as a range; other sorts get the equivalent OR-expansion.
    """
    bound = [literal(v, type_=k.expr.type) if v is not None else None for k, v in zip(keys, values)]
    if len({k.desc for k in keys}) == 1 and not any(k.nullable for k in keys) and None not in values:
        descending = _walk_desc(keys[0], before)
        row, at = tuple_(*[k.expr for k in keys]), tuple_(*bound)
        lead = keys[0].expr <= bound[0] if descending else keys[0].expr >= bound[0]
        return and_(lead, row < at if descending else row > at)
    condition = _later(keys[-1], bound[-1], before)
    for key, value in reversed(list(zip(keys[:-1], bound[:-1]))):
        same = key.expr.is_(None) if value is None else key.expr == value
        condition = or_(_later(key, value, before), and_(same, condition))
    return condition


def keyset_order(keys: list[SortKey], before: bool) -> list:
    out = []
    for key in keys:
        if _walk_desc(key, before):
            clause = key.expr.desc()
            out.append(clause.nulls_first() if key.nullable else clause)
        else:
            clause = key.expr.asc()
            out.append(clause.nulls_last() if key.nullable else clause)
    return out


class KeysetPaging:
    """List pages by cursor, with first / previous / next / last links and no COUNT(*).

    Only the list page (``index_view``) pages by keyset; the CSV export and ajax lookups
    keep Flask-Admin's own ``get_list`` (the export is bounded by ``export_max_rows``).
    """

    list_template = "tessera/list.html"
    # Load only the listed columns of each row (plus its key, the sort keys and the row's currency):
    # an order row has some forty columns, each converted by the driver and the ORM, of which a list
    # shows nine. Opt-in per view, because anything else a formatter or template reads from the row
    # would then cost one more query per row; a view turning it on keeps its list to what it names.
    list_load_only = False

    # ------------------------------------------------------------ the request
    @expose("/")
    def index_view(self):
        g.tessera_keyset = KeysetState()
        return super().index_view()

    def _get_list_extra_args(self):
        args = super()._get_list_extra_args()
        raw = args.extra_args.pop(CURSOR_ARG, None)
        args.page = 0                          # page numbers are not used (old ?page= links show page 1)
        state = g.get("tessera_keyset")
        if state is not None:
            state.view_args, state.raw = args, raw
        return args

    def _get_list_url(self, view_args):
        url = super()._get_list_url(view_args)
        state = g.get("tessera_keyset")
        # the page's own address (return_url of its rows and forms) keeps its cursor; clones
        # (sort, page size, clear search) start again from the first page
        if state is not None and view_args is state.view_args and state.raw:
            url += ("&" if "?" in url else "?") + urlencode({CURSOR_ARG: state.raw})
        return url

    def render(self, template, **kwargs):
        state = g.get("tessera_keyset")
        if state is not None and "pager_url" in kwargs:
            kwargs["keyset"] = state
        if "list_row_actions" in kwargs and "return_url" in kwargs:
            kwargs["row_links"] = RowLinks(self, kwargs["return_url"])   # the list's lean rows
        return super().render(template, **kwargs)

    # ------------------------------------------------------------ the cursor
    def _serializer(self):
        return URLSafeSerializer(current_app.secret_key, salt=f"tessera.list-cursor.{self.endpoint}")

    @staticmethod
    def _sort_signature(sort_column, sort_desc) -> list:
        return [sort_column or "", bool(sort_desc)]

    def encode_cursor(self, values: list | None, before: bool, sort_column=None, sort_desc=False) -> str:
        """The URL token for the page after (``before``: before) the row with key ``values``;
        ``values=None, before=True`` is the last page. Public so benchmarks and tests can jump."""
        payload = {"s": self._sort_signature(sort_column, sort_desc), "b": bool(before),
                   "v": _LAST if values is None else [_encode_value(v) for v in values]}
        return self._serializer().dumps(payload)

    def _decode_cursor(self, raw: str, keys: list[SortKey], sort_column, sort_desc):
        """(values or None for the last page, before) or None when the cursor is not valid here."""
        if len(raw) > MAX_CURSOR_LENGTH:
            return None
        try:
            payload = self._serializer().loads(raw)
            if not isinstance(payload, dict) or payload.get("s") != self._sort_signature(sort_column, sort_desc):
                return None
            before, values = payload.get("b"), payload.get("v")
            if not isinstance(before, bool):
                return None
            if values == _LAST:
                return (None, True) if before else None
            if not isinstance(values, list) or len(values) != len(keys):
                return None
            decoded = [_decode_value(v) for v in values]
        except (BadData, ValueError, TypeError, InvalidOperation):
            return None
        if any(v is None and not k.nullable for k, v in zip(keys, decoded)):
            return None
        return decoded, before

    # ------------------------------------------------------------ the query
    def keyset_keys(self, query, joins, sort_column, sort_desc):
        """The sort keys of the list (the chosen or default sort, then the primary key) on ``query``."""
        if sort_column is not None and sort_column in self._sortable_columns:
            fields = self._sortable_columns[sort_column]
            paths = self._sortable_joins.get(sort_column)
            if not isinstance(fields, list):
                fields, paths = [fields], [paths]
            wanted = [(f, p, bool(sort_desc)) for f, p in zip(fields, paths or [None] * len(fields))]
        else:
            wanted = list(self._get_default_order())
        keys = []
        for attr, path, desc in wanted:
            if attr is None:
                continue
            query, joins, alias = self._apply_path_joins(query, joins, path or [], inner_join=False)
            expr = attr if alias is None else getattr(alias, attr.key)
            keys.append(SortKey(expr, bool(desc), _nullable(attr)))
        names = self._primary_key if isinstance(self._primary_key, tuple) else (self._primary_key,)
        last_desc = keys[-1].desc if keys else True     # newest first when a list names no sort
        for name in names:
            pk = getattr(self.model, name)
            if not any(k.expr is pk for k in keys):
                keys.append(SortKey(pk, last_desc, False))
        return query, joins, keys

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        state = g.get("tessera_keyset")
        if state is None or not execute or not page_size:
            return super().get_list(page, sort_column, sort_desc, search, filters,
                                    execute=execute, page_size=page_size)
        joins, count_joins = {}, {}
        query = self.get_query()
        if self._search_supported and search:
            query, _count, joins, count_joins = self._apply_search(query, None, joins, count_joins, search)
        if filters and self._filters:
            query, _count, joins, count_joins = self._apply_filters(query, None, joins, count_joins, filters)
        for j in self._auto_joins:
            query = query.options(joinedload(j))
        if self.list_load_only:
            query = query.options(load_only(*self._listed_attributes()))
        query, joins, keys = self.keyset_keys(query, joins, sort_column, sort_desc)

        cursor = None
        if state.raw:
            cursor = self._decode_cursor(state.raw, keys, sort_column, sort_desc)
            if cursor is None:
                flash(_("That page link is damaged or out of date: showing the first page."), "warning")
                state.raw = None
        values, before = cursor if cursor else (None, False)
        if values is not None:
            query = query.filter(keyset_condition(keys, values, before))
        rows = (query.add_columns(*[k.expr for k in keys]).order_by(None)
                .order_by(*keyset_order(keys, before)).limit(page_size + 1).all())
        more = len(rows) > page_size
        rows = rows[:page_size]
        if before:
            rows.reverse()
        models, key_values = [r[0] for r in rows], [list(r[1:]) for r in rows]

        if cursor is None:
            state.has_prev, state.has_next = False, more
        elif not before:
            state.has_prev, state.has_next = True, more
        else:
            state.has_prev, state.has_next = more, values is not None
        if key_values:
            state.prev_token = self.encode_cursor(key_values[0], True, sort_column, sort_desc)
            state.next_token = self.encode_cursor(key_values[-1], False, sort_column, sort_desc)
        self._keyset_urls(state, sort_column, sort_desc)
        return None, models

    def _listed_attributes(self) -> list:
        """The row's column attributes a list page reads: the listed ones, the primary key, the
        sortable ones (keyset keys) and the first step of ``currency_attr`` (formatted amounts)."""
        cached = self.__dict__.get("_listed_attributes_cache")
        if cached is None:
            columns = self.model.__mapper__.column_attrs
            names = [c for c, _label in self._list_columns]
            names += list(self._primary_key if isinstance(self._primary_key, tuple) else (self._primary_key,))
            names += [name for name in self._sortable_columns if isinstance(name, str)]
            names.append(getattr(self, "currency_attr", "").split(".")[0])
            cached = self.__dict__["_listed_attributes_cache"] = [
                getattr(self.model, name) for name in dict.fromkeys(names) if name in columns]
        return cached

    def _keyset_urls(self, state, sort_column, sort_desc):
        def url(token):
            args = state.view_args.clone(page=None)
            if token:
                args.extra_args[CURSOR_ARG] = token
            return self._get_list_url(args)
        state.urls = {"first": url(None) if state.has_prev else None,
                      "prev": url(state.prev_token) if state.has_prev else None,
                      "next": url(state.next_token) if state.has_next else None,
                      "last": url(self.encode_cursor(None, True, sort_column, sort_desc))
                      if state.has_next else None}
