"""The document page: one page layout for every document an addon shows staff.

An order, an invoice, a purchase order or a stock count is not a row to dump as
key/value pairs: a clerk wants its number, party and dates, where it is in its
life (the stage bar), the buttons valid now, its lines, its totals, the documents
it is linked to and who did what to it. ``DocumentPage`` is a mixin for a
``SecureModelView`` that replaces Flask-Admin's details view with that page; the
view declares a small spec (``stages``, ``side_stages`` and the ``document_*``
methods) and the core renders it with ``tessera/document.html``. Every secure-view
check still applies: the page is Flask-Admin's details view, reached through
``get_one`` (another business's id is a 404).

Action buttons only POST (with the CSRF token) to the view's own action endpoints,
which call services through ``run_service``; a refused action's ``UserError`` is
flashed and shown on the page the endpoint redirects back to. A button is shown
only to users holding its permission; the endpoint checks it again.

Other addons add links and buttons to a page they do not own (einvoice adds the
order's invoices and "Issue invoice" to the order page) with ``extend_document``,
so an addon never imports the addons that depend on it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext, lazy_gettext
from sqlalchemy import select

from .audit import history
from .formatting import code_label
from .models import User
from .web import formatting as web_formatting
from .web.context import addon_enabled, can, db


def money(amount, currency: str) -> str:
    """The one call documents make to show an amount: the core formatter, in the user's locale."""
    return "" if amount is None else web_formatting.amount(amount, currency)


def number(value) -> str:
    """A quantity in the user's locale, never in exponent form."""
    return "" if value is None else web_formatting.quantity(value)


def when(value) -> str:
    """A date, or a moment in the business's time zone without microseconds."""
    if value is None:
        return ""
    return web_formatting.datetime_(value) if isinstance(value, datetime) else web_formatting.date_(value)


@dataclass(frozen=True)
class Stage:
    key: str
    label: str


@dataclass(frozen=True)
class Field:
    """An input an action asks for (a reason, an amount, a date)."""
    name: str
    label: str
    kind: str = "text"              # text, date, select, checkbox, textarea, file
    value: str = ""
    options: tuple = ()             # (value, label) pairs for a select
    required: bool = False


@dataclass(frozen=True)
class Action:
    """A button: POST ``url`` with ``hidden`` values and the ``fields`` filled in."""
    label: str
    url: str
    permission: str                 # full name, e.g. "sales.order.edit"
    hidden: dict = field(default_factory=dict)
    fields: tuple = ()
    confirm: str = ""               # the question a data-confirm handler asks first
    style: str = "secondary"        # bootstrap button colour
    group: str = ""                 # actions with fields are drawn as small forms


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = False


@dataclass
class Table:
    """Lines or any other list on the page; ``rows`` hold display strings keyed by column."""
    title: str
    columns: tuple
    rows: list
    empty: str = ""


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    kind: str                       # what the linked document is ("Invoice", "Payment", ...)
    note: str = ""


@dataclass(frozen=True)
class Total:
    label: str
    value: str
    strong: bool = False


@dataclass
class Header:
    title: str                      # "Order", "Credit note", ...
    number: str
    party: str = ""
    party_label: str = ""
    dates: list = field(default_factory=list)     # (label, value) pairs
    badges: list = field(default_factory=list)    # short status words beside the stage bar
    notes: list = field(default_factory=list)     # lines a clerk must see (cancel reason, ...)


@dataclass
class Event:
    at: str
    who: str
    what: str
    changes: list                   # (field, before, after)


@dataclass
class Extension:
    addon: str
    links: object = None            # fn(session, obj) -> [Link]
    actions: object = None          # fn(session, obj) -> [Action]
    notices: object = None          # fn(session, obj) -> [str]: what a clerk must see under the header


def extend_document(admin, endpoint: str, addon: str, links=None, actions=None, notices=None) -> None:
    """Add ``addon``'s links, actions and notices to the document page served at ``endpoint``.

    The one way an addon adds to a page it does not own (einvoice on the order page)
    without the page's owner importing it; shown only while ``addon`` is enabled."""
    for view in admin._views:
        if getattr(view, "endpoint", None) == endpoint and isinstance(view, DocumentPage):
            view.extensions.append(Extension(addon, links, actions, notices))
            return
    raise LookupError(f"{addon}: no document page {endpoint!r} to extend")


class DocumentPage:
    """Mixin for a SecureModelView: its details view becomes the document page.

    A view declares ``stages`` (the normal path, in order) and ``side_stages``
    (where a document ends off that path: Cancelled, Returned) and overrides
    ``document_header``, ``document_lines`` and whichever of ``document_actions``,
    ``document_totals``, ``document_related``, ``document_sections`` it has.
    """

    details_template = "tessera/document.html"
    stages: tuple = ()
    side_stages: tuple = ()

    def __init__(self, *args, **kwargs):
        self.extensions = []
        super().__init__(*args, **kwargs)

    # ------------------------------------------------------------ the spec
    def document_stage(self, obj) -> str:
        return obj.state

    def document_passed(self, obj):
        """The keys of the stages ``obj`` went through, or None when every stage before the
        current one was passed (a record that cannot skip stages)."""
        return None

    def document_header(self, obj) -> Header:
        raise TypeError(f"{type(self).__name__}: a document page must define document_header(obj)")

    def document_actions(self, obj) -> list:
        return []

    def document_lines(self, obj) -> Table:
        raise TypeError(f"{type(self).__name__}: a document page must define document_lines(obj)")

    def document_totals(self, obj) -> list:
        return []

    def document_related(self, obj) -> list:
        return []

    def document_sections(self, obj) -> list:
        """Further tables (payments, e-mails, submissions) after the lines."""
        return []

    def document_audited(self, obj) -> list:
        """The (model, id) pairs whose audit entries make the timeline; a third item, when given,
        names that record in the timeline ("Payment"; the page's own record is named by its header)."""
        return [(type(obj), obj.id)]

    # ------------------------------------------------------------ building
    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs["document"] = self.build_document(kwargs["model"])
        return super().render(template, **kwargs)

    def build_document(self, obj) -> dict:
        session = db()
        actions, related = list(self.document_actions(obj)), list(self.document_related(obj))
        notices = []
        for ext in self.extensions:
            if addon_enabled(ext.addon):
                related += ext.links(session, obj) if ext.links else []
                actions += ext.actions(session, obj) if ext.actions else []
                notices += ext.notices(session, obj) if ext.notices else []
        header = self.document_header(obj)
        return {"header": header, "notices": notices, "stage_bar": self.stage_bar(self.document_stage(obj), self.document_passed(obj)),
                "actions": [a for a in actions if can(a.permission)], "lines": self.document_lines(obj),
                "totals": self.document_totals(obj), "related": related,
                "sections": self.document_sections(obj), "timeline": self.timeline(session, obj, header.title)}

    def stage_bar(self, current: str, passed=None) -> list:
        """[(stage, status)] with status done / current / todo / skipped / off (a side stage reached).

        ``passed`` (the keys of the stages the record went through, see ``document_passed``)
        tells an earlier stage it really passed from one it jumped over: a document may go
        from sent straight to paid, and the bar must not claim it was delivered."""
        keys = [s.key for s in self.stages]
        side = next((s for s in self.side_stages if s.key == current), None)
        position = keys.index(current) if current in keys else -1
        bar = []
        for i, stage in enumerate(self.stages):
            if side:    # a cancelled record: the stages it went through are done, the rest never will be
                status = "done" if passed is not None and stage.key in passed else "skipped"
            else:
                status = "done" if i < position else "current" if i == position else "todo"
                if status == "done" and passed is not None and stage.key not in passed:
                    status = "skipped"
            bar.append((stage, status))
        if side:
            bar.append((side, "off"))
        return bar

    def timeline(self, session, obj, title=None) -> list:
        """Who did what to the record, newest first, worded as the records' own screens word them:
        their view's column labels, status labels and code labels, in the reader's language."""
        entries, names = [], {}
        for model, record_id, *label in self.document_audited(obj):
            table = model if isinstance(model, str) else model.__tablename__
            names.setdefault(table, label[0] if label else title if table == self.model.__tablename__ else None)
            entries += history(session, model, record_id)
        entries.sort(key=lambda e: (e.at, e.id), reverse=True)
        users = {u.id: u.email for u in session.scalars(
            select(User).where(User.id.in_({e.user_id for e in entries if e.user_id})))}
        readers = {table: _Reader.of(self._view_of(table)) for table in names}
        return [Event(at=when(e.at), who=users.get(e.user_id, gettext("system")),
                      what=_describe(e, names.get(e.model), readers[e.model]), changes=_changes(e, readers[e.model]))
                for e in entries]

    def _view_of(self, table: str):
        """The admin view that shows rows of ``table`` (this one for its own records), or None."""
        if table == self.model.__tablename__:
            return self
        return next((v for v in getattr(self.admin, "_views", ())
                     if getattr(getattr(v, "model", None), "__tablename__", None) == table), None)


@dataclass(frozen=True)
class _Reader:
    """How an audited record's own screen names its fields and shows its codes."""
    labels: dict
    codes: dict             # column -> code_label kind, the status column's included

    @classmethod
    def of(cls, view) -> "_Reader":
        if view is None:
            return cls({}, {})
        codes = dict(getattr(view, "code_columns", None) or {})
        status = getattr(view, "status_column", None)
        if status:
            codes[status] = getattr(view, "status_kind", None) or status
        return cls(dict(getattr(view, "column_labels", None) or {}), codes)

    def field(self, key: str) -> str:
        label = self.labels.get(key)
        return str(label) if label is not None else key.replace("_", " ")

    def value(self, key: str, raw) -> str:
        if key in self.codes and isinstance(raw, str):
            return code_label(self.codes[key], raw)
        return _show(raw)


_ACTIONS = {"create": lazy_gettext("created"), "update": lazy_gettext("changed"), "delete": lazy_gettext("deleted")}


def _describe(entry, name, reader: _Reader) -> str:
    thing = str(name) if name else entry.model.split("_", 1)[-1].replace("_", " ")
    state = (entry.after or {}).get("state") if entry.action == "update" else None
    if state:
        return gettext("%(thing)s is now %(state)s", thing=thing, state=reader.value("state", state))
    return f"{thing} {_ACTIONS.get(entry.action, entry.action)}"


def _changes(entry, reader: _Reader) -> list:
    if entry.action != "update":
        return []
    before, after = entry.before or {}, entry.after or {}
    return [(reader.field(key), reader.value(key, before.get(key)), reader.value(key, after.get(key))) for key in after]


def _show(value) -> str:
    """An audit value (stored as JSON text) as a clerk reads it: '150000', not '150000.0000'."""
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            return number(Decimal(value))
        except InvalidOperation:
            pass
        if len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
            try:
                return when(datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value))
            except ValueError:
                pass
        return value.replace("_", " ")
    return str(value)
