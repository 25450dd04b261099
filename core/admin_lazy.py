"""Create and edit form classes built on first use (mixed into ``SecureModelView``).

Why: Flask-Admin scaffolds every model view's create form and edit form in the view's
constructor, so ``create_app`` built some sixty WTForms classes (reading every column
and relationship of every model) before serving anything, while a process serves the
forms of a few screens at most, and the list, detail and CSV pages never use them. This
was the largest part of building the admin at start-up. Here ``_create_form_class`` and
``_edit_form_class`` are built by the same ``get_create_form`` / ``get_edit_form`` the
first time a page asks for one, then kept for the life of the process like before; a
view's form rules are checked against the form when it is built (Flask-Admin checked
them in the constructor). Everything else Flask-Admin caches at construction (list
columns, filters, search, the delete and action forms, ajax loaders) is unchanged.
"""
from __future__ import annotations

_BUILDERS = {"create": ("get_create_form", "_form_create_rules"),
             "edit": ("get_edit_form", "_form_edit_rules")}


class LazyForms:
    def _refresh_cache(self):
        self.__dict__["_forms_deferred"] = True     # Flask-Admin's own rules check reads the forms
        try:
            super()._refresh_cache()
        finally:
            self.__dict__["_forms_deferred"] = False

    def _refresh_forms_cache(self):
        # Flask-Admin 2's _refresh_forms_cache without its two eager get_*_form() calls.
        self._form_ajax_refs = self._process_ajax_references()
        if self.form_widget_args is None:
            self.form_widget_args = {}
        self.__dict__["_lazy_forms"] = {}
        self._delete_form_class = self.get_delete_form()
        self._action_form_class = self.get_action_form()
        if self.column_editable_list:
            self._list_form_class = self.get_list_form()
        else:
            self.column_editable_list = {}

    def _lazy_form(self, kind: str):
        forms = self.__dict__.setdefault("_lazy_forms", {})
        if kind not in forms:
            if self.__dict__.get("_forms_deferred"):
                return None                          # the constructor's rules check: done on build
            builder, rules = _BUILDERS[kind]
            form = getattr(self, builder)()
            ruleset = getattr(self, rules, None)
            if ruleset:
                self._validate_form_class(ruleset, form)
            forms[kind] = form
        return forms[kind]

    def _set_form(self, kind: str, form) -> None:
        self.__dict__.setdefault("_lazy_forms", {})[kind] = form

    _create_form_class = property(lambda self: self._lazy_form("create"),
                                  lambda self, form: self._set_form("create", form))
    _edit_form_class = property(lambda self: self._lazy_form("edit"),
                                lambda self, form: self._set_form("edit", form))

    def _validate_form_class(self, ruleset, form_class, remove_missing=True):
        if form_class is None:                       # deferred: checked when the form is built
            return
        super()._validate_form_class(ruleset, form_class, remove_missing)
