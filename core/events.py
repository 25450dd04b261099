"""Named events between addons, over blinker.

Every event is declared by its publisher's manifest (``[events] publishes``);
subscribing to an undeclared one stops start-up (the registry reports it) and
publishing one raises. Receivers are held strongly and called in addon
dependency order, and only for addons enabled for the publishing session's
business. A sync handler ``handler(session, business_id, **payload)`` runs in the
publisher's transaction, so it commits or rolls back with it; an async one is a
"core.dispatch_event" job in the outbox, relayed after that same commit.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from blinker import Namespace
from sqlalchemy.orm import Session

from .addons.state import enabled_addons
from .errors import TesseraError, UserError
from .jobs import SkipJob, binding_for, core_job, enqueue


class EventError(TesseraError):
    """An event used against its declaration (a programming error, not bad input)."""


@dataclass(frozen=True)
class Receiver:
    addon: str
    handler: object
    mode: str  # sync | async
    name: str  # "addon:.events:on_paid", stable across processes

    def __call__(self, session: Session, *, event: str, business_id: int, enabled: frozenset, payload: dict):
        if self.addon not in enabled:
            return None
        if self.mode == "async":
            return enqueue(session, "core.dispatch_event", event=event, handler=self.name, payload=payload)
        return self.handler(session, business_id, **payload)


_signals: dict[int, Namespace] = {}


def bind_events(runtime) -> Namespace:
    """Connect every subscriber of the loaded registry, in load (= dependency) order."""
    signals = Namespace()
    for event, subscribers in runtime.registry.subscribers.items():
        signal = signals.signal(event)
        for addon, handler, mode, name in subscribers:
            signal.connect(Receiver(addon, handler, mode, name), weak=False)
    binding_for(runtime).events = signals
    return signals


def publish(session: Session, name: str, **payload) -> int:
    """Announce ``name`` for the session's business; return how many receivers acted.

    Raises EventError for an event no loaded addon declares. A sync handler's
    exception propagates, failing the publisher's transaction as a whole.
    """
    binding = binding_for(session)
    registry = binding.runtime.registry
    if name not in registry.events:
        raise EventError(f"event {name!r} is not declared; add it to the publishing addon's "
                         f"[events] publishes (declared: {', '.join(sorted(registry.events))})")
    business_id = session.info.get("business_id")
    if business_id is None:
        raise UserError(f"event {name}: no business selected; events are published for one business")
    try:
        payload = json.loads(json.dumps(payload))
    except (TypeError, ValueError) as exc:
        raise UserError(f"event {name}: payload must be JSON values (ids, strings, numbers): {exc}") from None
    signals = getattr(binding, "events", None) or bind_events(binding.runtime)
    if name not in signals:
        return 0
    enabled = enabled_addons(session, business_id)
    results = signals[name].send(session, event=name, business_id=business_id, enabled=enabled, payload=payload)
    return sum(1 for receiver, _ in results if receiver.addon in enabled)


@core_job("dispatch_event")
def dispatch_event(ctx, event: str, handler: str, payload: dict):
    """Run one async subscriber in its own transaction (retried by the outbox on failure)."""
    registry = ctx.runtime.registry
    for addon, fn, mode, name in registry.subscribers.get(event, ()):
        if name == handler:
            break
    else:
        raise UserError(f"event {event}: no subscriber {handler!r} in this installation")
    with ctx.transaction() as session:
        if addon not in enabled_addons(session, ctx.business_id):
            raise SkipJob(f"addon '{addon}' is disabled for business {ctx.business_id}")
        fn(session, ctx.business_id, **payload)
