"""Small server-rendered SVG charts (bars and lines) from already aggregated figures.

Pages work without JavaScript: the SVG is inline, styled by site.css (`.chart`, `.bar`, `.line`),
and every chart is shown next to a table with the same numbers.
"""

import zlib
from decimal import Decimal

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

WIDTH = 640
BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 180
VALUE_WIDTH = 90
LINE_HEIGHT = 220
PAD = 32


def _num(value) -> float:
    """A plotting coordinate (never used for money arithmetic)."""
    if value is None:
        return 0.0
    return float(Decimal(value))


def _fmt(value) -> str:
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if value != value.to_integral_value() else f"{value:,.0f}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _summary(items, value_format):
    """The chart's text alternative: every label with its value, as a screen reader reads it."""
    return "; ".join(f"{label}: {value_format(value)}" for label, value in items)


def _svg(width, height, title, body, *, unit="", summary=""):
    """The chart as a figure: a visible caption (title and unit), and an SVG whose accessible name is the
    caption and whose description lists every value (the table beside it has the same numbers)."""
    caption = f"{title} ({unit})" if unit else str(title)
    key = f"chart-{zlib.crc32(f'{caption}|{summary}'.encode()):08x}"
    return format_html(
        '<figure class="chart-figure"><figcaption id="{}-t">{}</figcaption>'
        '<svg class="chart" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-labelledby="{}-t {}-d" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title><desc id="{}-d">{}</desc>{}</svg></figure>',
        key,
        caption,
        width,
        height,
        width,
        height,
        key,
        key,
        title,
        key,
        summary,
        mark_safe(body),  # noqa: S308 - built below from escaped parts only
    )


def bar_chart(items, *, title, unit="", value_format=_fmt):
    """Horizontal bars: `items` is a list of (label, value); values must not be negative. `unit` is shown
    with the title (CNY, hours, enterprises)."""
    items = list(items)
    height = max(1, len(items)) * (BAR_HEIGHT + GAP) + GAP
    top = max((_num(v) for _, v in items), default=0.0)
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    parts = []
    for i, (label, value) in enumerate(items):
        y = GAP + i * (BAR_HEIGHT + GAP)
        length = 0.0 if top <= 0 else max(0.0, _num(value)) / top * span
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT * 0.7:.1f}" text-anchor="end">{escape(label)}</text>'
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}">'
            f"<title>{escape(label)}: {escape(value_format(value))}</title></rect>"
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + BAR_HEIGHT * 0.7:.1f}">'
            f"{escape(value_format(value))}</text>"
        )
    return _svg(WIDTH, height, title, "".join(parts), unit=unit, summary=_summary(items, value_format))


def line_chart(points, *, title, unit="", value_format=_fmt):
    """A line over ordered (label, value) points, e.g. months; labels are written under the axis, the
    highest value (with the unit) at the top of the value axis and zero at its foot."""
    points = list(points)
    height = LINE_HEIGHT
    plot_w, plot_h = WIDTH - 2 * PAD, height - 2 * PAD
    top = max((_num(v) for _, v in points), default=0.0)
    n = len(points)
    coords = []
    for i, (_label, value) in enumerate(points):
        x = PAD + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)
        y = PAD + plot_h - (0.0 if top <= 0 else max(0.0, _num(value)) / top * plot_h)
        coords.append((x, y))
    parts = [
        f'<line class="axis" x1="{PAD}" y1="{PAD + plot_h}" x2="{PAD + plot_w}" y2="{PAD + plot_h}" '
        'stroke="currentColor" stroke-opacity="0.3"/>',
        f'<text x="{PAD}" y="{PAD - 10}">{escape(value_format(_top_value(points)))}'
        f"{escape(' ' + str(unit) if unit else '')}</text>",
        f'<text x="{PAD - 6}" y="{PAD + plot_h + 4}" text-anchor="end">0</text>',
    ]
    if coords:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline class="line" points="{path}"/>')
    step = max(1, n // 12)
    for i, ((label, value), (x, y)) in enumerate(zip(points, coords, strict=True)):
        parts.append(
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3"><title>{escape(label)}: '
            f"{escape(value_format(value))}</title></circle>"
        )
        if i % step == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">{escape(label)}</text>')
    return _svg(WIDTH, height, title, "".join(parts), unit=unit, summary=_summary(points, value_format))


def _top_value(points):
    values = [v for _, v in points]
    return max(values, key=_num) if values else 0
