"""XLSX of a report with openpyxl: one sheet per level, number formats, frozen
header, a totals row."""

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from khuyencong.spreadsheets import xlsx_set

FORMATS = {"money": "#,##0", "int": "#,##0", "pct": "0.0"}
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def write_table(ws, table, title: str | None = None) -> None:
    start = 1
    if title:
        xlsx_set(ws.cell(row=1, column=1), title)
        ws.cell(row=1, column=1).font = Font(bold=True, size=13)
        start = 3
    for col, column in enumerate(table.columns, start=1):
        cell = ws.cell(row=start, column=col)
        xlsx_set(cell, column.label)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        ws.column_dimensions[get_column_letter(col)].width = column.width
    ws.freeze_panes = ws.cell(row=start + 1, column=1)
    row_no = start
    for row in table.rows:
        row_no += 1
        _write_row(ws, row_no, table.columns, row)
    if table.total:
        row_no += 1
        _write_row(ws, row_no, table.columns, table.total, bold=True)
    ws.auto_filter.ref = f"A{start}:{get_column_letter(len(table.columns))}{max(start, row_no - bool(table.total))}"


def _write_row(ws, row_no, columns, values, bold=False):
    for col, (column, value) in enumerate(zip(columns, values, strict=False), start=1):
        cell = ws.cell(row=row_no, column=col)
        xlsx_set(cell, value)
        if column.kind in FORMATS and isinstance(value, int | float):
            cell.number_format = FORMATS[column.kind]
        if bold:
            cell.font = Font(bold=True)


def render_xlsx(document) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    seen = set()
    for section in document.sections:
        name = section.table.key[:31]
        while name in seen:
            name = name[:29] + f"{len(seen)}"
        seen.add(name)
        write_table(wb.create_sheet(name), section.table, title=f"{section.heading} — {document.subject}")
    wb.properties.title = document.subject
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
