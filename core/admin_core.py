"""The core's admin screens: businesses, users, roles, jobs and the audit log.

All are thin: validation lives in core.business / core.auth / core.jobs, and the
views only turn form input into service calls and UserErrors into messages.
"""
from __future__ import annotations

import importlib
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import flash
from flask_admin.actions import action
from flask_admin.form import BaseForm
from flask_admin.helpers import get_form_data
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from sqlalchemy import inspect, select
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Optional

from .admin import SecureModelView, run_service
from .auth import all_permissions, check_may_grant, create_user, remove_member, update_user
from .business import LANGUAGES, create_business
from .errors import UserError
from .models import AuditEntry, Business, Membership, OutboxJob, Role
from .taxid import validate_tax_id
from .web.context import current_business_id, current_runtime, db

ADMIN_CATEGORY = lazy_gettext("Administration")
LANGUAGE_CHOICES = [(code, code) for code in LANGUAGES]


def _fail(exc: Exception) -> bool:
    db().rollback()
    flash(str(exc), "error")
    return False


class BusinessView(SecureModelView):
    """Superusers see and create every business; others edit the one they work in."""
    permission = "core.business"
    allow_delete = False
    column_list = ("name", "slug", "country", "currency", "timezone", "tax_id", "active")
    column_searchable_list = ("name", "slug")
    form_columns = ("name", "slug", "country", "currency", "timezone", "languages", "tax_id", "legal_name",
                    "address", "phone", "email", "active")
    form_overrides = {"languages": SelectMultipleField}
    form_args = {"languages": {"choices": LANGUAGE_CHOICES}}

    def allowed(self, action):
        if action == "create":  # a new tenant is a platform decision, not a business's
            return super().allowed(action) and current_user.is_superuser
        return super().allowed(action)

    def _fence(self, query):
        if current_user.is_superuser:
            return query
        return query.filter(Business.id == current_business_id())

    def create_form(self, obj=None):
        form = super().create_form(obj)
        form.currency.validators = [Optional()]  # create_business derives it from the country
        form.currency.flags.required = False
        form.currency.description = gettext("Leave empty to use the country's currency.")
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        del form.slug  # the slug names the business in URLs and CLI commands; it does not move
        del form.country  # the country decides currency, tax ids and documents
        return form

    def create_model(self, form):
        values = {k: (v or None) if k in ("currency", "tax_id") else v for k, v in form.data.items()
                  if k != "csrf_token"}
        values["languages"] = values.get("languages") or ["en"]
        db().rollback()  # end the request's write transaction: the new tenant is written by its own
        try:
            with current_runtime().transaction(all_businesses=True) as session:
                business = create_business(session, **values)
        except UserError as exc:
            flash(str(exc), "error")
            return False
        return business

    def on_model_change(self, form, model, is_created):
        problems = []
        try:
            ZoneInfo(model.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"timezone: {model.timezone!r} is not a known time zone")
        if model.tax_id:
            try:
                model.tax_id = validate_tax_id(model.country, model.tax_id)
            except UserError as exc:
                problems.append(f"tax_id: {exc}")
        if not (model.name or "").strip():
            problems.append("name: required")
        if not model.languages:
            model.languages = ["en"]
        if problems:
            raise UserError("; ".join(problems))


class NewUserForm(BaseForm):
    email = StringField(lazy_gettext("E-mail"), validators=[DataRequired()])
    name = StringField(lazy_gettext("Name"))
    password = PasswordField(lazy_gettext("Password"), validators=[DataRequired()])
    role = SelectField(lazy_gettext("Role"), coerce=int)


class EditUserForm(BaseForm):
    role = SelectField(lazy_gettext("Role"), coerce=int)
    password = PasswordField(lazy_gettext("New password"), validators=[Optional()],
                             description=lazy_gettext("Leave empty to keep the current password."))


class UserView(SecureModelView):
    """The users of the current business (their memberships)."""
    permission = "core.user"
    allow_details = False
    column_list = ("user.email", "user.name", "role", "user.active")
    column_labels = {"user.email": lazy_gettext("E-mail"), "user.name": lazy_gettext("Name"),
                     "user.active": lazy_gettext("Active"), "role": lazy_gettext("Role")}
    column_sortable_list = ()

    def _role_choices(self):
        return [(r.id, r.name) for r in db().scalars(select(Role).order_by(Role.name))]

    def create_form(self, obj=None):
        form = NewUserForm(get_form_data())
        form.role.choices = self._role_choices()
        return form

    def edit_form(self, obj=None):
        form = EditUserForm(get_form_data(), obj=obj)
        form.role.choices = self._role_choices()
        if obj is not None and not get_form_data():
            form.role.data = obj.role_id
        return form

    def create_model(self, form):
        role = db().get(Role, form.role.data)
        done, user = run_service(lambda session: create_user(
            session, form.email.data, form.password.data, name=form.name.data,
            business_id=current_business_id(), role=role.name if role else "", actor=current_user))
        if not done:
            return False
        return db().scalar(select(Membership).where(Membership.user_id == user.id))

    def update_model(self, form, model):
        done, _ = run_service(lambda session: update_user(
            session, current_user, model.user_id, password=form.password.data or None,
            business_id=current_business_id(), role_id=form.role.data))
        return done

    def delete_model(self, model):
        done, _ = run_service(lambda session: remove_member(session, current_user, model.user_id,
                                                              current_business_id()))
        return done


class RoleView(SecureModelView):
    permission = "core.role"
    column_list = ("name", "permissions")
    form_columns = ("name", "permissions")
    form_overrides = {"permissions": SelectMultipleField}

    def _with_choices(self, form):
        form.permissions.choices = [("*", gettext("Everything"))] + [
            (p, p) for p in all_permissions(current_runtime().registry)]
        return form

    def create_form(self, obj=None):
        return self._with_choices(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._with_choices(super().edit_form(obj))

    def on_model_change(self, form, model, is_created):
        model.name = (model.name or "").strip()
        if not model.name:
            raise UserError("name: required")
        model.permissions = list(model.permissions or [])
        # Defining a role is granting it: the editor must hold what it held and what it now holds.
        before = inspect(model).attrs.permissions.history.deleted
        check_may_grant(db(), current_user, current_business_id(),
                        model.permissions + list(before[0] if before and before[0] else []))

    def on_model_delete(self, model):
        check_may_grant(db(), current_user, current_business_id(), model.permissions)


def _retry_job():
    jobs = importlib.import_module("core.jobs") if importlib.util.find_spec("core.jobs") else None
    return getattr(jobs, "retry_job", None)


class JobView(SecureModelView):
    permission = "core.job"
    business_column = "business_id"
    allow_create = allow_edit = allow_delete = allow_export = False
    column_list = ("id", "actor", "state", "attempts", "max_attempts", "available_at", "finished_at",
                   "last_error")
    column_filters = ("state",)
    column_default_sort = ("id", True)
    column_sortable_list = ("id",)

    @action("retry", lazy_gettext("Retry"), lazy_gettext("Queue the selected jobs again?"))
    def action_retry(self, ids):
        retry = _retry_job()
        if retry is None:
            flash(gettext("Retry is not available: core.jobs.retry_job is missing."), "error")
            return
        try:
            for job_id in ids:
                retry(db(), int(job_id))
            db().commit()
        except UserError as exc:
            _fail(exc)
            return
        flash(gettext("%(count)s jobs queued again.", count=len(ids)), "success")


class AuditView(SecureModelView):
    permission = "core.audit"
    business_column = "business_id"
    allow_create = allow_edit = allow_delete = False
    column_list = ("at", "user_id", "model", "record_id", "action", "before", "after")
    column_default_sort = ("at", True)
    column_sortable_list = ("at",)
    column_filters = ("at",)


def register_core_views(admin, runtime):
    from .admin_addons import AddonsView
    cat = ADMIN_CATEGORY
    admin.add_view(BusinessView(Business, name=lazy_gettext("Businesses"), endpoint="core_business",
                                category=cat))
    admin.add_view(UserView(Membership, name=lazy_gettext("Users"), endpoint="core_user", category=cat))
    admin.add_view(RoleView(Role, name=lazy_gettext("Roles"), endpoint="core_role", category=cat))
    admin.add_view(AddonsView(name=lazy_gettext("Addons"), endpoint="core_addons", category=cat))
    admin.add_view(JobView(OutboxJob, name=lazy_gettext("Jobs"), endpoint="core_job", category=cat))
    admin.add_view(AuditView(AuditEntry, name=lazy_gettext("Audit log"), endpoint="core_audit", category=cat))
