"""Lines the printer cannot spell in a code page, drawn as raster images with Pillow.

Hangul and Han (and Vietnamese on a printer without a Vietnamese page) are drawn
with the fonts the project bundles for its PDFs (``core/fonts``: DejaVu Sans,
NanumGothic, WenQuanYi Micro Hei), choosing the font **per character**: the first
of the stack whose character map has it, so "Phở bò 소고기 牛肉" draws each part in
a font that has it instead of empty boxes. Pure: a line in, a 1-bit image out.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from core.pdf import FONTS_DIR

LINE_DOTS = 24       # the height of a Font A text line, so raster lines sit like text lines
FONT_SIZE = 22
# (regular file, bold file, index in a collection)
STACK = (("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", 0),
         ("NanumGothic.ttf", "NanumGothicBold.ttf", 0),
         ("wqy-microhei.ttc", None, 0))


@lru_cache(maxsize=8)
def _cmap(filename: str, index: int) -> frozenset:
    from fontTools.ttLib import TTCollection, TTFont
    path = Path(FONTS_DIR) / filename
    font = TTCollection(str(path)).fonts[index] if filename.endswith(".ttc") else TTFont(str(path), lazy=True)
    return frozenset(font.getBestCmap())


@lru_cache(maxsize=32)
def _font(filename: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(Path(FONTS_DIR) / filename), size=size, index=index)


@lru_cache(maxsize=8192)
def _face_for(ch: str, bold: bool) -> tuple[str, int]:
    for regular, bold_file, index in STACK:
        if ord(ch) in _cmap(regular, index):
            return (bold_file if bold and bold_file else regular), index
    return STACK[0][0], 0       # nobody has it: DejaVu's own missing-glyph box


def _runs(text: str, bold: bool):
    """Consecutive characters drawn with the same font."""
    run, face = "", None
    for ch in text:
        f = _face_for(ch, bold) if not ch.isspace() else (face or _face_for("a", bold))
        if face is not None and f != face:
            yield run, face
            run = ""
        face = f
        run += ch
    if run:
        yield run, face


def text_width(text: str, bold: bool = False, scale: int = 1) -> float:
    return sum(_font(f, i, FONT_SIZE * scale).getlength(run) for run, (f, i) in _runs(text, bold))


def _draw(draw: ImageDraw.ImageDraw, x: float, text: str, bold: bool, scale: int) -> None:
    for run, (filename, index) in _runs(text, bold):
        font = _font(filename, index, FONT_SIZE * scale)
        draw.text((x, 1 * scale), run, font=font, fill=0)
        x += font.getlength(run)


def line_image(left: str, right: str, dots: int, *, align: str = "left", bold: bool = False,
               scale: int = 1) -> Image.Image:
    """One receipt line as a white image of ``dots`` x 24 (x ``scale``) with black text ("1" mode)."""
    image = Image.new("1", (dots, LINE_DOTS * scale), 1)
    draw = ImageDraw.Draw(image)
    width = text_width(left, bold, scale)
    if align == "center":
        x = max(0.0, (dots - width) / 2)
    elif align == "right":
        x = max(0.0, dots - width)
    else:
        x = 0.0
    _draw(draw, x, left, bold, scale)
    if right:
        _draw(draw, max(x + width + 6, dots - text_width(right, bold, scale)), right, bold, scale)
    return image
