"""HTTP hardening: nothing personal cached, the API schema only for signed-in callers,
forwarding headers only from trusted proxies, oversized bodies refused from their
headers before they are read."""

import socket

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from .conftest import TAY_NINH
from .factories import build_world, make_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def tn():
    return build_world(province_codes=(TAY_NINH,)).provinces[TAY_NINH]


def directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


# --- Cache-Control ----------------------------------------------------------------------------

def test_signed_in_pages_attachments_and_exports_are_private_and_not_stored(client, tn):
    application = make_application(tn)
    attachment = application.attachments.first()
    client.force_login(tn.officer)
    for url in ("/", reverse("applications:application_list"),
                reverse("applications:application_detail", args=[application.pk]),
                reverse("applications:attachment_download", args=[application.pk, attachment.pk]),
                "/bao-cao/xuat/co-so/xlsx/?province=80", "/bao-cao/xuat/de-an/csv/?province=80", "/khoa-api/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert {"private", "no-store"} <= directives(response), (url, response.get("Cache-Control"))
        assert "public" not in directives(response)


def test_api_responses_are_private_and_not_stored(tn, api_client_for):
    api = api_client_for(tn.officer)
    for url in ("/api/v1/", "/api/v1/applications/", "/api/v1/provinces/80/"):
        response = api.get(url)
        assert response.status_code == 200 and {"private", "no-store"} <= directives(response), url
    # Errors too, and anonymous answers.
    anonymous = APIClient().get("/api/v1/applications/")
    assert anonymous.status_code == 401 and {"private", "no-store"} <= directives(anonymous)


# --- OpenAPI schema -------------------------------------------------------------------------------

def test_schema_and_docs_are_for_signed_in_callers_only(client, tn, api_client_for):
    for url in ("/api/v1/schema/", "/api/v1/docs/", "/api/v1/redoc/"):
        response = APIClient().get(url)
        assert response.status_code == 401, url
        assert "/api/v1/applications/" not in response.content.decode()
    token = api_client_for(tn.officer).get("/api/v1/schema/", {"format": "json"})
    assert token.status_code == 200 and "/api/v1/applications/" in token.json()["paths"]
    client.force_login(tn.officer)
    assert client.get("/api/v1/docs/").status_code == 200


# --- Forwarding headers ----------------------------------------------------------------------------

@override_settings(SECURE_SSL_REDIRECT=True)
def test_forwarded_proto_counts_only_from_a_trusted_proxy():
    client = Client()
    # A client speaking plain HTTP that claims HTTPS is still redirected ...
    response = client.get("/dang-nhap/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="198.51.100.9")
    assert response.status_code == 301 and response["Location"].startswith("https://")
    with override_settings(KC_TRUSTED_PROXIES=["10.0.0.0/8"]):
        # ... as is one whose claim does not come from the configured proxy,
        response = client.get("/dang-nhap/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="198.51.100.9")
        assert response.status_code == 301
        # while the proxy's word is taken.
        response = client.get("/dang-nhap/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="10.1.2.3")
        assert response.status_code == 200


def test_forwarded_for_counts_only_from_a_trusted_proxy(client, tn):
    from khuyencong.models import AuditEntry

    client.force_login(tn.officer)
    application = make_application(tn)
    url = reverse("applications:transition", args=[application.pk, "submit"])
    with override_settings(KC_TRUSTED_PROXY_COUNT=1):
        client.post(url, HTTP_X_FORWARDED_FOR="1.2.3.4", REMOTE_ADDR="198.51.100.9")
    entry = AuditEntry.objects.filter(object_id=str(application.pk)).latest("pk")
    assert entry.ip == "198.51.100.9"  # not the forged 1.2.3.4


def test_deploy_check_warns_about_a_proxy_count_without_trusted_proxies(capsys):
    with override_settings(KC_TRUSTED_PROXY_COUNT=1, KC_TRUSTED_PROXIES=[]):
        call_command("check", "--deploy", "--tag", "security", "--fail-level", "CRITICAL")
    assert "khuyencong.W001" in capsys.readouterr().err


# --- Request size ------------------------------------------------------------------------------------

def _raw_post(live_url: str, path: str, headers: dict, body: bytes) -> tuple[int, bytes]:
    """Send only the headers (and a few bytes) of a huge request; read the answer."""
    host, port = live_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        head = [f"POST {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data


def test_oversized_bodies_are_refused_from_the_header_before_reading(tn, api_client_for):
    """A declared 100 MB upload or JSON body is answered 413 at once; the server never waits
    for the body (only a few bytes are ever sent)."""
    from tests.livegunicorn import gunicorn, live_database_url, production_env

    env = production_env(DATABASE_URL=live_database_url(), DATABASE_ROLE="kc_app")
    hundred_mb = str(100 * 1024 * 1024)
    with gunicorn(env) as base:
        status, data = _raw_post(base, "/api/v1/establishments/", {
            "Content-Type": "application/json", "Content-Length": hundred_mb, "Authorization": "Token x"}, b"{")
        assert status == 413 and b"request_too_large" in data
        application = make_application(tn)
        status, data = _raw_post(base, f"/de-an/{application.pk}/tai-lieu/them/", {
            "Content-Type": "multipart/form-data; boundary=x", "Content-Length": hundred_mb}, b"--x\r\n")
        assert status == 413 and "Yêu cầu quá lớn".encode() in data


def test_bodies_within_the_limits_pass(settings, tn, api_client_for):
    api = api_client_for(tn.officer)
    response = api.post("/api/v1/establishments/", {"name": "x" * 1000}, format="json")
    assert response.status_code == 400  # reached the serializer
    settings.KC_MAX_BODY_BYTES = 100
    response = api.post("/api/v1/establishments/", {"name": "x" * 1000}, format="json")
    assert response.status_code == 413 and response.json()["code"] == "request_too_large"


# --- make run on a non-loopback address ----------------------------------------------------------------

@pytest.mark.parametrize("host, warned", [("0.0.0.0", True), ("192.168.1.20", True), ("::", True),
                                          ("127.0.0.1", False), ("localhost", False), ("[::1]", False)])
def test_make_run_warns_when_exposed_with_debug_and_demo_passwords(settings, capsys, host, warned):
    from django.contrib.auth import get_user_model

    from khuyencong.security import DEMO_PASSWORD

    get_user_model().objects.create_user("tayninh_canbo", password=DEMO_PASSWORD)
    settings.DEBUG = True
    call_command("check_exposure", host)
    err = capsys.readouterr().err
    assert ("CẢNH BÁO" in err and "tayninh_canbo" in err) is warned


def test_no_warning_once_demo_passwords_are_changed_or_debug_is_off(settings, capsys):
    from django.contrib.auth import get_user_model

    from khuyencong.security import DEMO_PASSWORD

    user = get_user_model().objects.create_user("tayninh_canbo", password=DEMO_PASSWORD)
    settings.DEBUG = False
    call_command("check_exposure", "0.0.0.0")
    settings.DEBUG = True
    user.set_password("Another-pass-2026")
    user.save()
    call_command("check_exposure", "0.0.0.0")
    assert capsys.readouterr().err == ""
