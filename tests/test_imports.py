"""Excel/CSV import of establishments: template, dry-run preview with per-cell errors,
confirm all or nothing through the services, idempotent re-import, tenancy, and the
ugly files (not a spreadsheet, password, too many rows, formulas, merged headers, dates,
zip bomb, TCVN3/VNI fonts)."""

import io
import re
import zipfile
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from applications.imports import services
from applications.imports.establishments import COLUMNS
from applications.models import Establishment, ImportJob, ImportKind, ImportStatus, RowOutcome
from khuyencong.celery import app as celery_app
from khuyencong.models import AuditEntry
from provinces.choices import Role
from provinces.models import Commune, Province

from .conftest import HCM, TAN_NINH_WARD, TAY_NINH, THU_DUC_WARD

pytestmark = pytest.mark.django_db

HEADER = [str(c.label) for c in COLUMNS]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def eager(monkeypatch):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", True)


def row(**values):
    base = {"name": "Cơ sở mây tre Tân Ninh", "legal_form": "Hộ kinh doanh", "representative": "Trần Văn Bình",
            "province": "", "tax_code": "", "commune": str(TAN_NINH_WARD), "legacy_commune": "",
            "address": "Khu phố 2", "industry": "Đan lát mây tre"}
    base.update(values)
    return [base.get(c.key, "") for c in COLUMNS]


def xlsx(rows, header=None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header or HEADER)
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(user, content: bytes, name="co-so.xlsx", kind=ImportKind.ESTABLISHMENTS, province=TAY_NINH, capture=None):
    with capture(execute=True):
        job = services.import_job_create(user=user, kind=kind, province=Province.objects.get(code=province),
                                         upload=SimpleUploadedFile(name, content))
    job.refresh_from_db()
    return job


def confirm(user, job, capture):
    with capture(execute=True):
        services.import_job_confirm(user=user, job=job)
    job.refresh_from_db()
    return job


@pytest.fixture
def up(tn_officer, django_capture_on_commit_callbacks):
    def run(content, **kwargs):
        return upload(kwargs.pop("user", tn_officer), content, capture=django_capture_on_commit_callbacks, **kwargs)
    return run


def errors_of(job):
    return {r.number: [e["message"] for e in r.errors] for r in job.rows.filter(outcome=RowOutcome.ERROR)}


def test_preview_writes_nothing_then_confirm_creates_through_the_service(up, tn_officer,
                                                                          django_capture_on_commit_callbacks):
    job = up(xlsx([row(tax_code="3901234567"), row(name="HTX Nông sản Tân Ninh", legal_form="HTX",
                                                     tax_code="3901234568001", woman_owned="Có")]))
    assert job.status == ImportStatus.PREVIEW, job.error
    assert job.counts[RowOutcome.CREATED] == 2 and job.error_count == 0
    assert not Establishment.objects.exists()
    job = confirm(tn_officer, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE
    branch = Establishment.objects.get(tax_code="3901234568-001")
    assert branch.legal_form == "cooperative" and branch.woman_owned and branch.created_by == tn_officer
    assert branch.province_id == TAY_NINH
    # Written through save(): the audit trail names the confirming officer.
    assert AuditEntry.objects.filter(object_id=str(branch.pk), user=tn_officer).exists()


def test_reimporting_the_same_file_changes_nothing(up, tn_officer, django_capture_on_commit_callbacks):
    content = xlsx([row(tax_code="3901234567"), row(name="Cơ sở không mã số thuế")])
    confirm(tn_officer, up(content), django_capture_on_commit_callbacks)
    again = up(content)
    assert again.counts[RowOutcome.UNCHANGED] == 2 and again.counts[RowOutcome.CREATED] == 0
    assert Establishment.objects.count() == 2
    changed = up(xlsx([row(tax_code="3901234567", representative="Lê Thị Hoa")]))
    assert changed.counts[RowOutcome.UPDATED] == 1
    assert changed.rows.get().changes == {"representative": ["Trần Văn Bình", "Lê Thị Hoa"]}
    confirm(tn_officer, changed, django_capture_on_commit_callbacks)
    assert Establishment.objects.get(tax_code="3901234567").representative == "Lê Thị Hoa"


def test_cell_errors_name_row_and_column_and_block_the_whole_file(up, tn_officer, client,
                                                                  django_capture_on_commit_callbacks):
    job = up(xlsx([row(tax_code="3901234567")] * 0 + [row(tax_code="39012345670")] * 1
                  + [row(name="Cơ sở tốt", tax_code="3909999999")]))
    assert job.error_count == 1 and job.counts[RowOutcome.CREATED] == 1
    bad = job.rows.get(outcome=RowOutcome.ERROR)
    assert bad.number == 2
    assert (bad.errors
            == [{"column": "E", "header": "Mã số thuế", "message": "mã số thuế phải có 10, 12 hoặc 13 chữ số"}])
    client.force_login(tn_officer)
    page = client.get(reverse("applications:import_detail", args=[job.pk]))
    assert "Dòng 2, cột E (Mã số thuế): mã số thuế phải có 10, 12 hoặc 13 chữ số" in page.content.decode()
    with pytest.raises(Exception, match="dòng lỗi"):
        services.import_job_confirm(user=tn_officer, job=job)
    assert not Establishment.objects.exists()
    # The error rows download with their reasons.
    response = client.get(reverse("applications:import_errors", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 2 and values[1][4] == "39012345670"
    assert "mã số thuế phải có 10, 12 hoặc 13 chữ số" in values[1][-1]


def test_each_kind_of_row_error(up, make_member):
    hcm_commune = Commune.objects.get(code=THU_DUC_WARD)
    rows = [
        row(legal_form="Tập đoàn"),
        row(commune=str(hcm_commune.code)),
        row(province="79"),
        row(name=""),
        row(tax_code="3901234567"), row(tax_code="3901234567"),
        row(woman_owned="có lẽ"),
        row(employees="nhiều"),
        row(craft_village="Có"),
        row(email="khong-phai-email"),
    ]
    for number, values in enumerate(rows):
        if values[0]:
            values[0] = f"{values[0]} {number}"
    job = up(xlsx(rows))
    errors = errors_of(job)
    assert "không có trong danh mục" in errors[2][0]
    assert "thuộc Thành phố Hồ Chí Minh" in errors[3][0]
    assert "tỉnh/thành khác" in errors[4][0]
    assert errors[5] == ["bắt buộc, đang để trống"]
    assert 6 not in errors and "trùng mã số thuế với dòng 6" in errors[7][0]
    assert "Có" in errors[8][0]
    assert "số nguyên" in errors[9][0]
    assert "làng nghề" in errors[10][0]
    assert errors[11]
    assert job.status == ImportStatus.PREVIEW and not job.can_confirm


def test_tax_code_of_another_province_is_an_error_that_reveals_nothing(up, hcm_officer):
    from applications import services as app_services

    app_services.establishment_create(user=hcm_officer, data={
        "name": "Công ty HCM", "legal_form": "sme", "tax_code": "0301234567", "representative": "A",
        "commune": Commune.objects.get(code=THU_DUC_WARD), "address": "x", "industry": "y"})
    job = up(xlsx([row(tax_code="0301234567")]))
    message = errors_of(job)[2][0]
    assert "tỉnh/thành khác" in message and "Hồ Chí Minh" not in message


def test_province_officer_cannot_import_for_another_province(tn_officer, make_member):
    with pytest.raises(Exception, match="không được nhập"):
        services.import_job_create(user=tn_officer, kind=ImportKind.ESTABLISHMENTS,
                                   province=Province.objects.get(code=HCM), upload=SimpleUploadedFile("a.xlsx", b"x"))
    auditor = make_member(Role.AUDITOR, TAY_NINH)
    with pytest.raises(Exception, match="chỉ đọc"):
        services.import_job_create(user=auditor, kind=ImportKind.ESTABLISHMENTS,
                                   province=Province.objects.get(code=TAY_NINH),
                                   upload=SimpleUploadedFile("a.xlsx", b"x"))
    assert not ImportJob.objects.exists()


def test_job_of_another_province_is_a_404(up, hcm_officer, client):
    job = up(xlsx([row()]))
    client.force_login(hcm_officer)
    for name in ("import_detail", "import_errors"):
        assert client.get(reverse(f"applications:{name}", args=[job.pk])).status_code == 404
    assert client.post(reverse("applications:import_confirm", args=[job.pk])).status_code == 404
    assert not Establishment.objects.exists()


def test_confirm_is_all_or_nothing_when_the_register_changed(up, tn_officer, django_capture_on_commit_callbacks):
    from applications import services as app_services

    job = up(xlsx([row(name="Một", tax_code="3901111111"), row(name="Hai", tax_code="3902222222")]))
    # Between preview and confirm someone registers the second tax code.
    app_services.establishment_create(user=tn_officer, data={
        "name": "Đã có", "legal_form": "sme", "tax_code": "3902222222", "representative": "A",
        "commune": Commune.objects.get(code=TAN_NINH_WARD), "address": "x", "industry": "y"})
    job = confirm(tn_officer, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.WRITE_FAILED
    assert "Dòng 3" in job.error
    assert not Establishment.objects.filter(tax_code="3901111111").exists()


def test_csv_with_semicolons_and_vietnamese_numbers(up):
    lines = [";".join(HEADER), ";".join(str(v) for v in row(tax_code="3901234567", employees="1.200"))]
    job = up(("\n".join(lines)).encode("utf-8-sig"), name="co-so.csv")
    assert job.counts[RowOutcome.CREATED] == 1, errors_of(job)
    assert job.rows.get().values["employees"] == 1200


def test_template_has_code_lists_as_dropdowns(tn_officer, client):
    client.force_login(tn_officer)
    response = client.get(reverse("applications:import_template", args=[ImportKind.ESTABLISHMENTS, TAY_NINH]))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    data, lists = workbook.worksheets[0], workbook.worksheets[1]
    assert [c.value for c in data[1]][:3] == ["Tên cơ sở (*)", "Loại hình (*)", "Người đại diện (*)"]
    assert lists.title == "Danh mục"
    communes = [c.value for c in lists["D"][1:] if c.value]
    assert len(communes) == 96 and f"{TAN_NINH_WARD} – Phường Tân Ninh" in communes
    formulas = {v.formula1 for v in data.data_validations.dataValidation}
    assert any("Danh mục" in f and "$A$2:$A$6" in f for f in formulas)
    assert client.get(reverse("applications:import_template",
                              args=[ImportKind.ESTABLISHMENTS, HCM])).status_code == 404


def test_a_filled_template_imports(tn_officer, client, up):
    client.force_login(tn_officer)
    content = client.get(reverse("applications:import_template", args=[ImportKind.ESTABLISHMENTS, TAY_NINH])).content
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    for index, value in enumerate(row(commune=f"{TAN_NINH_WARD} – Phường Tân Ninh", tax_code="3901234567",
                                      craft_village="Không"), start=1):
        sheet.cell(row=2, column=index, value=value)
    out = io.BytesIO()
    workbook.save(out)
    job = up(out.getvalue())
    assert job.counts[RowOutcome.CREATED] == 1, errors_of(job)


# --- Bad files: a clear message and nothing written ----------------------------------------------

def failed(job, *fragments):
    assert job.status == ImportStatus.FAILED, (job.status, job.error, errors_of(job))
    for fragment in fragments:
        assert fragment in job.error
    assert not job.rows.exists() and not Establishment.objects.exists()
    return job


def test_not_a_spreadsheet(up):
    failed(up(b"%PDF-1.7 not a sheet", name="ho-so.pdf"), "không phải bảng tính")
    failed(up(b"\x89PNG\r\n\x1a\n....", name="anh.xlsx"), "không phải bảng tính")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    failed(up(buffer.getvalue(), name="nen.xlsx"), "không phải bảng tính Excel")


def test_password_protected_workbook(up):
    # What Excel writes for a workbook with a password: an OLE container with an
    # "EncryptedPackage" stream (the start of a real one, enough for the sniffing).
    content = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000 + "EncryptedPackage".encode("utf-16-le")
               + b"\x00" * 1000)
    failed(up(content), "mật khẩu")
    failed(up(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000, name="cu.xls"), ".xls")


def test_a_million_rows_is_refused_before_reading(up, settings):
    # The sheet declares its size in <dimension>; a file claiming a million rows is
    # refused before any row is read (a real one is ~20 MB, the dimension is what counts).
    content = xlsx([row()])
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, count = re.subn(rb'<dimension ref="A1:([A-Z]+)2"\s*/>',
                                     rb'<dimension ref="A1:\g<1>1000001"/>', data)
                assert count == 1
            out.writestr(item, data)
    failed(up(buffer.getvalue()), "1.000.000 dòng", "200.000")
    settings.KC_IMPORT_MAX_ROWS = 3
    failed(up(xlsx([row(name=f"Cơ sở {i}") for i in range(5)])), "vượt giới hạn 3 dòng")


def test_formulas_are_refused_per_cell(up):
    job = up(xlsx([row(tax_code="=CONCATENATE(\"39\",\"01234567\")")]))
    message = errors_of(job)[2][0]
    assert "công thức" in message
    workbook = Workbook()
    workbook.active.append(HEADER[:-1] + ["=A1"])
    out = io.BytesIO()
    workbook.save(out)
    failed(up(out.getvalue()), "công thức")


def test_merged_header_cells(up):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(row())
    sheet.merge_cells("A1:B1")
    out = io.BytesIO()
    workbook.save(out)
    failed(up(out.getvalue()), "ô gộp", "A1:B1")


def test_missing_header_and_empty_file(up):
    failed(up(xlsx([["x"]], header=["Họ tên", "Tuổi"])), "Không tìm thấy cột bắt buộc", "Tên cơ sở")
    failed(up(xlsx([])), "không có dòng dữ liệu")
    with pytest.raises(ValidationError, match="Chọn tệp"):
        up(b"", name="rong.csv")
    failed(up(b"\n\n", name="rong.csv"), "Không tìm thấy cột bắt buộc")


def test_zip_bomb(up):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * (700 * 1024 * 1024))
    assert len(buffer.getvalue()) < 2 * 1024 * 1024
    failed(up(buffer.getvalue()), "bom nén")


def test_tcvn3_text_is_converted_and_vni_refused(up):
    job = up(xlsx([row(name="C«ng ty TNHH M©y tre §ång Xoµi", tax_code="3901234567",
                       representative="NguyÔn V¨n An")]))
    assert job.counts[RowOutcome.CREATED] == 1, errors_of(job)
    assert job.converted_legacy_text == 2
    values = job.rows.get().values
    assert values["name"] == "Công ty TNHH Mây tre Đồng Xoài" and values["representative"] == "Nguyễn Văn An"
    job = up(xlsx([row(name="Coâng ty TNHH Hoaøng Long")]))
    assert "VNI" in errors_of(job)[2][0]


def test_old_excel_dates_in_schemes_are_checked(db):
    from applications.imports import cells
    from applications.imports.files import Cell

    assert cells.a_date(Cell("05/01/2024")) == date(2024, 1, 5)
    assert cells.a_date(Cell(date(2024, 1, 5))) == date(2024, 1, 5)
    for bad, fragment in ((45296, "đang là số"), ("5/1/24", "dd/mm/yyyy"), ("31/02/2024", "không có thật")):
        with pytest.raises(cells.CellError, match=fragment):
            cells.a_date(Cell(bad))
    assert cells.money(Cell("1.250.000.000")) == 1_250_000_000
    assert cells.tax_code(Cell(301234567)) == "0301234567"  # Excel dropped the leading zero


# --- Past schemes ----------------------------------------------------------------------------------

from applications.imports.schemes import COLUMNS as SCHEME_COLUMNS  # noqa: E402

SCHEME_HEADER = [str(c.label) for c in SCHEME_COLUMNS]


def scheme(**values):
    base = {"code": "KC-TN-2022-01", "year": 2022, "tax_code": "3901234567", "activity_type": "MMTB",
            "fund_source": "Khuyến công địa phương", "title": "Hỗ trợ máy đan lát", "total_cost": "500.000.000",
            "requested_support": "200.000.000", "approved_amount": 180_000_000, "status": "Đã quyết toán",
            "decision_number": "123/QĐ-SCT", "decision_date": date(2022, 3, 14)}
    base.update(values)
    return [base.get(c.key, "") for c in SCHEME_COLUMNS]


@pytest.fixture
def registered(tn_officer):
    from applications import services as app_services
    from programs.services import activity_types_load

    activity_types_load()
    common = {"legal_form": "household", "representative": "A", "address": "x", "industry": "y"}
    with_tax = app_services.establishment_create(user=tn_officer, data={
        **common, "name": "Cơ sở mây tre Tân Ninh", "tax_code": "3901234567",
        "commune": Commune.objects.get(code=TAN_NINH_WARD)})
    without = app_services.establishment_create(
        user=tn_officer,
        data={
            **common,
            "name": "Cơ sở bánh tráng Út Hiền",
            "tax_code": "",
            "commune": Commune.objects.get(code=TAN_NINH_WARD),
        },
    )
    return with_tax, without


def test_past_schemes_enter_history_but_never_the_ledger(up, tn_officer, registered, client,
                                                         django_capture_on_commit_callbacks):
    from applications import ledger, selectors
    from applications.models import Application

    with_tax, without = registered
    content = xlsx([scheme(), scheme(code="KC-TN-2021-07", year=2021, tax_code="", establishment_name="Cơ sở bánh "
                                     "tráng Út Hiền", commune="Phường Tân Ninh", status="Không phê duyệt",
                                     approved_amount="", decision_number="", decision_date="")],
                   header=SCHEME_HEADER)
    job = up(content, kind=ImportKind.SCHEMES, name="de-an.xlsx")
    assert job.counts[RowOutcome.CREATED] == 2, errors_of(job)
    assert not Application.objects.exists()
    job = confirm(tn_officer, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE, job.error
    settled = Application.objects.get(code="KC-TN-2022-01")
    assert settled.is_imported and settled.status == "settled" and settled.approved_amount == 180_000_000
    assert settled.decision_date == date(2022, 3, 14) and settled.counterpart_funds == 300_000_000
    assert settled.events.get().action == "import"
    assert list(selectors.establishment_history(with_tax, tn_officer)) == [settled]
    assert list(selectors.establishment_history(without, tn_officer))[0].status == "rejected"
    # History, not money of any allocation.
    assert ledger.committed_amount(programme_id=settled.programme_id, province_id=TAY_NINH, year=2022) == 0
    assert all(r["approved"] == 0 for r in ledger.ledger()["rows"])
    # The dashboards of its year count it.
    from reports import selectors as report_selectors

    board = report_selectors.dashboard(user=tn_officer, title="Tây Ninh",
                                       filters=report_selectors.Filters(year=2022, province_ids=(TAY_NINH,)))
    assert board.total.count == 1 and board.total.approved == 180_000_000
    # Idempotent.
    again = up(content, kind=ImportKind.SCHEMES, name="de-an.xlsx")
    assert again.counts[RowOutcome.UNCHANGED] == 2, errors_of(again)
    client.force_login(tn_officer)
    assert client.get(reverse("applications:establishment_detail", args=[with_tax.pk])).content.decode().count(
        "KC-TN-2022-01") >= 1


def test_past_scheme_row_errors(up, registered, agency_officer, django_capture_on_commit_callbacks):
    job = up(xlsx([
        scheme(code="A1", tax_code="3909999999"),
        scheme(code="A2", decision_number=""),
        scheme(code="A3", decision_date=45000),
        scheme(code="A4", year=2019),
        scheme(code="A5", province="79"),
        scheme(code="A6", approved_amount=250_000_000),
        scheme(code="A6"),
    ], header=SCHEME_HEADER), kind=ImportKind.SCHEMES)
    errors = errors_of(job)
    assert "chưa có cơ sở" in errors[2][0]
    assert "số quyết định" in errors[3][0]
    assert "đang là số" in errors[4][0]
    assert "2020" in errors[5][0]
    assert "tỉnh/thành khác" in errors[6][0]
    assert "lớn hơn kinh phí khuyến công" in errors[7][0]
    assert "trùng mã đề án" in errors[8][0]
    # The Agency imports national schemes of any province, never local ones.
    job = upload(agency_officer, xlsx([scheme(code="Q1", fund_source="Khuyến công quốc gia"), scheme(code="Q2")],
                                      header=SCHEME_HEADER), kind=ImportKind.SCHEMES,
                 capture=django_capture_on_commit_callbacks)
    assert job.counts[RowOutcome.CREATED] == 1 and "quốc gia" in errors_of(job)[3][0]


def test_english_session_gets_english_errors_and_an_english_template_imports(up, tn_officer, client):
    from django.utils import translation

    client.force_login(tn_officer)
    client.cookies["django_language"] = "en"
    content = client.get(reverse("applications:import_template", args=[ImportKind.ESTABLISHMENTS, TAY_NINH]),
                         HTTP_ACCEPT_LANGUAGE="en").content
    workbook = load_workbook(io.BytesIO(content))
    header = [c.value for c in workbook.worksheets[0][1]]
    with translation.override("en"):
        assert header[0] == "Establishment (*)" or header[0].endswith("(*)")
        job = up(xlsx([[*row(tax_code="12345")[:1], "Household business", *row(tax_code="12345")[2:]]],
                      header=header))
    assert job.language == "en"
    assert errors_of(job)[2] == ["the tax code must have 10, 12 or 13 digits"]
