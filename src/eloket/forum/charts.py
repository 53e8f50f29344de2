"""Small SVG charts, drawn on the server: pages stay script-free and light."""

from html import escape
from typing import Any

PALETTE = ["#0b5c8e", "#c0392b", "#2e7d32", "#8e44ad", "#b9770e"]


def line_chart(
    series: dict[str, list[int]],
    labels: list[str],
    *,
    title: str,
    width: int = 640,
    height: int = 200,
) -> str:
    """One polyline per series over the same days; a legend with the series names."""
    if not labels:
        return ""
    left, right, top, bottom = 40, 10, 10, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([1, *[max(values or [0]) for values in series.values()]])
    step = plot_w / max(1, len(labels) - 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#767676"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11" fill="#333">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="11" fill="#333">0</text>',
        f'<text x="{left}" y="{height - 22}" font-size="11" fill="#333">{escape(labels[0])}</text>',
        f'<text x="{left + plot_w}" y="{height - 22}" text-anchor="end" font-size="11" fill="#333">{escape(labels[-1])}</text>',
    ]
    for index, (name, values) in enumerate(series.items()):
        colour = PALETTE[index % len(PALETTE)]
        points = " ".join(
            f"{left + i * step:.1f},{top + plot_h - (v / peak) * plot_h:.1f}"
            for i, v in enumerate(values)
        )
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>'
        )
        x = left + index * 130
        parts.append(f'<rect x="{x}" y="{height - 12}" width="10" height="10" fill="{colour}"/>')
        parts.append(
            f'<text x="{x + 14}" y="{height - 3}" font-size="11" fill="#333">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def scatter(points: list[list[Any]], *, title: str, size: int = 360) -> str:
    """Participants in the two principal components, coloured by opinion group."""
    if not points:
        return ""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    span_x, span_y = (x1 - x0) or 1, (y1 - y0) or 1
    pad = 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{size}" height="{size}" fill="#fafafa" stroke="#c9ced6"/>',
    ]
    for x, y, group in points:
        cx = pad + (x - x0) / span_x * (size - 2 * pad)
        cy = size - pad - (y - y0) / span_y * (size - 2 * pad)
        parts.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="2.2" fill="{PALETTE[int(group) % len(PALETTE)]}"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bars(rows: list[tuple[str, float | None]], *, title: str, width: int = 420) -> str:
    """Horizontal bars of shares (0..1); a suppressed value (None) is drawn as a hatch."""
    bar_h, gap, label_w = 16, 6, 120
    height = len(rows) * (bar_h + gap) + gap
    peak = max([0.0001, *[v for _label, v in rows if v is not None]])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end" font-size="11" fill="#333">{escape(label)}</text>'
        )
        if value is None:
            parts.append(
                f'<text x="{label_w}" y="{y + 12}" font-size="11" fill="#555">&lt;5</text>'
            )
            continue
        w = (width - label_w - 50) * value / peak
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{PALETTE[0]}"/>'
        )
        parts.append(
            f'<text x="{label_w + w + 4:.1f}" y="{y + 12}" font-size="11" fill="#333">{value * 100:.1f}%</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
