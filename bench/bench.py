"""Benchmark of the national dashboard and the regional summary, each beside its SQL floor.

    DATABASE_URL=postgres://…/kc_bench python manage.py generate_load_data
    DATABASE_URL=postgres://…/kc_bench python bench/bench.py [--year 2026] [--runs 5]

The floor of a page is the bare SQL it needs: the aggregate queries the page ran,
captured and executed again straight on a cursor (no ORM, no template, no Python
roll-up). The ratio says how much the page adds on top. Targets (issue 5): dashboard
under 300 ms and within 3× of its floor; a national regional-summary PDF under 15 s.
Not part of the test suite.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khuyencong.settings")
os.environ.setdefault("KC_ALLOW_DEV_KEY", "1")
# Static URLs without a collected manifest (the page is timed, not its assets).
os.environ.setdefault("KC_SIMPLE_STATIC", "1")
# The page is timed for a signed-in official; the second factor is not what is measured.
os.environ.setdefault("KC_ENFORCE_2FA", "0")
# Like manage.py: the script reads every province (row-level security scope "all").
os.environ.setdefault("KC_DB_SCOPE", "all")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from applications.models import Application, ApplicationEvent, Establishment  # noqa: E402
from provinces.choices import Role  # noqa: E402
from provinces.services import agency_get_or_create, member_add  # noqa: E402
from reports import documents  # noqa: E402
from reports.choices import ReportKind, ReportScope  # noqa: E402
from reports.models import ReportRun  # noqa: E402
from reports.renderers import render_csv, render_pdf, render_xlsx  # noqa: E402

AGGREGATE_TABLES = ("applications_", "programs_budgetallocation")


def timed(fn, runs):
    times = []
    result = None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def aggregate_sql(queries):
    return [q["sql"] for q in queries if any(t in q["sql"] for t in AGGREGATE_TABLES)]


def floor(sqls, runs):
    def run_all():
        with connection.cursor() as cursor:
            for sql in sqls:
                cursor.execute(sql)
                cursor.fetchall()

    return timed(run_all, runs)[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=timezone.localdate().year)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    apps = Application.objects.count()
    print(f"Database: {connection.vendor} · {apps:,} applications · {Establishment.objects.count():,} "
          f"establishments · {ApplicationEvent.objects.count():,} events · "
          f"{Application.objects.filter(year=args.year).count():,} applications in {args.year}")
    user, *_ = member_add(username="bench_agency", role=Role.AGENCY_OFFICER, organisation=agency_get_or_create())

    # --- The national dashboard page -----------------------------------------------------------------
    client = Client()
    client.force_login(user)
    url = reverse("reports:national") + f"?year={args.year}"

    def get(path):
        response = client.get(path, secure=True, HTTP_HOST="localhost")
        assert response.status_code == 200, (response.status_code, response.get("Location"))
        return response

    # Cold: every figure computed by the database on each request (the dashboard cache off).
    settings.KC_DASHBOARD_CACHE_SECONDS = 0
    get(url)  # warm-up: connections, template loading, the database's buffers
    page_s, _ = timed(lambda: get(url), args.runs)
    with CaptureQueriesContext(connection) as captured:
        get(url)
    sqls = aggregate_sql(captured.captured_queries)
    page_floor = floor(sqls, args.runs)
    print(f"National dashboard ({args.year}), computed: {page_s * 1000:.0f} ms · SQL floor {page_floor * 1000:.0f} ms "
          f"({len(sqls)} aggregate queries of {len(captured.captured_queries)}) · ratio {page_s / page_floor:.2f}× "
          f"· target < 300 ms and ≤ 3×")
    # Warm: what users get within KC_DASHBOARD_CACHE_SECONDS of the first view ("data as of" shown).
    settings.KC_DASHBOARD_CACHE_SECONDS = 300
    get(url + "&refresh=1")
    warm_s, _ = timed(lambda: get(url), args.runs)
    print(f"National dashboard ({args.year}), cached figures: {warm_s * 1000:.0f} ms "
          f"(ratio to the SQL floor {warm_s / page_floor:.2f}×)")
    settings.KC_DASHBOARD_CACHE_SECONDS = 0
    province_url = reverse("reports:province", args=[80]) + f"?year={args.year}"
    get(province_url)
    province_s, _ = timed(lambda: get(province_url), args.runs)
    print(f"Province dashboard (Tây Ninh, {args.year}), computed: {province_s * 1000:.0f} ms")

    # --- The national regional summary ---------------------------------------------------------------
    run = ReportRun.objects.create(kind=ReportKind.REGIONAL_SUMMARY, scope=ReportScope.NATIONAL, year=args.year,
                                   formats=["pdf", "xlsx", "csv"], requested_by=user, status="succeeded")
    try:
        aggregation_s, document = timed(lambda: documents.build(run), max(1, args.runs // 2))
        with CaptureQueriesContext(connection) as captured:
            documents.build(run)
        sqls = aggregate_sql(captured.captured_queries)
        summary_floor = floor(sqls, max(1, args.runs // 2))
        pdf_s, pdf = timed(lambda: render_pdf(document), 1)
        xlsx_s, _ = timed(lambda: render_xlsx(document), 1)
        csv_s, _ = timed(lambda: render_csv(document), 1)
    finally:
        run.delete()
    print(f"Regional summary, national ({args.year}): aggregation {aggregation_s:.2f} s · SQL floor "
          f"{summary_floor:.2f} s · ratio {aggregation_s / summary_floor:.2f}×")
    print(f"  PDF {pdf_s:.2f} s ({len(pdf) / 1024:.0f} KiB) · XLSX {xlsx_s:.2f} s · CSV {csv_s:.3f} s · "
          f"aggregation + PDF {aggregation_s + pdf_s:.2f} s · target < 15 s")


if __name__ == "__main__":
    main()
