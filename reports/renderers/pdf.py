"""PDF of a report with WeasyPrint, laid out as a Vietnamese administrative document
(Decree 30/2020/NĐ-CP): A4, Liberation Serif bundled with the project (metric-compatible
with Times New Roman, covers Vietnamese and ₫), page numbers centred at the top from
page 2."""

import logging

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from ..documents import vn_date_line
from .svg import bar_chart

# WeasyPrint logs every layout step at INFO: noise in a worker's log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

FONT_DIR = settings.BASE_DIR / "static" / "fonts" / "liberation"


def font_faces() -> str:
    # file:// URLs of the bundled TTFs: the output never depends on the fonts installed.
    faces = []
    for weight, style, name in (("normal", "normal", "Regular"), ("bold", "normal", "Bold"),
                                ("normal", "italic", "Italic"), ("bold", "italic", "BoldItalic")):
        url = (FONT_DIR / f"LiberationSerif-{name}.ttf").as_uri()
        faces.append(f'@font-face {{ font-family: "KC Serif"; src: url("{url}"); font-weight: {weight}; '
                     f"font-style: {style}; }}")
    return "\n".join(faces)


def column_css(document) -> str:
    """Column widths of every table, in proportion to the columns' ``width``: a fixed
    table layout is laid out far faster by WeasyPrint than an automatic one."""
    rules = []
    for i, section in enumerate(document.sections, start=1):
        total = sum(c.width for c in section.table.columns) or 1
        for j, column in enumerate(section.table.columns, start=1):
            rules.append(f"#t{i} col:nth-child({j}) {{ width: {100 * column.width / total:.2f}%; }}")
    return "\n".join(rules)


def render_html(document) -> str:
    # Wide tables (the list of schemes) go on landscape pages, as Decree 30 allows.
    sections = [{"heading": s.heading, "table": s.table, "text": s.text, "wide": len(s.table.columns) > 9,
                 "chart": mark_safe(bar_chart(s.chart)) if s.chart and s.chart.labels else ""}
                for s in document.sections]
    return render_to_string("reports/pdf/document.html", {
        "doc": document, "sections": sections, "font_faces": mark_safe(font_faces()),
        "column_css": mark_safe(column_css(document)),
        "date_line": vn_date_line(document.place, document.issued_on)})


def render_pdf(document) -> bytes:
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    return HTML(string=render_html(document), base_url=str(settings.BASE_DIR)).write_pdf(font_config=fonts)
