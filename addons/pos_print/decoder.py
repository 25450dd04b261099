"""A decoder of our own ESC/POS output: what the paper will show, read back from the bytes.

It understands exactly the commands ``writer`` (and python-escpos underneath it)
sends: ``ESC @`` init, ``ESC t`` code page, ``ESC a`` align, ``ESC E`` bold,
``GS !`` size, ``ESC d`` feed, ``ESC p`` drawer kick, ``GS v 0`` raster images,
``GS ( k`` QR codes and ``GS V`` cuts. Anything else is an error, not a guess:
tests check the text, the QR payload, the copy mark, the cut and the width with
it, and the admin's PNG preview of a stored receipt is drawn from it (``to_png``),
so the preview shows the stored bytes, not a second rendering of the order.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

from PIL import Image

from . import paper, raster


class DecodeError(ValueError):
    pass


@dataclass
class Decoded:
    items: list = field(default_factory=list)   # ("text", str, align, bold, big) | ("image", Image) | ("qr", str, size)
    cuts: int = 0
    drawer_kicks: int = 0
    code_page: str = "CP437"

    @property
    def text_lines(self) -> list[str]:
        return [item[1] for item in self.items if item[0] == "text"]

    @property
    def images(self) -> list:
        return [item[1] for item in self.items if item[0] == "image"]

    @property
    def qr_payloads(self) -> list[str]:
        return [item[1] for item in self.items if item[0] == "qr"]

    def max_columns(self) -> int:
        return max((paper.columns(item[1]) * (2 if item[4] else 1) for item in self.items if item[0] == "text"),
                   default=0)

    def max_image_width(self) -> int:
        return max((image.width for image in self.images), default=0)


def _page_names() -> dict[int, str]:
    # the numbering of the default profile is Epson's, which our profiles share
    return {number: name for name, number in paper.code_pages("default").items()}


def decode(data: bytes, profile: str = "default") -> Decoded:
    numbers = {number: name for name, number in paper.code_pages(profile).items()} or _page_names()
    out = Decoded()
    align, bold, big = "left", False, False
    text = bytearray()
    qr_size = 3
    i, n = 0, len(data)

    def need(count):
        if i + count > n:
            raise DecodeError(f"truncated command at byte {i}")

    def flush():
        out.items.append(("text", paper.decode(bytes(text), out.code_page), align, bold, big))
        text.clear()

    while i < n:
        b = data[i]
        if b == 0x0A:
            flush()
            i += 1
        elif b == 0x1B:
            need(2)
            cmd = data[i + 1]
            if cmd == 0x40:                                  # ESC @
                align, bold, big = "left", False, False
                i += 2
            elif cmd in (0x74, 0x61, 0x45, 0x64, 0x21, 0x33):  # ESC t / a / E / d / ! / 3 n
                need(3)
                arg = data[i + 2]
                if cmd == 0x74:
                    if arg not in numbers:
                        raise DecodeError(f"unknown code page number {arg}")
                    out.code_page = numbers[arg]
                elif cmd == 0x61:
                    align = {0: "left", 1: "center", 2: "right"}.get(arg, "left")
                elif cmd == 0x45:
                    bold = bool(arg)
                elif cmd == 0x64:
                    out.items.extend([("feed",)] * arg)
                i += 3
            elif cmd == 0x32:                                # ESC 2
                i += 2
            elif cmd == 0x70:                                # ESC p m t1 t2
                need(5)
                out.drawer_kicks += 1
                i += 5
            else:
                raise DecodeError(f"unknown command ESC 0x{cmd:02x} at byte {i}")
        elif b == 0x1D:
            need(2)
            cmd = data[i + 1]
            if cmd == 0x21:                                  # GS ! n
                need(3)
                big = data[i + 2] != 0
                i += 3
            elif cmd == 0x76:                                # GS v 0 m xL xH yL yH d...
                need(8)
                width_bytes = int.from_bytes(data[i + 4:i + 6], "little")
                height = int.from_bytes(data[i + 6:i + 8], "little")
                size = width_bytes * height
                need(8 + size)
                raw = data[i + 8:i + 8 + size]
                image = Image.frombytes("1", (width_bytes * 8, height), raw)
                out.items.append(("image", image))
                i += 8 + size
            elif cmd == 0x28 and i + 2 < n and data[i + 2] == 0x6B:   # GS ( k pL pH cn fn ...
                need(5)
                length = int.from_bytes(data[i + 3:i + 5], "little")
                need(5 + length)
                cn, fn, rest = data[i + 5], data[i + 6], data[i + 7:i + 5 + length]
                if cn == 0x31 and fn == 0x50:                # store: m '0' + payload
                    out.items.append(("qr", rest[1:].decode("utf-8"), qr_size))
                elif cn == 0x31 and fn == 0x43:              # module size
                    qr_size = rest[0] if rest else 3
                i += 5 + length
            elif cmd == 0x56:                                # GS V m [n]
                need(3)
                mode = data[i + 2]
                i += 4 if mode in (65, 66) else 3
                out.cuts += 1
            else:
                raise DecodeError(f"unknown command GS 0x{cmd:02x} at byte {i}")
        elif b == 0x10:
            raise DecodeError(f"real-time command DLE at byte {i} in a stored receipt")
        else:
            text.append(b)
            i += 1
    if text:
        flush()
    return out



def to_png(decoded: Decoded, dots: int) -> bytes:
    """A picture of the paper: text lines drawn like the raster lines, images as sent, QR codes redrawn."""
    import qrcode
    rows = []
    for item in decoded.items:
        kind = item[0]
        if kind == "text":
            rows.append(raster.line_image(item[1], "", dots, align=item[2], bold=item[3], scale=2 if item[4] else 1))
        elif kind == "image":
            rows.append(_inverted(item[1]))
        elif kind == "qr":
            code = qrcode.QRCode(box_size=item[2], border=1)
            code.add_data(item[1])
            code.make(fit=True)
            qr_image = code.make_image().get_image().convert("1")
            canvas = Image.new("1", (dots, qr_image.height), 1)
            canvas.paste(qr_image, (max(0, (dots - qr_image.width) // 2), 0))
            rows.append(canvas)
        elif kind == "feed":
            rows.append(Image.new("1", (dots, raster.LINE_DOTS), 1))
    for _ in range(decoded.cuts):
        cut = Image.new("1", (dots, 9), 1)
        for x in range(0, dots, 8):
            for dx in range(4):
                cut.putpixel((min(dots - 1, x + dx), 4), 0)
        rows.append(cut)
    height = sum(row.height for row in rows) or 1
    page = Image.new("1", (dots + 16, height + 16), 1)
    y = 8
    for row in rows:
        page.paste(row, (8, y))
        y += row.height
    buffer = io.BytesIO()
    page.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _inverted(image: Image.Image) -> Image.Image:
    """ESC/POS raster bits are 1 = black; a "1" image's 1 is white."""
    from PIL import ImageOps
    return ImageOps.invert(image.convert("L")).convert("1")
