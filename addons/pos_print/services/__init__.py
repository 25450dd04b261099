"""Receipt printing services: the one package callers import (admin, CLI, jobs, demo).

One module per flow: ``printers`` (the shop's printers and what their bytes look
like), ``receipts`` (render once from a paid order, find by code or QR),
``reprints`` (copies with reason, PIN, limit and audit), ``printing`` (print jobs
through the outbox). They take a session bound to a business, raise a UserError
naming the field, and never commit.
"""
from __future__ import annotations

from core.errors import UserError
from core.i18n import _

from .. import immutability  # noqa: F401  (the guard on printed receipts)
from .printers import (connection, create_printer, find_printer, get_printer, list_printers,  # noqa: F401
                       target, update_printer, validate_printer)
from .printing import (check_status, get_job, queue_print, queue_test_page, retry_print,  # noqa: F401
                       run_print_job, test_page)
from .receipts import (CASH_RECEIPT_LOOKUPS, find_receipt, get_receipt, issue_for_number,  # noqa: F401
                       issue_receipt, receipt_for_order, secret)
from .counter import (Sale, close_shift, closing_report, counter_sale, current_shift, open_shift,  # noqa: F401
                      shift_figures)
from .reprints import COPY_MARKS, reprint, reprints_by_day, set_pin, supervisor_for_pin  # noqa: F401


def on_enable(session, business_id: int) -> None:
    """Make the business's receipt signing key (idempotent: an existing key is kept)."""
    secret(session)


def print_receipt(session, order_id: int, *, printer_name: str | None = None, tendered=None):
    """Render (first time) and queue a receipt on the named or default printer: (receipt, job or None)."""
    printer = find_printer(session, printer_name)
    receipt, created = issue_receipt(session, order_id, printer=printer, tendered=tendered)
    job = None
    if created and printer is not None:
        job = queue_print(session, printer, "receipt", receipt.content, receipt_id=receipt.id)
    return receipt, job


def reprint_receipt(session, code_or_payload: str, *, reason: str, note=None, pin=None, printer_name=None):
    """Record a copy and queue it on the named, the receipt's own or the default printer: (reprint, bytes, job)."""
    receipt = find_receipt(session, code_or_payload)
    printer = find_printer(session, printer_name) if printer_name else (receipt.printer or find_printer(session, None))
    if printer is None:
        raise UserError(_("printer: choose the printer the copy goes to"))
    row, content = reprint(session, receipt.code, reason=reason, note=note, pin=pin, printer=printer)
    return row, content, queue_print(session, printer, "reprint", content, receipt_id=receipt.id, reprint_id=row.id)
