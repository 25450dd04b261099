"""Print jobs through the core outbox: queued -> sent -> printed | failed, never reprinted by itself.

``queue_print`` writes a ``PrintJob`` row and its outbox job (``pos_print.print_job``,
one attempt only) in the caller's transaction, so nothing is sent for a sale that
rolls back. ``run_print_job`` (the job) commits the row as *sent* before it opens
the printer, then records *printed* or *failed* with the reason: a job found in any
state but *queued* is never sent again, so a redelivered message, a crash after
sending or a worker killed in the middle can never print a receipt twice. What
failed waits for a clerk: ``retry_print`` is a new job row (attempt n + 1, pointing
at the failed one), written and audited like the first.
"""
from __future__ import annotations

from datetime import timezone

from core.audit import current_user_id
from core.db import utcnow
from core.errors import NotFound, UserError
from core.i18n import _
from core.jobs import enqueue

from .. import devices, paper, writer
from ..models import PrintJob, Printer
from .context import business, row_id, runtime_of
from .printers import connection, get_printer

ACTOR = "pos_print.print_job"


def queue_print(session, printer: Printer, kind: str, content: bytes, *, receipt_id: int | None = None,
                reprint_id: int | None = None, retry_of: PrintJob | None = None) -> PrintJob:
    if not printer.active:
        raise UserError(_("printer: %(name)s is switched off (not active)", name=printer.name))
    job = PrintJob(printer_id=printer.id, kind=kind, content=content, state="queued", receipt_id=receipt_id,
                   reprint_id=reprint_id, attempt=(retry_of.attempt + 1) if retry_of else 1,
                   retry_of_id=retry_of.id if retry_of else None, created_by=current_user_id.get(), bytes_sent=0)
    session.add(job)
    session.flush()
    enqueue(session, ACTOR, max_attempts=1, print_job_id=job.id)
    return job


def get_job(session, job_id: int) -> PrintJob:
    job = session.get(PrintJob, row_id(job_id) or 0)
    if job is None:
        raise NotFound(_("no print job #%(id)s", id=job_id))
    return job


def _lost(session, job: PrintJob) -> bool:
    """A job left *sent* longer than a worker may hold a job: its worker died after sending (or while)."""
    if job.state != "sent" or job.sent_at is None:
        return False
    limit = runtime_of(session).config["OUTBOX_CLAIM_SECONDS"]
    sent_at = job.sent_at if job.sent_at.tzinfo else job.sent_at.replace(tzinfo=timezone.utc)
    return (utcnow() - sent_at).total_seconds() > limit


def retry_print(session, job_id: int) -> PrintJob:
    """A clerk sends a failed job again: a new attempt on the same printer with the same bytes.

    A job whose worker was lost after it was marked *sent* is failed here first ("outcome unknown"):
    it may or may not have printed, and only the clerk, who can see the paper, decides to send it again."""
    job = get_job(session, job_id)
    if _lost(session, job):
        job.state, job.finished_at = "failed", utcnow()
        job.error = _("outcome unknown: the worker was lost after sending; check the paper before sending again")
    if job.state != "failed":
        raise UserError(_("print job #%(id)s is %(state)s; only a failed job can be sent again",
                          id=job.id, state=job.state))
    from sqlalchemy import select
    if session.scalar(select(PrintJob.id).where(PrintJob.retry_of_id == job.id)):
        raise UserError(_("print job #%(id)s was already sent again", id=job.id))
    return queue_print(session, job.printer, job.kind, job.content, receipt_id=job.receipt_id,
                       reprint_id=job.reprint_id, retry_of=job)


def run_print_job(runtime, business_id: int, print_job_id: int) -> str:
    """Send one job's bytes once; the state it ended in."""
    with runtime.transaction(business_id) as session:
        job = session.get(PrintJob, print_job_id)
        if job is None or job.state != "queued":
            return job.state if job else "missing"
        job.state, job.sent_at = "sent", utcnow()
        conn, content = connection(session, job.printer), job.content
    try:
        sent, state, error = devices.deliver(conn, content), "printed", None
    except devices.PrintFailed as exc:
        sent, state, error = exc.bytes_sent, "failed", exc.reason
    with runtime.transaction(business_id) as session:
        job = session.get(PrintJob, print_job_id)
        job.state, job.bytes_sent, job.error, job.finished_at = state, sent, error, utcnow()
    return state


def test_page(printer: Printer, language: str = "en") -> bytes:
    """What a test page prints: the settings, a ruler of the line width, the code page's letters, a raster
    line of Hangul and Han, a QR code, the cut."""
    aim = writer.Target(printer.profile, paper.geometry(printer.paper_width, printer.profile),
                        *paper.choose_code_page(printer.profile, language, printer.code_page),
                        cutter=printer.has_cutter)
    chars = aim.geometry.chars
    L = writer.Line
    items = [L(_("Test page"), align="center", bold=True, big=True), L(printer.name, align="center"),
             L(_("Profile"), printer.profile), L(_("Paper"), f"{printer.paper_width} mm"),
             L(_("Characters per line"), str(chars)), L(_("Dots per line"), str(aim.geometry.dots)),
             L(_("Code page"), aim.code_page), L(("1234567890" * 10)[:chars]),
             L("ÀÉÎÕÜ àéîõü ñ ç ß €"), L("Tiếng Việt: Phở bò, Đà Nẵng"), L("Русский: Сдача"),
             L("한국어 영수증 · 中文小票"), writer.Qr(f"TEST:{printer.name}")]
    return writer.render(items, aim)


def queue_test_page(session, printer_id: int) -> PrintJob:
    printer = get_printer(session, printer_id)
    language = (business(session).languages or ["en"])[0]
    return queue_print(session, printer, "test", test_page(printer, language))


def check_status(runtime, business_id: int, printer_id: int) -> tuple[str, str]:
    """Ask the printer for its status (a job: a printer is outside) and store it on the printer."""
    with runtime.session(business_id) as session:
        conn = connection(session, get_printer(session, printer_id))
    try:
        status, paper_state, error = *devices.read_status(conn), None
    except devices.PrintFailed as exc:
        status, paper_state, error = "offline", "unknown", exc.reason[:255]
    with runtime.transaction(business_id) as session:
        printer = get_printer(session, printer_id)
        printer.status, printer.paper, printer.status_at, printer.status_error = status, paper_state, utcnow(), error
    return status, paper_state
