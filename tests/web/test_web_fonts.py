"""The bundled fonts served to browsers (core/web/fonts.py, tessera.css's @font-face)."""
from __future__ import annotations

import struct

import pytest

from core.pdf import FONTS_DIR
from core.web.fonts import KEEP, _checksum, web_font
from core.web.views import WEB_FONTS


def _tables(data: bytes) -> dict:
    count = struct.unpack(">H", data[4:6])[0]
    out = {}
    for i in range(count):
        tag, checksum, offset, length = struct.unpack(">4sIII", data[12 + 16 * i:28 + 16 * i])
        out[tag] = (checksum, offset, length)
    return out


@pytest.mark.parametrize("name", sorted(WEB_FONTS))
def test_served_font_is_a_clean_truetype_file(client, name):
    """What the OpenType Sanitizer in Chromium refused (NanumGothic's empty TSI3, the collection's
    misaligned FFTM) is gone; every table is aligned, non-empty, checksummed, and as in the source."""
    response = client.c.get(f"/static/tessera-fonts/{name}")
    assert response.status_code == 200 and response.mimetype == "font/ttf"
    assert response.cache_control.max_age >= 24 * 3600
    data = response.get_data()
    assert data[:4] == b"\x00\x01\x00\x00"                       # a single TrueType font, not a collection
    tables = _tables(data)
    assert {b"cmap", b"glyf", b"loca", b"head", b"hmtx"} <= set(tables) <= KEEP
    source = (FONTS_DIR / WEB_FONTS[name]).read_bytes()
    for tag, (checksum, offset, length) in tables.items():
        assert offset % 4 == 0 and length > 0, tag
        table = data[offset:offset + length]
        if tag == b"head":
            table = table[:8] + b"\0\0\0\0" + table[12:]
        else:
            assert table in source, tag                          # copied, never altered
        assert _checksum(table) == checksum, tag
    assert _checksum(data) == 0xB1B0AFBA                         # head.checkSumAdjustment balances the file


def test_only_the_listed_fonts_are_served(client):
    for name in ("LICENSE-Nanum.txt", "README.md", "wqy-microhei.ttc", "..%2Fpdf.py", "NanumGothic.TTF"):
        assert client.c.get(f"/static/tessera-fonts/{name}").status_code == 404, name


def test_stylesheet_names_every_served_font_and_a_fallback_stack(client):
    css = client.c.get("/static/tessera/tessera.css").get_data(as_text=True)
    for name in WEB_FONTS:
        assert f'url("/static/tessera-fonts/{name}")' in css
    assert '"tessera-latin", "tessera-hangul", "tessera-han", sans-serif' in css
    assert web_font(FONTS_DIR / "NanumGothic.ttf") is web_font(FONTS_DIR / "NanumGothic.ttf")   # built once
