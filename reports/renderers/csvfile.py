"""CSV of a report (its most detailed table), written row by row; and a streaming
writer for list exports that never holds the whole list in memory."""

import csv
import io

from django.http import StreamingHttpResponse


class _Echo:
    def write(self, value):
        return value


def csv_lines(header, rows):
    """Yield encoded CSV lines: a BOM (so Excel reads UTF-8), the header, the rows."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)
    for row in rows:
        yield writer.writerow(["" if v is None else v for v in row])


def render_csv(document) -> bytes:
    table = document.csv_table
    buffer = io.StringIO()
    for line in csv_lines([c.label for c in table.columns], table.rows):
        buffer.write(line)
    return buffer.getvalue().encode("utf-8")


def streaming_csv_response(header, rows, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
