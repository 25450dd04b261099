"""core.text: the one text cleaner, the NUL-byte guard on every session, UTF-8 decoding of files."""
from __future__ import annotations

import pytest

from addons.catalog.models import Brand
from core.errors import UserError
from core.text import clean_text, decode_utf8


@pytest.mark.parametrize("bad, words", [
    ("a\x00b", "NUL byte"), ("\x00", "NUL byte"), ("two\nlines", "control character '\\n'"),
    ("\x1b[31mred", "control character"), ("tab\there", "control character"), ("del\x7f", "control character"),
])
def test_one_line_text_refuses_nul_and_control_characters(bad, words):
    with pytest.raises(UserError) as err:
        clean_text(bad, "name")
    assert str(err.value).startswith("name: ") and words in str(err.value)


def test_multiline_text_keeps_newlines_and_tabs_but_not_nul():
    assert clean_text("  first\n\tsecond\r\n ", "note", multiline=True) == "first\n\tsecond"
    with pytest.raises(UserError, match="note: contains a NUL byte"):
        clean_text("first\n\x00", "note", multiline=True)
    assert clean_text("   ", "note") is None and clean_text(None, "note") is None
    with pytest.raises(UserError, match="at most 3 characters"):
        clean_text("four", "code", max_len=3)


def test_no_session_writes_a_nul_byte_whoever_built_the_row(runtime, make_business):
    """A service that forgot to clean a value still gets a UserError naming the column, not a
    driver error (PostgreSQL refuses NUL in text) or a stored NUL (SQLite)."""
    business = make_business(addons=["catalog"])
    with pytest.raises(UserError, match="name: contains a NUL byte"):
        with runtime.transaction(business.id) as session:
            session.add(Brand(name="Nul\x00brand"))
            session.flush()


def test_decode_utf8_names_the_file_and_the_line():
    assert decode_utf8("\ufeffsku,name\nA,Á\n".encode("utf-8"), "f.csv") == "sku,name\nA,Á\n"
    with pytest.raises(UserError) as err:
        decode_utf8(b"sku,name\nA,ok\nB,\xff\xfe\n", "products.csv")
    assert str(err.value).startswith("products.csv: not valid UTF-8 (line 3)")


def test_no_statement_carries_a_nul_byte_reads_included(runtime, make_business):
    """A lookup of typed text with a NUL in it (a SKU in a purchase-order line) is a UserError on
    every backend; PostgreSQL raised DataError, a 500."""
    from sqlalchemy import select
    business = make_business(addons=["catalog"])
    with pytest.raises(UserError, match="NUL byte"):
        with runtime.session(business.id) as session:
            session.scalar(select(Brand.id).where(Brand.name == "a\x00b"))
