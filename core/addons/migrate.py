"""Schema installation. (Alembic branches per addon: see issue #2 migrations work.)"""
from __future__ import annotations

from ..db import Base
from ..models import InstalledAddon


def install_all(runtime):
    """Bring the database to the current schema and record every addon as installed."""
    Base.metadata.create_all(runtime.db.engine)
    with runtime.transaction(all_businesses=True) as session:
        have = {a.name for a in session.query(InstalledAddon)}
        for name, manifest in runtime.registry.manifests.items():
            if name not in have:
                session.add(InstalledAddon(name=name, version=manifest.version))
