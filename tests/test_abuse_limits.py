"""Abuse limits: API throttles per token and per user counted in the shared Redis cache,
report requests limited and identical running ones reused, password-reset mails limited
per address and per account, and the cache degrading to no cache when Redis is down."""

import pytest
from django.core import mail
from django.test import override_settings

from khuyencong.services import api_token_create
from reports.choices import ReportFormat, ReportKind, ReportScope, RunStatus
from reports.models import ReportRun

from .conftest import TAY_NINH

pytestmark = pytest.mark.django_db

RATES = {"token": "1000/minute", "user": "1000/minute", "anon": "1000/minute"}


def _rates(**changes):
    return override_settings(KC_API_THROTTLE_RATES={**RATES, **changes})


def _headers(user):
    _token, key = api_token_create(user=user)
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


# --- API throttles ------------------------------------------------------------------------------

def test_each_token_is_throttled_on_its_own(client, tn_officer):
    first, second = _headers(tn_officer), _headers(tn_officer)
    with _rates(token="3/minute"):
        for _ in range(3):
            assert client.get("/api/v1/provinces/", **first).status_code == 200
        refused = client.get("/api/v1/provinces/", **first)
        assert refused.status_code == 429
        assert refused.json()["code"] == "throttled" and int(refused["Retry-After"]) > 0
        assert client.get("/api/v1/provinces/", **second).status_code == 200


def test_a_user_is_throttled_across_all_their_tokens_and_session(client, tn_officer, hcm_officer):
    with _rates(user="4/minute"):
        for _ in range(2):
            assert client.get("/api/v1/provinces/", **_headers(tn_officer)).status_code == 200
        client.force_login(tn_officer)
        assert client.get("/api/v1/provinces/").status_code == 200
        assert client.get("/api/v1/provinces/", **_headers(tn_officer)).status_code == 200
        assert client.get("/api/v1/provinces/", **_headers(tn_officer)).status_code == 429
        assert client.get("/api/v1/provinces/").status_code == 429
        # Another user is not affected.
        assert client.get("/api/v1/provinces/", **_headers(hcm_officer)).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_throttle_counts_are_shared_between_processes_through_redis(client, units, make_member):
    """Two requests in this process and two in a separate gunicorn process count together:
    with 3 per minute, the fourth is refused wherever it lands."""
    from django.conf import settings

    from provinces.choices import Role
    from tests.livegunicorn import fetch, gunicorn, live_database_url, production_env

    user = make_member(Role.PROVINCE_OFFICER, TAY_NINH, username="throttled_user")
    _token, key = api_token_create(user=user)

    env = production_env(
        DATABASE_URL=live_database_url(),
        DATABASE_ROLE="kc_app",
        KC_CACHE_URL=settings.CACHES["default"]["LOCATION"],
        KC_CACHE_PREFIX=settings.CACHES["default"]["KEY_PREFIX"],
        KC_API_RATE_TOKEN="3/minute",
    )
    with _rates(token="3/minute"), gunicorn(env) as base:
        assert client.get("/api/v1/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
        assert client.get("/api/v1/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
        status, _h, body = fetch(f"{base}/api/v1/", {"Authorization": f"Token {key}"})
        assert status == 200, body[:300]
        status, headers, body = fetch(f"{base}/api/v1/", {"Authorization": f"Token {key}"})
        assert status == 429 and headers["Retry-After"], body[:300]


def test_without_redis_the_api_answers_unthrottled(client, tn_officer):
    """Redis down: the cache degrades to no cache, the throttles let calls through."""
    down = {"default": {**cache_settings(), "LOCATION": "redis://127.0.0.1:2/0"}}
    headers = _headers(tn_officer)
    with override_settings(CACHES=down), _rates(token="2/minute"):
        from django.core.cache import cache as dead

        dead.set("k", "v")
        assert dead.get("k") is None
        for _ in range(4):
            assert client.get("/api/v1/provinces/", **headers).status_code == 200


def cache_settings():
    from django.conf import settings

    return settings.CACHES["default"]


# --- Report requests ------------------------------------------------------------------------------

REPORT = {"kind": "province_annual", "scope": "province", "province": TAY_NINH, "year": 2026, "formats": ["csv"]}


def _run(user, status=RunStatus.QUEUED, year=2026):
    from provinces.models import Province

    return ReportRun.objects.create(kind=ReportKind.PROVINCE_ANNUAL, scope=ReportScope.PROVINCE,
                                    province=Province.objects.get(code=TAY_NINH), year=year,
                                    formats=[ReportFormat.CSV, ReportFormat.PDF], requested_by=user, status=status)


def test_an_identical_report_under_way_is_reused_not_computed_twice(tn_officer, make_member, api_client_for):
    from provinces.choices import Role

    running = _run(tn_officer, status=RunStatus.RUNNING)
    colleague = make_member(Role.PROVINCE_APPROVER, TAY_NINH, username="tn_colleague")
    for user in (tn_officer, colleague):
        response = api_client_for(user).post("/api/v1/reports/", REPORT, format="json")
        assert response.status_code == 202, response.content
        assert response.json()["id"] == running.pk
    assert ReportRun.objects.count() == 1


def test_report_requests_are_limited_per_user(tn_officer, api_client_for, settings):
    settings.KC_REPORT_REQUESTS_PER_HOUR = 2
    _run(tn_officer, status=RunStatus.SUCCEEDED, year=2024)
    _run(tn_officer, status=RunStatus.FAILED, year=2025)
    response = api_client_for(tn_officer).post("/api/v1/reports/", REPORT, format="json")
    assert response.status_code == 429, response.content
    assert 0 < int(response["Retry-After"]) <= 3600
    assert "quá nhiều báo cáo" in response.json()["detail"]
    assert ReportRun.objects.count() == 2


# --- Password reset ---------------------------------------------------------------------------------

def test_reset_mails_are_limited_per_account_without_saying_so(client, tn_officer, settings):
    settings.KC_PASSWORD_RESET_PER_ACCOUNT = 2
    settings.KC_PASSWORD_RESET_PER_ADDRESS = 100
    pages = []
    for i in range(4):
        response = client.post("/quen-mat-khau/", {"email": tn_officer.email}, REMOTE_ADDR=f"10.7.0.{i + 1}")
        pages.append((response.status_code, response.url))
    assert len(set(pages)) == 1 and pages[0][0] == 302  # every request looks the same
    assert len(mail.outbox) == 2


def test_reset_requests_are_limited_per_address(client, tn_officer, settings):
    settings.KC_PASSWORD_RESET_PER_ADDRESS = 3
    for _ in range(3):
        assert client.post("/quen-mat-khau/", {"email": "nobody@example.test"},
                           REMOTE_ADDR="10.8.0.1").status_code == 302
    refused = client.post("/quen-mat-khau/", {"email": tn_officer.email}, REMOTE_ADDR="10.8.0.1")
    assert refused.status_code == 429 and refused["Retry-After"] == "3600"
    assert mail.outbox == []
    assert client.post("/quen-mat-khau/", {"email": tn_officer.email}, REMOTE_ADDR="10.8.0.2").status_code == 302
    assert len(mail.outbox) == 1
