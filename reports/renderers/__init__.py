"""Renderers of a ReportDocument: PDF (WeasyPrint), XLSX (openpyxl), CSV."""

from .csvfile import render_csv
from .pdf import render_pdf
from .xlsx import render_xlsx

RENDERERS = {"pdf": render_pdf, "xlsx": render_xlsx, "csv": render_csv}
