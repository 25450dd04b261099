"""Issued documents are frozen: an ORM guard for a clear message, triggers for the guarantee.

A fiscal document, once numbered, may only be corrected by another document.
The ORM guard (``before_flush``) refuses the change with a sentence a person can
act on. The triggers refuse it in the database itself, so raw SQL, another
program or a future bug cannot edit or delete an issued invoice either.

What may still change after issue (``models.LIFECYCLE_COLUMNS``): the state,
forward only, and the lifecycle timestamps. ``pdf`` and ``xml`` are write-once:
bulk issuing may leave them empty and fill them once later; an issued file is
never replaced. Lines of a non-draft document cannot be inserted, updated or
deleted.

The column lists are frozen into the triggers by the migration that creates
them; a migration adding a content column must recreate the triggers
(``trigger_ddl`` gives the statements for the current model).
"""
from __future__ import annotations

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from core.errors import UserError
from core.i18n import _, _l

from .models import LIFECYCLE_COLUMNS, STATE_RANK, WRITE_ONCE_COLUMNS, Document, DocumentLine, state_word


class ImmutableDocumentError(UserError):
    """A write to an issued document was refused."""


def _old_value(obj, key):
    hist = inspect(obj).attrs[key].history
    if hist.deleted:
        return hist.deleted[0]
    if hist.unchanged:
        return hist.unchanged[0]
    return getattr(obj, key)


def _changed(obj, key) -> bool:
    return inspect(obj).attrs[key].history.has_changes()


@event.listens_for(Session, "before_flush")
def _guard_issued(session, _flush_context, _instances):
    for obj in session.dirty:
        if isinstance(obj, Document):
            _check_document_update(obj)
        elif isinstance(obj, DocumentLine) and session.is_modified(obj):
            _check_line(session, obj, "changed")
    for obj in session.deleted:
        if isinstance(obj, Document) and _old_value(obj, "state") != "draft":
            raise ImmutableDocumentError(_("%(doc)s: an issued document cannot be deleted; issue a credit note", doc=obj))
        if isinstance(obj, DocumentLine):
            _check_line(session, obj, "deleted")
    for obj in session.new:
        if isinstance(obj, DocumentLine):
            _check_line(session, obj, "added")


def _check_document_update(doc: Document):
    old_state = _old_value(doc, "state")
    if old_state == "draft":
        return
    frozen = []
    for attr in inspect(doc).mapper.column_attrs:
        key = attr.key
        if key in LIFECYCLE_COLUMNS or not _changed(doc, key):
            continue
        if key in WRITE_ONCE_COLUMNS and _old_value(doc, key) is None:
            continue
        frozen.append(key)
    if frozen:
        raise ImmutableDocumentError(_("%(doc)s: an issued document cannot be changed (%(columns)s); issue a "
                                       "credit note, an adjustment or a replacement instead", doc=doc.label,
                                       columns=", ".join(frozen)))
    if _changed(doc, "state") and STATE_RANK[doc.state] < STATE_RANK[old_state]:
        raise ImmutableDocumentError(_("%(doc)s: state cannot go back from %(old)s to %(new)s", doc=doc.label,
                                       old=state_word(old_state), new=state_word(doc.state)))


LINE_REFUSALS = {"changed": _l("{doc}: lines of an issued document cannot be changed"),
                 "deleted": _l("{doc}: lines of an issued document cannot be deleted"),
                 "added": _l("{doc}: lines of an issued document cannot be added")}


def _check_line(session, line: DocumentLine, verb: str):
    doc = line.document
    if doc is None and line.document_id is not None:
        doc = session.get(Document, line.document_id)
    if doc is not None and _old_value(doc, "state") != "draft":
        raise ImmutableDocumentError(LINE_REFUSALS[verb].format(doc=doc.label))


# ---------------------------------------------------------------- triggers

def content_columns() -> list[str]:
    """Columns frozen at issue: every column but the lifecycle and write-once ones."""
    skip = set(LIFECYCLE_COLUMNS) | set(WRITE_ONCE_COLUMNS) | {"id"}
    return [c.name for c in Document.__table__.columns if c.name not in skip]


_RANK_SQL = ("CASE {s} WHEN 'draft' THEN 0 WHEN 'issued' THEN 1 WHEN 'sent' THEN 2 WHEN 'delivered' THEN 3 "
             "WHEN 'paid' THEN 4 WHEN 'cancelled' THEN 5 END")
MESSAGE_UPDATE = "einvoice: an issued document cannot be changed"
MESSAGE_DELETE = "einvoice: an issued document cannot be deleted"
MESSAGE_LINES = "einvoice: lines of an issued document cannot change"


def trigger_ddl(dialect: str, columns: list[str] | None = None) -> list[str]:
    """CREATE statements for the guards on ``dialect`` ("postgresql" or "sqlite")."""
    columns = columns or content_columns()
    if dialect == "postgresql":
        return _postgresql(columns)
    if dialect == "sqlite":
        return _sqlite(columns)
    raise UserError(f"einvoice: no immutability triggers for the {dialect} database")


def drop_ddl(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return ["DROP TRIGGER IF EXISTS einvoice_document_guard ON einvoice_document",
                "DROP TRIGGER IF EXISTS einvoice_line_guard ON einvoice_document_line",
                "DROP FUNCTION IF EXISTS einvoice_document_guard()",
                "DROP FUNCTION IF EXISTS einvoice_line_guard()"]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in
            ("einvoice_document_no_update", "einvoice_document_no_delete", "einvoice_line_no_insert",
             "einvoice_line_no_update", "einvoice_line_no_delete")]


JSON_COLUMNS = ("seller", "buyer", "tax_lines")  # PostgreSQL's json type has no equality operator: compare the text


def _postgresql(columns):
    changed = " OR ".join(f"NEW.{c}::text IS DISTINCT FROM OLD.{c}::text" if c in JSON_COLUMNS
                          else f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)
    once = " OR ".join(f"(OLD.{c} IS NOT NULL AND NEW.{c} IS DISTINCT FROM OLD.{c})" for c in WRITE_ONCE_COLUMNS)
    # 23000 (integrity_constraint_violation): drivers raise IntegrityError, which
    # core.db turns into a UserError like any other broken rule.
    return [
        f"""CREATE OR REPLACE FUNCTION einvoice_document_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.state <> 'draft' THEN
      RAISE EXCEPTION '{MESSAGE_DELETE} (%)', OLD.display_number USING ERRCODE = '23000';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.state <> 'draft' AND ({changed} OR {once}
      OR {_RANK_SQL.format(s='NEW.state')} < {_RANK_SQL.format(s='OLD.state')}) THEN
    RAISE EXCEPTION '{MESSAGE_UPDATE} (%)', OLD.display_number USING ERRCODE = '23000';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql""",
        "CREATE TRIGGER einvoice_document_guard BEFORE UPDATE OR DELETE ON einvoice_document "
        "FOR EACH ROW EXECUTE FUNCTION einvoice_document_guard()",
        f"""CREATE OR REPLACE FUNCTION einvoice_line_guard() RETURNS trigger AS $$
DECLARE doc_state varchar;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT state INTO doc_state FROM einvoice_document WHERE id = NEW.document_id;
  ELSE
    SELECT state INTO doc_state FROM einvoice_document WHERE id = OLD.document_id;
  END IF;
  IF doc_state IS NOT NULL AND doc_state <> 'draft' THEN
    RAISE EXCEPTION '{MESSAGE_LINES}' USING ERRCODE = '23000';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql""",
        "CREATE TRIGGER einvoice_line_guard BEFORE INSERT OR UPDATE OR DELETE ON einvoice_document_line "
        "FOR EACH ROW EXECUTE FUNCTION einvoice_line_guard()",
    ]


def _sqlite(columns):
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
    once = " OR ".join(f"(OLD.{c} IS NOT NULL AND NEW.{c} IS NOT OLD.{c})" for c in WRITE_ONCE_COLUMNS)
    issued = "(SELECT state FROM einvoice_document WHERE id = {ref}.document_id) <> 'draft'"
    # RAISE(ABORT) is a constraint failure: sqlite3 raises IntegrityError.
    return [
        f"""CREATE TRIGGER einvoice_document_no_update BEFORE UPDATE ON einvoice_document
FOR EACH ROW WHEN OLD.state <> 'draft' AND ({changed} OR {once}
  OR {_RANK_SQL.format(s='NEW.state')} < {_RANK_SQL.format(s='OLD.state')})
BEGIN SELECT RAISE(ABORT, '{MESSAGE_UPDATE}'); END""",
        f"""CREATE TRIGGER einvoice_document_no_delete BEFORE DELETE ON einvoice_document
FOR EACH ROW WHEN OLD.state <> 'draft'
BEGIN SELECT RAISE(ABORT, '{MESSAGE_DELETE}'); END""",
        f"""CREATE TRIGGER einvoice_line_no_insert BEFORE INSERT ON einvoice_document_line
FOR EACH ROW WHEN {issued.format(ref='NEW')}
BEGIN SELECT RAISE(ABORT, '{MESSAGE_LINES}'); END""",
        f"""CREATE TRIGGER einvoice_line_no_update BEFORE UPDATE ON einvoice_document_line
FOR EACH ROW WHEN {issued.format(ref='OLD')}
BEGIN SELECT RAISE(ABORT, '{MESSAGE_LINES}'); END""",
        f"""CREATE TRIGGER einvoice_line_no_delete BEFORE DELETE ON einvoice_document_line
FOR EACH ROW WHEN {issued.format(ref='OLD')}
BEGIN SELECT RAISE(ABORT, '{MESSAGE_LINES}'); END""",
    ]
