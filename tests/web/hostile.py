"""What the hostile-forms property test needs besides the test itself: the forms of a page,
the hostile values per kind of field, and the row counts of every table.

Why forms are read from the rendered page: that is what a browser (or an attacker)
can post, whatever the view's Python says, so a new screen or a new action button is
covered the day it appears without anyone listing it here.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from html.parser import HTMLParser

from hypothesis import strategies as st
from sqlalchemy import inspect, text

HUGE_NUMBERS = ["1e309", "-1e309", "1E+999999999", "1e-400", "9" * 29, "1" + "0" * 28, "123456789012345.5",
                "0." + "1" * 40]
NOT_NUMBERS = ["NaN", "nan", "sNaN", "-NaN", "Infinity", "-Infinity", "inf", "0x10", "1_000", "5e2", "1,5"]
UNICODE_DIGITS = ["१२", "٣٤", "１２", "๕", "²"]
SIGNED_ZERO = ["-0", "-0.00", "+0", "-0e3"]
HOSTILE_TEXT = ["", " ", "\x00", "a\x00b", "x" * 5000, "line\nbreak", "\u202egnp.exe", "<script>alert(1)</script>",
                "' OR 1=1 --", "\ufeff", "\x1b[31m",
                # typed-line fields: the transfer's "SKU quantity" and the e-invoice draft's "a | qty | price | rate"
                "P0001 1e309", "P0001 १२", "Item | 1e309 | 1 | 10", "Item | 1 | NaN | 10", "Item | 1 | 1 | 1e309",
                "Item | 1 | 1 | १२"]
BAD_DATES = ["2026-13-45", "0000-00-00", "99999-01-01", "2026-02-30", "yesterday", "\x002026-01-01", "1e309"]
PLAIN_VALUES = ["1", "2", "10", "1000", "0", "0.5", "ZZ-1", "Test name"]
HOSTILE_VALUES = HUGE_NUMBERS + NOT_NUMBERS + UNICODE_DIGITS + SIGNED_ZERO + HOSTILE_TEXT
NOT_UTF8 = b"sku,counted\n\xff\xfe,1\n"
ABSENT = object()   # the field is left out of the POST


@dataclass
class Field:
    name: str
    kind: str                     # text, number, select, checkbox, date, file, hidden
    values: list[str] = field(default_factory=list)   # the page's value(s) / options


@dataclass
class Form:
    action: str
    fields: dict[str, Field] = field(default_factory=dict)

    @property
    def multipart(self) -> bool:
        return any(f.kind == "file" for f in self.fields.values())


class FormParser(HTMLParser):
    """Every POST form of a page with its named fields (inputs, selects, textareas, buttons)."""

    def __init__(self, page_url: str):
        super().__init__()
        self.page_url, self.forms, self._form, self._select = page_url, [], None, None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._form = Form(action=a.get("action") or self.page_url)
            self.forms.append(self._form)
        if self._form is None or not a.get("name") and tag != "option":
            return
        name = a.get("name", "")
        if tag == "input":
            kind = a.get("type", "text").lower()
            kind = {"email": "text", "password": "text", "submit": "hidden",
                    "radio": "select"}.get(kind, kind)
            self._add(name, kind, a.get("value", ""))
        elif tag == "button":
            self._add(name, "hidden", a.get("value", ""))
        elif tag == "textarea":
            self._add(name, "text", "")
        elif tag == "select":
            self._select = self._add(name, "select", None)
        elif tag == "option" and self._select is not None:
            self._select.values.append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None

    def _add(self, name, kind, value):
        current = self._form.fields.setdefault(name, Field(name, kind))
        if value is not None and value not in current.values:
            current.values.append(value)
        return current


def post_forms(page: str, page_url: str) -> list[Form]:
    parser = FormParser(page_url)
    parser.feed(page)
    for form in parser.forms:
        form.fields.pop("csrf_token", None)
    return parser.forms


def plausible_values(fld: Field):
    """A value the form would accept on its own, so a hostile value elsewhere reaches the service."""
    own = [v for v in fld.values if v]
    if fld.kind == "checkbox":
        return st.sampled_from(["y", ABSENT])
    if fld.kind in ("select", "hidden"):
        return st.sampled_from(own or [""])
    if fld.kind == "number":
        return st.sampled_from(own + ["1", "5", "100"])
    if fld.kind == "date":
        return st.sampled_from(own + ["2026-01-15"])
    return st.one_of(st.sampled_from(own or ["Plain"]), st.integers(1, 10**9).map(lambda n: f"HX{n}"))


def hostile_values(fld: Field, ids: list[str], file_header: str | None):
    """Values for one field: its own values, plain ones, or hostile ones for its kind."""
    own = [v for v in fld.values if v is not None]
    if fld.kind == "checkbox":
        return st.sampled_from(["y", ABSENT, "\x00", "x" * 5000])
    if fld.kind == "file":
        return file_contents(file_header)
    if fld.kind in ("select", "hidden"):
        return st.sampled_from(own + ids + HOSTILE_VALUES + [ABSENT])
    pool = own + PLAIN_VALUES + HOSTILE_VALUES + ids + (BAD_DATES if fld.kind == "date" else [])
    return st.one_of(st.sampled_from(pool), st.text(max_size=12))


def form_values(fields: dict[str, Field], ids: list[str], file_header: str | None):
    """Mostly one hostile field among plausible ones (so it gets past the others to the service),
    sometimes every field hostile at once."""
    plausible = {n: (hostile_values(f, ids, file_header) if f.kind == "file" else plausible_values(f))
                 for n, f in fields.items()}
    hostile = {n: hostile_values(f, ids, file_header) for n, f in fields.items()}
    if not fields:
        return st.just({})

    def one_hostile(name):
        return st.fixed_dictionaries({**plausible, name: hostile[name]})
    return st.one_of(st.sampled_from(sorted(fields)).flatmap(one_hostile), st.fixed_dictionaries(hostile))


def explicit_examples(fields: dict[str, Field], ids: list[str], file_header: str | None) -> list[dict]:
    """Each field in turn set to the values of issue #7 (the rest plain), so every field meets them
    whatever the random draws do; hypothesis explores the combinations after these."""
    base = {name: _first_plain(f, file_header) for name, f in fields.items()}
    sentinels = {"select": ids[:1] + ["9" * 29], "hidden": ids[:1] + ["9" * 29], "checkbox": [],
                 "file": [NOT_UTF8, _csv(file_header, "1e309")]}
    return [{**base, name: value} for name, f in fields.items()
            for value in sentinels.get(f.kind, ["1e309", "१२", "a\x00b"])]


def _first_plain(fld: Field, file_header: str | None):
    own = [v for v in fld.values if v]
    defaults = {"checkbox": "y", "select": "", "hidden": "", "number": "1", "date": "2026-01-15", "text": "Plain"}
    if fld.kind == "file":
        return _csv(file_header, "1")
    return own[0] if own and fld.kind != "checkbox" else defaults.get(fld.kind, "Plain")


def _csv(header: str | None, cell: str) -> bytes:
    header = header or "sku,counted"
    return (header + "\n" + ",".join([cell] * len(header.split(","))) + "\n").encode()


def file_contents(header: str | None):
    """An upload: random bytes, invalid UTF-8, or a CSV whose cells are hostile values."""
    cells = st.sampled_from(PLAIN_VALUES + HOSTILE_VALUES).map(lambda v: '"' + v.replace('"', '""') + '"')
    width = len(header.split(",")) if header else 2
    csv_rows = st.lists(st.lists(cells, min_size=width, max_size=width).map(",".join), min_size=1, max_size=3)
    csv_text = csv_rows.map(lambda rows: "\n".join([header or "sku,counted"] + rows).encode("utf-8", "surrogatepass"))
    return st.one_of(st.binary(max_size=40), st.just(NOT_UTF8), csv_text)


def as_post_data(values: dict) -> dict:
    data = {}
    for name, value in values.items():
        if value is ABSENT:
            continue
        data[name] = (io.BytesIO(value), "upload.csv") if isinstance(value, bytes) else value
    return data


def row_counts(engine) -> dict[str, int]:
    """Rows of every table of the database, all businesses (a rejected POST must change none)."""
    with engine.connect() as conn:
        names = inspect(conn).get_table_names()
        return {name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names}
