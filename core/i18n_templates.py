"""Find text a template shows people without translating it.

A template's words must come from ``{{ _('...') }}`` or ``{% trans %}...{% endtrans %}``
so they exist in all six languages. This reads a template with Jinja's own
lexer (so ``{{ }}``, ``{% %}`` and ``{# #}`` are recognised exactly as Jinja
does), puts a marker where each Jinja construct was, and hands the rest to
``html.parser``: any text node, or any human-read attribute (title, placeholder,
alt, aria-label, label, a button's value, a confirm prompt), that still contains
a letter outside the markers is an untranslated literal. ``<script>`` and
``<style>`` bodies are code, not text. ``.txt`` templates (mail bodies and
subjects) have no HTML: every literal word in them counts.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment

# Where a Jinja construct stood: a private-use character, which is no letter.
MARK = "\ue000"

# Words that read the same in all six languages, and why.
ALLOWED_WORDS = {
    "Tessera": "the product's name",
    "PDF": "file format name, written so in every language",
    "CSV": "file format name, written so in every language",
    "XML": "file format name, written so in every language",
    "UTF": "encoding name (UTF-8)",
    "VND": "ISO 4217 currency code", "KRW": "ISO 4217 currency code", "USD": "ISO 4217 currency code",
    "EUR": "ISO 4217 currency code", "CNY": "ISO 4217 currency code", "RUB": "ISO 4217 currency code",
}

# Attributes people read (a button's value only on buttons, see _human_value).
HUMAN_ATTRIBUTES = {"title", "placeholder", "alt", "aria-label", "label", "data-tessera-confirm"}
_CODE_TAGS = {"script", "style"}
_WORD = re.compile(r"[^\W_]+")  # runs of letters and digits, in any script
# A bare class list built by a macro (' is-invalid'): identifiers for CSS, not words for people.
_CLASS_LIST = re.compile(r"\s*(?:[a-z0-9]+(?:-[a-z0-9]+)+\s*)+")


def _first_literal(text: str) -> int:
    """Index of the first untranslated word in ``text``, or -1.

    A word is a run of letters; one mixing in digits (C00042, A4) is a code or an
    example, and ALLOWED_WORDS read the same in every language.
    """
    plain = text.replace(MARK, " ")
    if _CLASS_LIST.fullmatch(plain):
        return -1
    for match in _WORD.finditer(plain):
        word = match.group()
        if not any(ch.isdigit() for ch in word) and word not in ALLOWED_WORDS:
            return match.start()
    return -1


def _has_literal(text: str) -> bool:
    return _first_literal(text) >= 0


def masked_source(source: str, name: str | None = None) -> str:
    """The template with every Jinja construct, and every ``{% trans %}`` block, replaced by MARK.

    Newlines inside a replaced construct are kept, so line numbers stay those of the template.
    """
    env = Environment(extensions=["jinja2.ext.i18n"])
    out, pending, in_trans = [], [], 0
    tokens = list(env.lexer.tokeniter(source, name))

    def flush():
        if pending:
            out.append(MARK + "\n" * "".join(pending).count("\n"))
            pending.clear()

    for i, (_lineno, token, value) in enumerate(tokens):
        if token == "data" and not in_trans:
            flush()
            out.append(value)
            continue
        if token == "block_begin":
            following = [t for t in tokens[i + 1:i + 3] if t[1] != "whitespace"]
            keyword = following[0][2] if following and following[0][1] == "name" else None
            if keyword == "trans":
                in_trans += 1
            elif keyword == "endtrans":
                in_trans = max(0, in_trans - 1)
        pending.append(value)
    flush()
    return "".join(out)


class _Finder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._code = 0

    def _report(self, text: str, at: int = 0):
        line = self.getpos()[0] + text[:at].count("\n")
        self.found.append((line, " ".join(text.replace(MARK, "…").split())))

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for key, value in attrs:
            if value and (key in HUMAN_ATTRIBUTES or (key == "value" and _human_value(tag, attributes))):
                if _has_literal(value):
                    self._report(f'{key}="{value}"')
        if tag in _CODE_TAGS:
            self._code += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in _CODE_TAGS:
            self._code -= 1

    def handle_endtag(self, tag):
        if tag in _CODE_TAGS and self._code:
            self._code -= 1

    def handle_data(self, data):
        at = -1 if self._code else _first_literal(data)
        if at >= 0:
            self._report(data, at)


def _human_value(tag: str, attributes: dict) -> bool:
    """A value people read: a button's, or a submit/reset/button input's caption."""
    return tag == "button" or (tag == "input" and (attributes.get("type") or "").lower() in
                               ("submit", "reset", "button"))


def find_literals(source: str, kind: str = "html", name: str | None = None) -> list[tuple[int, str]]:
    """(line, text) of every untranslated literal in a template's source; ``kind`` is 'html' or 'txt'."""
    masked = masked_source(source, name)
    if kind == "txt":
        return [(n, " ".join(line.replace(MARK, "…").split()))
                for n, line in enumerate(masked.splitlines(), 1) if _has_literal(line)]
    finder = _Finder()
    finder.feed(masked)
    finder.close()
    return finder.found


def untranslated_literals(path: Path, base: Path | None = None) -> list[str]:
    """'file:line: text' for each untranslated literal of one template file."""
    shown = path.relative_to(base) if base is not None and path.is_relative_to(base) else path
    kind = "txt" if path.suffix == ".txt" else "html"
    return [f"{shown}:{line}: untranslated literal {text!r}"
            for line, text in find_literals(path.read_text("utf-8"), kind, str(shown))]
