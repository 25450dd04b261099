"""Reprints: the stored original bytes between two copy marks, with a reason, a counter and an audit entry.

Rules, in the order they are checked (each refusal changes nothing):
the reason is one of ``models.REASONS`` (``other`` needs a note); the receipt has
not used up the ``max_reprints`` setting; when ``require_pin`` is on, a PIN of a
supervisor of this business who still holds ``pos_print.reprint.approve`` (PINs
are argon2id hashes per user, ``core.auth``'s hasher). The counter moves with a
guarded UPDATE (``reprint_count = n``), so two clerks reprinting at once get
copies 1 and 2, or one of them is refused, never two copies numbered 1. The
``Reprint`` row is audited (``core.audit``), and the manager's list reads it per
day and cashier.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from core.audit import current_user_id
from core.auth import has_permission, hash_password, verify_password
from core.db import utcnow
from core.errors import UserError
from core.formatting import code_label, datetime_, register_labels
from core.i18n import _, _l, in_language
from core.models import Membership, User

from .. import paper, writer
from ..models import REASONS, Printer, Receipt, Reprint, SupervisorPin
from .context import business, runtime_of, settings, user_name
from .receipts import find_receipt

# The copy mark exactly as shops write it in each language (the words, not a catalog's).
COPY_MARKS = {"en": "COPY {n}", "ko": "재발행 {n}", "zh": "补打 {n}", "vi": "BẢN SAO {n}", "es": "DUPLICADO {n}",
              "ru": "КОПИЯ {n}"}
register_labels("reprint_reason", {"customer_request": _l("Customer request"), "paper_jam": _l("Paper jam"),
                                   "vat_invoice": _l("For a VAT invoice"), "return": _l("Return"),
                                   "other": _l("Other")})
APPROVE = "pos_print.reprint.approve"


def _check_reason(reason: str, note: str | None) -> str | None:
    if reason not in REASONS:
        raise UserError(_("reason: must be one of %(reasons)s", reasons=", ".join(REASONS)),
                        cli_hint="--reason " + "|".join(REASONS))
    note = (note or "").strip() or None
    if note and ("\x00" in note or len(note) > 255):
        raise UserError(_("note: at most 255 characters of text"))
    if reason == "other" and not note:
        raise UserError(_("note: say why when the reason is other"), cli_hint="add --note TEXT")
    return note


def set_pin(session, user_id: int, pin: str) -> SupervisorPin:
    """Give a supervisor (a member holding the approve permission) a 4 to 8 digit reprint PIN."""
    pin = (pin or "").strip()
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
        raise UserError(_("pin: 4 to 8 digits"))
    business_id = session.info["business_id"]
    user = session.get(User, user_id)
    member = session.scalar(select(Membership.id).where(Membership.user_id == user_id)) if user else None
    if user is None or member is None:
        raise UserError(_("user: not a member of this business"))
    if not has_permission(user, business_id, APPROVE, session=session):
        raise UserError(_("user: %(user)s may not approve reprints (permission %(permission)s)",
                          user=user.email, permission=APPROVE))
    row = session.scalar(select(SupervisorPin).where(SupervisorPin.user_id == user_id))
    if row is None:
        row = SupervisorPin(user_id=user_id, pin_hash=hash_password(pin))
        session.add(row)
    else:
        row.pin_hash = hash_password(pin)
    session.flush()
    return row


def supervisor_for_pin(session, pin: str | None) -> int:
    """The supervisor whose PIN this is (and who may still approve), or a UserError."""
    if not pin:
        raise UserError(_("pin: a supervisor's PIN is required to reprint"), cli_hint="add --pin PIN")
    business_id = session.info["business_id"]
    for row in session.scalars(select(SupervisorPin).order_by(SupervisorPin.id)):
        if verify_password(row.pin_hash, str(pin)):
            user = session.get(User, row.user_id)
            if user is not None and user.active and has_permission(user, business_id, APPROVE, session=session):
                return user.id
    raise UserError(_("pin: not the PIN of a supervisor of this shop"))


def _mark(receipt: Receipt, number: int, when: datetime, who: str, reason: str, note: str | None, tz: str,
          width: int) -> list:
    L = writer.Line
    lines = [L(COPY_MARKS.get(receipt.language, COPY_MARKS["en"]).format(n=number), align="center", bold=True,
               big=True),
             L(datetime_(when, tz, receipt.language), align="center")]
    if who:
        lines.append(L(who, align="center"))
    reason_text = code_label("reprint_reason", reason) + (f": {note}" if note else "")
    lines += [L(part, align="center") for part in paper.wrap(reason_text, width)]
    return lines + [L("=" * width)]


def reprint_target(receipt: Receipt, printer: Printer | None) -> writer.Target:
    """The original's code page and width (its bytes are in them); the printer's cut."""
    profile = printer.profile if printer else "default"
    geometry = paper.Geometry(printer.paper_width if printer else 80, receipt.dots, receipt.chars_per_line)
    return writer.Target(profile, geometry, receipt.code_page, receipt.content[4],
                         cutter=printer.has_cutter if printer else True)


def reprint(session, code_or_payload: str, *, reason: str, note: str | None = None, pin: str | None = None,
            printer: Printer | None = None) -> tuple[Reprint, bytes]:
    """Count, record and render one copy of a receipt (the caller queues or writes the bytes)."""
    note = _check_reason(reason, note)
    receipt = find_receipt(session, code_or_payload)
    config = settings(session)
    limit = int(config["max_reprints"])
    if receipt.reprint_count >= limit:
        raise UserError(_("receipt %(code)s: reprinted %(count)s times, the most allowed (setting: %(limit)s)",
                          code=receipt.code, count=receipt.reprint_count, limit=limit))
    supervisor = supervisor_for_pin(session, pin) if config["require_pin"] or pin else None
    number = receipt.reprint_count + 1
    moved = session.execute(update(Receipt).where(Receipt.id == receipt.id,
                                                  Receipt.reprint_count == receipt.reprint_count)
                            .values(reprint_count=number).execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise UserError(_("receipt %(code)s: another copy was printed at the same moment; try again",
                          code=receipt.code))
    session.expire(receipt, ["reprint_count"])
    biz = business(session)
    now = utcnow()
    user_id = current_user_id.get()
    who = user_name(session, user_id)
    row = Reprint(receipt_id=receipt.id, number=number, reason=reason, note=note, user_id=user_id, user_name=who,
                  supervisor_id=supervisor, day=now.astimezone(ZoneInfo(biz.timezone or "UTC")).date(),
                  created_at=now)
    session.add(row)
    session.flush()
    with in_language(receipt.language, manifests=runtime_of(session).registry.manifests.values()):
        mark = _mark(receipt, number, now, who, reason, note, biz.timezone, receipt.chars_per_line)
    aim = reprint_target(receipt, printer)
    return row, writer.copy_of(receipt.content, mark, aim)


def reprints_by_day(session, day=None, user_id: int | None = None, limit: int = 200) -> list[Reprint]:
    """The manager's list: reprints of a day (business time zone) and optionally one cashier, newest first."""
    query = select(Reprint)
    if day is not None:
        query = query.where(Reprint.day == day)
    if user_id is not None:
        query = query.where(Reprint.user_id == user_id)
    return list(session.scalars(query.order_by(Reprint.created_at.desc(), Reprint.id.desc()).limit(limit)))
