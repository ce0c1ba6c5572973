"""Reports: aggregates against a hand-computed dataset, the three outputs, the Celery
task (idempotent, worker death, Redis down), scoping of downloads and the API."""

import csv
import io
import subprocess
from datetime import date, timedelta

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from khuyencong.celery import app as celery_app
from provinces.choices import RegionGrouping, Role
from provinces.models import Province, Region
from reports import documents, selectors, services, tasks
from reports.choices import ReportFormat, ReportKind, ReportScope, RunStatus
from reports.models import ReportFile, ReportRun

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
    return build_dataset()


def request_run(user, capture, **kwargs):
    params = {"kind": ReportKind.REGIONAL_SUMMARY, "scope": ReportScope.NATIONAL, "year": 2026, **kwargs}
    with capture(execute=True):
        run = services.report_run_request(user=user, **params)
    run.refresh_from_db()
    return run


def pdf_text(report_file) -> str:
    return subprocess.run(["pdftotext", "-layout", report_file.file.path, "-"], capture_output=True, check=True,
                          text=True).stdout


# --- Aggregates ------------------------------------------------------------------------------------------


def test_national_aggregates_match_hand_computed_figures(data, agency_officer):
    board = selectors.dashboard(user=agency_officer, filters=selectors.Filters(year=2026), title="Toàn quốc",
                                region_grouping=RegionGrouping.KHUYEN_CONG_AREA)
    t = board.total
    assert (t.count, t.requested, t.approved, t.disbursed, t.settled, t.overdue) == (
        5, 1_050 * M, 850 * M, 420 * M, 280 * M, 1)
    assert t.approval_rate == 75.0
    status = {line.key: line.m.count for line in board.by_status}
    assert status == {"submitted": 1, "rejected": 1, "approved": 1, "in_progress": 1, "settled": 1}
    area = {line.key: line.m for line in board.by_area}
    assert (area[TAY_NINH].count, area[TAY_NINH].approved, area[TAY_NINH].disbursed) == (4, 450 * M, 420 * M)
    assert (area[HCM].count, area[HCM].approved, area[HCM].disbursed) == (1, 400 * M, 0)
    funds = {line.key: line.m.approved for line in board.by_fund}
    assert funds == {"national": 300 * M, "local": 550 * M}
    activity = {line.key: line.m.requested for line in board.by_activity}
    assert activity == {"MMTB": 700 * M, "SXSH": 300 * M, "DAO_TAO": 50 * M}
    south = next(line for line in board.by_region if line.key == "phia-nam")
    assert south.m.approved == 850 * M
    assert board.green["approved"] == 300 * M and board.green["approved_share"] == 35.3
    assert board.priority["woman_owned"]["count"] == 1 and board.priority["woman_owned"]["approved_share"] == 17.6
    assert board.priority["ethnic_minority"]["approved"] == 300 * M
    assert board.priority["difficult_area"]["count_share"] == 20.0
    medians = {row["status"]: row["median_days"] for row in board.stage_medians}
    assert medians["submitted"] == 4.0 and medians["under_appraisal"] == 4.5


def test_filters_year_and_fund_source(data, agency_officer):
    national = selectors.dashboard(user=agency_officer, filters=selectors.Filters(year=2026, fund_source="national"),
                                   title="x")
    assert (national.total.count, national.total.approved, national.total.settled) == (1, 300 * M, 280 * M)
    every_year = selectors.dashboard(user=agency_officer, filters=selectors.Filters(), title="x")
    assert every_year.total.count == 6 and every_year.total.approved == 1_849 * M


def test_province_dashboard_by_commune(data, tn_officer):
    board = selectors.dashboard(user=tn_officer, filters=selectors.Filters(year=2026, province_ids=(TAY_NINH,)),
                                title="Tây Ninh", communes_of=TAY_NINH)
    rows = {line.key: line.m for line in board.by_area}
    x1, x2 = data.communes["x1"].code, data.communes["x2"].code
    assert (rows[x1].count, rows[x1].requested, rows[x1].approved, rows[x1].disbursed) == (2, 250 * M, 150 * M, 120 * M)
    assert (rows[x2].count, rows[x2].requested, rows[x2].approved, rows[x2].settled) == (2, 400 * M, 300 * M, 280 * M)
    assert board.total.count == 4


def test_province_officer_never_counts_another_province(data, tn_officer):
    board = selectors.dashboard(user=tn_officer, filters=selectors.Filters(year=2026), title="x")
    assert board.total.count == 4 and board.total.approved == 450 * M


def test_budget_ledger(data, agency_officer):
    rows = selectors.budget_ledger(user=agency_officer, filters=selectors.Filters(year=2026, province_ids=(TAY_NINH,)))
    local = next(r for r in rows if r["programme"].startswith("Khuyến công"))
    assert (local["allocated"], local["committed"], local["disbursed"], local["remaining"]) == (
        1_000 * M, 150 * M, 120 * M, 850 * M)
    national = next(r for r in rows if r["programme"].startswith("Chương trình"))
    # Committed follows the ledger rule: a settled scheme commits what was settled (280 M of
    # the 300 M approved), the rest goes back to the budget.
    assert (national["allocated"], national["committed"], national["settled"]) == (0, 280 * M, 280 * M)


def test_vietnamese_date_line():
    assert documents.vn_date_line("Tây Ninh", date(2026, 1, 5)) == "Tây Ninh, ngày 05 tháng 01 năm 2026"
    assert documents.vn_date_line("Hà Nội", date(2026, 2, 28)) == "Hà Nội, ngày 28 tháng 02 năm 2026"
    assert documents.vn_date_line("Hà Nội", date(2026, 11, 7)) == "Hà Nội, ngày 07 tháng 11 năm 2026"


# --- Outputs -------------------------------------------------------------------------------------------------


def test_regional_summary_pdf_xlsx_csv_equal_the_dashboard(data, agency_officer, eager,
                                                          django_capture_on_commit_callbacks):
    south = Region.objects.get(code="phia-nam")
    run = request_run(agency_officer, django_capture_on_commit_callbacks, scope=ReportScope.REGION, region=south)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.progress == 100 and run.aggregation_seconds is not None
    files = {f.format: f for f in run.files.all()}
    assert set(files) == {"pdf", "xlsx", "csv"}

    board = selectors.dashboard(user=agency_officer, filters=selectors.Filters(
        year=2026, province_ids=tuple(south.provinces.values_list("code", flat=True))), title="Phía Nam")
    text = pdf_text(files["pdf"])
    for heading in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "BÁO CÁO",
                    "KẾT QUẢ THEO VÙNG", "KẾT QUẢ THEO TỈNH, THÀNH PHỐ", "Nơi nhận", "Phía Nam",
                    "CỤC ĐỔI MỚI SÁNG TẠO", "Hà Nội, ngày", "Tổng cộng"):
        assert heading in text, heading
    assert "1.050.000.000" in text and "850.000.000" in text and "420.000.000" in text
    assert f"{board.total.approved:,}".replace(",", ".") in text

    wb = load_workbook(files["xlsx"].file.path)
    assert wb.sheetnames == ["Tổng hợp", "Vùng", "Tỉnh", "Nội dung - Nguồn"]
    provinces = wb["Tỉnh"]
    assert provinces.freeze_panes == "A4"
    last = [c.value for c in provinces[provinces.max_row]]
    # received, approved, rejected, cancelled; requested, approved, disbursed
    assert last[1] == "Tổng cộng" and last[3:10] == [5, 3, 1, 0, 1_050 * M, 850 * M, 420 * M]
    assert provinces.cell(row=4, column=8).number_format == "#,##0"

    rows = list(csv.reader(io.StringIO(files["csv"].file.read().decode("utf-8-sig"))))
    assert rows[0][:3] == ["Vùng", "Mã tỉnh", "Tỉnh/thành phố"]
    assert rows[0][3:5] == ["Nội dung khuyến công", "Nguồn kinh phí"]
    assert sum(int(r[10]) for r in rows[1:]) == 850 * M  # approved column


def test_province_annual_report_lists_the_schemes(data, tn_officer, eager, django_capture_on_commit_callbacks):
    run = request_run(tn_officer, django_capture_on_commit_callbacks, kind=ReportKind.PROVINCE_ANNUAL,
                      scope=ReportScope.PROVINCE, province=Province.objects.get(code=TAY_NINH))
    assert run.status == RunStatus.SUCCEEDED, run.error
    text = pdf_text(run.files.get(format="pdf"))
    assert "UBND TỈNH TÂY NINH" in text and "SỞ CÔNG THƯƠNG" in text and "Tây Ninh, ngày" in text
    assert "DANH SÁCH ĐỀ ÁN" in text and "T-a1" in text and "T-b1" not in text
    wb = load_workbook(run.files.get(format="xlsx").file.path)
    assert wb.sheetnames == ["Xã", "Nội dung", "Danh sách đề án", "Không phê duyệt - đã hủy"]
    schemes = wb["Danh sách đề án"]
    assert schemes.max_row == 3 + 3 + 1  # title, blank, header; three received schemes; totals
    assert [c.value for c in schemes[schemes.max_row]][7:] == [600 * M, 450 * M, 420 * M, 280 * M]
    apart = wb["Không phê duyệt - đã hủy"]
    assert [c.value for c in apart[4]][1] == "T-a3" and apart.max_row == 3 + 1 + 1


def test_budget_execution_report(data, agency_officer, eager, django_capture_on_commit_callbacks):
    run = request_run(agency_officer, django_capture_on_commit_callbacks, kind=ReportKind.BUDGET_EXECUTION,
                      formats=["xlsx", "csv"])
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert set(run.files.values_list("format", flat=True)) == {"xlsx", "csv"}
    ws = load_workbook(run.files.get(format="xlsx").file.path)["Sổ kinh phí"]
    assert [c.value for c in ws[ws.max_row]][4:] == [1_000 * M, 830 * M, 420 * M, 280 * M, 170 * M]


# --- The task ------------------------------------------------------------------------------------------------


def folder_files(run):
    try:
        return sorted(default_storage.listdir(f"reports/{run.pk}")[1])
    except FileNotFoundError:
        return []


def test_task_is_idempotent(data, agency_officer, eager, django_capture_on_commit_callbacks):
    run = request_run(agency_officer, django_capture_on_commit_callbacks)
    assert run.status == RunStatus.SUCCEEDED
    first = folder_files(run)
    assert len(first) == 3
    # A second delivery of the same message does nothing; a forced rerun replaces the set.
    assert tasks.report_run_task.apply(args=[run.pk]).get() is False
    ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED)
    assert tasks.report_run_task.apply(args=[run.pk]).get() is True
    assert folder_files(run) == first
    assert ReportFile.objects.filter(run=run).count() == 3


def test_run_of_a_dead_worker_is_picked_up_again(data, agency_officer, eager):
    run = ReportRun.objects.create(kind=ReportKind.REGIONAL_SUMMARY, scope=ReportScope.NATIONAL, year=2026,
                                   formats=list(ReportFormat.values), requested_by=agency_officer,
                                   status=RunStatus.RUNNING, progress=45, attempts=1,
                                   heartbeat_at=timezone.now() - timedelta(hours=1))
    # What the dead worker left: one recorded file and one half-written stray.
    default_storage.save(f"reports/{run.pk}/tong-hop-vung-toan-quoc-2026.pdf", io.BytesIO(b"%PDF-partial"))
    ReportFile.objects.create(run=run, format="pdf", file=f"reports/{run.pk}/tong-hop-vung-toan-quoc-2026.pdf", size=12)
    default_storage.save(f"reports/{run.pk}/tong-hop-vung-toan-quoc-2026.xlsx", io.BytesIO(b"PK-partial"))
    fresh = ReportRun.objects.create(kind=ReportKind.REGIONAL_SUMMARY, scope=ReportScope.NATIONAL, year=2025,
                                     formats=["csv"], status=RunStatus.RUNNING, heartbeat_at=timezone.now())

    requeued = tasks.requeue_stale_runs_task.apply().get()

    assert requeued == [run.pk]  # the run another live worker is on stays with it
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.attempts == 2
    assert (folder_files(run)
            == ["tong-hop-vung-toan-quoc-2026.csv", "tong-hop-vung-toan-quoc-2026.pdf",
                "tong-hop-vung-toan-quoc-2026.xlsx"])
    assert ReportFile.objects.filter(run=run).count() == 3
    assert run.files.get(format="pdf").size > 1000
    fresh.refresh_from_db()
    assert fresh.status == RunStatus.RUNNING


def test_redelivered_message_takes_over_at_once(data, agency_officer, eager):
    """The worker died mid-run; Celery (late ack, reject on worker lost) delivers the
    same message again: its task id holds the run, so it need not wait for staleness."""
    run = ReportRun.objects.create(kind=ReportKind.REGIONAL_SUMMARY, scope=ReportScope.NATIONAL, year=2026,
                                   formats=["csv"], status=RunStatus.RUNNING, heartbeat_at=timezone.now(),
                                   task_id="dead-task", attempts=1)
    assert services.report_run_execute(run_id=run.pk, task_id="another-task") is False
    assert tasks.report_run_task.apply(args=[run.pk], task_id="dead-task").get() is True
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.attempts == 2 and run.files.count() == 1


def test_failed_run_shows_its_error_and_can_be_retried(data, agency_officer, eager, monkeypatch, client,
                                                       django_capture_on_commit_callbacks):
    real_build = documents.build

    def broken(run, user=None):
        raise RuntimeError("máy in hết giấy")

    monkeypatch.setattr(documents, "build", broken)
    run = request_run(agency_officer, django_capture_on_commit_callbacks)
    assert run.status == RunStatus.FAILED and "máy in hết giấy" in run.error
    client.force_login(agency_officer)
    page = client.get(reverse("reports:run_detail", args=[run.pk]))
    assert "máy in hết giấy" in page.content.decode() and "Chạy lại" in page.content.decode()

    monkeypatch.setattr(documents, "build", real_build)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:run_retry", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.files.count() == 3


def test_redis_down_gives_a_clear_message_and_creates_nothing(data, agency_officer, monkeypatch, client,
                                                              api_client_for):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:6390/0")
    with pytest.raises(services.ReportQueueUnavailable) as caught:
        services.report_run_request(user=agency_officer, kind=ReportKind.REGIONAL_SUMMARY,
                                    scope=ReportScope.NATIONAL, year=2026)
    assert "Redis" in caught.value.message and "Chưa có báo cáo nào được tạo" in caught.value.message

    client.force_login(agency_officer)
    response = client.post(reverse("reports:run_request"), {"kind": "regional_summary", "scope": "national",
                                                            "year": 2026, "formats": ["pdf"]}, follow=True)
    assert "hàng đợi tác vụ (Redis) không hoạt động" in response.content.decode()

    api = api_client_for(agency_officer)
    response = api.post(reverse("report-run-list"), {"kind": "regional_summary", "scope": "national", "year": 2026},
                        format="json")
    assert response.status_code == 503 and "Redis" in response.json()["detail"]
    assert not ReportRun.objects.exists()


def test_send_failure_after_commit_marks_the_run_failed(data, agency_officer, monkeypatch,
                                                        django_capture_on_commit_callbacks):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    monkeypatch.setattr(services, "broker_available", lambda: True)

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("redis gone")

    monkeypatch.setattr(tasks.report_run_task, "apply_async", refuse)
    run = request_run(agency_officer, django_capture_on_commit_callbacks)
    assert run.status == RunStatus.FAILED and "Redis" in run.error


def test_quarterly_summary_is_created_once():
    first = services.quarterly_summaries_create(today=date(2026, 4, 1))
    assert (first.kind, first.scope, first.year, first.quarter) == ("regional_summary", "national", 2026, 1)
    assert services.quarterly_summaries_create(today=date(2026, 4, 2)) is None
    assert services.previous_quarter(date(2026, 2, 1)) == (2025, 4)
    from django.conf import settings

    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"reports.tasks.quarterly_summaries_task", "reports.tasks.requeue_stale_runs_task"} <= tasks_scheduled


def test_quarter_figures_are_cumulative_to_the_quarter_end(data, agency_officer):
    q1 = selectors.regional_summary(user=agency_officer, filters=selectors.Filters(year=2026, quarter=1),
                                    grouping=RegionGrouping.KHUYEN_CONG_AREA)
    # Settlement decided 01/06/2026: not in Q1; the disbursements of 10/03/2026 are.
    assert q1["total"].disbursed == 420 * M and q1["total"].settled == 0


# --- Scoping of runs and downloads -------------------------------------------------------------------------


@pytest.fixture
def province_runs(data, tn_officer, hcm_officer, eager, django_capture_on_commit_callbacks):
    tn = request_run(tn_officer, django_capture_on_commit_callbacks, kind=ReportKind.PROVINCE_ANNUAL,
                     scope=ReportScope.PROVINCE, province=Province.objects.get(code=TAY_NINH), formats=["csv"])
    hcm = request_run(hcm_officer, django_capture_on_commit_callbacks, kind=ReportKind.PROVINCE_ANNUAL,
                      scope=ReportScope.PROVINCE, province=Province.objects.get(code=HCM), formats=["csv"])
    national = ReportRun.objects.create(kind=ReportKind.REGIONAL_SUMMARY, scope=ReportScope.NATIONAL, year=2026,
                                        formats=["csv"])
    region = ReportRun.objects.create(kind=ReportKind.REGIONAL_SUMMARY, scope=ReportScope.REGION, year=2026,
                                      region=Region.objects.get(code="phia-nam"), formats=["csv"])
    return {"tn": tn, "hcm": hcm, "national": national, "region": region}


def test_tay_ninh_officer_cannot_see_or_download_hcm_report(province_runs, tn_officer, client, api_client_for):
    tn, hcm = province_runs["tn"], province_runs["hcm"]
    client.force_login(tn_officer)
    assert client.get(reverse("reports:run_download", args=[tn.pk, "csv"])).status_code == 200
    assert client.get(reverse("reports:run_download", args=[hcm.pk, "csv"])).status_code == 404
    assert client.get(reverse("reports:run_detail", args=[hcm.pk])).status_code == 404
    api = api_client_for(tn_officer)
    assert api.get(reverse("report-run-download", kwargs={"pk": hcm.pk, "fmt": "csv"})).status_code == 404
    assert api.get(reverse("report-run-download", kwargs={"pk": tn.pk, "fmt": "csv"})).status_code == 200
    listed = {row["id"] for row in api.get(reverse("report-run-list")).json()["results"]}
    # Own runs and the national summaries; not HCM's, not the Agency's regional runs.
    assert listed == {tn.pk, province_runs["national"].pk}


def test_province_officer_cannot_request_another_province_or_national(data, tn_officer):
    with pytest.raises(services.PermissionDenied):
        services.report_run_request(user=tn_officer, kind=ReportKind.PROVINCE_ANNUAL, scope=ReportScope.PROVINCE,
                                    province=Province.objects.get(code=HCM), year=2026)
    with pytest.raises(services.PermissionDenied):
        services.report_run_request(user=tn_officer, kind=ReportKind.REGIONAL_SUMMARY, scope=ReportScope.NATIONAL,
                                    year=2026)


def test_api_request_runs_and_serves_the_files(data, agency_officer, api_client_for, eager,
                                               django_capture_on_commit_callbacks):
    api = api_client_for(agency_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(reverse("report-run-list"), {"kind": "regional_summary", "scope": "region",
                                                          "region": "phia-nam", "year": 2026}, format="json")
    assert response.status_code == 202, response.content
    assert response["Location"].endswith(f"/api/v1/reports/{response.json()['id']}/")
    detail = api.get(reverse("report-run-detail", args=[response.json()["id"]])).json()
    assert detail["status"] == "succeeded" and detail["progress"] == 100
    assert {f["format"] for f in detail["files"]} == {"pdf", "xlsx", "csv"}
    pdf = api.get(next(f["url"] for f in detail["files"] if f["format"] == "pdf"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    bad = api.post(reverse("report-run-list"), {"kind": "province_annual", "scope": "national", "year": 2026},
                   format="json")
    assert bad.status_code == 400 and "scope" in bad.json()["errors"]


class TestReportsApiMatrix(ApiPermissionMatrix):
    basename = "report-run"
    writable = True
    created_status = 202

    @pytest.fixture(autouse=True)
    def _eager(self, eager):
        pass

    @pytest.fixture
    def own_object(self, db):
        return ReportRun.objects.create(kind=ReportKind.PROVINCE_ANNUAL, scope=ReportScope.PROVINCE, year=2026,
                                        province=Province.objects.get(code=TAY_NINH), formats=["csv"])

    @pytest.fixture
    def other_object(self, db):
        return ReportRun.objects.create(kind=ReportKind.PROVINCE_ANNUAL, scope=ReportScope.PROVINCE, year=2026,
                                        province=Province.objects.get(code=HCM), formats=["csv"])

    def create_payload(self, own_object):
        # Another year than the queued own_object: the same report under way would be reused (200).
        return {"kind": "province_annual", "scope": "province", "province": TAY_NINH, "year": 2025,
                "formats": ["csv"]}

    def expected(self, case):
        # Runs are requested (POST) and retried, never edited: PATCH is not offered.
        if case.method == "patch" and case.who == "member":
            return 405
        return super().expected(case)


def test_commune_officer_cannot_request(data, make_member):
    commune = data.communes["x1"]
    officer = make_member(Role.COMMUNE_OFFICER, TAY_NINH, commune=commune.code)
    allowed, reason = services.can_request(officer, scope=ReportScope.PROVINCE, province_id=TAY_NINH)
    assert not allowed and reason


def test_a_transition_records_the_days_spent_in_the_state_it_leaves(agency_officer):
    """Stage durations are recorded when a state is left, and the medians read them."""
    from applications.models import Application, ApplicationEvent
    from applications.services import application_transition
    from tests.factories import build_world, make_application

    world = build_world()
    setup = world.provinces[80]
    app = make_application(setup)
    Application.objects.filter(pk=app.pk).update(status_changed_at=timezone.now() - timedelta(days=3))
    application_transition(user=setup.officer, application_id=app.pk, action="submit")
    Application.objects.filter(pk=app.pk).update(status_changed_at=timezone.now() - timedelta(days=5, hours=12))
    application_transition(user=setup.officer, application_id=app.pk, action="return", reason="Thiếu hồ sơ")
    days = dict(ApplicationEvent.objects.filter(application=app).exclude(from_status="")
                .values_list("from_status", "stage_days"))
    assert round(days["draft"]) == 3 and round(days["submitted"], 1) == 5.5
    board = selectors.dashboard(user=agency_officer, filters=selectors.Filters(), title="x")
    assert {row["status"]: row["median_days"] for row in board.stage_medians}["submitted"] == 5.5
