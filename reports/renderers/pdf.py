"""PDF of a report with WeasyPrint, laid out as a Vietnamese administrative document
(Decree 30/2020/NĐ-CP): A4, Liberation Serif bundled with the project (metric-compatible
with Times New Roman, covers Vietnamese and ₫), page numbers centred at the top from
page 2."""

import logging

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from ..documents.layout import TEXT, vn_date_line
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


# Width of Liberation Serif glyphs in em: digits 0.5, "." and "," 0.25, "-" 0.333. A number
# cell never wraps (white-space: nowrap), so its column must be at least this wide or the
# amount runs into its neighbour.
_GLYPH_EM = {".": 0.25, ",": 0.25, "-": 0.333, " ": 0.25}
PT_PER_MM = 72 / 25.4


def _text_em(text: str) -> float:
    return sum(_GLYPH_EM.get(ch, 0.5) for ch in text)


def _cell_text(value, kind) -> str:
    from ..templatetags.report_tags import cell

    return str(cell(value, kind))


def usable_width_mm(wide: bool) -> float:
    # A4 less the margins (left 30 mm, right 15 mm) — portrait 165 mm, landscape 252 mm.
    return (297 if wide else 210) - 45


def table_font_pt(wide: bool) -> float:
    return 8.5 if wide else 9.5


def column_widths_mm(table, wide: bool) -> list[float]:
    """Widths of the columns: a number column is as wide as its widest cell (header words
    aside, which wrap) plus the padding, bold totals included; the text columns share what
    is left in proportion to their nominal ``width``."""
    font = table_font_pt(wide)
    padding = 2.4 + 0.6  # cell padding left + right, and the borders
    needed = []
    for j, column in enumerate(table.columns):
        if column.kind == TEXT:
            needed.append(None)
            continue
        values = [row[j] for row in table.rows if j < len(row)]
        if table.total and j < len(table.total):
            values.append(table.total[j])
        longest = max((_text_em(_cell_text(v, column.kind)) for v in values), default=0)
        longest_word = max((_text_em(w) for w in column.label.split()), default=0)
        em = max(longest * 1.06, longest_word, 2.5)  # bold digits are a little wider
        needed.append(em * font / PT_PER_MM + padding)
    usable = usable_width_mm(wide)
    fixed = sum(w for w in needed if w is not None)
    text_weights = sum(c.width for c, w in zip(table.columns, needed, strict=True) if w is None) or 1
    rest = max(usable - fixed, 0)
    return [w if w is not None else rest * c.width / text_weights for c, w in zip(table.columns, needed, strict=True)]


def is_wide(table) -> bool:
    return table is not None and (len(table.columns) > 9 or (
        sum(w for w, c in zip(column_widths_mm(table, False), table.columns, strict=True) if c.kind != TEXT)
        > usable_width_mm(False) * 0.7))


def column_css(document) -> str:
    """Column widths of every table in millimetres (see ``column_widths_mm``): a fixed
    table layout is laid out far faster by WeasyPrint than an automatic one."""
    rules = []
    for i, section in enumerate(document.sections, start=1):
        if section.table is None:
            continue
        for j, width in enumerate(column_widths_mm(section.table, is_wide(section.table)), start=1):
            rules.append(f"#t{i} col:nth-child({j}), #t{i}b col:nth-child({j}) {{ width: {width:.2f}mm; }}")
    return "\n".join(rules)


def _verification(document) -> dict | None:
    facts = document.verification
    if not facts:
        return None
    import segno

    url = settings.KC_PUBLIC_BASE_URL.rstrip("/") + facts["path"]
    return {"code": facts["code"], "url": url, "qr": segno.make(url, error="m").svg_data_uri(scale=4)}


# A last table this short goes whole into the closing block; a longer one keeps its last
# rows there (with the totals), so the signature never starts a page alone.
WHOLE_IN_CLOSING_ROWS = 12
TAIL_ROWS = 3


def _sections(document) -> list[dict]:
    sections = []
    count = len(document.sections)
    for i, s in enumerate(document.sections, start=1):
        rows = list(s.table.rows) if s.table else []
        last = i == count
        all_in_closing = last and len(rows) <= WHOLE_IN_CLOSING_ROWS
        tail = rows if all_in_closing else (rows[-TAIL_ROWS:] if last else [])
        head_rows = [] if all_in_closing else (rows[:-TAIL_ROWS] if last else rows)
        sections.append({
            "heading": s.heading, "table": s.table, "text": s.text, "paragraphs": s.paragraphs,
            "wide": is_wide(s.table), "tid": f"t{i}", "tid_tail": f"t{i}b", "last": last,
            "all_in_closing": all_in_closing, "rows": head_rows, "tail_rows": tail,
            # The totals row goes with the last rows (never alone at the top of a page).
            "total": None if last else (s.table.total if s.table else None),
            "chart": mark_safe(bar_chart(s.chart)) if s.chart and s.chart.labels else ""})
    return sections


def render_html(document) -> str:
    # Wide tables (the list of schemes) go on landscape pages, as Decree 30 allows.
    year = document.data_as_of.year if document.data_as_of else None
    doc_view = document
    if document.verification:
        from dataclasses import replace

        doc_view = replace(document, verification=_verification(document))
    return render_to_string("reports/pdf/document.html", {
        "doc": doc_view, "sections": _sections(document), "font_faces": mark_safe(font_faces()),
        "column_css": mark_safe(column_css(document)),
        "date_line": vn_date_line(document.place, document.issued_on, year=year)})


def render_pdf(document) -> bytes:
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    return HTML(string=render_html(document), base_url=str(settings.BASE_DIR)).write_pdf(font_config=fonts)
