"""Installed (per database) and enabled (per business) addons.

The enabled set is read on every request, job and event, so it is cached per
process for a few seconds; changes made in this process clear it at once and
other processes see them after ``CACHE_SECONDS``.
"""
from __future__ import annotations

import time

from sqlalchemy import event, select

from ..errors import UserError
from ..models import BusinessAddon, InstalledAddon
from .graph import auto_installs, closure, dependents

CACHE_SECONDS = 5.0
_cache: dict[tuple[str, int], tuple[float, frozenset]] = {}


def installed(session) -> dict[str, str]:
    return dict(session.execute(select(InstalledAddon.name, InstalledAddon.version)).all())


def enabled_addons(session, business_id: int) -> frozenset:
    key = (str(session.get_bind().url), business_id)
    changing = session.info.get("addons_changed")
    hit = None if changing else _cache.get(key)
    now = time.monotonic()
    if hit and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    names = frozenset(session.scalars(
        select(BusinessAddon.addon).where(BusinessAddon.business_id == business_id, BusinessAddon.enabled),
        execution_options={"all_businesses": True}))
    if not changing:
        # A session that is enabling or disabling sees its own uncommitted rows;
        # caching them would leak a state that may still roll back.
        _cache[key] = (now, names)
    return names


def _mark_changing(session):
    """Bypass the cache in this session until its transaction ends, then drop the cache."""
    session.info["addons_changed"] = True
    if not session.info.get("addons_listener"):
        session.info["addons_listener"] = True

        @event.listens_for(session, "after_transaction_end")
        def _settled(sess, transaction):
            if transaction.parent is None:
                sess.info.pop("addons_changed", None)
                clear_cache()


def clear_cache():
    _cache.clear()


def is_enabled(session, business_id: int, addon: str) -> bool:
    return addon in enabled_addons(session, business_id)


def enable(session, registry, business_id: int, names, *, context=None) -> list[str]:
    """Enable ``names`` with their dependencies and auto-install bridges.

    Returns the addons newly enabled, in load order, after running each one's
    idempotent ``on_enable(session, business_id)`` hook.
    """
    manifests = registry.manifests
    names = [names] if isinstance(names, str) else list(names)
    for name in names:
        registry[name]  # clear error for an unknown name
    current = set(enabled_addons(session, business_id))
    wanted = auto_installs(manifests, current | set(closure(manifests, names)))
    new = [n for n in registry.names if n in wanted and n not in current]
    have = installed(session)
    missing = [n for n in new if n not in have]
    if missing:
        raise UserError(f"not installed in this database: {', '.join(missing)}; the platform operator must "
                        f"update the database first", cli_hint="run 'python manage.py migrate'")
    rows = {r.addon: r for r in session.scalars(
        select(BusinessAddon).where(BusinessAddon.business_id == business_id),
        execution_options={"all_businesses": True})}
    _mark_changing(session)
    for name in new:
        if name in rows:
            rows[name].enabled = True
        else:
            session.add(BusinessAddon(business_id=business_id, addon=name, enabled=True))
    session.flush()
    clear_cache()
    for name in new:
        hook = registry.get(name, "on_enable")
        if hook is not None:
            hook(session, business_id)
    return new


def disable(session, registry, business_id: int, name: str, *, with_dependents: bool = False) -> list[str]:
    """Disable ``name``; refused while enabled addons depend on it, unless ``with_dependents``.

    Nothing is dropped: tables and rows stay, the addon just stops acting for
    this business.
    """
    registry[name]
    current = set(enabled_addons(session, business_id))
    if name not in current:
        raise UserError(f"'{name}' is not enabled for this business")
    needing = dependents(registry.manifests, name, current)
    # Auto-install bridges came in with their dependencies and go out with them;
    # only addons someone enabled on purpose block the disable.
    blocking = [n for n in needing if not registry.manifests[n].auto_install]
    if blocking and not with_dependents:
        raise UserError(f"cannot disable '{name}': enabled addons depend on it ({', '.join(blocking)}); "
                        f"disable them first", cli_hint="or use --with-dependents")
    off = [name] + needing
    _mark_changing(session)
    for row in session.scalars(select(BusinessAddon).where(BusinessAddon.business_id == business_id,
                                                           BusinessAddon.addon.in_(off)),
                               execution_options={"all_businesses": True}):
        row.enabled = False
    session.flush()
    clear_cache()
    return [n for n in reversed(registry.names) if n in off]
