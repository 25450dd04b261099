"""Jobs of the receipt printing addon (run as "pos_print.<name>" through the core outbox).

A printer is outside the database, so it is only ever talked to from here. Print
jobs are enqueued with ``max_attempts=1``: the outbox never runs one twice, and the
job itself refuses a print job that is not queued any more (``run_print_job``).
"""
from __future__ import annotations

from .services import check_status as _check_status
from .services import run_print_job


def print_job(ctx, print_job_id: int):
    run_print_job(ctx.runtime, ctx.business_id, print_job_id)


def check_status(ctx, printer_id: int):
    _check_status(ctx.runtime, ctx.business_id, printer_id)
