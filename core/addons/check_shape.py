"""``addons check``: every kind of thing under its conventional name.

Every addon has the same shape (README, "Writing an addon"): models in
``models``, business logic and ``on_enable`` in ``services``, admin views in
``admin``, jobs in ``jobs``, event handlers in ``events``, CLI commands in
``cli``, demo data in ``demo``, home-page tiles in ``dashboard``, REST resources in ``api``; a module that outgrows its file becomes a package
of the same name (``services/orders.py``). A manifest import string that points
elsewhere means a reader looking for the thing in its usual place will not find
it, so the check names the place and the fix. It reads manifests only.
"""
from __future__ import annotations

from .manifest import Manifest

# [provides] key -> (the module it belongs in, what a reader calls it)
CONVENTIONAL = {
    "models": ("models", "the models"),
    "on_enable": ("services", "an on_enable"),
    "admin": ("admin", "the admin registration"),
    "jobs": ("jobs", "the jobs"),
    "commands": ("cli", "the CLI group"),
    "demo": ("demo", "the demo loader"),
    "demo_prepare": ("demo", "the demo's preparation"),
    "demo_business": ("demo", "the demo's own business"),
    "events": ("events", "the event handlers"),
    "dashboard": ("dashboard", "the dashboard tiles"),
    "api": ("api", "the REST API resources"),
}
HANDLERS = ("events", "an event handler")


def misplaced_kinds(m: Manifest) -> list[str]:
    """One line per import string of ``m`` that puts a kind of thing under another name."""
    out = []
    for key, target in m.provides.items():
        if key in CONVENTIONAL:
            module, label = CONVENTIONAL[key]
            problem = _misplaced(m, target, module, label)
            if problem:
                out.append(f"provides.{key} = {target!r}: {problem}; write {key} = {_fixed(target, module)!r}")
    for sub in m.subscribes:
        module, label = HANDLERS
        problem = _misplaced(m, sub.handler, module, label)
        if problem:
            out.append(f"events.subscribe {sub.event} handler {sub.handler!r}: {problem}; "
                       f"write handler = {_fixed(sub.handler, module)!r}")
    for hook in m.webhooks:
        problem = _misplaced(m, hook.payload, "api", "a webhook payload")
        if problem:
            out.append(f"webhooks {hook.event} payload {hook.payload!r}: {problem}; "
                       f"write payload = {_fixed(hook.payload, 'api')!r}")
    return out


def _misplaced(m: Manifest, target: str, module: str, label: str) -> str | None:
    """Why ``target`` is not in the addon's ``module`` (module.py or the module/ package), or None."""
    path = m.resolve(target).partition(":")[0]
    if not path.startswith(m.package + "."):
        return f"{label} of '{m.name}' must live in the addon itself, in {module}.py (or a {module}/ package)"
    first = path[len(m.package) + 1:].split(".")[0]
    if first == module:
        return None
    return f"{label} belongs in {module}.py (or a {module}/ package), not in {first}; move it there"


def _fixed(target: str, module: str) -> str:
    attr = target.partition(":")[2]
    return f".{module}:{attr}" if attr else f".{module}"
