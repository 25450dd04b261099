"""The only app factory: ``create_app(overrides=None, runtime=None) -> Flask``.

It builds (or takes) the runtime, refuses to run on an out-of-date schema,
wires security (sessions, cookies, CSRF, login, response headers and CSP,
trusted proxies), languages, the per-request
database session, the core admin screens and every enabled addon's views.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from flask import Flask, g, request, session
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import Babel, lazy_gettext
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from jinja2 import ChoiceLoader, FileSystemLoader

# Tessera's own modules (models, auth, the web views) imported with the cycle collector paused,
# like the rest of create_app (see gc_paused); the third-party stack above imports as usual.
_collecting = gc.isenabled()
gc.disable()
try:
    from .errors import ConfigError
    from .login import LoginThrottle
    from .web import context, formatting
    from .web.routing import LazyBuilderRule
    from .web.security import TrustedProxies, add_security_headers, csp_nonce
    from .i18n import CORE_TRANSLATIONS, LANGUAGE_NAMES as LANGUAGES, translation_directories
    from .web.views import bp, load_user
finally:
    if _collecting:
        gc.enable()

WEB_DIR = Path(__file__).parent / "web"


def check_schema(runtime) -> None:
    """Refuse to serve a database with pending migrations (when the migrator can tell)."""
    from .addons import migrate
    pending = getattr(migrate, "pending", None)
    if pending is None:
        return
    missing = pending(runtime)
    if missing:
        raise ConfigError(f"the database schema is not up to date ({len(missing)} pending: "
                          f"{', '.join(map(str, missing[:5]))}{' …' if len(missing) > 5 else ''}); "
                          f"run 'python manage.py migrate' first")


def select_locale() -> str:
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    if session.get("locale") in LANGUAGES:
        return session["locale"]
    return request.accept_languages.best_match(list(LANGUAGES)) or \
        context.current_runtime().config["DEFAULT_LOCALE"]


def create_app(overrides: dict | None = None, runtime=None) -> Flask:
    with gc_paused():
        from .runtime import build_runtime
        runtime = runtime or build_runtime(overrides)
        check_schema(runtime)
        app = make_flask(runtime)
        init_extensions(app)
        install_request_hooks(app, runtime.config.is_production)
        build_admin(app, runtime)
        from .api.blueprint import install_api
        install_api(app, runtime)   # /api/v1 with every addon's [provides] api (see core/api)
    freeze_first_app()
    return app


_first_app_frozen = False


def freeze_first_app() -> None:
    """Move what the process's first app is made of into the collector's permanent generation.

    A process serves one app for its whole life (tests build more: only the first is frozen).
    Its modules, mappers, views and URL rules are never garbage, yet every full collection
    while serving walks them all again, a forked worker that walks them writes to every page
    it shares with its parent (copy-on-write), and the interpreter's exit collected them one
    by one: 0.6-0.9 s after the last request of a process with eighteen addons, against
    0.02 s frozen (issue #11). ``gc.freeze`` is meant for this (see its documentation)."""
    global _first_app_frozen
    if not _first_app_frozen:
        _first_app_frozen = True
        gc.freeze()


@contextmanager
def gc_paused():
    """Python's cycle collector off while the app is built, back on (as it was) afterwards.

    Building the app creates a few hundred thousand long-lived objects (modules, classes,
    mappers, views, URL rules) and almost no garbage, yet each 700 allocations start a
    collection and the older generations are scanned again and again as the heap grows:
    about a sixth of create_app's CPU time went to collections that found nothing to free.
    Reference counting still frees everything as usual; only cycles wait for the next
    collection, the first one after the app is built."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class TesseraFlask(Flask):
    url_rule_class = LazyBuilderRule  # URL builders compiled on first use (see core.web.routing)


def make_flask(runtime) -> Flask:
    """The Flask object: templates (core's and every addon's), the security-relevant settings and
    the trusted proxies in front of it."""
    config = runtime.config
    app = TesseraFlask(__name__, template_folder=str(WEB_DIR / "templates"), static_folder=None,
                instance_path=config["INSTANCE_PATH"])
    # Addons ship admin templates in their own templates/ folder, namespaced by a
    # sub-folder of their name (templates/sales/...); later addons may override earlier ones.
    addon_dirs = [str(m.path / "templates") for m in reversed(list(runtime.registry.manifests.values()))
                  if (m.path / "templates").is_dir()]
    app.jinja_loader = ChoiceLoader([FileSystemLoader(addon_dirs), app.jinja_loader])
    production = config.is_production
    app.config.update(
        SECRET_KEY=config["SECRET_KEY"],
        TESTING=config["ENV"] == "test",
        WTF_CSRF_ENABLED=config["WTF_CSRF_ENABLED"],
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        SESSION_COOKIE_NAME="tessera_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=production,
        REMEMBER_COOKIE_DURATION=timedelta(days=14),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        PREFERRED_URL_SCHEME="https" if production else "http",
        BABEL_DEFAULT_LOCALE=config["DEFAULT_LOCALE"],
        BABEL_TRANSLATION_DIRECTORIES=";".join(translation_directories(runtime.registry.manifests.values())),
        FLASK_ADMIN_SWATCH="default",
        MAX_CONTENT_LENGTH=32 * 1024 * 1024,
    )
    app.extensions["tessera"] = runtime
    app.extensions["tessera_throttle"] = LoginThrottle(account_limit=config["LOGIN_RATE_LIMIT"],
                                                       address_limit=config["LOGIN_ADDRESS_LIMIT"])
    if config["TRUSTED_PROXIES"]:
        app.wsgi_app = TrustedProxies(app.wsgi_app, config["TRUSTED_PROXIES"])
    return app


def init_extensions(app: Flask) -> None:
    """Languages, CSRF on every form, login sessions and the core blueprint."""
    Babel(app, locale_selector=select_locale)
    CSRFProtect(app)
    login = LoginManager(app)
    login.login_view = "tessera.login"
    login.login_message = lazy_gettext("Please log in to continue.")
    login.session_protection = "strong"
    login.user_loader(load_user)

    app.register_blueprint(bp)
    formatting.install(app)
    app.teardown_appcontext(context.close_db)
    app.teardown_appcontext(context.close_system_session)


def install_request_hooks(app: Flask, production: bool) -> None:
    """Per request: who audited changes belong to, security headers, template globals."""
    from .audit import current_user_id as audit_user

    @app.before_request
    def attribute_changes():
        # Audited changes made while serving this request are the logged-in user's.
        if current_user.is_authenticated:
            g._audit_token = audit_user.set(int(current_user.id))

    @app.teardown_request
    def forget_actor(_exc=None):
        token = g.pop("_audit_token", None)
        if token is not None:
            audit_user.reset(token)

    app.after_request(lambda response: add_security_headers(response, production))

    @app.context_processor
    def tessera_globals():
        return {"tessera_languages": LANGUAGES, "tessera_business": context.current_business,
                "tessera_businesses": context.user_businesses, "tessera_locale": _current_locale,
                "csp_nonce": csp_nonce}


def _current_locale():
    from flask_babel import get_locale
    return str(get_locale() or "en")


def build_admin(app: Flask, runtime) -> Admin:
    from .admin import TesseraIndexView
    from .admin_core import register_core_views
    from .admin_menu import add_menu_groups, menu_html, register_addon_views
    from . import admin_errors
    admin = Admin(app, name="Tessera", url="/admin",
                  index_view=TesseraIndexView(name=lazy_gettext("Home"), url="/admin"),
                  theme=Bootstrap4Theme(base_template="tessera/admin_master.html", fluid=True),
                  csp_nonce_generator=csp_nonce,
                  # Flask-Admin's own strings: its catalogs, plus core's copy of those it names
                  # otherwise (zh is its zh_Hans_CN; see core.i18n_catalogs.FLASK_ADMIN_LOCALES).
                  translations_path=str(CORE_TRANSLATIONS))
    add_menu_groups(admin)
    app.jinja_env.globals["tessera_menu"] = menu_html
    register_core_views(admin, runtime)
    register_addon_views(admin, runtime)
    admin_errors.install(app, admin)
    return admin
