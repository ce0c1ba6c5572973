"""The parts of an administrative document (Decree 30/2020/NĐ-CP) as plain data — tables,
charts, the signature block — and the rules of its text: the place and date line, the
number line of a draft or an issued document, the names of provinces in running text."""

from dataclasses import dataclass, field
from datetime import date

MONEY, INT, PCT, TEXT = "money", "int", "pct", "text"


@dataclass
class Column:
    label: str
    kind: str = TEXT
    width: int = 14


@dataclass
class Table:
    key: str  # sheet name (≤ 31 characters)
    title: str
    columns: list
    rows: list
    total: list | None = None


@dataclass
class Chart:
    title: str
    labels: list
    series: list  # [(name, values)]


@dataclass
class Section:
    heading: str
    table: Table | None = None
    chart: Chart | None = None
    text: str = ""
    paragraphs: list = field(default_factory=list)


@dataclass
class SignatureBlock:
    """What the signer's column prints: the delegation and position lines (upper case),
    then, after the space for the signature and seal, the name. No name: a draft."""

    lines: list
    name: str = ""

    @property
    def is_draft(self) -> bool:
        return not self.name


@dataclass
class ReportDocument:
    parent_body: str
    issuing_body: str
    number: str
    place: str
    issued_on: date | None
    doc_type: str
    subject: str
    intro: list
    sections: list
    signature: SignatureBlock
    recipients: list
    csv_table: Table | None
    file_stem: str
    data_as_of: object = None
    headline: dict = field(default_factory=dict)
    closing: list = field(default_factory=list)  # paragraphs kept with the signature block
    verification: dict | None = None  # {"code", "url", "qr_svg"} of an issued document

    @property
    def signer_title(self) -> str:
        return " ".join(self.signature.lines)


def vn_date_line(place: str, day: date | None, year: int | None = None) -> str:
    """"Tây Ninh, ngày 05 tháng 01 năm 2026" (Decree 30/2020, Appendix I: days below 10
    and the months 1 and 2 take a leading zero; "tháng 3" … "tháng 12" do not). A draft has
    no date yet: the day and month stay blank for the issue date."""
    if day is None:
        blank = "\u00a0" * 6
        return f"{place}, ngày{blank}tháng{blank}năm {year or ''}".rstrip()
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def number_line(number: int | None, symbol: str) -> str:
    """"Số: 07/BC-SCT" once issued; a draft keeps the number blank ("Số:      /BC-SCT")."""
    if number is None:
        return f"Số:{chr(0xa0) * 8}/{symbol}"
    return f"Số: {number:02d}/{symbol}"


# Decree 30/2020, Appendix II: the kind of a unit is written in lower case inside a sentence
# ("Sở Công Thương tỉnh Tây Ninh", "UBND thành phố Hồ Chí Minh"); the agency block is
# all capitals.
_UNIT_PREFIXES = ("Thành phố ", "Tỉnh ")


def in_text(name: str) -> str:
    """A province's name as running text writes it: "tỉnh Tây Ninh", "thành phố Huế"."""
    for prefix in _UNIT_PREFIXES:
        if name.startswith(prefix):
            return prefix.lower() + name[len(prefix):]
    return name


def place_name(province) -> str:
    """The place in the date line: the province's own name ("Tây Ninh", "Thành phố Hồ Chí
    Minh" — a city keeps its kind, as offices there write it)."""
    name = province.short_name
    return "Thành phố Hồ Chí Minh" if name == "Hồ Chí Minh" else name
