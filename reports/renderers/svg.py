"""A simple horizontal bar chart as inline SVG (for the PDF: no JavaScript there)."""

from html import escape

from khuyencong.templatetags.kc import format_vnd

COLOURS = ["#1f4e79", "#c55a11", "#548235", "#7f6000"]


def bar_chart(chart, width: int = 600) -> str:
    labels = chart.labels
    if not labels:
        return ""
    series = chart.series
    peak = max((max(values) if values else 0) for _name, values in series) or 1
    label_w, value_w, bar_h, gap = 170, 110, 9, 6
    group_h = bar_h * len(series) + gap
    plot_w = width - label_w - value_w
    height = 24 + group_h * len(labels)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="KC Serif" font-size="8">']
    x = label_w
    for i, (name, _values) in enumerate(series):
        parts.append(f'<rect x="{x}" y="4" width="10" height="8" fill="{COLOURS[i % 4]}"/>'
                     f'<text x="{x + 14}" y="11">{escape(name)}</text>')
        x += 110
    for row, label in enumerate(labels):
        y0 = 20 + row * group_h
        text = label if len(label) <= 38 else label[:36] + "…"
        parts.append(f'<text x="{label_w - 4}" y="{y0 + group_h / 2}" text-anchor="end">{escape(text)}</text>')
        for i, (_name, values) in enumerate(series):
            value = values[row] or 0
            w = max(0.0, plot_w * value / peak)
            y = y0 + i * bar_h
            parts.append(
                f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 1}" fill="{COLOURS[i % 4]}"/>'
                f'<text x="{label_w + w + 3:.1f}" y="{y + bar_h - 2}">{escape(format_vnd(value, False))}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
