"""The one text cleaner for what people type, and the session guard behind it.

Why: PostgreSQL refuses a NUL byte in any text value ("A string literal cannot
contain NUL characters"), which surfaced as a 500 from whichever form or CSV cell
carried one; other control characters (escape sequences, a form feed, a newline in
a SKU) are never meant and break CSV exports, terminals and PDFs. ``clean_text``
refuses them with a message naming the field; the forms (``SecureModelView``) and
services call it. ``refuse_nul_bytes`` runs before every flush, so a service that
forgot to clean a value, the CLI and the API still get a clear error, never a
driver exception.
"""
from __future__ import annotations

import re

from sqlalchemy import String, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from .errors import UserError
from .i18n import _

ONE_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MULTILINE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value, field: str, *, multiline: bool = False, max_len: int | None = None) -> str | None:
    """``value`` stripped, or None when empty; a UserError naming ``field`` for NUL bytes, control
    characters (newlines and tabs are allowed when ``multiline``) or more than ``max_len`` characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise UserError(_("%(field)s: expected text, got %(type)s", field=field, type=type(value).__name__))
    bad = (MULTILINE_CONTROL if multiline else ONE_LINE_CONTROL).search(value)
    if bad:
        if bad.group() == "\x00":
            raise UserError(_("%(field)s: contains a NUL byte; type plain text", field=field))
        raise UserError(_("%(field)s: contains the control character %(char)s; type plain text", field=field,
                          char=repr(bad.group())))
    text = value.strip()
    if max_len is not None and len(text) > max_len:
        raise UserError(_("%(field)s: at most %(max)s characters (got %(count)s)", field=field, max=max_len,
                          count=len(text)))
    return text or None


def text_problem(value, field: str, *, multiline: bool = False, max_len: int | None = None) -> str | None:
    """``clean_text``'s refusal as a message, or None (for form validation, which collects messages)."""
    try:
        clean_text(value, field, multiline=multiline, max_len=max_len)
    except UserError as exc:
        return str(exc)
    return None


@event.listens_for(Session, "before_flush")
def refuse_nul_bytes(session, flush_context, instances) -> None:
    """No text column is ever written with a NUL byte (PostgreSQL refuses them; SQLite would keep
    a value that breaks every export), whoever built the row."""
    for obj, changed_only in [(obj, False) for obj in session.new] + [(obj, True) for obj in session.dirty]:
        state = sa_inspect(obj)
        keys = _text_keys(state.mapper)
        if changed_only:  # a loaded row's other values were checked when they were written
            keys = keys - state.unmodified
        loaded = state.dict
        for key in keys:
            value = loaded.get(key)
            if isinstance(value, str) and "\x00" in value:
                raise UserError(_("%(field)s: contains a NUL byte; type plain text", field=key))


_text_keys_of: dict = {}


def _text_keys(mapper) -> frozenset:
    """The mapper's text attributes, worked out once per model (every flush asks)."""
    keys = _text_keys_of.get(mapper)
    if keys is None:
        keys = _text_keys_of[mapper] = frozenset(
            attr.key for attr in mapper.column_attrs if any(isinstance(column.type, String) for column in attr.columns))
    return keys


def decode_utf8(data: bytes, name: str) -> str:
    """An uploaded or read file as text (a UTF-8 BOM is dropped); a UserError naming the file and
    the line of the first byte that is not UTF-8, instead of a UnicodeDecodeError."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise UserError(_("%(file)s: not valid UTF-8 (line %(line)s); save the file as UTF-8", file=name,
                          line=line)) from None


def refuse_nul_parameters(conn, cursor, statement, parameters, context, executemany) -> None:
    """Before every statement: no string parameter carries a NUL byte. Reads need it as much as
    writes (a lookup of a typed SKU with a NUL in it made PostgreSQL raise, a 500); writes of
    mapped rows are already refused by ``refuse_nul_bytes`` with the field's name."""
    if _has_nul(parameters):
        raise UserError(_("a value contains a NUL byte; type plain text"))


def _has_nul(parameters) -> bool:
    """Whether a string anywhere in the parameters (a dict, a tuple, a list of either) holds NUL."""
    if isinstance(parameters, str):
        return "\x00" in parameters
    if isinstance(parameters, dict):
        parameters = parameters.values()
    elif not isinstance(parameters, (list, tuple)):
        return False
    return any(_has_nul(value) for value in parameters)
