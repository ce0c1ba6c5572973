"""In-process figures, measured once per database role: dashboards (computed, cache off)
beside their SQL floor, single API requests, the CSV export and the regional summary."""

import statistics
import time
import tracemalloc

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

AGGREGATE_TABLES = ("applications_", "programs_budgetallocation", "reports_")


def timed(fn, runs):
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def use_role(role: str | None) -> None:
    """Reconnect as the non-owner role (``SET ROLE``, like production's DATABASE_ROLE) or as the owner."""
    connection.close()
    options = connection.settings_dict.setdefault("OPTIONS", {})
    if role:
        options["assume_role"] = role
    else:
        options.pop("assume_role", None)


def current_user() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


def floor(sqls, runs):
    """The bare SQL of a page, run again on a cursor in one transaction (the scope set, as
    the page's own transactions have it)."""
    from django.db import transaction

    def run_all():
        with transaction.atomic(), connection.cursor() as cursor:
            for sql in sqls:
                cursor.execute(sql)
                cursor.fetchall()

    return timed(run_all, runs)[0]


class Pages:
    def __init__(self, user):
        self.client = Client()
        self.client.force_login(user)

    def get(self, path, **params):
        response = self.client.get(path, params, secure=True, HTTP_HOST="localhost")
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
        return response


def page_figure(pages, url, runs, scope=None):
    """(median seconds, SQL floor seconds) of a page computed on each request."""
    from khuyencong import rls

    settings.KC_DASHBOARD_CACHE_SECONDS = 0
    pages.get(url)  # warm-up
    page_s, _ = timed(lambda: pages.get(url), runs)
    with CaptureQueriesContext(connection) as captured:
        pages.get(url)
    sqls = [q["sql"] for q in captured.captured_queries if any(t in q["sql"] for t in AGGREGATE_TABLES)]
    previous = rls.get_scope()
    rls.set_scope(scope or previous)
    try:
        page_floor = floor(sqls, runs)
    finally:
        rls.set_scope(previous)
    return page_s, page_floor


def api_figures(agency, province, runs, year):
    """Single-request latencies (median of ``runs``) of the API lists, search, deep pages
    (page numbers and cursor) and a detail."""
    from applications.models import Application

    figures = {}
    a = Pages(agency)
    p = Pages(province)
    base = "/api/v1/applications/"
    deep = max(2, min(500, Application.objects.count() // 50))
    cases = {
        "API list, Agency (all provinces)": (a, base, {}),
        "API list, Tây Ninh": (p, base, {}),
        "API list, Agency, status=submitted": (a, base, {"status": "submitted"}),
        "API establishments, Agency": (a, "/api/v1/establishments/", {}),
        'API search q="may ep" (Agency)': (a, base, {"q": "may ep"}),
        'API search q="co khi" (Agency)': (a, "/api/v1/establishments/", {"q": "co khi"}),
        'API search q="LD-80-2026" (Tây Ninh)': (p, base, {"q": f"LD-80-{year}"}),
        f"API deep page, page={deep} (Agency)": (a, base, {"page": deep}),
    }
    for label, (pages, path, params) in cases.items():
        pages.get(path, **params)
        figures[label] = timed(lambda pages=pages, path=path, params=params: pages.get(path, **params), runs)[0]
    # The same depth by cursor: the cursor of page 499's last row.
    cursor = a.get(base, page=deep - 1).json()["next_cursor"]
    a.get(base, cursor=cursor)
    label = f"API deep page by cursor (row {(deep - 1) * 50:,}, Agency)"
    figures[label] = timed(lambda: a.get(base, cursor=cursor), runs)[0]
    pk = Application.objects.filter(province_id=80).order_by("-pk").values_list("pk", flat=True).first()
    p.get(f"{base}{pk}/")
    figures["API detail (Tây Ninh)"] = timed(lambda: p.get(f"{base}{pk}/"), runs)[0]
    count_kind = a.get(base).json().get("count_kind", "exact")
    return figures, count_kind


def csv_figure(agency):
    """(seconds, bytes, rows, peak traced MiB) of the CSV of every application, streamed."""
    pages = Pages(agency)
    url = reverse("reports:export_applications", args=["csv"])
    tracemalloc.start()
    started = time.perf_counter()
    response = pages.client.get(url, secure=True, HTTP_HOST="localhost")
    assert response.status_code == 200, response.status_code
    size = rows = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, size, rows - 1, peak / 2**20
