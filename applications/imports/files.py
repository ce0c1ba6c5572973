"""Reading an uploaded spreadsheet safely, in bounded memory: what kind of file it is,
whether it may be opened at all (encrypted, old format, zip bomb, too many rows, merged
header), then its rows one at a time (openpyxl's read-only streaming, or the csv module).

Every refusal is an :class:`ImportFileError` with a message for the officer; the caller
writes nothing when one is raised."""

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.utils.translation import gettext as _

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")


class ImportFileError(Exception):
    """The file as a whole cannot be imported; ``message`` says why, for the officer."""

    def __init__(self, message: str):
        self.message = str(message)
        super().__init__(self.message)


@dataclass(frozen=True)
class Cell:
    """A cell as read: its value (str, int, float, bool, date/datetime or None) and
    whether the file holds a formula there instead of a value."""

    value: object
    formula: bool = False


def max_rows() -> int:
    return int(getattr(settings, "KC_IMPORT_MAX_ROWS", 200_000))


def max_bytes() -> int:
    return int(getattr(settings, "KC_IMPORT_MAX_BYTES", 50 * 1024 * 1024))


def _too_many_rows(count) -> ImportFileError:
    return ImportFileError(_("Tệp có khoảng %(n)s dòng, vượt giới hạn %(max)s dòng cho một lần nhập. Hãy chia tệp "
                             "thành nhiều tệp nhỏ hơn.") % {"n": f"{count:,}".replace(",", "."),
                                                           "max": f"{max_rows():,}".replace(",", ".")})


def sniff(path: str, name: str = "") -> str:
    """``"xlsx"`` or ``"csv"`` from the file's content (never from its name alone)."""
    with open(path, "rb") as handle:
        head = handle.read(8192)
    if not head:
        raise ImportFileError(_("Tệp rỗng."))
    if head.startswith(OLE_MAGIC):
        # Excel saves a password-protected workbook as an OLE container holding an
        # "EncryptedPackage" stream; any other OLE file is the old .xls format.
        with open(path, "rb") as handle:
            if ENCRYPTED_MARK in handle.read(4 * 1024 * 1024):
                raise ImportFileError(_("Tệp được đặt mật khẩu nên không đọc được. Hãy mở tệp trong Excel, bỏ mật "
                                        "khẩu (Tệp › Thông tin › Bảo vệ sổ làm việc) rồi tải lên lại."))
        raise ImportFileError(_("Tệp ở định dạng Excel 97–2003 (.xls). Hãy mở và lưu lại thành “Sổ làm việc Excel "
                                "(.xlsx)” hoặc CSV UTF-8 rồi tải lên lại."))
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if b"\x00" in head or head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8", b"GIF8", b"<")):
        raise ImportFileError(_("Tệp không phải bảng tính Excel (.xlsx) hoặc CSV. Hãy dùng tệp mẫu của cổng."))
    return "csv"


def check_zip(path: str) -> None:
    """Refuse what openpyxl must not be asked to open: not an XLSX package, or a package
    that would inflate far beyond its size (a zip bomb)."""
    limit = int(getattr(settings, "KC_IMPORT_MAX_UNCOMPRESSED_BYTES", 600 * 1024 * 1024))
    ratio_limit = int(getattr(settings, "KC_IMPORT_MAX_COMPRESSION_RATIO", 200))
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFileError(_("Tệp .xlsx bị hỏng hoặc không đầy đủ; hãy lưu lại từ Excel rồi tải lên lại.")) from exc
    if "xl/workbook.xml" not in names:
        if "content.xml" in names:
            raise ImportFileError(_("Tệp ở định dạng OpenDocument (.ods). Hãy lưu thành .xlsx hoặc CSV UTF-8."))
        raise ImportFileError(_("Tệp nén này không phải bảng tính Excel (.xlsx)."))
    total = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos) or 1
    if total > limit or (total > 10 * 1024 * 1024 and total / packed > ratio_limit):
        raise ImportFileError(_("Tệp giải nén ra quá lớn (%(mb)s MB từ %(packed)s MB) — có thể là tệp độc hại "
                                "(“bom nén”). Không đọc tệp này.")
                              % {"mb": total // (1024 * 1024), "packed": max(1, packed // (1024 * 1024))})


_MERGE_RE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


def _merged_header(archive: zipfile.ZipFile, sheet_path: str, header_row: int) -> str | None:
    """The first merged range touching the header row, read by streaming the sheet's XML
    (read-only worksheets do not expose merged cells; ``mergeCells`` sits after the data)."""
    tail = b""
    with archive.open(sheet_path) as stream:
        while chunk := stream.read(1024 * 1024):
            data = tail + chunk
            for match in _MERGE_RE.finditer(data):
                first = int(match.group(2))
                last = int(match.group(4) or first)
                if first <= header_row <= last:
                    return (match.group(1) + match.group(2) + b":" + (match.group(3) or match.group(1))
                            + (match.group(4) or match.group(2))).decode()
            tail = data[-200:]
    return None


def xlsx_rows(path: str) -> Iterator[tuple[int, list[Cell]]]:
    """(row number, cells) of the first worksheet, streamed."""
    import openpyxl

    check_zip(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds on damaged packages
        raise ImportFileError(_("Không mở được tệp .xlsx (%(e)s). Hãy lưu lại từ Excel rồi tải lên lại.")
                              % {"e": exc.__class__.__name__}) from exc
    try:
        sheet = workbook.worksheets[0]
        declared = sheet.max_row
        if declared and declared > max_rows() + 1:
            raise _too_many_rows(declared - 1)
        with zipfile.ZipFile(path) as archive:
            merged = _merged_header(archive, sheet._worksheet_path, 1)
        if merged:
            raise ImportFileError(_("Dòng tiêu đề có ô gộp (%(ref)s). Hãy bỏ gộp ô để mỗi cột có một tiêu đề riêng "
                                    "như trong tệp mẫu.") % {"ref": merged})
        for number, row in enumerate(sheet.iter_rows(), start=1):
            cells = []
            for cell in row:
                value = getattr(cell, "value", None)
                cells.append(Cell(value, getattr(cell, "data_type", None) == "f"))
            yield number, cells
    finally:
        workbook.close()


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-16" and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        return text
    # Legacy Vietnamese CSVs (TCVN3/VNI in a Windows code page) are single-byte: read
    # them as Latin-1 so the cell-level conversion can recognise them.
    return raw.decode("latin-1")


def csv_rows(path: str) -> Iterator[tuple[int, list[Cell]]]:
    """(row number, cells) of a CSV file (comma, semicolon or tab separated)."""
    with open(path, "rb") as handle:
        raw = handle.read()
    text = _decode(raw)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    lines = text.count("\n")
    if lines > max_rows() + 1:
        raise _too_many_rows(lines - 1)
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    for number, row in enumerate(reader, start=1):
        yield number, [Cell(value if value != "" else None) for value in row]


def read_rows(path: str, name: str = "") -> Iterator[tuple[int, list[Cell]]]:
    kind = sniff(path, name)
    rows = xlsx_rows(path) if kind == "xlsx" else csv_rows(path)
    for number, cells in rows:
        if number > max_rows() + 1:
            raise _too_many_rows(number - 1)
        yield number, cells


def is_date(value) -> bool:
    return isinstance(value, (date, datetime))
