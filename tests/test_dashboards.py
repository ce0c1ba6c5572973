"""Dashboard pages (who sees which), the progress page polled by htmx, and the
exports of the filtered lists."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from khuyencong.celery import app as celery_app
from provinces.choices import Role
from reports.choices import ReportKind, ReportScope, RunStatus
from reports.models import ReportRun

from .conftest import HCM, TAY_NINH
from .report_fixtures import build_dataset

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.KC_DASHBOARD_CACHE_SECONDS = 0  # each test has its own data; caching has its own test


@pytest.fixture
def data(db):
    return build_dataset()


def page(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def test_agency_sees_national_and_region_dashboards_with_tables_and_charts(data, agency_officer, client):
    response = page(client, agency_officer, reverse("reports:national"), year=2026)
    assert response.status_code == 200
    html = response.content.decode()
    assert "850.000.000 ₫" in html  # approved, the same figure as the PDF
    assert "Số liệu tính đến" in html and "chart.umd.min.js" in html and 'id="dashboard-data"' in html
    assert "Phía Nam" in html and "75,0 %" in html
    south = page(client, agency_officer, reverse("reports:region", args=["phia-nam"]), year=2026)
    assert south.status_code == 200 and "Phía Nam" in south.content.decode()
    # Đông Nam Bộ (socio-economic grouping): TP HCM and Tây Ninh are both in it.
    socio = page(client, agency_officer, reverse("reports:region", args=["dong-nam-bo"]), year=2026)
    assert socio.status_code == 200 and "850.000.000 ₫" in socio.content.decode()
    assert page(client, agency_officer, reverse("reports:region", args=["khong-co"])).status_code == 404
    national_fund = page(client, agency_officer, reverse("reports:national"), year=2026, fund_source="national")
    assert "300.000.000 ₫" in national_fund.content.decode()


def test_province_user_sees_only_their_province_dashboard(data, tn_officer, client):
    assert page(client, tn_officer, reverse("reports:national")).status_code == 404
    assert page(client, tn_officer, reverse("reports:region", args=["phia-nam"])).status_code == 404
    assert page(client, tn_officer, reverse("reports:province", args=[HCM])).status_code == 404
    own = page(client, tn_officer, reverse("reports:province", args=[TAY_NINH]), year=2026)
    assert own.status_code == 200
    html = own.content.decode()
    assert data.communes["x1"].name in html and "450.000.000 ₫" in html
    assert "Lập báo cáo" in html  # the province may request its annual report


def test_dashboard_figures_are_cached_with_their_time_and_can_be_refreshed(data, agency_officer, client, settings):
    from django.core.cache import cache

    from applications.models import Application

    settings.KC_DASHBOARD_CACHE_SECONDS = 300
    cache.clear()
    url = reverse("reports:national")
    first = page(client, agency_officer, url, year=2026).content.decode()
    assert "850.000.000 ₫" in first
    Application.objects.filter(code="T-b1").update(approved_amount=100_000_000)
    assert "850.000.000 ₫" in page(client, agency_officer, url, year=2026).content.decode()  # as of the first view
    refreshed = page(client, agency_officer, url, year=2026, refresh=1).content.decode()
    assert "550.000.000 ₫" in refreshed
    cache.clear()


def test_commune_officer_and_anonymous(data, make_member, client):
    officer = make_member(Role.COMMUNE_OFFICER, TAY_NINH, commune=data.communes["x1"].code)
    assert page(client, officer, reverse("reports:province", args=[TAY_NINH])).status_code == 404
    client.logout()
    response = client.get(reverse("reports:national"))
    assert response.status_code == 302 and "dang-nhap" in response["Location"]


def test_request_form_never_redirects_off_site(data, tn_officer, client):
    client.force_login(tn_officer)
    response = client.post(reverse("reports:run_request"), {"kind": "bogus", "next": "//evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("reports:index")


def test_progress_fragment_polls_until_finished(data, agency_officer, client):
    run = ReportRun.objects.create(kind=ReportKind.REGIONAL_SUMMARY, scope=ReportScope.NATIONAL, year=2026,
                                   formats=["pdf"], status=RunStatus.RUNNING, progress=40, requested_by=agency_officer)
    client.force_login(agency_officer)
    fragment = client.get(reverse("reports:run_detail", args=[run.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in fragment and "40%" in fragment and "<html" not in fragment
    ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.SUCCEEDED, progress=100)
    fragment = client.get(reverse("reports:run_detail", args=[run.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in fragment and "100%" in fragment


def test_request_from_the_dashboard_runs_and_redirects_to_progress(data, agency_officer, client, monkeypatch,
                                                                  django_capture_on_commit_callbacks, settings):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    client.force_login(agency_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:run_request"), {
            "kind": "regional_summary", "scope": "region", "region": "phia-nam", "year": 2026,
            "formats": ["pdf", "xlsx", "csv"], "next": reverse("reports:region", args=["phia-nam"])})
    run = ReportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports:run_detail", args=[run.pk])
    detail = client.get(response["Location"]).content.decode()
    assert "Hoàn thành" in detail and reverse("reports:run_download", args=[run.pk, "pdf"]) in detail
    download = client.get(reverse("reports:run_download", args=[run.pk, "pdf"]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


# --- Exports of the lists ---------------------------------------------------------------------------------


def rows_of(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_application_csv_export_follows_the_list_filters_and_scope(data, tn_officer, agency_officer, client):
    client.force_login(tn_officer)
    response = client.get(reverse("reports:export_applications", args=["csv"]), {"status": "in_progress",
                                                                                  "fund_source": ""})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = rows_of(response)
    assert rows[0][0] == "Mã đề án" and [r[0] for r in rows[1:]] == ["T-a1"]
    everything = [r[0] for r in rows_of(client.get(reverse("reports:export_applications", args=["csv"])))[1:]]
    assert sorted(everything) == ["T-a1", "T-a2", "T-a3", "T-a4"]  # never HCM's
    client.force_login(agency_officer)
    hcm = rows_of(client.get(reverse("reports:export_applications", args=["csv"]), {"province": HCM}))
    assert sorted(r[0] for r in hcm[1:]) == ["T-b1", "T-b2"]


def test_establishment_xlsx_export(data, tn_officer, client):
    client.force_login(tn_officer)
    response = client.get(reverse("reports:export_establishments", args=["xlsx"]), {"woman_owned": "true"})
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb.active
    assert ws["B1"].value == "Tên cơ sở" and ws.max_row == 2 and ws["L2"].value == "x"


def test_payments_export(data, tn_officer, hcm_officer, client):
    client.force_login(tn_officer)
    rows = rows_of(client.get(reverse("reports:export_disbursements", args=["csv"]), {"year": 2026}))
    assert sorted(int(r[3]) for r in rows[1:]) == [20_000_000, 100_000_000, 300_000_000]
    client.force_login(hcm_officer)
    assert len(rows_of(client.get(reverse("reports:export_disbursements", args=["csv"])))) == 1  # header only


def test_list_pages_link_to_their_exports(data, tn_officer, client):
    client.force_login(tn_officer)
    html = client.get(reverse("applications:application_list"), {"status": "submitted"}).content.decode()
    assert reverse("reports:export_applications", args=["xlsx"]) + "?status=submitted" in html
    html = client.get(reverse("applications:establishment_list")).content.decode()
    assert reverse("reports:export_establishments", args=["csv"]) in html


def test_cached_figures_are_kept_per_language(data, agency_officer, settings):
    """An English reader's cached dashboard never reaches a Vietnamese one (the labels of
    states and funds are part of the cached figures)."""
    from django.core.cache import cache
    from django.utils import translation

    from reports import selectors

    settings.KC_DASHBOARD_CACHE_SECONDS = 300
    cache.clear()
    filters = selectors.Filters(year=2026)

    def labels(language):
        with translation.override(language):
            board = selectors.cached_dashboard(user=agency_officer, filters=filters, title="Toàn quốc")
        return {line.label for line in board.by_status + board.by_fund}

    assert "Approved" in labels("en")
    vietnamese = labels("vi")
    assert "Đã phê duyệt" in vietnamese and "Approved" not in vietnamese
    cache.clear()
