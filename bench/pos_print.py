"""Receipt benchmarks: ``receipt_render.text`` and ``receipt_render.cjk``, receipts rendered per second.

The subject is ``addons.pos_print.writer.render`` on the lines of a real-sized counter receipt (header,
8 sale lines, totals, payments, footer, the signed QR code, the cut): a Vietnamese one, all text in CP1258,
and a Korean one, whose Hangul lines are raster images drawn with per-glyph font fallback.

The floor is python-escpos printing the same content directly to its ``Dummy`` printer, the way an
integrator would without Tessera: ``set()`` and ``textln()`` (python-escpos' own encoder) for the text lines,
and for the Korean lines ``image()`` of a Pillow image drawn with one font (NanumGothic, which has Hangul and
Latin), then ``qr(native=True)`` and ``cut()``. The ratio is what our line fitting, code-page choice and
per-character font fallback cost over that; no database is involved on either side.
"""
from __future__ import annotations

import time

from harness import interleave, result

ROUNDS_QUICK, ROUNDS_FULL = 5, 7
PER_ROUND_QUICK, PER_ROUND_FULL = 10, 40
PROFILE = "TM-T20II"

CONTENT = {
    "vi": {"shop": "Quán Phở Việt", "address": "12 Lê Lợi, Quận 1, TP. Hồ Chí Minh",
           "lines": [("Phở bò tái nạm", "2 x 85.000 ₫", "170.000 ₫"), ("Cà phê sữa đá", "3 x 29.000 ₫", "87.000 ₫"),
                     ("Bánh mì thịt nướng đặc biệt", "1 x 35.000 ₫", "35.000 ₫"),
                     ("Gỏi cuốn tôm thịt", "4 x 12.000 ₫", "48.000 ₫"), ("Trà đá", "2 x 5.000 ₫", "10.000 ₫"),
                     ("Chè ba màu", "1 x 25.000 ₫", "25.000 ₫"), ("Nước mía", "2 x 15.000 ₫", "30.000 ₫"),
                     ("Bún chả Hà Nội", "1 x 65.000 ₫", "65.000 ₫")],
           "totals": [("Cộng tiền hàng", "470.000 ₫"), ("Thuế GTGT 10 %", "47.000 ₫"), ("TỔNG CỘNG", "517.000 ₫"),
                      ("Tiền mặt", "517.000 ₫"), ("Tiền khách đưa", "600.000 ₫"), ("Tiền thối", "83.000 ₫")],
           "footer": "Cảm ơn quý khách!"},
    "ko": {"shop": "서울 국밥집", "address": "서울특별시 중구 세종대로 110",
           "lines": [("소고기 국밥", "2 x 12,000", "24,000"), ("김치찌개", "1 x 9,000", "9,000"),
                     ("된장찌개", "1 x 9,000", "9,000"), ("비빔밥", "2 x 10,000", "20,000"),
                     ("공기밥", "3 x 1,000", "3,000"), ("계란말이", "1 x 8,000", "8,000"),
                     ("콜라", "2 x 2,000", "4,000"), ("식혜", "1 x 3,000", "3,000")],
           "totals": [("공급가액 합계", "80,000"), ("부가세 10 %", "8,000"), ("합계", "88,000"), ("현금", "88,000"),
                      ("받은 금액", "100,000"), ("거스름돈", "12,000")],
           "footer": "감사합니다"},
}
PAYLOAD = "TSR1:bench-shop:7KQ2M-9XD4T:ABCDEFGHIJKLMNOP"


def _items(lang):
    from addons.pos_print import writer
    c, L = CONTENT[lang], writer.Line
    items = [L(c["shop"], align="center", bold=True, big=True), L(c["address"], align="center"), L("-" * 48)]
    for name, qty, total in c["lines"]:
        items += [L(name), L("  " + qty, total)]
    items.append(L("-" * 48))
    items += [L(label, value, bold=label in ("TỔNG CỘNG", "합계")) for label, value in c["totals"]]
    return items + [L(c["footer"], align="center"), writer.Qr(PAYLOAD), L("7KQ2M-9XD4T", align="center")]


def _subject(lang, per_round):
    from addons.pos_print import paper, writer
    items = _items(lang)
    aim = writer.Target(PROFILE, paper.geometry(80, PROFILE), *paper.choose_code_page(PROFILE, lang))

    def run() -> float:
        started = time.perf_counter()
        for _ in range(per_round):
            writer.render(items, aim)
        return per_round / (time.perf_counter() - started)
    return run


def _floor(lang, per_round):
    """python-escpos directly: its own text encoder, one-font Pillow images for Hangul, native QR, cut."""
    from escpos.printer import Dummy
    from PIL import Image, ImageDraw, ImageFont

    from core.pdf import FONTS_DIR
    items = _items(lang)
    font = ImageFont.truetype(str(FONTS_DIR / "NanumGothic.ttf"), 22)
    big = ImageFont.truetype(str(FONTS_DIR / "NanumGothic.ttf"), 44)

    def line_image(left, right, is_big):
        image = Image.new("1", (576, 48 if is_big else 24), 1)
        draw = ImageDraw.Draw(image)
        face = big if is_big else font
        draw.text((0, 0), left, font=face, fill=0)
        if right:
            draw.text((576 - face.getlength(right), 0), right, font=face, fill=0)
        return image

    def run() -> float:
        started = time.perf_counter()
        for _ in range(per_round):
            printer = Dummy(profile=PROFILE)
            for item in items:
                if hasattr(item, "payload"):
                    printer.qr(item.payload, native=True, size=item.size)
                elif lang == "ko" and any(ord(ch) > 0x3000 for ch in item.left + item.right):
                    printer.image(line_image(item.left, item.right, item.big))
                else:
                    printer.set(align=item.align, bold=item.bold, double_height=item.big, double_width=item.big)
                    width = 24 if item.big else 48
                    text = item.left + (" " * max(1, width - len(item.left) - len(item.right)) + item.right
                                        if item.right else "")
                    printer.textln(text)
            printer.cut()
            printer.output
        return per_round / (time.perf_counter() - started)
    return run


def receipt_render(quick: bool) -> list[dict]:
    rounds = ROUNDS_QUICK if quick else ROUNDS_FULL
    per_round = PER_ROUND_QUICK if quick else PER_ROUND_FULL
    rows = []
    for name, lang in (("text", "vi"), ("cjk", "ko")):
        subject, floor = _subject(lang, per_round), _floor(lang, per_round)
        subject(), floor()                                 # warm the profile, font and glyph caches
        values, floors = interleave(subject, floor, rounds)
        rows.append(result(f"receipt_render.{name}", 0, "receipts/s", 0, "receipts/s (python-escpos directly)",
                           "none", {"language": lang, "profile": PROFILE, "receipts_per_round": per_round,
                                    "lines": len(_items(lang))}, values=values, floors=floors))
    return rows


BENCHMARKS = [receipt_render]
