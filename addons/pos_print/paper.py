"""Paper geometry and code pages: what a line may hold and which bytes spell it.

Pure: no database, no printer. The capability profiles are python-escpos' own
(``escpos.capabilities.get_profile``, the ``capabilities.json`` of the
escpos-printer-db project): they say which code pages a model knows (and the
``ESC t n`` number of each) and how many dots a line has.

Font A of Epson-compatible printers is 12 x 24 dots, so a line holds ``dots // 12``
characters: 58 mm paper 384 dots / 32 characters, 80 mm 576 / 48 (a TM-T88V,
whose profile says 512 dots, 42).

Vietnamese in CP1258 is written the way that code page spells it: the letters
with a shape of their own (â ă ê ô ơ ư đ) are single bytes and the five tone marks
are combining bytes after the letter, so "ế" becomes ``ê`` + U+0301. Python's cp1258
codec only maps single code points, hence ``encode`` decomposes first.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

DOTS = {58: 384, 80: 576}
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"   # the five Vietnamese tones, combining bytes in CP1258
CELL_DOTS = 12          # width of one Font A character
# The code pages tried, in order, for a receipt's language when the printer's page is "auto".
PREFERRED = {
    "vi": ("CP1258",),
    "ru": ("CP866", "CP1251"),
    "es": ("CP858", "CP1252", "CP850", "CP437"),
    "en": ("CP858", "CP1252", "CP850", "CP437"),
    "ko": ("CP858", "CP1252", "CP437"),
    "zh": ("CP858", "CP1252", "CP437"),
}


@dataclass(frozen=True)
class Geometry:
    """What one receipt line holds on this paper and printer."""
    paper_width: int
    dots: int
    chars: int


@lru_cache(maxsize=64)
def profile_data(name: str) -> dict:
    """A python-escpos capability profile (``ValueError`` for a name it does not know)."""
    from escpos.capabilities import get_profile
    try:
        return get_profile(name or "default").profile_data
    except Exception as exc:  # escpos raises its own NotSupported / KeyError for unknown names
        raise ValueError(f"unknown printer profile {name!r}") from exc


def profile_names() -> list[str]:
    from escpos.capabilities import CAPABILITIES
    return sorted(CAPABILITIES["profiles"])


def geometry(paper_width: int, profile: str = "default") -> Geometry:
    if paper_width not in DOTS:
        raise ValueError(f"paper width must be one of {', '.join(map(str, DOTS))} mm")
    dots = DOTS[paper_width]
    pixels = profile_data(profile).get("media", {}).get("width", {}).get("pixels")
    if isinstance(pixels, int) and 0 < pixels < dots:
        dots = pixels
    dots -= dots % 8          # raster rows are whole bytes
    return Geometry(paper_width, dots, dots // CELL_DOTS)


def code_pages(profile: str) -> dict[str, int]:
    """The profile's code pages Python can encode: name -> ``ESC t`` number."""
    from escpos.codepages import CodePages
    pages = {}
    for number, name in profile_data(profile).get("codePages", {}).items():
        encoding = CodePages.data.get(name, {}).get("python_encode")
        if encoding and name not in pages:
            try:
                "a".encode(encoding)
            except LookupError:
                continue
            pages[name] = int(number)
    return pages


def python_codec(page: str) -> str:
    from escpos.codepages import CodePages
    return CodePages.data[page]["python_encode"]


def choose_code_page(profile: str, language: str, wanted: str = "auto") -> tuple[str, int]:
    """The page receipts in ``language`` are written in: the printer's setting, or the language's first
    page the profile holds, or CP437 (which every ESC/POS printer has as page 0)."""
    pages = code_pages(profile)
    if wanted and wanted != "auto":
        if wanted not in pages:
            raise ValueError(f"code page {wanted!r} is not one of the profile's ({', '.join(sorted(pages))})")
        return wanted, pages[wanted]
    for name in PREFERRED.get(language, PREFERRED["en"]):
        if name in pages:
            return name, pages[name]
    return ("CP437", pages.get("CP437", 0))


def encode(text: str, page: str) -> bytes | None:
    """``text`` in code page ``page``, or None when one of its characters is not in it."""
    codec = python_codec(page)
    try:
        return text.encode(codec)
    except UnicodeEncodeError:
        pass
    if page != "CP1258":
        return None
    out = bytearray()
    for ch in text:
        piece = _cp1258_char(ch)
        if piece is None:
            return None
        out += piece
    return bytes(out)


@lru_cache(maxsize=4096)
def _cp1258_char(ch: str) -> bytes | None:
    try:
        return ch.encode("cp1258")
    except UnicodeEncodeError:
        pass
    # the letter with its shape marks (circumflex, breve, horn) precomposed, then the tone marks
    decomposed = unicodedata.normalize("NFD", ch)
    tones = "".join(c for c in decomposed if c in TONE_MARKS)
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
    try:
        return base.encode("cp1258") + tones.encode("cp1258")
    except UnicodeEncodeError:
        return None


def decode(data: bytes, page: str) -> str:
    """The inverse of ``encode`` (combining tone marks joined back onto their letters)."""
    return unicodedata.normalize("NFC", data.decode(python_codec(page), errors="replace"))


def columns(text: str) -> int:
    """Printed width in character cells: Han, Hangul and other wide characters take two."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def wrap(text: str, width: int) -> list[str]:
    """Break ``text`` into lines of at most ``width`` cells, at spaces where it can, else mid-word."""
    words, lines, current = text.split(), [], ""
    for word in words:
        while columns(word) > width:           # a word longer than the line: cut it
            head = ""
            for ch in word:
                if columns(head + ch) > width:
                    break
                head += ch
            if current:
                lines.append(current)
                current = ""
            lines.append(head)
            word = word[len(head):]
        candidate = f"{current} {word}" if current else word
        if columns(candidate) <= width:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current or not lines:
        lines.append(current)
    return lines


def fit(left: str, right: str, width: int) -> str:
    """``left`` and ``right`` on one line of ``width`` cells (the right part aligned right)."""
    gap = width - columns(left) - columns(right)
    return left + " " * max(1, gap) + right
