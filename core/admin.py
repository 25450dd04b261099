"""The admin: one secure base view and the index (the menu and addon registration: core.admin_menu).

Every admin view subclasses ``SecureModelView`` (or ``SecureView`` for pages that
are not a model list). The checks live in one place: login, the view's
permission for the action being served, the addon being enabled for the current
business, and tenancy. Tenancy rests on the request session (bound to the
business, see core.web.context) and is re-checked where Flask-Admin would
otherwise bypass ORM filters or answer "not found" with a redirect: ``get_one``,
ajax loaders and mass actions all go through the fenced query, and a row that is
not the current business's is a 404.
"""
from __future__ import annotations

import flask_admin
from flask import abort, flash, g, has_request_context, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla import tools as sqla_tools
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_admin.model.form import converts
from flask_admin.helpers import flash_errors, get_redirect_target
from flask_admin.model.fields import AjaxSelectField
from flask_login import current_user
from sqlalchemy import inspect as sa_inspect, or_, select
from sqlalchemy.exc import IntegrityError
from wtforms import DecimalField, IntegerField, PasswordField, StringField, TextAreaField

from . import admin_errors
from .dashboard import request_tiles
from .admin_formatting import FormattedColumns, FormattingConverter
from .admin_keyset import KeysetPaging
from .admin_lazy import LazyForms
from .db import BusinessScoped, describe_integrity_error, key_fits
from .errors import UserError
from .money import parse_decimal, parse_int
from .text import ONE_LINE_CONTROL, text_problem
from .web.context import addon_enabled, can, current_business_id, db, request_session

# Flask-Admin view function -> the permission action it needs.
VIEW_ACTIONS = {"index_view": "read", "details_view": "read", "ajax_lookup": "read", "index": "read",
                "create_view": "create", "edit_view": "edit", "ajax_update": "edit",
                "delete_view": "delete", "export": "export"}


class SecureAccess:
    """Login, permission and addon-enabled checks shared by every admin view."""

    addon: str | None = None        # None for core views
    permission: str = ""            # "addon.object"; actions read/create/edit/delete/export appended

    def allowed(self, action: str) -> bool:
        # Outside a request (Flask-Admin inspects attributes at start-up) nothing is allowed.
        return has_request_context() and can(f"{self.permission}.{action}")

    def is_accessible(self):
        # The menu asks every view this several times per page. The answer rests on the request's user,
        # business, enabled addons and permissions, each already read once per request (core.web.context),
        # so it is kept for the request too; the next request asks again.
        memo = g.setdefault("_tessera_accessible", {}) if has_request_context() else {}
        if self not in memo:
            memo[self] = bool(current_user.is_authenticated and addon_enabled(self.addon)
                              and current_business_id() is not None and self.allowed("read"))
        return memo[self]

    def inaccessible_callback(self, name, **kwargs):
        """Login first; then a page saying what is missing (core.admin_errors), status 403."""
        if not current_user.is_authenticated:
            return redirect(url_for("tessera.login", next=request.full_path.rstrip("?")))
        if current_business_id() is None:
            return admin_errors.no_business(self)
        if not addon_enabled(self.addon):
            return admin_errors.addon_disabled(self)
        return admin_errors.permission_missing(self, "read")

    def action_for(self, name: str) -> str:
        if name == "action_view":
            action = request.form.get("action", "")
            return "delete" if action == "delete" else "edit"
        if name in VIEW_ACTIONS:
            return VIEW_ACTIONS[name]
        return "edit" if request.method in ("POST", "PUT", "PATCH", "DELETE") else "read"

    def _handle_view(self, name, **kwargs):
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        action = self.action_for(name)
        if not self.allowed(action):
            return admin_errors.permission_missing(self, action)
        if ONE_LINE_CONTROL.search(request.values.get("url", "")):
            abort(400, "the return address (url) contains control characters")  # a redirect header would fail
        return None


class SecureView(SecureAccess, flask_admin.BaseView):
    """A non-model admin page with the same checks (set ``addon`` and ``permission``)."""


def coerce_key(column, raw):
    """A key from a URL or form as the column's Python type (PostgreSQL will not compare int to text).

    Raises ValueError for junk, which callers turn into "not found".
    """
    try:
        key = column.type.python_type(raw)
    except (TypeError, ValueError, NotImplementedError) as exc:
        raise ValueError(f"bad key {raw!r}") from exc
    if not key_fits(column, key):
        raise ValueError(f"bad key {raw!r}")
    return key


class FencedAjaxLoader(QueryAjaxModelLoader):
    """Ajax lookups through the fenced session; ``get_one`` by query, never the identity map."""

    def get_one(self, pk):
        column = getattr(self.model, self.pk)
        try:
            key = coerce_key(column, pk)
        except ValueError:
            return None
        with self.session.no_autoflush:
            return self.get_query().filter(column == key).one_or_none()


def _field_problem(field) -> str | None:
    """What is wrong with a field WTForms let through: an id that is no row of this business in a
    select, a NUL byte or control character in text (the services refuse them too)."""
    if isinstance(field, (QuerySelectField, AjaxSelectField)):
        posted = (field.raw_data or [""])[0]
        if posted not in ("", "__None") and field.data is None:
            return f"{posted[:40]!r} is not one of the choices of this business (deleted, or not yours)"
    elif isinstance(field, (DecimalField, IntegerField)) and (field.raw_data or [""])[0].strip():
        # WTForms takes "१२" as 12, "NaN" as a Decimal and 29 digits as an int: the one parser decides
        try:
            if isinstance(field, IntegerField):
                parse_int(field.raw_data[0], field=field.name, minimum=-2**31, maximum=2**31 - 1)
            else:
                parse_decimal(field.raw_data[0], field=field.name)
        except UserError as exc:
            return str(exc)
    elif isinstance(field, StringField) and not isinstance(field, PasswordField):
        return text_problem(field.data, field.name, multiline=isinstance(field, TextAreaField))
    return None


def run_service(fn, success: str | None = None):
    """One service call in the request transaction: commit (and flash ``success``), or roll
    back and flash why not. Returns (done, result)."""
    session = db()
    try:
        result = fn(session)
        session.commit()
    except (UserError, IntegrityError) as exc:   # a constraint the service did not check first
        session.rollback()
        refusal = exc if isinstance(exc, UserError) else UserError(describe_integrity_error(exc))
        admin_errors.remember_refusal(refusal)     # the form shown again marks the fields it names
        flash(str(refusal), "error")
        return False, None
    if success:
        flash(success, "success")
    return True, result


class ServiceForms:
    """Create/update through service functions; a UserError is flashed and nothing is saved."""
    service_create = None   # staticmethod(fn(session, **fields))
    service_update = None   # staticmethod(fn(session, id, **fields))

    def form_values(self, form) -> dict:
        relationships = sa_inspect(self.model).relationships.keys()
        values = {}
        for name, field in form._fields.items():
            if name == "csrf_token":
                continue
            value = field.data
            if name in relationships:             # a related row from a select field -> its id (or None)
                values[f"{name}_id"] = value.id if value is not None else None
            else:
                values[name] = value
        return values

    def _save(self, call):
        return run_service(call)[1]

    def create_model(self, form):
        model = self._save(lambda s: self.service_create(s, **self.form_values(form)))
        return model if model is not None else False

    def update_model(self, form, model):
        return self._save(lambda s: self.service_update(s, model.id, **self.form_values(form))) is not None


class ExactDecimalConverter(FormattingConverter):
    """Decimal form fields for core.money's column types (Flask-Admin knows only Numeric by name),
    shown as plain decimals like every Numeric (core.admin_formatting)."""

    @converts("core.money.ExactDecimal")
    def handle_exact_decimal(self, column, field_args, **extra):
        return self.handle_decimal_types(column, field_args, **extra)


class SecureModelView(SecureAccess, LazyForms, KeysetPaging, FormattedColumns, ModelView):
    """The one base for model views: secure, business-fenced, keyset pages without OFFSET or
    COUNT(*) (core.admin_keyset), formatted columns (core.admin_formatting), create and edit forms
    built on first use (core.admin_lazy).

    Models that are not ``BusinessScoped`` but carry a ``business_id`` column (the
    audit log, jobs) name it in ``business_column`` and are fenced here instead.
    """

    business_column: str | None = None
    model_form_converter = ExactDecimalConverter
    simple_list_pager = True          # no COUNT(*) per page
    page_size = 50
    can_set_page_size = True
    page_size_options = (20, 50, 100)
    export_types = ["csv"]
    export_max_rows = 10000
    allow_create = allow_edit = allow_delete = allow_export = allow_details = True
    #: Search the ``column_searchable_list`` columns for the exact term (each backed by an index)
    #: instead of Flask-Admin's substring ``ILIKE``, which scans every row of the business.
    exact_search = False

    def __init__(self, model, session=None, *args, **kwargs):
        hidden = [n for n in ("business", "business_id") if hasattr(model, n)]
        if hidden:
            self.form_excluded_columns = tuple(self.form_excluded_columns or ()) + tuple(
                h for h in hidden if h not in (self.form_excluded_columns or ()))
            self.column_exclude_list = tuple(self.column_exclude_list or ()) + tuple(
                h for h in hidden if h not in (self.column_exclude_list or ()))
        super().__init__(model, session if session is not None else request_session, *args, **kwargs)

    def _apply_search(self, query, count_query, joins, count_joins, search):
        if not self.exact_search:
            return super()._apply_search(query, count_query, joins, count_joins, search)
        term = search.strip()
        if term:
            cond = or_(*(getattr(self.model, name) == term for name in self.column_searchable_list))
            query = query.filter(cond)
            if count_query is not None:
                count_query = count_query.filter(cond)
        return query, count_query, joins, count_joins

    # Buttons follow the permissions of the request (subclasses may still switch one off).
    @property
    def can_create(self):
        return self.allow_create and self.allowed("create")

    @property
    def can_edit(self):
        return self.allow_edit and self.allowed("edit")

    @property
    def can_delete(self):
        return self.allow_delete and self.allowed("delete")

    @property
    def can_export(self):
        return self.allow_export and self.allowed("export")

    @property
    def can_view_details(self):
        return self.allow_details

    # ------------------------------------------------------------ tenancy
    def _fence(self, query):
        if self.business_column and not issubclass(self.model, BusinessScoped):
            business_id = current_business_id()
            if business_id is None:
                abort(403)
            query = query.filter(getattr(self.model, self.business_column) == business_id)
        return query

    def get_query(self):
        return self._fence(super().get_query())

    def get_count_query(self):
        return self._fence(super().get_count_query())

    def get_one(self, id):
        """The row by key through the fenced query; another business's row (or junk) is a 404."""
        names = self._primary_key if isinstance(self._primary_key, tuple) else (self._primary_key,)
        values = sqla_tools.iterdecode(id) if id is not None else ()
        if len(values) != len(names):
            abort(404)
        query = self.get_query()
        for name, raw in zip(names, values):
            column = getattr(self.model, name)
            try:
                query = query.filter(column == coerce_key(column, raw))
            except ValueError:
                abort(404)
        row = query.one_or_none()
        if row is None:
            abort(404)
        return row

    def validate_form(self, form):
        """WTForms' own checks plus ``_field_problem`` on every field: an optional select treats an
        id it cannot find (another business's row, a deleted one, junk) as "nothing chosen", and its
        number fields take what Decimal() and int() take; here both are errors on the field."""
        problems = {field: _field_problem(field) for field in form}
        for field, problem in problems.items():
            if problem:
                field.errors = [problem]
        # before WTForms' validators when a field is wrong already: some query with the value (Unique)
        valid = not any(problems.values()) and super().validate_form(form)
        if not valid and request.method == "POST":
            admin_errors.remember_form_failure(form)
        return valid

    def render(self, template, **kwargs):
        admin_errors.explain_form(kwargs.get("form"))
        return super().render(template, **kwargs)

    def _create_ajax_loader(self, name, options):
        loader = super()._create_ajax_loader(name, options)
        loader.__class__ = type("Fenced" + type(loader).__name__, (FencedAjaxLoader, type(loader)), {})
        return loader

    def handle_action(self, return_view=None):
        """Run a mass action on typed ids, all of which must be this business's rows (else 404)."""
        form = self.action_form()
        if not self.validate_form(form):
            flash_errors(form, message="Failed to perform action. %(error)s")
            return redirect(get_redirect_target() or self.get_url(".index_view"))
        raw_ids = request.form.getlist("rowid")
        if isinstance(self._primary_key, tuple):
            ids = raw_ids  # composite keys: Flask-Admin's own encoding, fenced by get_query below
        else:
            column = getattr(self.model, self._primary_key)
            try:
                ids = [coerce_key(column, raw) for raw in raw_ids]
            except ValueError:
                abort(404)
        if ids and sqla_tools.get_query_for_ids(self.get_query(), self.model, ids).count() != len(set(ids)):
            abort(404)
        action_name = form.action.data
        handler = self._actions_data.get(action_name)
        if handler and self.is_action_allowed(action_name):
            response = handler[0](ids)
            if response is not None:
                return response
        return redirect(get_redirect_target() or self.get_url(".index_view"))

    def _export_csv(self, return_url):
        """Build the whole file while the request session is open.

        Flask-Admin streams the CSV after the view has returned, when the session
        is closed and a column that loads a relationship would fail halfway;
        ``export_max_rows`` bounds what is held in memory.
        """
        response = super()._export_csv(return_url)
        response.set_data("".join(response.response))
        return response

    # ------------------------------------------------------------ errors
    def handle_view_exception(self, exc):
        if isinstance(exc, UserError):
            admin_errors.remember_refusal(exc)
            flash(str(exc), "error")
            return True
        return super().handle_view_exception(exc)


class TesseraIndexView(AdminIndexView):
    """The admin home: login required; the current business's dashboard (core.dashboard)."""

    @expose("/")
    def index(self):
        if not current_user.is_authenticated:
            return redirect(url_for("tessera.login", next=request.path))
        return self.render("tessera/admin_index.html", tiles=request_tiles())


def fenced_get(session, model, ident):
    """A business-scoped row by key through the session's fence, or a 404."""
    row = session.execute(select(model).where(model.__mapper__.primary_key[0] == ident)).scalar_one_or_none()
    if row is None:
        abort(404)
    return row
