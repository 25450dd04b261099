"""Server-rendered SVG bar charts: no script, no CDN, no ``style=`` (the CSP forbids it).

Bars are drawn with SVG presentation attributes and coloured by CSS classes
(``core/web/static/tessera.css``); each bar carries a ``<title>`` (the day and
its formatted amount) that browsers show on hover and screen readers read.
Values are Decimals; only the geometry is turned into floats.
"""
from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup, escape

WIDTH, HEIGHT, GAP, AXIS = 600, 120, 2, 1


def bar_chart(points, title: str = "", width: int = WIDTH, height: int = HEIGHT) -> Markup:
    """An ``<svg>`` of one bar per point (``.label``, ``.value``, ``.text``), scaled to the highest,
    stretched to the width of its box, then the first and last labels under it."""
    points = list(points)
    top = max((p.value for p in points), default=Decimal(0))
    plot = height - AXIS
    step = width / max(len(points), 1)
    parts = [f'<svg class="tessera-chart" viewBox="0 0 {width} {height}" width="100%" height="{height}" '
             f'role="img" aria-label="{escape(title)}" preserveAspectRatio="none">',
             f'<title>{escape(title)}</title>',
             f'<line class="tessera-chart-axis" x1="0" y1="{plot}" x2="{width}" y2="{plot}" stroke-width="1"/>']
    for i, point in enumerate(points):
        h = 0.0 if top <= 0 or point.value <= 0 else max(1.0, float(point.value / top) * (plot - 4))
        x = i * step + GAP / 2
        parts.append(f'<rect class="tessera-chart-bar" x="{x:.2f}" y="{plot - h:.2f}" width="{step - GAP:.2f}" '
                     f'height="{h:.2f}"><title>{escape(point.label)}: {escape(point.text)}</title></rect>')
    parts.append("</svg>")
    if points:   # the first and last day, as text outside the stretched drawing so it is not distorted
        parts.append(f'<div class="tessera-chart-labels small text-muted"><span>{escape(points[0].label)}</span>'
                     f'<span>{escape(points[-1].label)}</span></div>')
    return Markup("".join(parts))
