"""Operations: what an addon's ``register(api)`` declares, and how each request to one is served.

``api.operation("GET", "/products/{product_id}", scope="catalog.product.read",
summary=_l("A product"), response=ProductOut)(handler)`` (or ``api.get`` /
``api.post`` / ``api.patch``) declares one operation; the same declaration
validates the request (``query`` and ``body`` pydantic models), checks access,
renders the answer (``response``) and writes the OpenAPI document
(``core.api.openapi``), so the document cannot drift from what is served.

Every request goes the same way: the bearer token (401), the per-token rate
limit (429), the operation's addon enabled for the token's business (else 404,
as if it did not exist), the scope (403), the query and body (422 naming each
field), then ``handler(ctx, **path, query=..., body=...)`` on a session bound
to the token's business (the tenancy fence and row-level security apply as in
the admin). A write commits all or nothing; a ``UserError`` rolls back and is a
problem answer (``core.api.problems``). A path id ending in ``_id`` is an integer.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from flask import Response, g, request
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DataError, IntegrityError

from ..audit import acting_as
from ..auth import grants
from ..db import describe_integrity_error
from ..errors import UserError
from ..i18n import _
from . import idempotency
from .problems import ApiProblem, forbidden_scope, from_user_error, invalid, not_found, pydantic_errors, unauthorized
from .tokens import find_token, touch

log = logging.getLogger(__name__)
PARAM = re.compile(r"{(\w+)}")
MAX_ID = 2 ** 31 - 1
JSON_MEDIA = "application/json"


@dataclass
class Operation:
    method: str
    path: str                      # OpenAPI form: /orders/{order_id}
    handler: Callable
    addon: str | None
    scope: str | None
    summary: Any
    description: Any = ""
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    produces: tuple = ()           # binary answers: ("application/pdf",)
    errors: tuple = ()             # statuses the operation documents besides the common ones
    tag: str = ""

    @property
    def operation_id(self) -> str:
        return getattr(self.handler, "__name__", "operation")

    @property
    def params(self) -> list[str]:
        return PARAM.findall(self.path)

    @property
    def rule(self) -> str:
        """The Flask rule: ``{order_id}`` -> ``<int:order_id>``, other names stay strings."""
        return PARAM.sub(lambda m: f"<int:{m[1]}>" if m[1].endswith("_id") else f"<{m[1]}>", self.path)


@dataclass
class ApiContext:
    """What a handler gets: the session bound to the token's business, the token, the runtime."""
    runtime: Any
    session: Any
    token: Any

    @property
    def business_id(self) -> int:
        return self.token.business_id

    def can(self, permission: str) -> bool:
        """The token as a service's ``actor``: it may do what its scopes grant."""
        return grants(self.token.scopes, permission)

    @property
    def actor(self):
        return self


class Api:
    """Every operation of this app, core's and each enabled addon's, in registration order."""

    def __init__(self):
        self.operations: list[Operation] = []

    def for_addon(self, addon: str | None) -> "ApiRouter":
        return ApiRouter(self, addon)

    def by_path(self) -> dict[str, dict[str, Operation]]:
        paths: dict[str, dict[str, Operation]] = {}
        for op in self.operations:
            paths.setdefault(op.path, {})[op.method] = op
        return paths


class ApiRouter:
    """What ``register(api)`` gets: operations declared here belong to ``addon``."""

    def __init__(self, api: Api, addon: str | None):
        self.api, self.addon = api, addon

    def operation(self, method: str, path: str, *, scope: str | None, summary, **options):
        def declare(handler):
            method_ = method.upper()
            if any(op.path == path and op.method == method_ for op in self.api.operations):
                raise ValueError(f"API operation {method_} {path} is declared twice")
            self.api.operations.append(Operation(method_, path, handler, self.addon, scope, summary,
                                                 tag=options.pop("tag", self.addon or "core"), **options))
            return handler
        return declare

    def get(self, path, **kw):
        return self.operation("GET", path, **kw)

    def post(self, path, **kw):
        return self.operation("POST", path, **kw)

    def patch(self, path, **kw):
        return self.operation("PATCH", path, **kw)


# ---------------------------------------------------------------- serving one request

def authenticate(runtime):
    header = request.headers.get("Authorization", "")
    scheme, _sep, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise unauthorized(_("send the header Authorization: Bearer <token>"))
    with runtime.session(all_businesses=True) as session:
        token = find_token(session, presented.strip())
        if token is None:
            raise unauthorized(_("the token is unknown or was revoked"))
        session.expunge(token)
    touch(runtime, token)
    return token


def _enabled(runtime, business_id: int, addon: str) -> bool:
    from ..addons.state import enabled_addons
    with runtime.session(all_businesses=True) as session:
        return addon in enabled_addons(session, business_id)


def _parse_query(op: Operation):
    if op.query is None:
        return None
    args = {key: request.args.get(key) for key in request.args}
    try:
        return op.query.model_validate(args)
    except ValidationError as exc:
        raise pydantic_errors(exc)


def _parse_body(op: Operation):
    if op.body is None:
        return None
    raw = request.get_data(cache=True)
    if request.mimetype != JSON_MEDIA:
        raise ApiProblem(415, "media-type", _("Send JSON"),
                         _("the body must be application/json"))
    try:
        data = json.loads(raw or b"null", parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid(_("body: not valid JSON (%(error)s)", error=exc),
                      [{"field": "body", "message": _("not valid JSON")}])
    try:
        return op.body.model_validate(data)
    except ValidationError as exc:
        raise pydantic_errors(exc, "body")


def render(op: Operation, result) -> Response:
    """A handler's answer: a Response as it is, else the model (or ``(model, status)``) as JSON."""
    if isinstance(result, Response):
        return result
    status = op.status
    if isinstance(result, tuple):
        result, status = result
    if op.response is not None and not isinstance(result, op.response):
        result = op.response.model_validate(result)
    data = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
    return Response(json.dumps(data, ensure_ascii=False), status=status, mimetype=JSON_MEDIA)


def serve(runtime, limiter, op: Operation, params: dict) -> Response:
    token = authenticate(runtime)
    allowed, remaining, retry = limiter.hit(token.id)
    if not allowed:
        raise ApiProblem(429, "rate-limit", _("Too many requests"),
                         _("this token sent more than %(limit)s requests in a minute", limit=limiter.limit),
                         headers={"Retry-After": str(retry)})
    g.api_rate_remaining = remaining
    if op.addon and not _enabled(runtime, token.business_id, op.addon):
        raise not_found(_("no such resource here"))
    if op.scope and not grants(token.scopes, op.scope):
        raise forbidden_scope(op.scope)
    if any(isinstance(v, int) and v > MAX_ID for v in params.values()):
        raise not_found()
    query, body = _parse_query(op), _parse_body(op)
    key = request.headers.get(idempotency.HEADER) if op.method == "POST" else None
    digest = None
    if key is not None:
        key = idempotency.check_key(key)
        digest = idempotency.request_hash(op.method, request.full_path, request.get_data(cache=True))
    write = op.method != "GET"
    session = runtime.session(token.business_id, write=write)
    kwargs = dict(params)
    if op.query is not None:
        kwargs["query"] = query
    if op.body is not None:
        kwargs["body"] = body
    try:
        with acting_as(token.created_by):
            if key is not None:
                kept = idempotency.stored(session, token.id, key, digest)
                if kept is not None:
                    return _replay(kept)
            response = render(op, op.handler(ApiContext(runtime, session, token), **kwargs))
            if key is not None and 200 <= response.status_code < 300:
                idempotency.keep(session, token.id, key, digest, response)
            if write:
                session.commit()
            return response
    except UserError as exc:
        session.rollback()
        raise from_user_error(exc)
    except IntegrityError as exc:
        session.rollback()
        if key is not None:   # a concurrent first request with this key won: answer as it was answered
            with runtime.session(token.business_id) as again:
                kept = idempotency.stored(again, token.id, key, digest)
                if kept is not None:
                    return _replay(kept)
        raise ApiProblem(409, "conflict", _("The action is not possible in the current state"),
                         describe_integrity_error(exc))
    except DataError as exc:   # a value the database cannot hold that validation let through
        session.rollback()
        raise invalid(_("a value is out of range (%(error)s)", error=str(exc.orig).splitlines()[0]), [])
    finally:
        session.close()


def _replay(kept) -> Response:
    response = Response(kept.body, status=kept.status)
    for name, value in (kept.headers or {}).items():
        response.headers[name] = value
    response.headers[idempotency.REPLAYED_HEADER] = "true"
    return response
