"""The core's admin screens: businesses, users, roles, jobs and the audit log.

All are thin: validation lives in core.business / core.auth / core.jobs, and the
views only turn form input into service calls and UserErrors into messages.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import flash
from flask_admin.actions import action
from flask_admin.form import BaseForm
from flask_admin.helpers import get_form_data
from flask_babel import gettext, lazy_gettext, lazy_pgettext
from flask_login import current_user
from sqlalchemy import inspect, select
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Optional

from .admin import SecureModelView, run_service
from .admin_menu import MENU_GROUPS
from .auth import all_permissions, check_may_grant, create_user, remove_member, update_user
from .business import create_business
from .errors import UserError
from .formatting import register_labels
from .jobs import retry_job
from .i18n import LANGUAGE_NAMES
from .models import AuditEntry, Business, Membership, OutboxJob, Role
from .taxid import validate_tax_id
from .web.context import current_business_id, current_runtime, db

ADMIN_CATEGORY = MENU_GROUPS["settings"]   # core's own screens
LANGUAGE_CHOICES = list(LANGUAGE_NAMES.items())  # each language named in itself


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
    column_labels = {"name": lazy_gettext("Name"), "slug": lazy_gettext("Short name"),
                     "country": lazy_gettext("Country"), "currency": lazy_gettext("Currency"),
                     "timezone": lazy_gettext("Time zone"), "languages": lazy_gettext("Languages"),
                     "tax_id": lazy_gettext("Tax ID"), "legal_name": lazy_gettext("Legal name"),
                     "address": lazy_gettext("Address"), "phone": lazy_gettext("Phone"),
                     "email": lazy_gettext("E-mail"), "active": lazy_gettext("Active")}

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
            problems.append(gettext("timezone: %(value)s is not a known time zone", value=repr(model.timezone)))
        if model.tax_id:
            try:
                model.tax_id = validate_tax_id(model.country, model.tax_id)
            except UserError as exc:
                problems.append(f"tax_id: {exc}")
        if not (model.name or "").strip():
            problems.append(gettext("name: required"))
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
    column_labels = {"name": lazy_gettext("Name"), "permissions": lazy_gettext("Permissions")}

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
            raise UserError(gettext("name: required"))
        model.permissions = list(model.permissions or [])
        # Defining a role is granting it: the editor must hold what it held and what it now holds.
        before = inspect(model).attrs.permissions.history.deleted
        check_may_grant(db(), current_user, current_business_id(),
                        model.permissions + list(before[0] if before and before[0] else []))

    def on_model_delete(self, model):
        check_may_grant(db(), current_user, current_business_id(), model.permissions)


def job_error_for_people(_view, _context, job, _name) -> str:
    """A job's last error as a clerk reads it on the Jobs screen: a refusal as written (services say
    what to do in screen words), an unexpected failure by its last line only; the job's details
    keep the whole report for whoever fixes it."""
    text = (job.last_error or "").strip()
    if not text.startswith("Traceback"):
        return text
    last = text.splitlines()[-1]
    return gettext("Unexpected error (%(error)s); the job's details hold the full report for a developer.",
                   error=last)


class JobView(SecureModelView):
    permission = "core.job"
    business_column = "business_id"
    allow_create = allow_edit = allow_delete = allow_export = False
    column_list = ("id", "actor", "state", "attempts", "max_attempts", "available_at", "finished_at",
                   "last_error")
    column_formatters = {"last_error": job_error_for_people}
    column_filters = ("state",)
    column_labels = {"id": lazy_gettext("No."), "actor": lazy_gettext("Task"), "state": lazy_gettext("State"),
                     "attempts": lazy_gettext("Attempts"), "max_attempts": lazy_gettext("Max. attempts"),
                     "available_at": lazy_gettext("Scheduled for"), "finished_at": lazy_gettext("Finished at"),
                     "last_error": lazy_gettext("Last error")}
    column_default_sort = ("id", True)
    column_sortable_list = ("id",)

    @action("retry", lazy_gettext("Retry"), lazy_gettext("Queue the selected jobs again?"))
    def action_retry(self, ids):
        try:
            for job_id in ids:
                retry_job(db(), int(job_id))
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
    code_columns = {"action": "audit_action"}
    column_labels = {"at": lazy_gettext("When"), "user_id": lazy_gettext("User"), "model": lazy_gettext("Record type"),
                     "record_id": lazy_gettext("Record"), "action": lazy_gettext("Action"),
                     "before": lazy_gettext("Before"), "after": lazy_gettext("After")}


# A context keeps these apart from the "Created"/"Updated" date columns of addon catalogs.
register_labels("audit_action", {"create": lazy_pgettext("audit action", "Created"),
                                 "update": lazy_pgettext("audit action", "Changed"),
                                 "delete": lazy_pgettext("audit action", "Deleted")})


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
    from .api.admin import register_views as register_api_views
    register_api_views(admin)   # Settings › API tokens (core/api/admin.py)
