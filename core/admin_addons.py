"""Addons per business: installed/enabled, enable/disable, and typed settings forms.

Enabling and disabling go through core.addons.state (dependencies, bridges,
refusals with reasons); settings through core.settings (typed, validated all at
once, secrets encrypted and shown masked).
"""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext
from flask_admin import expose

from .addons import state
from .admin import SecureView
from .errors import UserError
from .settings import get_settings, mask, set_settings
from .web.context import current_business_id, current_runtime, db


def setting_fields(manifest, values: dict) -> list[dict]:
    """What the settings template renders: one dict per declared setting."""
    fields = []
    for spec in manifest.settings:
        value = values.get(spec.key, spec.default)
        # Labels and help come from addon.toml in English; each addon's catalog translates them.
        fields.append({"key": spec.key, "type": spec.type, "label": _translated(spec.label),
                       "help": _translated(spec.help),
                       "choices": spec.choices,
                       "value": "" if spec.type == "secret" else ("" if value is None else str(value)),
                       "checked": bool(value) if spec.type == "bool" else False,
                       "masked": mask(value) if spec.type == "secret" else ""})
    return fields


def _translated(text):
    return gettext(text) if text else text  # gettext("") would be the catalog's header


def submitted_settings(manifest, form) -> dict:
    """Form input -> raw values for set_settings; an empty secret keeps the stored one."""
    raw = {}
    for spec in manifest.settings:
        if spec.type == "bool":
            raw[spec.key] = "true" if form.get(spec.key) in ("on", "true", "1") else "false"
        elif spec.type == "secret":
            if form.get(spec.key):
                raw[spec.key] = form[spec.key]
        else:
            raw[spec.key] = form.get(spec.key, "")
    return raw


class AddonsView(SecureView):
    permission = "core.addon"

    def _manifest(self, name):
        registry = current_runtime().registry
        if name not in registry:
            abort(404)
        return registry[name]

    @expose("/")
    def index(self):
        registry = current_runtime().registry
        installed = state.installed(db())
        enabled = state.enabled_addons(db(), current_business_id())
        rows = [{"name": m.name, "version": m.version, "summary": gettext(m.summary) if m.summary else "", "depends": m.depends,
                 "installed": installed.get(m.name), "enabled": m.name in enabled,
                 "has_settings": bool(m.settings)} for m in registry.manifests.values()]
        return self.render("tessera/addons.html", rows=rows, can_edit=self.allowed("edit"))

    @expose("/<addon_name>/enable", methods=["POST"])
    def enable(self, addon_name):
        self._manifest(addon_name)
        try:
            done = state.enable(db(), current_runtime().registry, current_business_id(), [addon_name])
            db().commit()
        except UserError as exc:
            db().rollback()
            flash(str(exc), "error")
        else:
            if done:
                flash(gettext("Enabled: %(names)s", names=", ".join(done)), "success")
            else:
                flash(gettext("%(name)s was already enabled.", name=addon_name), "info")
        return redirect(url_for(".index"))

    @expose("/<addon_name>/disable", methods=["POST"])
    def disable(self, addon_name):
        self._manifest(addon_name)
        try:
            done = state.disable(db(), current_runtime().registry, current_business_id(), addon_name)
            db().commit()
        except UserError as exc:
            db().rollback()
            flash(str(exc), "error")
        else:
            flash(gettext("Disabled: %(names)s", names=", ".join(done)), "success")
        return redirect(url_for(".index"))

    @expose("/<addon_name>/settings", methods=["GET", "POST"])
    def settings(self, addon_name):
        manifest = self._manifest(addon_name)
        runtime = current_runtime()
        secret_key = runtime.config["SECRET_KEY"]
        status = 200
        if request.method == "POST":
            try:
                set_settings(db(), runtime.registry, addon_name, submitted_settings(manifest, request.form), secret_key)
                db().commit()
            except UserError as exc:
                db().rollback()
                flash(str(exc), "error")
                status = 400
            else:
                flash(gettext("Settings saved."), "success")
                return redirect(url_for(".settings", addon_name=addon_name))
        values = get_settings(db(), runtime.registry, addon_name, secret_key)
        if status == 400:  # show what was typed, not what is stored
            values.update({k: v for k, v in request.form.items() if k in values and k != "csrf_token"})
        return self.render("tessera/addon_settings.html", manifest=manifest, addon_label=gettext(manifest.title),
                           fields=setting_fields(manifest, values), can_edit=self.allowed("edit")), status
