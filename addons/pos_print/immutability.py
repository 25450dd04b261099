"""A printed receipt is frozen: the ORM refuses a change with a sentence, the database triggers refuse it too.

Only ``reprint_count`` moves after insert (each reprint counts itself); the bytes,
the code and everything printed on the paper stay as they were printed, as an
issued fiscal document does (``addons/einvoice/immutability.py`` is the model).
Receipts are never deleted either: a copy must always find its original.
"""
from __future__ import annotations

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from core.errors import UserError
from core.i18n import _

from .models import FROZEN_COLUMNS, Receipt


class ImmutableReceiptError(UserError):
    """A write to a printed receipt was refused."""


@event.listens_for(Session, "before_flush")
def _guard_receipts(session, _flush_context, _instances):
    for obj in session.dirty:
        if isinstance(obj, Receipt):
            state = inspect(obj)
            changed = [key for key in FROZEN_COLUMNS if state.attrs[key].history.has_changes()]
            if changed:
                raise ImmutableReceiptError(_("receipt %(code)s: a printed receipt cannot be changed (%(fields)s)",
                                              code=obj.code, fields=", ".join(changed)))
    for obj in session.deleted:
        if isinstance(obj, Receipt):
            raise ImmutableReceiptError(_("receipt %(code)s: a printed receipt cannot be deleted", code=obj.code))


def trigger_ddl(dialect: str) -> list[str]:
    """The statements that make the database refuse edits and deletes of receipts (migration)."""
    columns = ", ".join(FROZEN_COLUMNS)
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER pos_print_receipt_frozen BEFORE UPDATE OF {columns} ON pos_print_receipt "
            "BEGIN SELECT RAISE(ABORT, 'pos_print_receipt: a printed receipt cannot be changed'); END",
            "CREATE TRIGGER pos_print_receipt_kept BEFORE DELETE ON pos_print_receipt "
            "BEGIN SELECT RAISE(ABORT, 'pos_print_receipt: a printed receipt cannot be deleted'); END",
        ]
    checks = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FROZEN_COLUMNS)
    return [
        "CREATE OR REPLACE FUNCTION pos_print_receipt_frozen() RETURNS trigger AS $$ BEGIN "
        "IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'pos_print_receipt: a printed receipt cannot be deleted'; END IF; "
        f"IF {checks} THEN RAISE EXCEPTION 'pos_print_receipt: a printed receipt cannot be changed'; END IF; "
        "RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER pos_print_receipt_frozen BEFORE UPDATE OR DELETE ON pos_print_receipt "
        "FOR EACH ROW EXECUTE FUNCTION pos_print_receipt_frozen()",
    ]
