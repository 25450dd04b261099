"""Courier jobs (dramatiq actors "courier.<name>" through the outbox); thin callers of the services.

Each is safe to run twice: a redelivered message finds the work done (the
shipment settled, the events stored) and does nothing more.
"""
from __future__ import annotations

from core.jobs import SkipJob

from .services import sending, tracking


def create_at_carrier(ctx, shipment_id: int):
    """Create the parcel at the carrier; after an unknown outcome, look the client code up first."""
    state = sending.run_create(ctx.runtime, ctx.business_id, shipment_id)
    if state == "failed":
        raise SkipJob(f"shipment #{shipment_id}: the carrier refused it (see the shipment page)")


def cancel_at_carrier(ctx, shipment_id: int):
    sending.run_cancel(ctx.runtime, ctx.business_id, shipment_id)


def return_at_carrier(ctx, shipment_id: int):
    """Ask the carrier to send a parcel whose delivery failed back to the shop."""
    sending.run_return(ctx.runtime, ctx.business_id, shipment_id)


def refresh_shipment(ctx, shipment_id: int, source: str = "pull"):
    """Read one parcel's state from the carrier (after a webhook: the body was only a hint)."""
    tracking.refresh(ctx.runtime, ctx.business_id, shipment_id, source)


def pull_tracking(ctx):
    """Scheduled every 30 minutes: the history of every shipment not in a final state."""
    tracking.pull_open(ctx.runtime, ctx.business_id)
