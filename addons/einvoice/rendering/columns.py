"""Widths of the lines table, so that no number wraps inside its cell.

An amount broken over two lines ("12.500.000" above "₫") is misread by whoever
checks the invoice, and fixed percentages cannot know how long a VND or KRW amount
gets. Every column but the description is made as wide as its widest value in
the font that prints it (``core.pdf.text_width``), and as its caption when there
is room (else as the caption's longest word: captions may wrap between words);
the description takes what is left. When that leaves the description less than
``MIN_DESCRIPTION``, the table's font shrinks until the numbers fit.
"""
from __future__ import annotations

from core.pdf import text_width

# A4 portrait less the 1.5 cm side margins of base.html, in points.
TABLE_WIDTH = 595.2756 - 2 * 42.5197
CELL_PADDING = 6.0 + 2.0  # td padding 3pt left and right, plus rounding slack
BASE_SIZE, MIN_SIZE = 8.5, 6.0
MIN_DESCRIPTION = 0.25 * TABLE_WIDTH
COLUMNS = ("position", "quantity", "unit", "unit_price", "discount", "tax_rate", "net_amount")
ROOM = TABLE_WIDTH - MIN_DESCRIPTION - CELL_PADDING * (len(COLUMNS) + 1)


def line_columns(lines: list[dict], labels: dict, language: str) -> dict:
    """``{"widths": {column: percent of the table}, "font_size": pt}`` for the lines table."""
    values = {column: max((text_width(line[column], language, BASE_SIZE) for line in lines), default=0.0)
              for column in COLUMNS}

    def caption(column: str, whole: bool) -> float:
        text = str(labels[column])
        words = [text] if whole else (text.split() or [""])
        return max(text_width(word, language, BASE_SIZE, bold=True) for word in words)

    text = {column: max(values[column], caption(column, whole=True)) for column in COLUMNS}
    if sum(text.values()) > ROOM:
        text = {column: max(values[column], caption(column, whole=False)) for column in COLUMNS}
    size = max(MIN_SIZE, int(BASE_SIZE * min(1.0, ROOM / sum(text.values())) * 10) / 10)
    widths = {column: round(100 * (text[column] * size / BASE_SIZE + CELL_PADDING) / TABLE_WIDTH, 2)
              for column in COLUMNS}
    widths["description"] = round(100 - sum(widths.values()), 2)
    return {"widths": widths, "font_size": size}
