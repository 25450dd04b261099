"""The bundled fonts (core/fonts) as browsers accept them, for tessera.css's @font-face.

The PDFs embed these files as they are; a browser is stricter. Chromium and
Firefox pass every web font through the OpenType Sanitizer, which refuses
NanumGothic (a zero-length ``TSI3`` table: hinting sources left in by the
font's tools) and WenQuanYi Micro Hei (a ``.ttc`` collection whose ``FFTM``
table is misaligned), so Korean and Chinese screens would show boxes. Rather
than ship a second 10 MB copy of each, the app rewrites them once per process
when first asked: the first font of a collection, only the tables a browser
draws with, each 4-byte aligned with its checksum, as the OpenType spec lays
a font out. Nothing is changed inside a table, so the glyphs are the PDFs'.
"""
from __future__ import annotations

import struct
from functools import lru_cache
from pathlib import Path

# What a browser renders with (outlines, metrics, the character map, hinting, layout);
# editor and hinting-source tables (TSI*, FFTM, DSIG, ...) are left out.
KEEP = frozenset({b"cmap", b"glyf", b"loca", b"head", b"hhea", b"hmtx", b"maxp", b"name", b"OS/2", b"post",
                  b"cvt ", b"fpgm", b"prep", b"gasp", b"kern", b"GDEF", b"GPOS", b"GSUB", b"vhea", b"vmtx"})
CHECKSUM_MAGIC = 0xB1B0AFBA


def _checksum(data: bytes) -> int:
    padded = data + b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF


@lru_cache(maxsize=8)
def web_font(path: Path) -> bytes:
    """``path`` (a .ttf, or a .ttc whose first font is taken) rebuilt as a clean TrueType file."""
    data = Path(path).read_bytes()
    start = struct.unpack(">I", data[12:16])[0] if data[:4] == b"ttcf" else 0
    version, count = struct.unpack(">IH", data[start:start + 6])
    tables = []
    for i in range(count):
        tag, _, offset, length = struct.unpack(">4sIII", data[start + 12 + 16 * i:start + 28 + 16 * i])
        if tag in KEEP and length:   # offsets count from the file's start, in a collection too
            tables.append((tag, data[offset:offset + length]))
    tables.sort()
    n = len(tables)
    selector = n.bit_length() - 1
    font = bytearray(struct.pack(">IHHHH", version, n, 16 << selector, selector, n * 16 - (16 << selector)))
    offset, head_at, body = 12 + 16 * n, None, bytearray()
    for tag, table in tables:
        if tag == b"head":   # its checksum is taken with checkSumAdjustment zeroed
            table = table[:8] + b"\0\0\0\0" + table[12:]
            head_at = offset
        font += struct.pack(">4sIII", tag, _checksum(table), offset, len(table))
        body += table + b"\0" * (-len(table) % 4)
        offset += len(table) + (-len(table) % 4)
    font += body
    if head_at is None:
        raise ValueError(f"{path}: not a TrueType font (no head table)")
    struct.pack_into(">I", font, head_at + 8, (CHECKSUM_MAGIC - _checksum(bytes(font))) & 0xFFFFFFFF)
    return bytes(font)
