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


def _marker(group: int, cx: float, cy: float, r: float, colour: str) -> str:
    """A group's point: its own shape as well as its own colour, so that groups are told
    apart without seeing colours (circle, square, triangle, diamond, cross)."""
    shape = group % len(PALETTE)
    data = f' data-group="{group}" fill="{colour}"'
    if shape == 0:
        return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}"{data}/>'
    if shape == 1:
        return f'<rect x="{cx - r:.1f}" y="{cy - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}"{data}/>'
    if shape == 2:
        points = f"{cx:.1f},{cy - r * 1.2:.1f} {cx - r * 1.1:.1f},{cy + r:.1f} {cx + r * 1.1:.1f},{cy + r:.1f}"
    elif shape == 3:
        points = f"{cx:.1f},{cy - r * 1.3:.1f} {cx + r * 1.3:.1f},{cy:.1f} {cx:.1f},{cy + r * 1.3:.1f} {cx - r * 1.3:.1f},{cy:.1f}"
    else:
        a, b = r * 1.2, r * 0.45
        points = " ".join(
            f"{cx + dx:.1f},{cy + dy:.1f}"
            for dx, dy in [
                (-b, -a), (b, -a), (b, -b), (a, -b), (a, b), (b, b),
                (b, a), (-b, a), (-b, b), (-a, b), (-a, -b), (-b, -b),
            ]
        )  # fmt: skip
    return f'<polygon points="{points}"{data}/>'


def scatter(
    points: list[list[Any]], *, title: str, groups: list[str] | None = None, size: int = 360
) -> str:
    """Participants in the two principal components, one colour and shape per opinion
    group, with a legend naming the groups (`groups[i]` names group i) in text under the
    plot and in the chart's accessible name."""
    if not points:
        return ""
    names = list(groups or [])
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    span_x, span_y = (x1 - x0) or 1, (y1 - y0) or 1
    pad = 10
    per_row, row_h = max(1, size // 120), 20
    legend_h = (-(-len(names) // per_row)) * row_h + (6 if names else 0)
    label = f"{title}: {', '.join(names)}" if names else title
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size + legend_h}" role="img" aria-label="{escape(label)}" class="chart">',
        f"<title>{escape(label)}</title>",
        f'<rect x="0" y="0" width="{size}" height="{size}" fill="#fafafa" stroke="#c9ced6"/>',
    ]
    for x, y, group in points:
        cx = pad + (x - x0) / span_x * (size - 2 * pad)
        cy = size - pad - (y - y0) / span_y * (size - 2 * pad)
        parts.append(_marker(int(group), cx, cy, 2.2, PALETTE[int(group) % len(PALETTE)]))
    if names:
        parts.append('<g class="legend">')
        for group, name in enumerate(names):
            x = 8 + (group % per_row) * (size // per_row)
            y = size + 6 + (group // per_row) * row_h + row_h / 2
            parts.append(_marker(group, x + 5, y, 5, PALETTE[group % len(PALETTE)]))
            parts.append(
                f'<text x="{x + 16}" y="{y + 4:.1f}" font-size="12" fill="#333">{escape(name)}</text>'
            )
        parts.append("</g>")
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
