"""Official documents: the content of the reports (official totals, names, spelling), the
register of outgoing documents (numbers under a lock, per issuer and year), signers and
their block, issuing (frozen, hashed, never twice) and the public verification page."""

import hashlib
import re
import subprocess
import threading
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from applications.models import Application
from khuyencong.celery import app as celery_app
from khuyencong.errors import DomainConflict
from provinces.choices import Role
from provinces.models import Province
from provinces.services import agency_get_or_create, province_department_get_or_create
from reports import services
from reports.choices import ReportKind, ReportScope, RunStatus
from reports.documents import in_text, number_line, vn_date_line
from reports.documents.issue import report_issue
from reports.documents.models import (
    Delegation,
    DocType,
    DocumentRegister,
    OfficialDocument,
    RegisterMode,
    RegisterYear,
    Signer,
)
from reports.documents.registry import register_save, signer_save
from reports.models import ReportRun

from .api_matrix import ApiPermissionMatrix
from .conftest import HCM, TAY_NINH
from .report_fixtures import M, build_dataset

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def eager(monkeypatch):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", True)


@pytest.fixture
def data(db):
    dataset = build_dataset()
    # A draft and a cancelled scheme in Tây Ninh: never among the received, never in the list.
    for code, status, seq in (("T-draft", "draft", 90), ("T-cancel", "cancelled", 91)):
        a = Application.objects.get(code="T-a4")
        a.pk, a.code, a.sequence, a.status, a.requested_support = None, code, seq, status, 7_777 * M
        a.title = f"Đề án {status}"
        a.save()
    return dataset


@pytest.fixture
def tn_approver(make_member):
    return make_member(Role.PROVINCE_APPROVER, TAY_NINH, username="tn_approver")


@pytest.fixture
def tn_department(db):
    return province_department_get_or_create(province=Province.objects.get(code=TAY_NINH))


@pytest.fixture
def deputy(tn_approver, tn_department):
    return signer_save(user=tn_approver, organisation=tn_department, full_name="Nguyễn Văn Bình",
                       title="Phó Giám đốc", delegation=Delegation.KT, authority="Giám đốc")


def pdf_text(path, *, layout=True, page=None) -> str:
    args = ["pdftotext", *(["-layout"] if layout else []), *(["-f", str(page), "-l", str(page)] if page else []),
            str(path), "-"]
    return subprocess.run(args, capture_output=True, check=True, text=True).stdout


def pdf_pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def assert_closing_not_alone(path, *signature_texts):
    """The signature block is on the same page as "Nơi nhận" and the last table's rows
    (its totals at least): never alone on a page."""
    pages = [pdf_text(path, page=n) for n in range(1, pdf_pages(path) + 1)]
    [closing] = [page for page in pages if "Nơi nhận" in page]
    assert "Tổng cộng" in closing and "Số liệu tính đến" in closing
    for text in signature_texts:
        assert text in closing, text


def run_report(user, capture, **kwargs):
    params = {"kind": ReportKind.PROVINCE_ANNUAL, "scope": ReportScope.PROVINCE,
              "province": Province.objects.get(code=TAY_NINH), "year": 2026, "formats": ["pdf"], **kwargs}
    with capture(execute=True):
        run = services.report_run_request(user=user, **params)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    return run


# --- Text rules ------------------------------------------------------------------------------------------


def test_text_rules():
    assert in_text("Tỉnh Tây Ninh") == "tỉnh Tây Ninh" and in_text("Thành phố Huế") == "thành phố Huế"
    assert number_line(None, "BC-SCT").replace("\xa0", " ") == "Số:        /BC-SCT"
    assert number_line(7, "BC-SCT") == "Số: 07/BC-SCT"
    assert vn_date_line("Tây Ninh", None, year=2026).replace("\xa0", " ") == "Tây Ninh, ngày      tháng      năm 2026"
    assert vn_date_line("Tây Ninh", date(2026, 3, 5)) == "Tây Ninh, ngày 05 tháng 3 năm 2026"


def test_signature_blocks(tn_approver, tn_department):
    def block(**kw):
        return signer_save(user=tn_approver, organisation=tn_department, full_name="Lê Thị Hoa", **kw).block_lines()

    assert block(title="Giám đốc") == ["GIÁM ĐỐC"]
    assert block(title="Phó Giám đốc", delegation="KT", authority="Giám đốc") == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]
    assert block(title="Chánh Văn phòng", delegation="TL", authority="Giám đốc") == ["TL. GIÁM ĐỐC",
                                                                                     "CHÁNH VĂN PHÒNG"]
    assert block(title="Trưởng phòng Quản lý công nghiệp", delegation="TUQ", authority="Giám đốc")[0] == \
        "TUQ. GIÁM ĐỐC"
    assert block(title="Chủ tịch", delegation="TM", authority="Ủy ban nhân dân") == ["TM. ỦY BAN NHÂN DÂN",
                                                                                     "CHỦ TỊCH"]
    assert block(delegation="Q", authority="Giám đốc") == ["Q. GIÁM ĐỐC"]
    with pytest.raises(ValidationError) as caught:
        block(title="Phó Giám đốc", delegation="KT")
    assert "authority" in caught.value.message_dict


# --- Content ----------------------------------------------------------------------------------------------


def test_province_report_counts_received_and_names_not_codes(data, tn_officer, eager,
                                                             django_capture_on_commit_callbacks):
    run = run_report(tn_officer, django_capture_on_commit_callbacks)
    path = run.files.get(format="pdf").file.path
    text = pdf_text(path)
    flat = " ".join(pdf_text(path, layout=False).split())
    # Official totals: 4 received (a1–a4; never the draft), 2 approved, 1 rejected, 1 cancelled apart.
    assert "Số đề án tiếp nhận: 4, trong đó 2 đề án được phê duyệt và 1 đề án không được phê duyệt; 1 đề án " \
           "đã hủy" in flat
    assert "Kinh phí đề nghị 650.000.000 ₫" in flat  # the draft's and the cancelled 7.777 M are not in it
    assert "7.777.000.000" not in text.split("IV. ĐỀ ÁN KHÔNG")[0]
    assert "T-draft" not in text and "Nháp" not in text
    assert "T-cancel" in text.split("IV. ĐỀ ÁN KHÔNG")[1]
    # Names, not codes.
    for code in ("MMTB", "SXSH", "DAO_TAO", "local", "national"):
        assert not re.search(rf"\b{code}\b", text), code
    assert "Máy móc" in flat or "máy móc" in flat
    # Spelling: lower case in running text, capitals in the agency block.
    assert "Sở Công Thương tỉnh Tây Ninh báo cáo" in flat and "của tỉnh Tây Ninh" in flat
    assert "UBND tỉnh Tây Ninh (để báo cáo)" in flat and "Tỉnh Tây Ninh" not in flat
    assert "UBND TỈNH TÂY NINH" in text
    # A draft: blank number and date, no signer's name.
    assert re.search(r"Số:\s+/BC-SCT", text) and re.search(r"Tây Ninh, ngày\s+tháng\s+năm 2026", text)
    assert "Dự thảo" in flat


# --- Issuing ------------------------------------------------------------------------------------------------


def test_issue_fixes_number_date_signer_and_freezes_the_file(data, tn_officer, tn_approver, deputy, eager,
                                                             django_capture_on_commit_callbacks, client):
    run = run_report(tn_officer, django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied):
        report_issue(user=tn_officer, run_id=run.pk, signer_id=deputy.pk)
    with pytest.raises(ValidationError) as caught:
        report_issue(user=tn_approver, run_id=run.pk, signer_id=None)
    assert "signer" in caught.value.message_dict
    assert not OfficialDocument.objects.exists() and not RegisterYear.objects.exists()

    doc = report_issue(user=tn_approver, run_id=run.pk, signer_id=deputy.pk, today=date(2026, 2, 3))
    assert (doc.number, doc.symbol, doc.issued_on, doc.year) == (1, "BC-SCT", date(2026, 2, 3), 2026)
    content = open(doc.file.path, "rb").read()
    assert hashlib.sha256(content).hexdigest() == doc.sha256 and doc.size == len(content)
    text = pdf_text(doc.file.path)
    flat = " ".join(pdf_text(doc.file.path, layout=False).split())
    assert "Số: 01/BC-SCT" in text and "Tây Ninh, ngày 03 tháng 02 năm 2026" in text
    assert "KT. GIÁM ĐỐC" in text and "PHÓ GIÁM ĐỐC" in text and "Nguyễn Văn Bình" in text
    assert "Dự thảo" not in flat and doc.verification_code in flat
    assert_closing_not_alone(doc.file.path, "KT. GIÁM ĐỐC", "Nguyễn Văn Bình", doc.verification_code)

    # Issuing twice: a clear error, nothing changes (the file neither).
    with pytest.raises(DomainConflict) as conflict:
        report_issue(user=tn_approver, run_id=run.pk, signer_id=deputy.pk)
    assert "01/BC-SCT" in conflict.value.message
    doc.refresh_from_db()
    assert open(doc.file.path, "rb").read() == content and OfficialDocument.objects.count() == 1
    assert RegisterYear.objects.get().last_number == 1

    # The run's page shows the issued document; the approver downloads the frozen file.
    client.force_login(tn_approver)
    page = client.get(reverse("reports:run_detail", args=[run.pk])).content.decode()
    assert "01/BC-SCT" in page and doc.sha256 in page and "Nguyễn Văn Bình" in page
    download = client.get(reverse("reports:document_download", args=[doc.pk]))
    assert b"".join(download.streaming_content) == content


def test_correction_names_the_document_it_replaces(data, tn_officer, tn_approver, deputy, eager,
                                                   django_capture_on_commit_callbacks):
    first = report_issue(user=tn_approver, run_id=run_report(tn_officer, django_capture_on_commit_callbacks).pk,
                         signer_id=deputy.pk, today=date(2026, 2, 3))
    second_run = run_report(tn_officer, django_capture_on_commit_callbacks, quarter=1)
    second = report_issue(user=tn_approver, run_id=second_run.pk, signer_id=deputy.pk, replaces_id=first.pk,
                          today=date(2026, 2, 4))
    assert second.number == 2 and second.replaces == first
    flat = " ".join(pdf_text(second.file.path, layout=False).split())
    assert "thay thế báo cáo số 01/BC-SCT ngày 03/02/2026" in flat
    third_run = run_report(tn_officer, django_capture_on_commit_callbacks, quarter=2)
    with pytest.raises(ValidationError):  # already replaced
        report_issue(user=tn_approver, run_id=third_run.pk, signer_id=deputy.pk, replaces_id=first.pk)
    assert OfficialDocument.objects.count() == 2


def test_numbers_restart_per_issuer_each_year(data, tn_officer, tn_approver, deputy, make_member, eager,
                                              django_capture_on_commit_callbacks):
    runs = [run_report(tn_officer, django_capture_on_commit_callbacks, quarter=q) for q in (1, 2, 3)]
    assert report_issue(user=tn_approver, run_id=runs[0].pk, signer_id=deputy.pk,
                        today=date(2026, 12, 31)).number_text == "01/BC-SCT"
    assert report_issue(user=tn_approver, run_id=runs[1].pk, signer_id=deputy.pk,
                        today=date(2027, 1, 1)).number_text == "01/BC-SCT"
    assert report_issue(user=tn_approver, run_id=runs[2].pk, signer_id=deputy.pk,
                        today=date(2027, 1, 2)).number_text == "02/BC-SCT"
    # Another issuer (the Agency) has its own series: its first report is 01, whatever Tây Ninh did.
    agency_approver = make_member(Role.AGENCY_APPROVER, agency=True)
    head = signer_save(user=agency_approver, organisation=agency_get_or_create(), full_name="Trần Văn Cường",
                       title="Cục trưởng")
    national = run_report(agency_approver, django_capture_on_commit_callbacks, kind=ReportKind.REGIONAL_SUMMARY,
                          scope=ReportScope.NATIONAL, province=None)
    doc = report_issue(user=agency_approver, run_id=national.pk, signer_id=head.pk, today=date(2027, 1, 2))
    assert doc.number_text == "01/BC-KC"
    assert "CỤC TRƯỞNG" in pdf_text(doc.file.path) and "Hà Nội, ngày 02 tháng 01 năm 2027" in pdf_text(doc.file.path)


def test_register_symbols_and_clerical_numbers(data, tn_officer, tn_approver, deputy, eager,
                                               django_capture_on_commit_callbacks):
    organisation = deputy.organisation
    register_save(user=tn_approver, organisation=organisation, doc_type=DocType.DECISION, symbol="QĐ-SCT")
    with pytest.raises(ValidationError) as caught:
        register_save(user=tn_approver, organisation=organisation, doc_type=DocType.REPORT, symbol="qđ-sct")
    assert "symbol" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        register_save(user=tn_officer, organisation=organisation, doc_type=DocType.REPORT, symbol="BC-KCTN")
    # Another organisation may use the same symbol (every Sở writes BC-SCT).
    hcm = province_department_get_or_create(province=Province.objects.get(code=HCM))
    assert hcm.pk != organisation.pk
    register = register_save(user=tn_approver, organisation=organisation, doc_type=DocType.REPORT,
                             symbol="BC-SCT", mode=RegisterMode.CLERICAL)
    runs = [run_report(tn_officer, django_capture_on_commit_callbacks, quarter=q) for q in (1, 2)]
    with pytest.raises(ValidationError) as caught:
        report_issue(user=tn_approver, run_id=runs[0].pk, signer_id=deputy.pk)
    assert "number" in caught.value.message_dict
    doc = report_issue(user=tn_approver, run_id=runs[0].pk, signer_id=deputy.pk, number=157)
    assert doc.number_text == "157/BC-SCT" and doc.register == register
    with pytest.raises(ValidationError):  # the clerical office's number is taken
        report_issue(user=tn_approver, run_id=runs[1].pk, signer_id=deputy.pk, number=157)
    assert OfficialDocument.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_issues_take_consecutive_numbers(units, eager, make_member, django_capture_on_commit_callbacks):
    """Eight approvers' clicks at once on PostgreSQL: numbers 1..8, no gap, no duplicate."""
    assert connection.vendor == "postgresql"
    build_dataset()
    officer = make_member(Role.PROVINCE_OFFICER, TAY_NINH)
    approver = make_member(Role.PROVINCE_APPROVER, TAY_NINH)
    department = province_department_get_or_create(province=Province.objects.get(code=TAY_NINH))
    signer = signer_save(user=approver, organisation=department, full_name="Võ Thị Lan", title="Giám đốc")
    runs = [ReportRun.objects.create(kind=ReportKind.BUDGET_EXECUTION, scope=ReportScope.PROVINCE,
                                     province=Province.objects.get(code=TAY_NINH), year=2026 - i % 3,
                                     quarter=i % 4 + 1 if i > 3 else None, formats=["pdf"],
                                     status=RunStatus.SUCCEEDED) for i in range(8)]
    assert officer
    barrier = threading.Barrier(len(runs))
    results, errors = [], []

    def issue_one(run):
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=30)
            results.append(report_issue(user=approver, run_id=run.pk, signer_id=signer.pk).number)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=issue_one, args=(run,)) for run in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    assert sorted(results) == list(range(1, 9))
    numbers = sorted(OfficialDocument.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 9)) and RegisterYear.objects.get().last_number == 8


# --- Verification -----------------------------------------------------------------------------------------


def test_public_verification_page(data, tn_officer, tn_approver, deputy, eager,
                                  django_capture_on_commit_callbacks, client):
    doc = report_issue(user=tn_approver, run_id=run_report(tn_officer, django_capture_on_commit_callbacks).pk,
                       signer_id=deputy.pk)
    page = client.get(reverse("document-verify", args=[doc.verification_code]))  # anonymous
    body = page.content.decode()
    assert page.status_code == 200
    assert doc.sha256 in body and "01/BC-SCT" in body and "Nguyễn Văn Bình" in body and "KT. GIÁM ĐỐC" in body
    assert hashlib.sha256(open(doc.file.path, "rb").read()).hexdigest() == doc.sha256
    lower = client.get(reverse("document-verify-search"), {"ma": doc.verification_code.lower()})
    assert lower.status_code == 200 and doc.sha256 in lower.content.decode()
    missing = client.get(reverse("document-verify", args=["ZZZZZZZZZZ"]))
    text = missing.content.decode()
    assert missing.status_code == 404 and "Không tìm thấy" in text
    assert "BC-SCT" not in text and "Nguyễn" not in text and "SHA-256" not in text


# --- National scale: 15-digit amounts in the regional summary ----------------------------------------------

MONEY_TOKEN = re.compile(r"^\d{1,3}(\.\d{3})*$")
STATUS_CYCLE = ["approved", "in_progress", "settled", "accepted", "rejected", "cancelled", "draft", "submitted",
                "completed", "under_appraisal"]


def national_scale_rows(total_rows=300_000) -> dict:
    """300,000 synthetic schemes over the 34 provinces (one INSERT … SELECT), each with a
    support of about 3.1 billion đồng, so that the national totals reach 15 digits; plus a
    payment per province. Returns the national programme's id."""
    from applications.models import Disbursement
    from programs.models import ActivityType, Programme

    programme = Programme.objects.get(code="kcqg-test")
    organisation = province_department_get_or_create(province=Province.objects.get(code=TAY_NINH))
    provinces = list(Province.objects.values_list("code", flat=True))
    activities = list(ActivityType.objects.order_by("position").values_list("code", flat=True))
    per_province = total_rows // len(provinces)
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO {Application._meta.db_table} (code, year, sequence, province_id, programme_id, fund_source,
                activity_type_id, implementing_organisation_id, title, objectives, total_cost, requested_support,
                counterpart_funds, approved_amount, decision_number, expected_capacity, status, status_changed_at,
                version, search_text, created_at, updated_at)
            SELECT 'N-' || p || '-' || g, 2026, 1000 + g, p, %s, CASE WHEN g %% 3 = 0 THEN 'national' ELSE 'local' END,
                (%s::text[])[1 + g %% %s], %s, 'Đề án quy mô toàn quốc ' || g, '', 2 * amount, amount, 0,
                CASE WHEN (%s::text[])[1 + g %% 10] IN ('approved', 'in_progress', 'settled', 'accepted', 'completed')
                     THEN amount END,
                '', '', (%s::text[])[1 + g %% 10], now(), 1, '', now(), now()
            FROM unnest(%s::int[]) AS p, generate_series(1, %s) AS g,
                 LATERAL (SELECT 3000000000::bigint + p * 1000003 + g %% 97 AS amount) AS a""",
                       [programme.pk, activities, len(activities), organisation.pk, STATUS_CYCLE, STATUS_CYCLE,
                        provinces, per_province])
    root = Application.objects.filter(code__startswith="N-").values_list("created_by", flat=True).first()
    from django.contrib.auth import get_user_model

    payer = get_user_model().objects.get(username="report_root") if root is None else root
    for code in provinces:
        application = Application.objects.filter(code=f"N-{code}-1").get()
        Disbursement.objects.create(application=application, kind="payment", amount=20_000_000_000_000 + code,
                                    paid_on=date(2026, 5, 1), reference=f"UNC-{code}", created_by=payer)
    return {"rows": per_province * len(provinces)}


def database_totals_per_province() -> dict:
    """Σ per province straight from SQL (not through the selectors the report uses)."""
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT a.province_id,
                   count(*) FILTER (WHERE a.status NOT IN ('draft', 'cancelled')),
                   count(*) FILTER (WHERE a.status IN ('approved', 'in_progress', 'suspended', 'completed',
                                                       'accepted', 'settled')),
                   count(*) FILTER (WHERE a.status = 'rejected'),
                   count(*) FILTER (WHERE a.status = 'cancelled'),
                   coalesce(sum(a.requested_support) FILTER (WHERE a.status NOT IN ('draft', 'cancelled')), 0),
                   coalesce(sum(a.approved_amount) FILTER (WHERE a.status IN ('approved', 'in_progress', 'suspended',
                                                       'completed', 'accepted', 'settled')), 0),
                   coalesce((SELECT sum(d.amount) FROM applications_disbursement d JOIN {Application._meta.db_table} x
                             ON x.id = d.application_id WHERE x.province_id = a.province_id AND x.year = 2026), 0),
                   coalesce((SELECT sum(s.settled_amount) FROM applications_settlement s
                             JOIN {Application._meta.db_table} y ON y.id = s.application_id
                             WHERE y.province_id = a.province_id AND y.year = 2026), 0)
            FROM {Application._meta.db_table} a WHERE a.year = 2026 GROUP BY a.province_id""")
        return {row[0]: list(row[1:]) for row in cursor.fetchall()}


def dots(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def test_regional_summary_at_national_scale_prints_every_amount_apart(data, make_member, eager,
                                                                      django_capture_on_commit_callbacks):
    national_scale_rows()
    agency = make_member(Role.AGENCY_OFFICER, agency=True)
    run = run_report(agency, django_capture_on_commit_callbacks, kind=ReportKind.REGIONAL_SUMMARY,
                     scope=ReportScope.NATIONAL, province=None)
    expected = database_totals_per_province()
    national = [sum(values[i] for values in expected.values()) for i in range(8)]
    assert len(str(national[4])) == 15 and len(str(national[5])) == 15  # requested and approved: 15 digits
    text = pdf_text(run.files.get(format="pdf").file.path)
    provinces_part = text.split("III. KẾT QUẢ THEO TỈNH, THÀNH PHỐ")[1].split("IV. KẾT QUẢ THEO NỘI DUNG")[0]
    number_rows = []
    for line in provinces_part.splitlines():
        tokens = [t for t in line.split() if re.search(r"\d", t)]
        for token in tokens:
            # A number cell is exactly one well-formed number: two amounts run together fail here.
            assert MONEY_TOKEN.match(token) or re.match(r"^\d{1,3},\d$", token), (token, line)
        if len(tokens) >= 8:
            number_rows.append([t for t in tokens if MONEY_TOKEN.match(t)])
    names = dict(Province.objects.values_list("code", "name"))
    for code, values in expected.items():
        cells = [dots(v) for v in values]
        assert any(row[-8:] == cells for row in number_rows), (names[code], cells)
    total_cells = [dots(v) for v in national]
    assert any(row[-8:] == total_cells for row in number_rows), total_cells
    assert run.aggregation_seconds is not None and run.render_seconds is not None
    assert_closing_not_alone(run.files.get(format="pdf").file.path, "CỤC TRƯỞNG", "Dự thảo")
    print(f"national scale: {sum(v[0] for v in expected.values())} received; aggregation "
          f"{run.aggregation_seconds:.2f} s, render {run.render_seconds:.2f} s")


# --- Pages and API --------------------------------------------------------------------------------------------


def test_registry_page_configures_registers_and_signers(data, tn_approver, tn_officer, tn_department, client):
    client.force_login(tn_officer)
    assert client.get(reverse("reports:document_registry")).status_code == 403
    client.force_login(tn_approver)
    page = client.get(reverse("reports:document_registry"))
    assert page.status_code == 200 and "BC-SCT" in page.content.decode() and "QĐ-SCT" in page.content.decode()
    url = reverse("reports:document_registry")
    client.post(url, {"what": "register", "organisation": tn_department.pk, "doc_type": "report", "symbol": "bc-sct",
                      "mode": "clerical"})
    register = tn_department.document_registers.get(doc_type="report")
    assert (register.symbol, register.mode) == ("BC-SCT", "clerical")
    refused = client.post(url, {"what": "register", "organisation": tn_department.pk, "doc_type": "decision",
                                "symbol": "BC-SCT", "mode": "portal"}, follow=True)
    assert "đã được dùng" in refused.content.decode()
    assert not tn_department.document_registers.filter(doc_type="decision").exists()
    prefix = f"s{tn_department.pk}"
    client.post(url, {"what": "signer", "organisation": tn_department.pk, f"{prefix}-full_name": "Phạm Thu Trang",
                      f"{prefix}-title": "Phó Giám đốc", f"{prefix}-delegation": "KT",
                      f"{prefix}-authority": "Giám đốc", f"{prefix}-is_active": "on"})
    signer = Signer.objects.get(full_name="Phạm Thu Trang")
    assert signer.block_lines() == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"] and signer.province_id == TAY_NINH
    # Another province's organisation is not the approver's to configure.
    hcm = province_department_get_or_create(province=Province.objects.get(code=HCM))
    assert client.post(url, {"what": "register", "organisation": hcm.pk, "doc_type": "report",
                             "symbol": "BC-X"}).status_code == 404


def test_api_issue_and_documents(data, tn_officer, tn_approver, deputy, eager, api_client_for,
                                 django_capture_on_commit_callbacks, hcm_officer):
    run = run_report(tn_officer, django_capture_on_commit_callbacks)
    url = reverse("report-run-issue", args=[run.pk])
    assert api_client_for(tn_officer).post(url, {"signer": deputy.pk}, format="json").status_code == 403
    missing = api_client_for(tn_approver).post(url, {}, format="json")
    assert missing.status_code == 400 and "signer" in missing.json()["errors"]
    issued = api_client_for(tn_approver).post(url, {"signer": deputy.pk}, format="json")
    assert issued.status_code == 201, issued.content
    body = issued.json()
    assert body["number"] == "01/BC-SCT" and body["signer_name"] == "Nguyễn Văn Bình"
    assert body["signer_lines"] == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]
    again = api_client_for(tn_approver).post(url, {"signer": deputy.pk}, format="json")
    assert again.status_code == 409 and OfficialDocument.objects.count() == 1
    client = api_client_for(tn_officer)
    listed = client.get(reverse("official-document-list")).json()
    assert [d["number"] for d in listed["results"]] == ["01/BC-SCT"]
    download = client.get(reverse("official-document-download", args=[body["id"]]))
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == body["sha256"]
    assert api_client_for(hcm_officer).get(reverse("official-document-detail", args=[body["id"]])).status_code == 404
    # Registers and signers through the API.
    approver = api_client_for(tn_approver)
    created = approver.post(reverse("document-register-list"), {"organisation": deputy.organisation_id,
                                                                "doc_type": "decision", "symbol": "QĐ-SCT"},
                            format="json")
    assert created.status_code == 201 and created.json()["symbol"] == "QĐ-SCT"
    clash = approver.patch(reverse("document-register-detail", args=[created.json()["id"]]), {"symbol": "BC-SCT"},
                           format="json")
    assert clash.status_code == 400 and "symbol" in clash.json()["errors"]
    signer = approver.post(reverse("signer-list"), {"organisation": deputy.organisation_id, "full_name": "Đỗ Minh",
                                                    "delegation": "Q", "authority": "Giám đốc"}, format="json")
    assert signer.status_code == 201 and signer.json()["block"] == ["Q. GIÁM ĐỐC"]


def _tn_document(province_code):
    from django.contrib.auth import get_user_model

    province = Province.objects.get(code=province_code)
    organisation = province_department_get_or_create(province=province)
    user = get_user_model().objects.create(username=f"issuer{province_code}")
    register = DocumentRegister.objects.create(organisation=organisation, province=province, doc_type="report",
                                               symbol="BC-SCT")
    signer = Signer.objects.create(organisation=organisation, province=province, full_name="A", title="GIÁM ĐỐC")
    run = ReportRun.objects.create(kind=ReportKind.PROVINCE_ANNUAL, scope=ReportScope.PROVINCE, year=2026,
                                   province=province, formats=["pdf"], status=RunStatus.SUCCEEDED)
    return OfficialDocument.objects.create(
        organisation=organisation, province=province, register=register, kind="report", report_run=run, year=2026,
        number=1, symbol="BC-SCT", subject="Báo cáo", issued_on=date(2026, 1, 5), issued_by=user, signer=signer,
        signer_name="A", signer_lines=["GIÁM ĐỐC"], file="documents/x.pdf", sha256="0" * 64,
        verification_code=f"CODE{province_code:06d}")


class TestDocumentsApiMatrix(ApiPermissionMatrix):
    basename = "official-document"

    @pytest.fixture
    def own_object(self, db):
        return _tn_document(TAY_NINH)

    @pytest.fixture
    def other_object(self, db):
        return _tn_document(HCM)


class TestSignersApiMatrix(ApiPermissionMatrix):
    basename = "signer"
    role = Role.PROVINCE_APPROVER
    writable = True

    @pytest.fixture
    def own_object(self, db):
        organisation = province_department_get_or_create(province=Province.objects.get(code=TAY_NINH))
        return Signer.objects.create(organisation=organisation, province_id=TAY_NINH, full_name="B", title="GĐ")

    @pytest.fixture
    def other_object(self, db):
        organisation = province_department_get_or_create(province=Province.objects.get(code=HCM))
        return Signer.objects.create(organisation=organisation, province_id=HCM, full_name="C", title="GĐ")

    def create_payload(self, own_object):
        return {"organisation": own_object.organisation_id, "full_name": "Nguyễn Văn D", "title": "Giám đốc"}

    def update_payload(self, own_object):
        return {"title": "Phó Giám đốc"}


class TestRegistersApiMatrix(ApiPermissionMatrix):
    basename = "document-register"
    role = Role.PROVINCE_APPROVER
    writable = True

    @pytest.fixture
    def own_object(self, db):
        organisation = province_department_get_or_create(province=Province.objects.get(code=TAY_NINH))
        return DocumentRegister.objects.create(organisation=organisation, province_id=TAY_NINH, doc_type="report",
                                               symbol="BC-SCT")

    @pytest.fixture
    def other_object(self, db):
        organisation = province_department_get_or_create(province=Province.objects.get(code=HCM))
        return DocumentRegister.objects.create(organisation=organisation, province_id=HCM, doc_type="report",
                                               symbol="BC-SCT")

    def create_payload(self, own_object):
        return {"organisation": own_object.organisation_id, "doc_type": "minutes", "symbol": "BB-SCT"}

    def update_payload(self, own_object):
        return {"symbol": "BC-SCTTN"}
