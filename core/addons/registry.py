"""The registry: every discovered addon, in load order, with what it provides.

``Registry.discover`` reads manifests only (cheap: used by ``addons list`` and
``addons check``). ``Registry.load`` imports each addon's modules once per process
and resolves every import string, collecting all failures so the app refuses to
start with the whole list rather than running half-loaded.
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
from dataclasses import dataclass, field

from .discovery import discover
from .errors import AddonError
from .graph import load_order
from .manifest import Manifest

CORE_EVENTS = ("core.addon_enabled", "core.addon_disabled")
# Provided modules imported on first ``get`` rather than by ``load``: the REST API's (pydantic
# schemas for every resource, built at import), which a process serving the admin or running
# jobs never uses. ``load`` still checks that each such module exists; ``addons check`` checks
# its names statically, and ``check_imports(import_all=True)`` imports them.
LAZY_PROVIDES = frozenset({"api"})


def import_string(target: str):
    """Import 'pkg.module:attr' (or 'pkg.module'); raise ImportError/AttributeError."""
    module_name, _, attr = target.partition(":")
    obj = importlib.import_module(module_name)
    for part in filter(None, attr.split(".")):
        obj = getattr(obj, part)
    return obj


class Deferred:
    """A function named by an import string, imported when first called (a webhook payload that
    lives in a module of ``LAZY_PROVIDES``)."""

    def __init__(self, target: str):
        self.target = target
        self._fn = None

    def __call__(self, *args, **kwargs):
        if self._fn is None:
            self._fn = import_string(self.target)
        return self._fn(*args, **kwargs)


@dataclass
class Registry:
    manifests: dict[str, Manifest]          # in load order
    loaded: bool = False
    provided: dict = field(default_factory=dict)      # (addon, key) -> object
    deferred: dict = field(default_factory=dict)      # (addon, key) -> import string (LAZY_PROVIDES)
    jobs: dict = field(default_factory=dict)          # "addon.func" -> (addon, fn)
    subscribers: dict = field(default_factory=dict)   # event -> [(addon, handler, mode, handler_name)]
    providers: dict = field(default_factory=dict)     # (kind, code) -> (addon, obj, label)
    events: set = field(default_factory=set)
    webhooks: dict = field(default_factory=dict)      # webhook event -> (addon, addon event, payload fn)

    @classmethod
    def discover(cls, config=None, *, builtin=True, extra_paths=None, entry_points=True) -> "Registry":
        paths = extra_paths if extra_paths is not None else (config["ADDONS_PATH"] if config else [])
        use_eps = entry_points and not (config and config.get("DISABLE_ENTRY_POINTS"))
        manifests = discover(paths, builtin=builtin, entry_point_group="tessera.addons" if use_eps else None)
        order = load_order(manifests)
        return cls({name: manifests[name] for name in order})

    # ------------------------------------------------------------ reading
    @property
    def names(self) -> list[str]:
        return list(self.manifests)

    def __contains__(self, name):
        return name in self.manifests

    def __getitem__(self, name) -> Manifest:
        try:
            return self.manifests[name]
        except KeyError:
            raise AddonError([f"'{name}' is not an addon here (known: {', '.join(self.manifests) or 'none'})"]) from None

    def get(self, addon: str, key: str):
        """What ``addon`` provides under ``key`` (after load), or None."""
        found = self.provided.get((addon, key))
        if found is None and (addon, key) in self.deferred:
            found = self.provided[(addon, key)] = import_string(self.deferred.pop((addon, key)))
        return found

    def permissions(self) -> list[str]:
        return [p for m in self.manifests.values() for p in m.permissions]

    def provider(self, kind: str, code: str):
        try:
            return self.providers[(kind, code)]
        except KeyError:
            known = ", ".join(c for k, c in self.providers if k == kind) or "none"
            raise AddonError([f"no {kind} provider {code!r} (registered: {known})"]) from None

    # ------------------------------------------------------------ loading
    def load(self) -> "Registry":
        if self.loaded:
            return self
        problems = self.check_imports()
        if problems:
            raise AddonError(problems)
        self.loaded = True
        return self

    def check_imports(self, import_all: bool = False) -> list[str]:
        """Resolve every import string; return one line per broken one. ``LAZY_PROVIDES`` (and the
        webhook payloads they hold) are only found, not imported, unless ``import_all``."""
        problems = []
        # Rebuilt from scratch: a second call (``addons check`` then ``load``) must not
        # register every subscriber twice, which would run sync handlers twice.
        self.provided, self.jobs, self.subscribers, self.providers = {}, {}, {}, {}
        self.deferred = {}
        self.webhooks = {}   # webhook event -> (addon, the addon event it follows, payload function)
        self.events = set(CORE_EVENTS)
        for m in self.manifests.values():
            self.events.update(m.publishes)

        def resolve(m: Manifest, what: str, target: str):
            full = m.resolve(target)
            try:
                return import_string(full)
            except Exception as exc:  # any failure to import is the addon's problem to report
                problems.append(f"{m.name}: {what} = {target!r} cannot be imported ({type(exc).__name__}: {exc}); "
                                f"fix the path in addon.toml or the module")
                return None

        def find(m: Manifest, what: str, target: str) -> str | None:
            full = m.resolve(target)
            try:
                found = importlib.util.find_spec(full.partition(":")[0]) is not None
            except Exception:  # a parent package that fails to import
                found = False
            if not found:
                problems.append(f"{m.name}: {what} = {target!r} cannot be imported (no such module); "
                                f"fix the path in addon.toml or the module")
                return None
            return full

        def find_later(m: Manifest, what: str, target: str):
            full = find(m, what, target)
            return None if full is None else Deferred(full)

        for m in self.manifests.values():
            resolve(m, "package", m.package)
            for key, target in m.provides.items():
                if key in LAZY_PROVIDES and not import_all:
                    full = find(m, f"provides.{key}", target)
                    if full is not None:
                        self.deferred[(m.name, key)] = full
                    continue
                obj = resolve(m, f"provides.{key}", target)
                if obj is not None:
                    self.provided[(m.name, key)] = obj
            jobs_module = self.provided.get((m.name, "jobs"))
            if jobs_module is not None:
                for fname, fn in inspect.getmembers(jobs_module, inspect.isfunction):
                    if not fname.startswith("_") and fn.__module__ == jobs_module.__name__:
                        self.jobs[f"{m.name}.{fname}"] = (m.name, fn)
            for schedule in m.schedules:
                job_name = schedule.job if "." in schedule.job else f"{m.name}.{schedule.job}"
                if jobs_module is not None and job_name not in self.jobs:
                    problems.append(f"{m.name}: field 'schedules' {schedule.name!r} runs job {schedule.job!r}, "
                                    f"which is not a function in {m.package}.jobs; add it or fix the name")
                elif jobs_module is None:
                    problems.append(f"{m.name}: field 'schedules' {schedule.name!r} needs a jobs module; "
                                    f"add jobs = \".jobs\" under [provides]")
            for sub in m.subscribes:
                if sub.event not in self.events:
                    problems.append(f"{m.name}: field 'events.subscribe' names undeclared event {sub.event!r}; "
                                    f"fix the name or declare it in the publisher's [events] publishes")
                    continue
                handler = resolve(m, f"events.subscribe {sub.event}", sub.handler)
                if handler is not None:
                    self.subscribers.setdefault(sub.event, []).append(
                        (m.name, handler, sub.mode, f"{m.name}:{sub.handler}"))
            lazy_modules = {m.resolve(t).partition(":")[0] for k, t in m.provides.items()
                            if k in LAZY_PROVIDES and not import_all}
            for hook in m.webhooks:
                in_lazy = m.resolve(hook.payload).partition(":")[0] in lazy_modules
                problems.extend(self._add_webhook(m, hook, find_later if in_lazy else resolve))
            for spec in m.providers:
                obj = resolve(m, f"providers {spec.kind}/{spec.code}", spec.target)
                if obj is not None:
                    if (spec.kind, spec.code) in self.providers:
                        problems.append(f"{m.name}: provider {spec.kind}/{spec.code} is already registered by "
                                        f"{self.providers[(spec.kind, spec.code)][0]}")
                    self.providers[(spec.kind, spec.code)] = (m.name, obj, spec.label)
        return problems

    def _add_webhook(self, m: Manifest, hook, resolve) -> list[str]:
        """Send webhook ``hook.event`` when ``hook.on`` is published: a sync subscriber of the addon
        (it runs in the publisher's transaction and writes outbox deliveries; see core.api.webhooks)."""
        if hook.on not in self.events:
            return [f"{m.name}: webhooks {hook.event!r} follows undeclared event {hook.on!r}; fix 'on' or declare it"]
        if hook.event in self.webhooks:
            return [f"{m.name}: webhook event {hook.event!r} is already sent by {self.webhooks[hook.event][0]}"]
        payload = resolve(m, f"webhooks {hook.event}", hook.payload)
        if payload is None:
            return []
        from ..api.webhooks import subscriber
        self.webhooks[hook.event] = (m.name, hook.on, payload)
        self.subscribers.setdefault(hook.on, []).append(
            (m.name, subscriber(hook.event, payload), "sync", f"{m.name}:webhook:{hook.event}"))
        return []
