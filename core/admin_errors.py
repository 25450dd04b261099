"""Refusals a clerk can act on: pages in the admin layout that say what is missing.

A bare Werkzeug "403 Forbidden" tells a clerk nothing. Here each refusal names
its reason: the screen's addon is not enabled for the business (by the addon's
human name, with a link to the addons screen for those who may enable it), the
user's role lacks the permission (the action and the screen, and the code an
administrator grants), the user belongs to no business, or the page does not
exist. The status codes stay 403 and 404; every page links back.

A form that fails says the same way which field and why: at the top of the
page (not only "Failed to create record.") and on each field a service's
refusal names.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import g, request, session, url_for
from flask_admin.babel import gettext as admin_gettext
from flask_login import current_user

from .i18n import _, _l
from .web.context import can, current_business, current_runtime

# The permission action of a view -> what the clerk was trying to do, as a verb
ACTION_VERBS = {"read": _l("open"), "create": _l("create records in"), "edit": _l("change records in"),
                "delete": _l("delete records in"), "export": _l("export")}


def _back() -> str | None:
    """Where the clerk came from, when that is a page of this site other than this one."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if not referrer or parts.netloc != request.host or parts.path == request.path:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _page(view, status: int, reason: str, title: str, message: str, addons_link: bool = False):
    addons_url = url_for("core_addons.index") if addons_link and can("core.addon.edit") else None
    body = view.render("tessera/refused.html", reason=reason, refusal_title=title, message=message,
                       back=_back(), addons_url=addons_url)
    return body, status


def _business_name() -> str:
    business = current_business()
    return business.name if business is not None else ""


def addon_disabled(view):
    """The screen's addon is not enabled for the current business."""
    manifest = current_runtime().registry.manifests.get(view.addon)
    label = _(manifest.title) if manifest is not None else view.addon
    return _page(view, 403, "addon-disabled", _("%(addon)s is not enabled", addon=label),
                 _("The screen “%(screen)s” belongs to %(addon)s, which is not enabled for %(business)s.",
                   screen=view.name, addon=label, business=_business_name()), addons_link=True)


def permission_missing(view, action: str):
    """The user's role in the current business lacks ``<view.permission>.<action>``."""
    code = f"{view.permission}.{action}"
    return _page(view, 403, "permission", _("You do not have permission for this"),
                 _("Your role in %(business)s does not allow you to %(action)s “%(screen)s” "
                   "(permission %(code)s). Ask an administrator of %(business)s to grant it.",
                   business=_business_name(), action=ACTION_VERBS.get(action, action), screen=view.name,
                   code=code))


def no_business(view):
    return _page(view, 403, "no-business", _("You are not a member of any business"),
                 _("Ask an administrator to add you to a business; its screens appear here then."))


def install(app, admin) -> None:
    """403 and 404 anywhere under the admin, for a logged-in user, as pages of the admin."""

    def handler(status, reason, title, message):
        def handle(exc):
            if not (request.path.startswith(admin.url) and current_user.is_authenticated):
                return exc.get_response()
            return _page(admin.index_view, status, reason, title(), message())
        return handle

    app.register_error_handler(403, handler(403, "forbidden", lambda: _("You may not open this page"),
                                            lambda: _("This page is not open to you in %(business)s.",
                                                      business=_business_name())))
    app.register_error_handler(404, handler(404, "not-found", lambda: _("Page not found"),
                                            lambda: _("There is no such page or record in %(business)s: it may "
                                                      "have been deleted, or the link is wrong.",
                                                      business=_business_name())))


# ---------------------------------------------------------------- forms that fail
# Flask-Admin's own words when a form does not validate; the fields' errors say why, but only
# beside each field, so the message at the top is replaced by one naming them.
GENERIC_FORM_FAILURES = ("Failed to create record.", "Failed to save record.")


def form_problems(form) -> list[str]:
    """"Label: reason" for every field of ``form`` with an error (nested errors flattened)."""
    out = []
    for field in form:
        errors = field.errors
        if isinstance(errors, dict):
            errors = [e for sub in errors.values() for e in (sub if isinstance(sub, (list, tuple)) else [sub])]
        reasons = "; ".join(str(e) for e in errors or () if e)
        if reasons:
            out.append(f"{field.label.text}: {reasons}")
    return out


def remember_form_failure(form) -> None:
    g._tessera_form_problems = form_problems(form)


def remember_refusal(exc) -> None:
    """The service's refusal, so the form re-shown marks the fields it names (``run_service``)."""
    g._tessera_refusal = exc


def _mark_fields(form, exc) -> None:
    """A UserError's problems read "field: reason" (FieldErrors: one per field; a plain UserError
    joins several with "; "): put each on its field. A part not starting with a field of the form
    belongs to the reason before it."""
    parts = getattr(exc, "problems", None) or str(exc).split("; ")
    found: list[tuple] = []
    for part in parts:
        field, reason = _field_of(form, part)
        if field is not None:
            found.append((field, reason))
        elif found:
            found[-1] = (found[-1][0], f"{found[-1][1]}; {part}")
    for field, reason in found:
        if reason not in field.errors:
            field.errors = list(field.errors or ()) + [reason]


def _field_of(form, problem: str):
    """(field, reason) of "tax_id: reason", "partner.tax_id: reason" or "partner: tax_id: reason"
    (a service naming its record first), or (None, problem)."""
    text = problem
    for _depth in range(2):
        name, sep, reason = text.partition(": ")
        if not sep:
            break
        field = form._fields.get(name.strip().rsplit(".", 1)[-1])
        if field is not None:
            return field, reason
        text = reason
    return None, problem


def explain_form(form) -> None:
    """Before a form page is drawn again: mark the fields a refusal names, and say at the top which
    fields failed and why instead of Flask-Admin's bare "Failed to create record."."""
    refusal = g.pop("_tessera_refusal", None)
    if form is not None and refusal is not None and hasattr(form, "_fields"):
        _mark_fields(form, refusal)
    problems = g.pop("_tessera_form_problems", None)
    flashes = session.get("_flashes")
    if not problems or not flashes:
        return
    generic = {admin_gettext(m) for m in GENERIC_FORM_FAILURES} | set(GENERIC_FORM_FAILURES)
    message = _("Not saved: %(problems)s", problems="; ".join(problems))
    session["_flashes"] = [(category, message if text in generic else text) for category, text in flashes]
