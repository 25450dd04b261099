"""The aging report's stacked bar chart, server-rendered SVG (no script, no ``style=``, nothing from a CDN).

One horizontal bar per customer (the largest first) split into the five
buckets, coloured by SVG presentation attributes, each segment a link to the
invoices it adds up (its ``<title>`` tells the bucket and the amount).
"""
from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup, escape

COLOURS = {"not_due": "#6c9bd2", "d1_30": "#f0c419", "d31_60": "#f39c12", "d61_90": "#e67e22",
           "over_90": "#c0392b"}
WIDTH, ROW, LABEL = 720, 22, 200


def stacked_bars(rows, buckets, labels: dict, text, link, title: str = "") -> Markup:
    """``rows``: (name, {bucket: Decimal}, partner_id); ``text(value)`` formats an amount; ``link(partner_id,
    bucket)`` is the URL of those invoices."""
    rows = list(rows)
    top = max((sum(r[1].values(), Decimal(0)) for r in rows), default=Decimal(0))
    plot = WIDTH - LABEL - 10
    height = ROW * len(rows) + 30
    parts = [f'<svg class="tessera-chart dunning-aging-chart" viewBox="0 0 {WIDTH} {height}" width="100%" '
             f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, (name, values, partner_id) in enumerate(rows):
        y = i * ROW + 4
        parts.append(f'<text x="{LABEL - 6}" y="{y + 13}" text-anchor="end" font-size="12" '
                     f'fill="#333">{escape(name[:30])}</text>')
        x = float(LABEL)
        for bucket in buckets:
            value = values.get(bucket, Decimal(0))
            if value <= 0 or top <= 0:
                continue
            w = max(1.0, float(value / top) * plot)
            parts.append(f'<a href="{escape(link(partner_id, bucket))}"><rect x="{x:.2f}" y="{y}" width="{w:.2f}" '
                         f'height="{ROW - 6}" fill="{COLOURS[bucket]}"><title>{escape(name)}: '
                         f'{escape(str(labels[bucket]))} {escape(text(value))}</title></rect></a>')
            x += w
    y = len(rows) * ROW + 12
    x = float(LABEL)
    for bucket in buckets:  # the legend
        parts.append(f'<rect x="{x:.0f}" y="{y}" width="10" height="10" fill="{COLOURS[bucket]}"/>'
                     f'<text x="{x + 14:.0f}" y="{y + 9}" font-size="11" fill="#333">'
                     f'{escape(str(labels[bucket]))}</text>')
        x += 100
    parts.append("</svg>")
    return Markup("".join(parts))
