"""The addon manifest: ``addon.toml``, read without importing the addon.

A manifest is a frozen dataclass. Unknown keys and wrong types are errors that
name the addon, the field and what is expected, because a typo in a manifest
otherwise fails silently (an event never subscribed, a job never scheduled).
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..settings import coerce_setting
from .errors import AddonError

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
IMPORT_RE = re.compile(r"^\.?[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$|^\.?[A-Za-z_][\w.]*$")
PERMISSION_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
PROVIDES_KEYS = ("models", "admin", "jobs", "commands", "demo", "demo_prepare", "demo_business", "on_enable", "events",
                 "dashboard", "api")
SETTING_TYPES = ("bool", "int", "str", "decimal", "choice", "secret")
CORE_VERSION = (0, 1, 0)


@dataclass(frozen=True)
class Schedule:
    name: str
    cron: str
    job: str


@dataclass(frozen=True)
class Subscription:
    event: str
    handler: str
    mode: str  # "sync" or "async"


@dataclass(frozen=True)
class WebhookSpec:
    """An event integrators may subscribe endpoints to: ``event`` (order.paid) is sent when the
    addon event ``on`` (sales.order_paid) is published, with ``payload(session, business_id, **event)``."""
    event: str
    on: str
    payload: str


@dataclass(frozen=True)
class SettingSpec:
    key: str
    type: str
    default: object
    label: str
    help: str = ""
    choices: tuple = ()


@dataclass(frozen=True)
class ProviderSpec:
    kind: str
    code: str
    target: str
    label: str


@dataclass(frozen=True)
class Manifest:
    name: str
    version: str
    summary: str
    path: Path
    package: str
    # What staff call the addon ("E-invoicing", not "einvoice"): refusal pages and the addons screen show it.
    label: str = ""
    requires_core: str = ">=0.1"
    depends: tuple = ()
    optional_depends: tuple = ()
    # Addons whose demo data must exist before this one's demo runs, when they are
    # present; an ordering of demos only, never a dependency (see graph.demo_order).
    demo_after: tuple = ()
    auto_install: bool = False
    provides: dict = field(default_factory=dict)
    schedules: tuple = ()
    publishes: tuple = ()
    subscribes: tuple = ()
    permissions: tuple = ()
    settings: tuple = ()
    providers: tuple = ()
    webhooks: tuple = ()

    @property
    def title(self) -> str:
        """The human name: ``label``, else the name with its underscores as spaces."""
        return self.label or self.name.replace("_", " ").capitalize()

    def resolve(self, import_string: str) -> str:
        """Make a manifest import string absolute: '.models' -> 'addons.sales.models'."""
        return self.package + import_string if import_string.startswith(".") else import_string

    def setting(self, key: str) -> SettingSpec:
        for spec in self.settings:
            if spec.key == key:
                return spec
        raise KeyError(f"{self.name}: no setting {key!r}")


TOP_KEYS = {"name", "label", "version", "summary", "requires_core", "depends", "optional_depends", "demo_after",
            "auto_install", "provides", "schedules", "events", "permissions", "settings", "providers", "webhooks"}


@dataclass
class _Fields:
    """One addon.toml being read: its data, and every problem found so far (all are reported at once)."""
    where: str
    data: dict
    problems: list = field(default_factory=list)

    def bad(self, field_name, expected):
        self.problems.append(f"{self.where}: field '{field_name}' {expected}")

    def tables(self, key, value):
        """An array of tables ([[key]]); anything else is reported, not iterated."""
        if not isinstance(value, list):
            self.bad(key, f"must be an array of tables, written [[{key}]]")
            return []
        return value

    def names(self, key):
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and NAME_RE.match(v) for v in value):
            self.bad(key, "must be a list of addon names")
            return ()
        return tuple(value)


def read_manifest(path: Path, package: str) -> Manifest:
    """Parse ``path`` (an addon.toml); raise AddonError listing every problem found."""
    where = f"{path.parent.name} ({path})"
    f = _Fields(where, _load(path, where))
    for key in sorted(set(f.data) - TOP_KEYS):
        f.bad(key, f"is unknown; remove it or fix its spelling (allowed: {', '.join(sorted(TOP_KEYS))})")
    name, version, summary, requires_core = _identity(f, path.parent.name)
    label = f.data.get("label", "")
    if not isinstance(label, str):
        f.bad("label", "must be a string, the name staff know the addon by (\"E-invoicing\")")
        label = ""
    depends, optional, demo_after = f.names("depends"), f.names("optional_depends"), f.names("demo_after")
    if name in demo_after:
        f.bad("demo_after", f"names '{name}' itself; remove it")
    auto_install = f.data.get("auto_install", False)
    if not isinstance(auto_install, bool):
        f.bad("auto_install", "must be true or false")
    provides = _provides(f)
    schedules = _schedules(f)
    publishes, subscribes = _events(f)
    permissions = _permissions(f, name)
    settings = _settings(f)
    providers = _providers(f)
    webhooks = _webhooks(f)
    if f.problems:
        raise AddonError(f.problems)
    return Manifest(name=name, version=version, summary=summary, path=path.parent, package=package, label=label,
                    requires_core=requires_core, depends=depends, optional_depends=optional,
                    demo_after=demo_after,
                    auto_install=auto_install, provides=dict(provides), schedules=tuple(schedules),
                    publishes=tuple(publishes), subscribes=tuple(subscribes),
                    permissions=tuple(permissions), settings=tuple(settings), providers=tuple(providers),
                    webhooks=tuple(webhooks))


def _load(path: Path, where: str) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AddonError([f"{where}: addon.toml cannot be read ({exc.strerror}); every addon package "
                          f"needs one next to its __init__.py"]) from None
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AddonError([f"{where}: addon.toml is not valid TOML: {exc}; fix the syntax there"]) from None


def _identity(f: _Fields, folder: str) -> tuple:
    """name, version, summary and requires_core (the name falls back to the folder's when invalid)."""
    name = f.data.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        f.bad("name", "must be lower-case letters, digits and underscores, starting with a letter")
        name = folder
    elif name != folder:
        f.bad("name", f"is {name!r} but the folder is {folder!r}; rename one so they match")
    version = f.data.get("version")
    if not isinstance(version, str) or not re.match(r"^\d+\.\d+(\.\d+)?$", version):
        f.bad("version", "must be a version string such as \"1.0.0\"")
    summary = f.data.get("summary", "")
    if not isinstance(summary, str):
        f.bad("summary", "must be a string")
    requires_core = f.data.get("requires_core", ">=0.1")
    wanted = _core_wanted(requires_core)
    if wanted is None:
        f.bad("requires_core", f"{requires_core!r} must read \">=MAJOR.MINOR\", e.g. \">=0.1\"")
    elif CORE_VERSION < wanted:
        f.bad("requires_core", f"asks for core {requires_core!r} but this core is "
                               f"{'.'.join(map(str, CORE_VERSION))}; upgrade Tessera or use an older addon release")
    return name, version, summary, requires_core


def _provides(f: _Fields) -> dict:
    provides = f.data.get("provides", {})
    if not isinstance(provides, dict):
        f.bad("provides", "must be a table")
        provides = {}
    for key, value in provides.items():
        if key not in PROVIDES_KEYS:
            f.bad(f"provides.{key}", f"is unknown; remove it or fix its spelling (allowed: {', '.join(PROVIDES_KEYS)})")
        elif not isinstance(value, str) or not IMPORT_RE.match(value):
            f.bad(f"provides.{key}", "must be an import string such as \".models\" or \".admin:register\"")
    return provides


def _schedules(f: _Fields) -> list:
    schedules = []
    for i, item in enumerate(f.tables("schedules", f.data.get("schedules", []))):
        if not isinstance(item, dict) or set(item) - {"name", "cron", "job"} or not all(
                isinstance(item.get(k), str) for k in ("name", "cron", "job")):
            f.bad(f"schedules[{i}]", "must have string keys name, cron and job only")
            continue
        if not _valid_cron(item["cron"]):
            f.bad(f"schedules[{i}].cron", f"{item['cron']!r} is not a cron expression; write five fields "
                                          f"(minute hour day month weekday), e.g. \"0 3 * * *\"")
        schedules.append(Schedule(item["name"], item["cron"], item["job"]))
    return schedules


def _events(f: _Fields) -> tuple:
    events = f.data.get("events", {})
    publishes, subscribes = (), []
    if not isinstance(events, dict) or set(events) - {"publishes", "subscribe"}:
        f.bad("events", "must be a table with 'publishes' (list) and 'subscribe' (array of tables)")
    else:
        publishes = events.get("publishes", [])
        if not isinstance(publishes, list) or not all(isinstance(e, str) and "." in e for e in publishes):
            f.bad("events.publishes", "must be a list of event names such as \"sales.order_paid\"")
            publishes = []
        for i, item in enumerate(f.tables("events.subscribe", events.get("subscribe", []))):
            ok = isinstance(item, dict) and not set(item) - {"event", "handler", "mode"}
            if not ok or not isinstance(item.get("event"), str) or not isinstance(item.get("handler"), str):
                f.bad(f"events.subscribe[{i}]", "needs string keys event and handler (and mode)")
                continue
            mode = item.get("mode", "sync")
            if mode not in ("sync", "async"):
                f.bad(f"events.subscribe[{i}].mode", "must be \"sync\" or \"async\"")
            if not IMPORT_RE.match(item["handler"]) or ":" not in item["handler"]:
                f.bad(f"events.subscribe[{i}].handler", "must be an import string such as \".events:on_paid\"")
            subscribes.append(Subscription(item["event"], item["handler"], mode))
    return publishes, subscribes


def _permissions(f: _Fields, name: str) -> list:
    permissions = f.data.get("permissions", [])
    if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
        f.bad("permissions", "must be a list of strings")
        permissions = []
    for perm in permissions:
        if not PERMISSION_RE.match(perm) or perm.split(".")[0] != name:
            f.bad("permissions", f"{perm!r} must read '{name}.<object>.<action>'")
    return permissions


def _settings(f: _Fields) -> list:
    settings = []
    settings_table = f.data.get("settings", {})
    if not isinstance(settings_table, dict):
        f.bad("settings", "must be a table of [settings.<key>] tables")
        settings_table = {}
    for key, spec in settings_table.items():
        if not isinstance(spec, dict):
            f.bad(f"settings.{key}", "must be a table")
            continue
        extra = set(spec) - {"type", "default", "label", "help", "choices"}
        if extra:
            f.bad(f"settings.{key}", f"has unknown keys {sorted(extra)}")
        kind = spec.get("type")
        if kind not in SETTING_TYPES:
            f.bad(f"settings.{key}.type", f"must be one of {', '.join(SETTING_TYPES)}")
            continue
        choices = spec.get("choices", [])
        if not isinstance(choices, list) or (kind == "choice" and not choices):
            f.bad(f"settings.{key}.choices", "must be a non-empty list of allowed values for a choice setting")
            continue
        choices = tuple(choices)
        default = spec.get("default", _EMPTY[kind])
        try:
            default = coerce_setting(kind, default, choices)
        except ValueError as exc:
            f.bad(f"settings.{key}.default", str(exc))
        settings.append(SettingSpec(key, kind, default, spec.get("label", key.replace("_", " ").capitalize()),
                                    spec.get("help", ""), choices))
    return settings


WEBHOOK_EVENT_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


def _webhooks(f: _Fields) -> list:
    """``[[webhooks]]``: event (order.paid), on (the addon event that sends it), payload (an import string)."""
    webhooks = []
    for i, item in enumerate(f.tables("webhooks", f.data.get("webhooks", []))):
        if not isinstance(item, dict) or set(item) != {"event", "on", "payload"} or not all(
                isinstance(v, str) for v in item.values()):
            f.bad(f"webhooks[{i}]", "needs exactly the string keys event, on and payload")
            continue
        if not WEBHOOK_EVENT_RE.match(item["event"]):
            f.bad(f"webhooks[{i}].event", f"{item['event']!r} must read 'thing.happened', e.g. \"order.paid\"")
        if not IMPORT_RE.match(item["payload"]) or ":" not in item["payload"]:
            f.bad(f"webhooks[{i}].payload", "must be an import string such as \".api:order_payload\"")
        webhooks.append(WebhookSpec(item["event"], item["on"], item["payload"]))
    return webhooks


def _providers(f: _Fields) -> list:
    providers = []
    for i, item in enumerate(f.tables("providers", f.data.get("providers", []))):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("kind", "code", "target")):
            f.bad(f"providers[{i}]", "needs string keys kind, code and target")
            continue
        if not IMPORT_RE.match(item["target"]):
            f.bad(f"providers[{i}].target", "must be an import string such as \".providers:Offline\"")
        providers.append(ProviderSpec(item["kind"], item["code"], item["target"], item.get("label", item["code"])))
    return providers


_EMPTY = {"bool": False, "int": 0, "str": "", "decimal": "0", "choice": None, "secret": ""}


def _valid_cron(expr: str) -> bool:
    if len(expr.split()) != 5:
        return False
    if _plain_cron(expr):
        return True
    from croniter import croniter
    return croniter.is_valid(expr)


# Minute, hour, day of month, month, day of week: the ranges a plain field stays within.
_CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_CRON_ITEM = re.compile(r"(?:\*|(\d{1,2})(?:-(\d{1,2}))?)(?:/(\d{1,2}))?")


def _plain_cron(expr: str) -> bool:
    """True for the cron expressions addons write (``*/15 * * * *``, ``0 6 * * 1-5``): every field
    ``*``, a number or an ascending range, each with an optional step, in comma lists, within its
    range. croniter accepts all of these; anything else is left to croniter, whose import (with
    dateutil's) would otherwise be a part of every start-up that reads a manifest."""
    for field_text, (low, high) in zip(expr.split(), _CRON_RANGES):
        for item in field_text.split(","):
            match = _CRON_ITEM.fullmatch(item)
            if not match:
                return False
            start, end, step = (int(v) if v is not None else None for v in match.groups())
            if step is not None and step == 0:
                return False
            if start is not None and not (low <= start <= high and (end is None or start <= end <= high)):
                return False
    return True


def _core_wanted(spec) -> tuple | None:
    """The minimum core version of a ``">=0.1"`` spec, or None when it is malformed."""
    if not isinstance(spec, str):
        return None
    match = re.match(r"^\s*>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$", spec)
    if not match:
        return None
    return tuple(int(p or 0) for p in match.groups())
