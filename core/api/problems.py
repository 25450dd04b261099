"""Errors as RFC 9457 problem details: ``application/problem+json`` with ``type``, ``title``,
``status``, ``detail`` and, for bad input, ``errors``: one ``{"field", "message"}`` per field.

A ``UserError`` from a service becomes a 422 (a ``FieldErrors`` lists each field it
names), ``NotFound`` a 404, ``PermissionDenied`` a 403, ``Conflict`` a 409 (the
document's state refuses the action). Anything else is a bug and answers a bare
500 problem without internals.
"""
from __future__ import annotations

import json

from flask import Response

from ..errors import FieldErrors, NotFound, PermissionDenied, UserError
from ..i18n import _

PROBLEM_TYPE = "/api/v1/problems/"     # + slug; relative URI references, as RFC 9457 allows
MEDIA_TYPE = "application/problem+json"


class Conflict(UserError):
    """The resource's state refuses the request (an order that is not New cannot be confirmed): 409."""


class ApiProblem(Exception):
    """A problem answer raised from anywhere inside a request of the API."""

    def __init__(self, status: int, slug: str, title: str, detail: str = "", errors=None, headers=None):
        super().__init__(detail or title)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail
        self.errors = list(errors or [])
        self.headers = dict(headers or {})

    def body(self) -> dict:
        body = {"type": PROBLEM_TYPE + self.slug, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if self.errors:
            body["errors"] = self.errors
        return body

    def response(self) -> Response:
        response = Response(json.dumps(self.body(), ensure_ascii=False), status=self.status, mimetype=MEDIA_TYPE)
        for name, value in self.headers.items():
            response.headers[name] = value
        return response


def field_errors(problems) -> list[dict]:
    """``"lines[1].qty: must be greater than 0"`` -> ``{"field": "lines[1].qty", "message": "must be ..."}``."""
    out = []
    for problem in problems:
        field, sep, message = str(problem).partition(":")
        if sep and field and " " not in field.strip():
            out.append({"field": field.strip(), "message": message.strip()})
        else:
            out.append({"field": "", "message": str(problem).strip()})
    return out


def invalid(detail: str, errors) -> ApiProblem:
    return ApiProblem(422, "validation", _("The request is not valid"), detail, errors)


def from_user_error(exc: UserError) -> ApiProblem:
    """The problem a service's refusal is."""
    if isinstance(exc, NotFound):
        return not_found(str(exc))
    if isinstance(exc, PermissionDenied):
        return ApiProblem(403, "forbidden", _("Not allowed"), str(exc))
    if isinstance(exc, Conflict):
        return ApiProblem(409, "conflict", _("The action is not possible in the current state"), str(exc))
    problems = exc.problems if isinstance(exc, FieldErrors) else [str(exc)]
    return invalid("; ".join(problems), [e for e in field_errors(problems) if e["field"]])


def not_found(detail: str = "") -> ApiProblem:
    return ApiProblem(404, "not-found", _("Not found"), detail)


def unauthorized(detail: str) -> ApiProblem:
    return ApiProblem(401, "unauthorized", _("Authentication required"), detail,
                      headers={"WWW-Authenticate": 'Bearer realm="tessera"'})


def forbidden_scope(scope: str) -> ApiProblem:
    return ApiProblem(403, "scope", _("The token lacks a scope"),
                      _("this operation needs the scope %(scope)s", scope=scope))


def pydantic_errors(exc, where: str = "") -> ApiProblem:
    """A pydantic ValidationError as a 422 naming each field by its dotted path (``lines[0].qty``)."""
    errors = []
    for error in exc.errors(include_url=False, include_context=False, include_input=False):
        path = ""
        for part in error.get("loc", ()):
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        if where and not path:
            path = where
        errors.append({"field": path, "message": error.get("msg", "")})
    detail = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)
    return invalid(detail, errors)
