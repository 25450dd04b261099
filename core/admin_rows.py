"""The row links of a list page, built once per page instead of once per row.

Why: Flask-Admin renders each row's View and Edit icons through a Jinja macro that calls
``url_for`` with the row's id and the page's return address; at 50 rows that is 100
macro calls and 100 URL builds per page, a large share of a list request. Both URLs
differ between rows only in the id, so ``RowLinks`` builds each one once with a
placeholder id, escapes the whole link once, and pastes the id in per row. Only
plain integer ids take this path (their text needs no URL quoting and no HTML
escaping); any other id, and any other row action (delete forms with their CSRF
token, popups, an addon's own actions), goes through Flask-Admin's macro as before.
The HTML is the one of ``core/web/templates/admin/model/row_actions.html``'s ``link``.
"""
from __future__ import annotations

from flask_admin.babel import gettext
from flask_admin.model.template import EditRowAction, ViewRowAction
from jinja2 import pass_context
from markupsafe import Markup

_PLACEHOLDER = "0tesserarowid0"     # survives URL quoting and HTML escaping unchanged
_LINK = Markup('<a class="icon" href="{url}" title="{title}"><span class="{icon}"></span></a>')
_FAST = {ViewRowAction: (".details_view", "fa fa-eye glyphicon glyphicon-eye-open"),
         EditRowAction: (".edit_view", "fa fa-pencil glyphicon glyphicon-pencil")}


class RowLinks:
    """``row_links(action, row_id, row)`` in tessera/list.html: one row action's HTML."""

    def __init__(self, view, return_url: str):
        self._view, self._return_url = view, return_url
        self._parts: dict = {}      # (action type, title) -> (head, tail) around the id, or None
        self.select_title = gettext("Select record")   # the row checkbox's title, translated once

    def _split(self, action):
        key = (type(action), action.title)
        if key not in self._parts:
            endpoint, icon = _FAST[type(action)]
            html = str(_LINK.format(url=self._view.get_url(endpoint, id=_PLACEHOLDER, url=self._return_url),
                                    title=action.title or "", icon=icon))
            head, found, tail = html.partition(_PLACEHOLDER)
            self._parts[key] = (head, tail) if found and _PLACEHOLDER not in tail else None
        return self._parts[key]

    @pass_context
    def __call__(self, context, action, row_id, row):
        text = str(row_id)
        parts = self._split(action) if type(action) in _FAST and text.isascii() and text.isdigit() else None
        if parts is None:
            return action.render_ctx(context, row_id, row)
        return Markup(parts[0] + text + parts[1])
