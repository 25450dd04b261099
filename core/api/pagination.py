"""Cursor pagination: ``?cursor=`` and ``?limit=``, answered with ``{"data": [...], "next": url | null}``.

A page is a keyset query: the rows after the last row of the previous page in
the order of the list's key columns (the primary key last), never OFFSET and
never COUNT(*), so page 1,000 costs what page 1 costs. The cursor is that last
row's key values, signed with the app's secret and the list's name, so a cursor
of another list, a forged or a damaged one is a 422 naming ``cursor``.
"""
from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import BaseModel, Field
from sqlalchemy import and_, or_

from ..i18n import _
from .problems import invalid
from .schemas import Query

T = TypeVar("T")
DEFAULT_LIMIT, MAX_LIMIT = 50, 200


class Page(BaseModel, Generic[T]):
    """One page of a list: the rows, and the link to the next page (null on the last)."""
    data: list[T]
    next: str | None = Field(None, description="The URL of the next page, or null on the last one.")


class PageQuery(Query):
    """The paging parameters every list takes."""
    cursor: str | None = Field(None, max_length=500, description="The cursor of the page to read (from `next`).")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page.")


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"tessera-api-cursor:{salt}")


def _dump(value):
    return {"t": value.isoformat()} if isinstance(value, datetime) else value


def _load(value):
    return datetime.fromisoformat(value["t"]) if isinstance(value, dict) and "t" in value else value


def after(columns, values):
    """The keyset predicate "(c1, c2, ...) > (v1, v2, ...)", written out so both databases use the index."""
    clauses = []
    for i, column in enumerate(columns):
        equal = [columns[j] == values[j] for j in range(i)]
        clauses.append(and_(*equal, column > values[i]))
    return or_(*clauses)


def keyset_page(session, statement, columns, query: PageQuery, name: str, key=None):
    """Run ``statement`` (already filtered) as one page ordered by ``columns``; returns (rows, next url).

    ``key(row)`` gives the row's values of ``columns`` (default: the attributes of the same names).
    """
    key = key or (lambda row: tuple(getattr(row, c.key) for c in columns))
    if query.cursor:
        try:
            values = [_load(v) for v in _serializer(name).loads(query.cursor)]
        except (BadSignature, ValueError, TypeError, KeyError):
            raise invalid(_("cursor: not a cursor of this list; start again without it"),
                          [{"field": "cursor", "message": _("not a cursor of this list; start again without it")}])
        if len(values) != len(columns):
            raise invalid(_("cursor: not a cursor of this list; start again without it"),
                          [{"field": "cursor", "message": _("not a cursor of this list; start again without it")}])
        statement = statement.where(after(columns, values))
    rows = list(session.scalars(statement.order_by(*columns).limit(query.limit + 1)))
    more = len(rows) > query.limit
    rows = rows[:query.limit]
    next_url = None
    if more and rows:
        cursor = _serializer(name).dumps([_dump(v) for v in key(rows[-1])])
        args = request.args.to_dict()
        args.update(cursor=cursor, limit=str(query.limit))
        from urllib.parse import urlencode
        next_url = f"{request.base_url}?{urlencode(args)}"
    return rows, next_url
