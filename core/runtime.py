"""The runtime: config, database and addon registry of one process.

Web, worker, scheduler and CLI all build the same runtime; ``create_app`` wraps
it in Flask. Building it reads manifests; ``load=True`` also imports addon code,
which the fast CLI listings skip.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .addons.registry import Registry
from .config import Config, load_config
from .db import Database
from .i18n import use_catalogs

_current: "Runtime | None" = None


@dataclass
class Runtime:
    config: Config
    db: Database
    registry: Registry

    def session(self, business_id=None, **kw):
        return self.db.session(business_id, **kw)

    def transaction(self, business_id=None, **kw):
        return self.db.transaction(business_id, **kw)

    def run_in_transaction(self, fn, business_id=None, **kw):
        return self.db.run_in_transaction(fn, business_id, **kw)


def build_runtime(overrides: dict | None = None, *, load: bool = True, config: Config | None = None,
                  make_current: bool = True) -> Runtime:
    global _current
    config = config or load_config(overrides)
    from .jobs_broker import register_actors, setup_broker
    setup_broker(config)  # before any addon code is imported: dramatiq binds actors at declaration
    registry = Registry.discover(config)
    if load:
        from . import models  # noqa: F401  core tables first
        registry.load()
    if not config["DATABASE_URL"]:
        # The embedded default keeps its SQLite file in the instance folder; a fresh
        # checkout has none yet.
        Path(config["INSTANCE_PATH"]).mkdir(parents=True, exist_ok=True)
    runtime = Runtime(config=config, db=Database(config.database_url), registry=registry)
    register_actors(runtime)
    use_catalogs(registry.manifests.values())  # mails and documents rendered in jobs read every addon's catalog
    if make_current:
        _current = runtime
    return runtime


def current() -> Runtime:
    if _current is None:
        raise RuntimeError("no Tessera runtime in this process; build_runtime() first")
    return _current


def set_current(runtime: Runtime | None):
    global _current
    _current = runtime
