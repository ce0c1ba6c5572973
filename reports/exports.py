"""Exports of the filtered lists (establishments, applications, payments) to CSV
(streamed in constant memory, under the caller's database scope to the last row) and
XLSX (openpyxl write-only mode). Typed text is never written as a formula
(``khuyencong.spreadsheets``)."""

import tempfile

from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from applications.choices import DisbursementKind, LegalForm, Status
from khuyencong.db.keyset import keyset_values
from khuyencong.spreadsheets import streaming_csv_response, xlsx_set
from programs.choices import FundSource

CHUNK = 2000


def _label(choices):
    mapping = {k: str(v) for k, v in choices}
    return lambda value: mapping.get(value, value)


def _yes(value):
    return "x" if value else ""


def _local(value):
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


def _day(value):
    return value.strftime("%d/%m/%Y") if value else ""


# (header, values() field, converter, xlsx number format)
ESTABLISHMENT_COLUMNS = [
    ("ID", "id", None, None), ("Tên cơ sở", "name", None, None),
    ("Loại hình", "legal_form", _label(LegalForm.choices), None), ("Mã số thuế", "tax_code", None, None),
    ("Người đại diện", "representative", None, None), ("Mã tỉnh", "province_id", None, None),
    ("Tỉnh/thành phố", "province__name", None, None), ("Mã xã", "commune_id", None, None),
    ("Xã/phường", "commune__name", None, None), ("Địa chỉ", "address", None, None),
    ("Ngành nghề", "industry", None, None), ("Phụ nữ làm chủ", "woman_owned", _yes, None),
    ("Dân tộc thiểu số", "ethnic_minority", _yes, None), ("Địa bàn khó khăn", "difficult_area", _yes, None),
    ("Làng nghề", "craft_village", _yes, None), ("Số lao động", "employees", None, "#,##0"),
]
APPLICATION_COLUMNS = [
    ("Mã đề án", "code", None, None),
    ("Năm", "year", None, None),
    ("Tên đề án", "title", None, None),
    ("Mã tỉnh", "province_id", None, None),
    ("Tỉnh/thành phố", "province__name", None, None),
    ("Nguồn kinh phí", "fund_source", _label(FundSource.choices), None),
    ("Mã nội dung", "activity_type_id", None, None),
    ("Nội dung khuyến công", "activity_type__name", None, None),
    ("Trạng thái", "status", _label(Status.choices), None),
    ("Vào trạng thái lúc", "status_changed_at", _local, None),
    ("Tổng kinh phí (đồng)", "total_cost", None, "#,##0"),
    ("Đề nghị hỗ trợ (đồng)", "requested_support", None, "#,##0"),
    ("Vốn đối ứng (đồng)", "counterpart_funds", None, "#,##0"),
    ("Được phê duyệt (đồng)", "approved_amount", None, "#,##0"),
    ("Số quyết định", "decision_number", None, None),
    ("Ngày quyết định", "decision_date", _day, None),
]
DISBURSEMENT_COLUMNS = [
    ("Mã đề án", "application__code", None, None), ("Tỉnh/thành phố", "application__province__name", None, None),
    ("Loại", "kind", _label(DisbursementKind.choices), None), ("Số tiền (đồng)", "amount", None, "#,##0"),
    ("Ngày chi", "paid_on", _day, None), ("Số chứng từ", "reference", None, None), ("Ghi chú", "note", None, None),
]


def _rows(queryset, columns, ordering):
    fields = [c[1] for c in columns]
    converters = [c[2] for c in columns]
    for values in keyset_values(queryset, fields, ordering, chunk=CHUNK):
        yield [conv(v) if conv else v for conv, v in zip(converters, values, strict=True)]


def export_response(queryset, columns, fmt: str, stem: str, ordering):
    """The file of ``queryset`` in ``ordering`` (keyset order: one direction, ending with
    the primary key)."""
    filename = f"{stem}-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"
    header = [c[0] for c in columns]
    if fmt == "csv":
        return streaming_csv_response(header, _rows(queryset, columns, ordering), filename)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Danh sách")
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for label in header:
        cell = WriteOnlyCell(ws, value=label)
        cell.font = bold
        header_cells.append(cell)
    ws.append(header_cells)
    formats = [c[3] for c in columns]
    for row in _rows(queryset, columns, ordering):
        cells = []
        for value, number_format in zip(row, formats, strict=True):
            cell = WriteOnlyCell(ws)
            xlsx_set(cell, value)
            if number_format and value is not None:
                cell.number_format = number_format
            cells.append(cell)
        ws.append(cells)
    # Written to a temporary file (on disk, not in memory) and streamed from there.
    handle = tempfile.TemporaryFile()
    wb.save(handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=filename,
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# What each exportable list writes, in keyset order (one direction, ending with the
# primary key). The HTML export views and the API lists (``khuyencong.api``) use these.
LIST_EXPORTS = {
    "applications.Application": (APPLICATION_COLUMNS, "de-an", ("-year", "-sequence", "-pk")),
    "applications.Establishment": (ESTABLISHMENT_COLUMNS, "co-so", ("sort_key", "pk")),
    "applications.Disbursement": (DISBURSEMENT_COLUMNS, "khoan-chi", ("paid_on", "pk")),
}


def list_exporters() -> dict:
    """Model → ``exporter(queryset, fmt)`` for every exportable list."""
    from django.apps import apps

    result = {}
    for label, (columns, stem, ordering) in LIST_EXPORTS.items():
        def exporter(queryset, fmt, columns=columns, stem=stem, ordering=ordering):
            return export_response(queryset, columns, fmt, stem, ordering)
        result[apps.get_model(label)] = exporter
    return result
