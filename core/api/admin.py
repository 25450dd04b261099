"""Settings › API tokens: create a token (shown once, in the page that confirms it), see each
token's scopes and last use, revoke. Settings › Webhooks and Webhook deliveries: endpoints with
their events (the secret shown once, then masked), each delivery's status and answer, Replay. Thin: core.api.tokens does the work and the checks
(a clerk can only give scopes they hold).

A new token or signing secret is rendered straight into the response of the POST that made it
(``SecretOnceMixin``), never flashed: a flash rides in Flask's session cookie, which is signed but
readable, until the next page."""
from __future__ import annotations

from flask import flash, g, make_response
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.form import BaseForm
from flask_admin.helpers import get_form_data
from flask_login import current_user
from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.validators import DataRequired

from ..admin import SecureModelView, run_service
from ..admin_menu import MENU_GROUPS
from ..i18n import _, _l
from ..web.context import current_runtime
from ..formatting import register_labels
from .models import ApiToken, WebhookDelivery, WebhookEndpoint
from .tokens import create_token, known_scopes, revoke_token
from .webhooks import create_endpoint, known_events, replay, update_endpoint


class NewTokenForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired()],
                       description=_l("What the token is for, e.g. the web shop."))
    scopes = SelectMultipleField(_l("Scopes"), validators=[DataRequired()],
                                 description=_l("What the token may do: permissions you hold yourself."))


class SecretOnceMixin:
    """``create_model`` parks the new secret on ``g``; instead of Flask-Admin's redirect the
    create view then renders the page that shows it once (nothing in the session, no log)."""
    secret_title = ""

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        response = super().create_view()
        shown = g.pop("api_secret_once", None)
        if shown is None:
            return response
        name, secret = shown
        page = make_response(self.render("api/secret_once.html", title=self.secret_title, name=name, secret=secret,
                                         list_url=self.get_url(".index_view")))
        page.headers["Cache-Control"] = "no-store"   # not kept by the browser's cache or the back button
        return page


class ApiTokenView(SecretOnceMixin, SecureModelView):
    permission = "core.api_token"
    allow_edit = allow_delete = allow_export = False
    can_view_details = False
    column_list = ("name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")
    column_labels = {"name": _l("Name"), "prefix": _l("Starts with"), "scopes": _l("Scopes"),
                     "created_at": _l("Created"), "last_used_at": _l("Last used"), "revoked_at": _l("Revoked")}
    column_default_sort = ("id", True)
    column_sortable_list = ("created_at",)
    secret_title = _l("API token created")

    def create_form(self, obj=None):
        form = NewTokenForm(get_form_data())
        form.scopes.choices = [("*", _("Everything")), *((p, p) for p in known_scopes(current_runtime().registry))]
        return form

    def create_model(self, form):
        done, made = run_service(lambda session: create_token(
            session, current_runtime().registry, name=form.name.data, scopes=form.scopes.data, actor=current_user))
        if not done:
            return False
        g.api_secret_once = (made.row.name, made.token)
        return made.row

    @action("revoke", _l("Revoke"), _l("Revoke the selected tokens? Integrations using them stop at once."))
    def action_revoke(self, ids):
        done, _result = run_service(lambda session: [revoke_token(session, int(i)) for i in ids])
        if done:
            flash(_("%(count)s tokens revoked.", count=len(ids)), "success")


def register_views(admin) -> None:
    admin.add_view(ApiTokenView(ApiToken, name=_l("API tokens"), endpoint="core_api_token",
                                category=MENU_GROUPS["settings"]))
    register_webhook_views(admin)


# ---------------------------------------------------------------- webhooks

class EndpointForm(BaseForm):
    url = StringField(_l("URL"), validators=[DataRequired()],
                      description=_l("Where the events are POSTed (https:// in production)."))
    events = SelectMultipleField(_l("Events"), validators=[DataRequired()])
    description = StringField(_l("Description"))
    active = BooleanField(_l("Active"), default=True)


def _masked_secret(_view, _context, row, _name) -> str:
    return f"whsec_…{row.secret_hint}"


class WebhookEndpointView(SecretOnceMixin, SecureModelView):
    """Endpoints: the secret is shown once when made, then only masked."""
    permission = "core.webhook"
    allow_export = False
    can_view_details = False
    column_list = ("url", "events", "description", "secret_hint", "active", "created_at")
    column_formatters = {"secret_hint": _masked_secret}
    column_labels = {"url": _l("URL"), "events": _l("Events"), "description": _l("Description"),
                     "secret_hint": _l("Signing secret"), "active": _l("Active"), "created_at": _l("Created")}
    column_default_sort = ("id", True)
    column_sortable_list = ("created_at",)
    secret_title = _l("Webhook endpoint created")

    def _form(self, obj=None):
        form = EndpointForm(get_form_data(), obj=obj)
        form.events.choices = [(e, e) for e in known_events(current_runtime().registry)]
        return form

    def create_form(self, obj=None):
        return self._form(obj)

    def edit_form(self, obj=None):
        return self._form(obj)

    def create_model(self, form):
        runtime = current_runtime()
        done, made = run_service(lambda session: create_endpoint(
            session, runtime.registry, runtime.config["SECRET_KEY"], url=form.url.data, events=form.events.data,
            description=form.description.data, allow_private=runtime.config["WEBHOOK_ALLOW_PRIVATE"]))
        if not done:
            return False
        row, secret = made
        g.api_secret_once = (row.url, secret)
        return row

    def update_model(self, form, model):
        done, _row = run_service(lambda session: update_endpoint(
            session, current_runtime().registry, model.id, url=form.url.data, events=form.events.data,
            description=form.description.data, active=form.active.data,
            allow_private=current_runtime().config["WEBHOOK_ALLOW_PRIVATE"]))
        return done


class WebhookDeliveryView(SecureModelView):
    """What was sent where, the last answer, and Replay."""
    permission = "core.webhook"
    allow_create = allow_edit = allow_delete = allow_export = False
    column_list = ("id", "event", "endpoint_id", "state", "attempts", "response_status", "response_body", "error",
                   "created_at", "last_attempt_at")
    column_details_list = column_list + ("event_id", "payload", "delivered_at")
    column_filters = ("state",)
    column_labels = {"id": _l("No."), "event": _l("Event"), "endpoint_id": _l("Endpoint"), "state": _l("State"),
                     "attempts": _l("Attempts"), "response_status": _l("HTTP status"),
                     "response_body": _l("Answer"), "error": _l("Error"), "created_at": _l("Created"),
                     "last_attempt_at": _l("Last attempt"), "event_id": _l("Event id"), "payload": _l("Body"),
                     "delivered_at": _l("Delivered")}
    code_columns = {"state": "webhook_state"}
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at",)

    @action("replay", _l("Replay"), _l("Send the selected deliveries again?"))
    def action_replay(self, ids):
        done, _result = run_service(lambda session: [replay(session, int(i)) for i in ids])
        if done:
            flash(_("%(count)s deliveries queued again.", count=len(ids)), "success")


register_labels("webhook_state", {"pending": _l("Pending"), "delivered": _l("Delivered"), "failed": _l("Failed")})


def register_webhook_views(admin) -> None:
    settings = MENU_GROUPS["settings"]
    admin.add_view(WebhookEndpointView(WebhookEndpoint, name=_l("Webhooks"), endpoint="core_api_webhook",
                                       category=settings))
    admin.add_view(WebhookDeliveryView(WebhookDelivery, name=_l("Webhook deliveries"),
                                       endpoint="core_api_webhook_delivery", category=settings))
