"""CSV of a report: its most detailed table, written row by row with the kernel's
formula-safe CSV writer."""

import io

from khuyencong.spreadsheets import csv_lines


def render_csv(document) -> bytes:
    table = document.csv_table
    buffer = io.StringIO()
    for line in csv_lines([c.label for c in table.columns], table.rows):
        buffer.write(line)
    return buffer.getvalue().encode("utf-8")
