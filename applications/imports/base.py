"""What every kind of import shares: the columns of its template, finding them in the
header row, reading each data row into typed values with per-cell errors ("Dòng 14, cột
E: …"), and checking rows in chunks so memory stays bounded whatever the file's length."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.utils import get_column_letter

from khuyencong.text import normalize_search

from .cells import CellError, text
from .files import Cell, ImportFileError
from .legacy_text import to_unicode

CHUNK = 1000


@dataclass(frozen=True)
class Column:
    """One column of a template: its key, its header, how a cell is read, and the code
    list (sheet "Danh mục") that gives its drop-down, if any."""

    key: str
    label: object  # a lazily translated header
    parse: Callable[[Cell], object] = text
    required: bool = False
    width: int = 18
    choices: str = ""  # name of a code list
    note: object = ""
    aliases: tuple = ()


@dataclass
class ParsedRow:
    """A data row read against the columns: typed values, the cells as text and the
    errors, each ``{"column": "E", "header": ..., "message": ...}``."""

    number: int
    values: dict
    raw: dict
    errors: list = field(default_factory=list)
    legacy_cells: int = 0

    def add_error(self, column: str, header: str, message: str) -> None:
        self.errors.append({"column": column, "header": str(header), "message": str(message)})

    @property
    def empty(self) -> bool:
        return not any(v not in ("", None) for v in self.raw.values())


def format_error(number: int, error: dict) -> str:
    """"Dòng 14, cột E (Mã số thuế): mã số thuế phải có 10, 12 hoặc 13 chữ số"."""
    if error.get("column"):
        return _("Dòng %(n)s, cột %(c)s (%(h)s): %(m)s") % {"n": number, "c": error["column"], "h": error["header"],
                                                           "m": error["message"]}
    return _("Dòng %(n)s: %(m)s") % {"n": number, "m": error["message"]}


class Layout:
    """Where each known column sits in this file (found by its header, so officers may
    reorder or add columns)."""

    def __init__(self, columns: list[Column], header: list[Cell]):
        self.columns = columns
        by_name = {}
        for column in columns:
            for name in (column.key, *in_both_languages(column.label), *column.aliases):
                by_name[_header_key(name)] = column
        self.positions: dict[str, int] = {}
        for index, cell in enumerate(header):
            if cell.formula:
                raise ImportFileError(_("Dòng tiêu đề có công thức ở cột %(c)s; hãy ghi tiêu đề bằng chữ như tệp mẫu.")
                                      % {"c": get_column_letter(index + 1)})
            column = by_name.get(_header_key(text(cell)))
            if column is not None and column.key not in self.positions:
                self.positions[column.key] = index
        missing = [str(c.label) for c in columns if c.required and c.key not in self.positions]
        if missing:
            raise ImportFileError(_("Không tìm thấy cột bắt buộc: %(cols)s. Dòng đầu tiên của trang tính phải là dòng "
                                    "tiêu đề của tệp mẫu.") % {"cols": ", ".join(missing)})

    def read(self, number: int, cells: list[Cell]) -> ParsedRow:
        row = ParsedRow(number=number, values={}, raw={})
        for column in self.columns:
            index = self.positions.get(column.key)
            cell = cells[index] if index is not None and index < len(cells) else Cell(None)
            letter = get_column_letter(index + 1) if index is not None else ""
            if isinstance(cell.value, str):
                converted, how = to_unicode(cell.value)
                if how == "vni":
                    row.raw[column.key] = cell.value
                    row.add_error(letter, column.label, _("chữ gõ bằng phông VNI (ví dụ “%(v)s”) không chuyển được tự "
                                                          "động; hãy chuyển sang Unicode (Unikey: Công cụ chuyển mã, "
                                                          "VNI Windows → Unicode) rồi tải lên lại")
                                  % {"v": cell.value[:40]})
                    continue
                if how == "tcvn3":
                    row.legacy_cells += 1
                    cell = Cell(converted, cell.formula)
            row.raw[column.key] = text(cell)
            if cell.formula:
                row.add_error(letter, column.label, _("ô chứa công thức (%(f)s); hãy dán giá trị (Paste Special › "
                                                      "Values) thay cho công thức") % {"f": str(cell.value)[:40]})
                continue
            try:
                value = column.parse(cell)
            except CellError as exc:
                row.add_error(letter, column.label, exc.message)
                continue
            if column.required and value in ("", None):
                row.add_error(letter, column.label, _("bắt buộc, đang để trống"))
                continue
            row.values[column.key] = value
        return row

    def letter(self, key: str) -> str:
        index = self.positions.get(key)
        return get_column_letter(index + 1) if index is not None else ""

    def label(self, key: str) -> str:
        return next(str(c.label) for c in self.columns if c.key == key)


def in_both_languages(label) -> set[str]:
    """A label as the Vietnamese and the English template write it (a file downloaded in
    one language may be uploaded from a session in the other)."""
    names = {str(label)}
    for language in ("vi", "en"):
        with translation.override(language):
            names.add(str(label))
    return names


def _header_key(value) -> str:
    # "Mã số thuế (*)", "mã số thuế" and "ma_so_thue" are the same header.
    key = normalize_search(str(value)).replace("(*)", "").replace("*", "").replace("_", " ")
    return " ".join(key.split())


def data_rows(layout: Layout, rows: Iterator[tuple[int, list[Cell]]]) -> Iterator[ParsedRow]:
    for number, cells in rows:
        row = layout.read(number, cells)
        if not row.empty:
            yield row


def chunks(rows: Iterable, size: int = CHUNK) -> Iterator[list]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


REQUIRED_MARK = gettext_lazy("(*) bắt buộc")
