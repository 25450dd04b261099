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

from .errors import AddonError

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
IMPORT_RE = re.compile(r"^\.?[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$|^\.?[A-Za-z_][\w.]*$")
PERMISSION_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
PROVIDES_KEYS = ("models", "admin", "jobs", "commands", "demo", "on_enable", "events")
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

    def resolve(self, import_string: str) -> str:
        """Make a manifest import string absolute: '.models' -> 'addons.sales.models'."""
        return self.package + import_string if import_string.startswith(".") else import_string

    def setting(self, key: str) -> SettingSpec:
        for spec in self.settings:
            if spec.key == key:
                return spec
        raise KeyError(f"{self.name}: no setting {key!r}")


TOP_KEYS = {"name", "version", "summary", "requires_core", "depends", "optional_depends", "demo_after",
            "auto_install", "provides", "schedules", "events", "permissions", "settings", "providers"}


def read_manifest(path: Path, package: str) -> Manifest:
    """Parse ``path`` (an addon.toml); raise AddonError listing every problem found."""
    where = f"{path.parent.name} ({path})"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AddonError([f"{where}: addon.toml cannot be read ({exc.strerror}); every addon package "
                          f"needs one next to its __init__.py"]) from None
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AddonError([f"{where}: addon.toml is not valid TOML: {exc}; fix the syntax there"]) from None
    problems: list[str] = []

    def bad(field_name, expected):
        problems.append(f"{where}: field '{field_name}' {expected}")

    for key in sorted(set(data) - TOP_KEYS):
        bad(key, f"is unknown; remove it or fix its spelling (allowed: {', '.join(sorted(TOP_KEYS))})")

    name = data.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        bad("name", "must be lower-case letters, digits and underscores, starting with a letter")
        name = path.parent.name
    elif name != path.parent.name:
        bad("name", f"is {name!r} but the folder is {path.parent.name!r}; rename one so they match")
    version = data.get("version")
    if not isinstance(version, str) or not re.match(r"^\d+\.\d+(\.\d+)?$", version):
        bad("version", "must be a version string such as \"1.0.0\"")
    summary = data.get("summary", "")
    if not isinstance(summary, str):
        bad("summary", "must be a string")
    requires_core = data.get("requires_core", ">=0.1")
    wanted = _core_wanted(requires_core)
    if wanted is None:
        bad("requires_core", f"{requires_core!r} must read \">=MAJOR.MINOR\", e.g. \">=0.1\"")
    elif CORE_VERSION < wanted:
        bad("requires_core", f"asks for core {requires_core!r} but this core is "
                             f"{'.'.join(map(str, CORE_VERSION))}; upgrade Tessera or use an older addon release")

    def tables(key, value):
        """An array of tables ([[key]]); anything else is reported, not iterated."""
        if not isinstance(value, list):
            bad(key, f"must be an array of tables, written [[{key}]]")
            return []
        return value

    def names(key):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and NAME_RE.match(v) for v in value):
            bad(key, "must be a list of addon names")
            return ()
        return tuple(value)

    depends, optional, demo_after = names("depends"), names("optional_depends"), names("demo_after")
    if name in demo_after:
        bad("demo_after", f"names '{name}' itself; remove it")
    auto_install = data.get("auto_install", False)
    if not isinstance(auto_install, bool):
        bad("auto_install", "must be true or false")

    provides = data.get("provides", {})
    if not isinstance(provides, dict):
        bad("provides", "must be a table")
        provides = {}
    for key, value in provides.items():
        if key not in PROVIDES_KEYS:
            bad(f"provides.{key}", f"is unknown; remove it or fix its spelling (allowed: {', '.join(PROVIDES_KEYS)})")
        elif not isinstance(value, str) or not IMPORT_RE.match(value):
            bad(f"provides.{key}", "must be an import string such as \".models\" or \".admin:register\"")

    schedules = []
    for i, item in enumerate(tables("schedules", data.get("schedules", []))):
        if not isinstance(item, dict) or set(item) - {"name", "cron", "job"} or not all(
                isinstance(item.get(k), str) for k in ("name", "cron", "job")):
            bad(f"schedules[{i}]", "must have string keys name, cron and job only")
            continue
        if not _valid_cron(item["cron"]):
            bad(f"schedules[{i}].cron", f"{item['cron']!r} is not a cron expression; write five fields "
                                        f"(minute hour day month weekday), e.g. \"0 3 * * *\"")
        schedules.append(Schedule(item["name"], item["cron"], item["job"]))

    events = data.get("events", {})
    publishes, subscribes = (), []
    if not isinstance(events, dict) or set(events) - {"publishes", "subscribe"}:
        bad("events", "must be a table with 'publishes' (list) and 'subscribe' (array of tables)")
    else:
        publishes = events.get("publishes", [])
        if not isinstance(publishes, list) or not all(isinstance(e, str) and "." in e for e in publishes):
            bad("events.publishes", "must be a list of event names such as \"sales.order_paid\"")
            publishes = []
        for i, item in enumerate(tables("events.subscribe", events.get("subscribe", []))):
            ok = isinstance(item, dict) and not set(item) - {"event", "handler", "mode"}
            if not ok or not isinstance(item.get("event"), str) or not isinstance(item.get("handler"), str):
                bad(f"events.subscribe[{i}]", "needs string keys event and handler (and mode)")
                continue
            mode = item.get("mode", "sync")
            if mode not in ("sync", "async"):
                bad(f"events.subscribe[{i}].mode", "must be \"sync\" or \"async\"")
            if not IMPORT_RE.match(item["handler"]) or ":" not in item["handler"]:
                bad(f"events.subscribe[{i}].handler", "must be an import string such as \".events:on_paid\"")
            subscribes.append(Subscription(item["event"], item["handler"], mode))

    permissions = data.get("permissions", [])
    if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
        bad("permissions", "must be a list of strings")
        permissions = []
    for perm in permissions:
        if not PERMISSION_RE.match(perm) or perm.split(".")[0] != name:
            bad("permissions", f"{perm!r} must read '{name}.<object>.<action>'")

    settings = []
    settings_table = data.get("settings", {})
    if not isinstance(settings_table, dict):
        bad("settings", "must be a table of [settings.<key>] tables")
        settings_table = {}
    for key, spec in settings_table.items():
        if not isinstance(spec, dict):
            bad(f"settings.{key}", "must be a table")
            continue
        extra = set(spec) - {"type", "default", "label", "help", "choices"}
        if extra:
            bad(f"settings.{key}", f"has unknown keys {sorted(extra)}")
        kind = spec.get("type")
        if kind not in SETTING_TYPES:
            bad(f"settings.{key}.type", f"must be one of {', '.join(SETTING_TYPES)}")
            continue
        choices = spec.get("choices", [])
        if not isinstance(choices, list) or (kind == "choice" and not choices):
            bad(f"settings.{key}.choices", "must be a non-empty list of allowed values for a choice setting")
            continue
        choices = tuple(choices)
        default = spec.get("default", _EMPTY[kind])
        from ..settings import coerce_setting  # local: settings imports manifest types
        try:
            default = coerce_setting(kind, default, choices)
        except ValueError as exc:
            bad(f"settings.{key}.default", str(exc))
        settings.append(SettingSpec(key, kind, default, spec.get("label", key.replace("_", " ").capitalize()),
                                    spec.get("help", ""), choices))

    providers = []
    for i, item in enumerate(tables("providers", data.get("providers", []))):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("kind", "code", "target")):
            bad(f"providers[{i}]", "needs string keys kind, code and target")
            continue
        if not IMPORT_RE.match(item["target"]):
            bad(f"providers[{i}].target", "must be an import string such as \".providers:Offline\"")
        providers.append(ProviderSpec(item["kind"], item["code"], item["target"], item.get("label", item["code"])))

    if problems:
        raise AddonError(problems)
    return Manifest(name=name, version=version, summary=summary, path=path.parent, package=package,
                    requires_core=requires_core, depends=depends, optional_depends=optional,
                    demo_after=demo_after,
                    auto_install=auto_install, provides=dict(provides), schedules=tuple(schedules),
                    publishes=tuple(publishes), subscribes=tuple(subscribes),
                    permissions=tuple(permissions), settings=tuple(settings), providers=tuple(providers))


_EMPTY = {"bool": False, "int": 0, "str": "", "decimal": "0", "choice": None, "secret": ""}


def _valid_cron(expr: str) -> bool:
    from croniter import croniter
    return len(expr.split()) == 5 and croniter.is_valid(expr)


def _core_wanted(spec) -> tuple | None:
    """The minimum core version of a ``">=0.1"`` spec, or None when it is malformed."""
    if not isinstance(spec, str):
        return None
    match = re.match(r"^\s*>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$", spec)
    if not match:
        return None
    return tuple(int(p or 0) for p in match.groups())
