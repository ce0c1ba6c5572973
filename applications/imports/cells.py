"""Typed reading of one cell of an import file: text, yes/no, whole numbers, money in
Vietnamese notation, dates, tax codes and code-list values. Each parser returns the typed
value or raises :class:`CellError` with the reason the officer reads."""

import re
from datetime import date, datetime

from django.utils.translation import gettext as _

from khuyencong.text import normalize_search

from .files import Cell


class CellError(Exception):
    def __init__(self, message: str):
        self.message = str(message)
        super().__init__(self.message)


def text(cell: Cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date().isoformat()
    return " ".join(str(value).split())


YES = {"co", "x", "1", "true", "yes", "dung", "v", "y"}
NO = {"khong", "0", "false", "no", "sai"}


def yes_no(cell: Cell) -> bool | None:
    """True/False; None for an empty cell (an update then keeps what is recorded)."""
    if isinstance(cell.value, bool):
        return cell.value
    key = normalize_search(text(cell))
    if key == "":
        return None
    if key in YES:
        return True
    if key in NO:
        return False
    raise CellError(_("ghi “Có” hoặc “Không” (nhận được “%(v)s”)") % {"v": text(cell)})


def whole_number(cell: Cell, *, minimum: int = 0, maximum: int | None = None) -> int | None:
    value = cell.value
    if value is None or text(cell) == "":
        return None
    if isinstance(value, bool):
        raise CellError(_("phải là số nguyên"))
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(_("phải là số nguyên (nhận được %(v)s)") % {"v": value})
        value = int(value)
    if not isinstance(value, int):
        raw = text(cell).replace(".", "").replace(" ", "")
        if not re.fullmatch(r"-?\d+", raw):
            raise CellError(_("phải là số nguyên (nhận được “%(v)s”)") % {"v": text(cell)})
        value = int(raw)
    if value < minimum or (maximum is not None and value > maximum):
        raise CellError(_("phải trong khoảng %(a)s–%(b)s")
                        % {"a": minimum, "b": maximum if maximum is not None else "…"})
    return value


def money(cell: Cell) -> int | None:
    """Integer đồng; text in Vietnamese notation ("1.250.000.000", "1.250.000,00")."""
    value = cell.value
    if value is None or text(cell) == "":
        return None
    if isinstance(value, bool):
        raise CellError(_("phải là số tiền (đồng)"))
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not value.is_integer():
            raise CellError(_("số tiền phải là số nguyên đồng (nhận được %(v)s)") % {"v": value})
        amount = int(value)
    else:
        raw = text(cell).replace("₫", "").replace("đ", "").replace(" ", "")
        match = re.fullmatch(r"(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?", raw)
        if not match or (match.group(2) and set(match.group(2)) != {"0"}):
            raise CellError(_("số tiền không hợp lệ: “%(v)s” (ghi số nguyên đồng, ví dụ 1.250.000.000)")
                            % {"v": text(cell)})
        amount = int(match.group(1).replace(".", ""))
    if amount < 0:
        raise CellError(_("số tiền không được âm"))
    return amount


_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def a_date(cell: Cell) -> date | None:
    """A date cell, or text written dd/mm/yyyy (or ISO yyyy-mm-dd). A bare number (a date
    Excel stores as a serial number in a cell not formatted as a date) and short or
    ambiguous text are refused: guessing a decision date is worse than asking."""
    value = cell.value
    if value is None or text(cell) == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise CellError(_("ngày đang là số (%(v)s), không phải ngày: định dạng ô là Ngày hoặc ghi dd/mm/yyyy")
                        % {"v": text(cell)})
    raw = text(cell)
    match = _DMY.fullmatch(raw)
    try:
        if match:
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        match = _ISO.fullmatch(raw)
        if match:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise CellError(_("ngày không có thật: “%(v)s”") % {"v": raw}) from None
    raise CellError(_("ngày phải ghi dd/mm/yyyy (ví dụ 05/01/2024), nhận được “%(v)s”") % {"v": raw})


def tax_code(cell: Cell) -> str:
    """"" or the portal's form: 10 digits, 10 digits + "-" + 3 (a branch, also accepted
    as 13 digits), or 12 digits. A number cell that lost its leading zero (Excel drops
    it) is given it back."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    raw = re.sub(r"[\s.]", "", str(value))
    if isinstance(value, int) and len(raw) in (9, 11):
        raw = "0" + raw
    if raw == "":
        return ""
    digits = raw.replace("-", "")
    if not digits.isdigit() or len(digits) not in (10, 12, 13) or ("-" in raw and not re.fullmatch(r"\d{10}-\d{3}",
                                                                                                raw)):
        raise CellError(_("mã số thuế phải có 10, 12 hoặc 13 chữ số"))
    if len(digits) == 13:
        return f"{digits[:10]}-{digits[10:]}"
    return digits


def leading_code(value: str) -> str:
    """The code before " – name" in a drop-down value ("25459 – Phường Tân Ninh" → "25459")."""
    return re.split(r"\s+[–-]\s+", value, maxsplit=1)[0].strip()


def choice(cell: Cell, options: dict[str, str], what: str) -> str:
    """The code of a code list from its code, its label or an alias (diacritics and case
    ignored): ``options`` maps normalised spellings to codes."""
    raw = text(cell)
    if not raw:
        return ""
    for candidate in (raw, leading_code(raw)):
        key = normalize_search(candidate)
        if key in options:
            return options[key]
    raise CellError(_("%(what)s “%(v)s” không có trong danh mục (xem trang Danh mục của tệp mẫu)")
                    % {"what": what, "v": raw})
