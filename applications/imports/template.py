"""The downloadable XLSX files of imports: the template of a kind (data sheet with the
code lists as drop-downs on a second sheet, and a sheet of instructions) and the file of a
job's error rows with their reasons, to fix and upload again."""

import tempfile

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from khuyencong.spreadsheets import xlsx_set
from programs.choices import FundSource
from programs.models import ActivityType
from provinces.models import Commune

from ..choices import LegalForm, Status
from ..models import ImportKind, RowOutcome
from .base import format_error

TEMPLATE_ROWS = 5000
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _code_lists(kind: str, province) -> dict[str, list[str]]:
    from .schemes import IMPORTABLE_STATES

    lists = {
        "legal_form": [str(label) for _value, label in LegalForm.choices],
        "yes_no": [_("Có"), _("Không")],
        "province": [f"{province.code:02d} – {province.name}"],
        "commune": [f"{c.code} – {c.name}" for c in Commune.objects.filter(province=province).order_by("sort_key")],
    }
    if kind == ImportKind.SCHEMES:
        lists["activity_type"] = [f"{a.code} – {a.name}" for a in ActivityType.objects.order_by("position", "code")]
        lists["fund_source"] = [str(label) for _value, label in FundSource.choices]
        lists["status"] = [str(Status(s).label) for s in IMPORTABLE_STATES]
    return lists


LIST_TITLES = {"legal_form": "Loại hình", "yes_no": "Có/Không", "province": "Tỉnh/thành phố",
               "commune": "Xã/phường (mới)", "activity_type": "Nội dung khuyến công",
               "fund_source": "Nguồn kinh phí", "status": "Trạng thái"}


def _header(column) -> str:
    return f"{column.label} (*)" if column.required else str(column.label)


def template_workbook(kind: str, province) -> Workbook:
    from .services import KINDS

    columns = KINDS[kind].COLUMNS
    workbook = Workbook()
    data = workbook.active
    data.title = _("Dữ liệu")
    lists_sheet = workbook.create_sheet(_("Danh mục"))
    guide = workbook.create_sheet(_("Hướng dẫn"))
    lists = _code_lists(kind, province)
    ranges = {}
    for position, (name, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(position)
        lists_sheet.cell(row=1, column=position, value=_(LIST_TITLES[name])).font = Font(bold=True)
        for offset, value in enumerate(values, start=2):
            xlsx_set(lists_sheet.cell(row=offset, column=position), value)
        lists_sheet.column_dimensions[letter].width = 40
        ranges[name] = f"'{lists_sheet.title}'!${letter}$2:${letter}${len(values) + 1}"
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = data.cell(row=1, column=index, value=_header(column))
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        data.column_dimensions[letter].width = column.width
        if column.key in ("tax_code", "code", "decision_number", "phone"):
            # Text cells keep the leading zeros of tax codes.
            for row in range(2, TEMPLATE_ROWS + 2):
                data.cell(row=row, column=index).number_format = "@"
        if column.key == "decision_date":
            for row in range(2, TEMPLATE_ROWS + 2):
                data.cell(row=row, column=index).number_format = "DD/MM/YYYY"
        if column.choices and column.choices in ranges:
            validation = DataValidation(type="list", formula1=f"={ranges[column.choices]}", allow_blank=True,
                                        showErrorMessage=column.choices != "commune")
            validation.error = _("Chọn một giá trị trong danh sách (trang Danh mục).")
            validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
            data.add_data_validation(validation)
    data.freeze_panes = "A2"
    guide.column_dimensions["A"].width = 36
    guide.column_dimensions["B"].width = 100
    guide.append([_("Cột"), _("Cách ghi")])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for column in columns:
        guide.append([_header(column), str(column.note or "")])
    guide.append([])
    for line in (_("Dòng 1 của trang Dữ liệu là dòng tiêu đề; mỗi dòng tiếp theo là một bản ghi."),
                 _("Cột có dấu (*) là bắt buộc. Không gộp ô, không dùng công thức; "
                   "ngày ghi kiểu Ngày hoặc dd/mm/yyyy."),
                 _("Chữ tiếng Việt gõ Unicode. Chữ gõ phông TCVN3 (.VnTime) được tự động chuyển; phông VNI thì cần "
                   "chuyển sang Unicode trước."),
                 _("Tải tệp lên: cổng kiểm tra và cho xem trước từng dòng; chưa ghi gì cho đến khi bạn xác nhận.")):
        guide.append(["", line])
    return workbook


def workbook_bytes(workbook) -> bytes:
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
        workbook.save(handle.name)
        handle.seek(0)
        return handle.read()


def error_rows_workbook(job) -> Workbook:
    """The job's error rows as the officer wrote them, with the reasons in a last
    column (write-only workbook: memory stays flat for a long file)."""
    from .services import KINDS

    columns = KINDS[job.kind].COLUMNS
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Dữ liệu"))
    sheet.append([_header(c) for c in columns] + [_("Dòng trong tệp gốc"), _("Lỗi cần sửa")])
    from openpyxl.cell import WriteOnlyCell

    for row in job.rows.filter(outcome=RowOutcome.ERROR).order_by("number").iterator(chunk_size=2000):
        cells = []
        for value in [row.raw.get(c.key, "") for c in columns] + [
                row.number, "; ".join(format_error(row.number, e) for e in row.errors)]:
            cell = WriteOnlyCell(sheet)
            xlsx_set(cell, value)
            cells.append(cell)
        sheet.append(cells)
    return workbook
