"""The ``/api/v1`` blueprint: one call from ``create_app`` mounts it with every addon's resources.

``install_api(app, runtime)`` mounts one view under the prefix that, on the first
API request, collects the operations (core's, then each loaded addon's
``[provides] api`` in load order; see ``Operations``), matches the path and picks
the operation by method; it also serves ``/api/v1/openapi.json`` and the
reference page ``/api/v1/docs`` (Swagger UI, vendored from npm's
``swagger-ui-dist`` under ``static/swagger-ui``; nothing from a CDN, and its
start script is a file, so the app's CSP holds). The API keeps no cookies and
checks no CSRF token: it is authenticated by the bearer token alone, which a
browser never sends by itself.
"""
from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from flask import Blueprint, Response, g, render_template, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, RequestRedirect, Rule

from ..i18n import _
from .problems import ApiProblem, not_found
from .ratelimit import limiter_for

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
PREFIX = "/api/v1"
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def collect(runtime):
    """The operations (a ``router.Api``) of the core and every loaded addon that provides ``api``."""
    from . import resources
    from .router import Api
    api = Api()
    resources.register(api.for_addon(None))
    for name in runtime.registry.names:
        register = runtime.registry.get(name, "api")
        if register is not None:
            register(api.for_addon(name))
    return api


class Operations:
    """The API's operations and their URL map, collected on the first API request.

    Collecting imports every addon's ``api`` module and builds its pydantic schemas (the
    largest part of the API's cost), which an app that serves the admin only, a worker or a
    test of something else never needs; ``create_app`` mounts the blueprint without them.
    ``api_of(app)`` gives the collected ``router.Api``."""

    def __init__(self, runtime):
        self.runtime = runtime
        self._api = None
        self._urls = None
        self._lock = threading.Lock()

    @property
    def api(self):
        if self._api is None:
            with self._lock:
                if self._api is None:
                    api = collect(self.runtime)
                    by_path = api.by_path()
                    self._urls = Map([Rule(next(iter(methods.values())).rule, endpoint=path)
                                      for path, methods in by_path.items()]).bind("api")
                    self._by_path = by_path
                    self._api = api
        return self._api

    def match(self, path: str, method: str):
        """``(operations by method, path parameters)`` of ``path``, or None."""
        self.api
        try:
            endpoint, params = self._urls.match(path, method=method)
        except (NotFound, MethodNotAllowed, RequestRedirect):
            return None
        return self._by_path[endpoint], params


def api_of(app):
    """The app's collected ``router.Api`` (collected now if no API request came yet)."""
    return app.extensions["tessera_api"].api


def install_api(app, runtime) -> Blueprint:
    operations = Operations(runtime)
    limiter = limiter_for(runtime.config)
    bp = Blueprint("api", __name__, url_prefix=PREFIX, template_folder=str(HERE / "templates"),
                   static_folder=str(HERE / "static"), static_url_path="/static")

    @bp.route("/", defaults={"rest": ""}, methods=ALL_METHODS)
    @bp.route("/<path:rest>", methods=ALL_METHODS)
    def operation(rest):
        found = operations.match("/" + rest, request.method)
        if found is None:
            raise not_found(_("no such resource here"))
        methods, params = found
        op = methods.get(request.method)
        if op is None:
            return ApiProblem(405, "method", _("Method not allowed"),
                              _("allowed: %(methods)s", methods=", ".join(sorted(methods))),
                              headers={"Allow": ", ".join(sorted(methods))}).response()
        from .router import serve
        return serve(runtime, limiter, op, params)

    document = {}

    @bp.route("/openapi.json")
    def openapi_json():
        if not document:
            from . import openapi
            document.update(openapi.build(operations.api))
        return Response(json.dumps(document, ensure_ascii=False), mimetype="application/json")

    @bp.route("/docs")
    def docs():
        return render_template("api/reference.html")

    @bp.errorhandler(ApiProblem)
    def problem(exc):
        return exc.response()

    @bp.errorhandler(HTTPException)
    def http_error(exc):
        return ApiProblem(exc.code or 500, "http", exc.name, exc.description or "").response()

    @bp.errorhandler(Exception)
    def bug(exc):
        log.exception("API request failed: %s %s", request.method, request.path)
        return ApiProblem(500, "internal", _("Internal error"),
                          _("the server failed; the error is logged for the operator")).response()

    @bp.after_request
    def no_store(response):
        response.headers.setdefault("Cache-Control", "no-store")
        remaining = g.get("api_rate_remaining")
        if remaining is not None and limiter.limit > 0:
            response.headers["RateLimit-Limit"] = str(limiter.limit)
            response.headers["RateLimit-Remaining"] = str(remaining)
        return response

    app.register_blueprint(bp)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(bp)
    app.extensions["tessera_api"] = operations
    app.extensions["tessera_api_limiter"] = limiter
    return bp
