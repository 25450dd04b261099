"""Receipt lines to ESC/POS bytes, on python-escpos.

The bytes are built with python-escpos' ``Dummy`` printer (the capability profile
decides the cut and the native QR code), its command constants and its
``EscposImage`` raster conversion (``GS v 0``, what ``Escpos.image`` sends). Text is
sent as code-page bytes when every character of the line is in the page
(``paper.encode``), else the whole line is a raster image (``raster.line_image``):
one line is one or the other, so a mixed line never prints half in boxes.

A receipt is ``head + body + tail``: the head initialises the printer, selects the
code page and, for a cash sale, kicks the drawer; the tail feeds and cuts. A
reprint (``copy_of``) keeps the original body byte for byte and puts the copy mark
after the head and before the tail, without the drawer kick.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import paper, raster

# escpos.constants' values (ESC, GS and the drawer kicks ``ESC p m 50 50``), written here because
# importing python-escpos loads its capabilities database: the writer imports it (the Dummy
# printer, EscposImage) when it first renders, not at start-up. tests/addons/pos_print checks
# these against escpos.constants.
ESC = b"\x1b"
GS = b"\x1d"
CD_KICK_2 = ESC + b"p\x00" + b"22"
CD_KICK_5 = ESC + b"p\x01" + b"22"

INIT = ESC + b"@"
ALIGN = {"left": ESC + b"a\x00", "center": ESC + b"a\x01", "right": ESC + b"a\x02"}
BOLD = {False: ESC + b"E\x00", True: ESC + b"E\x01"}
SIZE = {False: GS + b"!\x00", True: GS + b"!\x11"}   # double width and height
KICKS = {2: CD_KICK_2, 5: CD_KICK_5}


@dataclass(frozen=True)
class Line:
    left: str
    right: str = ""
    align: str = "left"
    bold: bool = False
    big: bool = False


@dataclass(frozen=True)
class Qr:
    payload: str
    size: int = 6


@dataclass(frozen=True)
class Target:
    """Where the bytes go: the printer's profile, geometry, code page and hardware."""
    profile: str
    geometry: paper.Geometry
    code_page: str
    code_page_number: int
    cutter: bool = True
    drawer_pin: int | None = None   # kick this pin (2 or 5) in the head; None: no kick


def _dummy(profile: str):
    from escpos.printer import Dummy
    return Dummy(profile=profile)


def head(target: Target, kick: bool) -> bytes:
    out = INIT + ESC + b"t" + bytes((target.code_page_number,))
    if kick and target.drawer_pin in KICKS:
        out += KICKS[target.drawer_pin]
    return out


def tail(target: Target) -> bytes:
    if not target.cutter:
        return ESC + b"d\x06"
    printer = _dummy(target.profile)
    printer.cut()                    # ESC d 6, then GS V as the profile supports
    return printer.output


def raster_bytes(image) -> bytes:
    """``GS v 0`` of a PIL image, as ``Escpos.image(impl="bitImageRaster")`` sends it."""
    from escpos.image import EscposImage
    im = EscposImage(image)
    return (GS + b"v0\x00" + im.width_bytes.to_bytes(2, "little") + im.height.to_bytes(2, "little")
            + im.to_raster_format())


SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " "})   # Babel's no-break spaces: plain on paper


def line_bytes(line: Line, target: Target) -> bytes:
    line = Line(line.left.translate(SPACES), line.right.translate(SPACES), line.align, line.bold, line.big)
    chars = target.geometry.chars // (2 if line.big else 1)
    text = paper.fit(line.left, line.right, chars) if line.right else line.left
    encoded = paper.encode(text, target.code_page) if paper.columns(text) <= chars else None
    if encoded is not None:
        return ALIGN[line.align] + BOLD[line.bold] + SIZE[line.big] + encoded + b"\n" + \
            (SIZE[False] if line.big else b"") + (BOLD[False] if line.bold else b"")
    image = raster.line_image(line.left, line.right, target.geometry.dots, align=line.align, bold=line.bold,
                              scale=2 if line.big else 1)
    return ALIGN["left"] + raster_bytes(image)


def qr_bytes(qr: Qr, target: Target) -> bytes:
    """The QR code: the printer draws it (``GS ( k``) when its profile says it can, else an image."""
    if paper.profile_data(target.profile).get("features", {}).get("qrCode"):
        printer = _dummy(target.profile)
        printer.qr(qr.payload, native=True, size=qr.size)
        return ALIGN["center"] + printer.output + b"\n" + ALIGN["left"]
    import qrcode
    code = qrcode.QRCode(box_size=qr.size, border=1, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(qr.payload)
    code.make(fit=True)
    image = code.make_image().get_image().convert("1")
    if image.width > target.geometry.dots:
        image = image.resize((target.geometry.dots, target.geometry.dots))
    canvas = raster.Image.new("1", (target.geometry.dots, image.height), 1)
    canvas.paste(image, ((target.geometry.dots - image.width) // 2, 0))
    return ALIGN["left"] + raster_bytes(canvas) + b"\n"


def body(items, target: Target) -> bytes:
    out = bytearray()
    for item in items:
        out += qr_bytes(item, target) if isinstance(item, Qr) else line_bytes(item, target)
    return bytes(out)


def render(items, target: Target, *, kick: bool = False) -> bytes:
    return head(target, kick) + body(items, target) + tail(target)


def copy_of(original: bytes, mark, target: Target) -> bytes:
    """The original's body between two copy marks (``mark``: lines), with a fresh head and no drawer kick."""
    start = len(head(target, False))
    if original[start:start + 2] == ESC + b"p":
        start += 5                                # the original's drawer kick: a copy opens no drawer
    end = len(original)
    ending = tail(target)
    if original.endswith(ending):
        end -= len(ending)
    marked = body(mark, target)
    return head(target, False) + marked + original[start:end] + marked + ending
