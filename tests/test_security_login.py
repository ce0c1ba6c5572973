"""Sign-in security: lockouts, two-factor authentication, session lifetime, password policy
and reset, and the page of one's own API tokens."""

import base64
import re
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.test import override_settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from khuyencong import security
from khuyencong.models import ApiToken, RecoveryCode
from provinces.choices import Role

from .conftest import TAY_NINH

pytestmark = pytest.mark.django_db

PASSWORD = "pw-test-12345"
LOGIN = "/dang-nhap/"
API = "/api/v1/provinces/"


def sign_in(client, username, password=PASSWORD, address="10.1.1.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def goes_to(response, path, next_url=None):
    """Whether ``response`` redirects to ``path`` (with ``?next=next_url`` when given)."""
    if response.status_code != 302:
        return False
    url = urlsplit(response.url)
    return url.path == path and (next_url is None or parse_qs(url.query).get("next") == [next_url])


def signed_in_as(client, user):
    return client.session.get("_auth_user_id") == str(user.pk)


def token_header(user):
    from khuyencong.services import api_token_create

    _token, key = api_token_create(user=user)
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


# --- Lockout (django-axes) --------------------------------------------------------------

def test_lockout_is_per_user_name_and_address(client, tn_officer):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        response = sign_in(client, "tn_officer", "wrong-password", address="10.0.0.1")
        assert response.status_code == 200 and "không đúng" in response.content.decode()
    # The limit-th failure locks this user name at this address ...
    response = sign_in(client, "tn_officer", "wrong-password", address="10.0.0.1")
    assert response.status_code == 429
    # ... even for the right password during the cool-off.
    response = sign_in(client, "tn_officer", address="10.0.0.1")
    assert response.status_code == 429
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.seconds
    html = response.content.decode()
    assert "Đăng nhập tạm thời bị khóa" in html and f"{settings.AXES_COOLOFF_TIME.seconds // 60} phút" in html
    assert not signed_in_as(client, tn_officer)
    # The same user from another address is not locked out: an attacker cannot lock a
    # chosen user out everywhere.
    response = sign_in(client, "tn_officer", address="10.9.9.9")
    assert response.status_code == 302 and signed_in_as(client, tn_officer)


def test_failures_from_many_addresses_do_not_lock_the_account(client, tn_officer):
    for i in range(settings.AXES_FAILURE_LIMIT * 2):
        assert sign_in(client, "tn_officer", "wrong-password", address=f"10.0.1.{i + 1}").status_code == 200
    response = sign_in(client, "tn_officer", address="10.0.1.200")
    assert response.status_code == 302 and signed_in_as(client, tn_officer)


def test_lockout_ends_after_the_cool_off(client, tn_officer):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "tn_officer", "wrong-password")
    assert sign_in(client, "tn_officer").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    response = sign_in(client, "tn_officer")
    assert response.status_code == 302 and signed_in_as(client, tn_officer)


def test_failures_during_the_lockout_do_not_extend_it(client, tn_officer):
    """One wrong try every few minutes must not keep an approver out for ever."""
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "tn_officer", "wrong-password")
    locked_at = timezone.now() - settings.AXES_COOLOFF_TIME + timedelta(minutes=1)
    AccessAttempt.objects.update(attempt_time=locked_at)
    assert sign_in(client, "tn_officer", "wrong-password").status_code == 429
    assert sign_in(client, "tn_officer", "another-wrong-one").status_code == 429
    assert set(AccessAttempt.objects.values_list("attempt_time", flat=True)) == {locked_at}
    # The cool-off counts from the failure that locked, not from the tries during it.
    AccessAttempt.objects.update(attempt_time=locked_at - timedelta(minutes=1, seconds=1))
    response = sign_in(client, "tn_officer")
    assert response.status_code == 302 and signed_in_as(client, tn_officer)


def test_made_up_names_slow_an_address_down_but_lock_no_one_out(client, make_member):
    """Failures with made-up names from an office's shared address: the address must wait
    between attempts (longer the more failures), but a real user there signs in after the
    wait, and other addresses are untouched."""
    victim = make_member(Role.PROVINCE_OFFICER, TAY_NINH, username="lan")
    office = "203.0.113.7"
    after = settings.KC_LOGIN_SLOWDOWN_AFTER
    for i in range(after):
        assert sign_in(client, f"guess{i}", "wrong-password", address=office).status_code == 200
    # Right away, the next attempt from the office waits (without checking any password) ...
    response = sign_in(client, "lan", address=office)
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= settings.KC_LOGIN_SLOWDOWN_BASE_SECONDS
    assert "Không tài khoản nào bị khóa" in response.content.decode()
    failures = AccessAttempt.objects.filter(ip_address=office).aggregate(n=Sum("failures_since_start"))["n"]
    assert failures == after  # a refused attempt is not counted
    # The admin's sign-in form waits too.
    admin = client.post("/quan-tri/login/", {"username": "lan", "password": PASSWORD}, REMOTE_ADDR=office)
    assert admin.status_code == 429
    # ... another address does not,
    assert sign_in(client, "lan", address="198.51.100.1").status_code == 302
    client.logout()
    # ... and once the wait is over the real user signs in from the office.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(seconds=wait + 1))
    response = sign_in(client, "lan", address=office)
    assert response.status_code == 302 and signed_in_as(client, victim)
    client.logout()
    # More failures make the wait longer, up to the maximum, never a lockout.
    for i in range(8):
        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(seconds=61))  # each wait over
        assert sign_in(client, f"guess{i}", "wrong-password", address=office).status_code == 200
    response = sign_in(client, "lan", address=office)
    assert response.status_code == 429
    assert settings.KC_LOGIN_SLOWDOWN_BASE_SECONDS < int(response["Retry-After"]) <= \
        settings.KC_LOGIN_SLOWDOWN_MAX_SECONDS


def test_wrong_current_passwords_on_the_password_change_form_lock_it(client, tn_officer):
    """A stolen session cannot be used to guess the password: wrong current passwords
    count as failed sign-ins of that user from that address."""
    client.force_login(tn_officer)
    url = "/doi-mat-khau/"
    new = {"new_password1": "Mat-khau-moi-2026!", "new_password2": "Mat-khau-moi-2026!"}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"old_password": "wrong-password", **new}, REMOTE_ADDR="10.2.2.2")
        assert response.status_code == 200
    response = client.post(url, {"old_password": "wrong-password", **new}, REMOTE_ADDR="10.2.2.2")
    assert response.status_code == 429
    # During the cool-off even the right current password is refused, and nothing changed.
    response = client.post(url, {"old_password": PASSWORD, **new}, REMOTE_ADDR="10.2.2.2")
    assert response.status_code == 429
    tn_officer.refresh_from_db()
    assert tn_officer.check_password(PASSWORD)
    # The form still works when nothing is wrong.
    AccessAttempt.objects.all().delete()
    response = client.post(url, {"old_password": PASSWORD, **new}, REMOTE_ADDR="10.2.2.2")
    assert response.status_code == 302
    tn_officer.refresh_from_db()
    assert tn_officer.check_password(new["new_password1"])


def test_forwarded_address_counts_only_behind_trusted_proxies(rf):
    request = rf.get("/", REMOTE_ADDR="172.18.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.20")
    with override_settings(KC_TRUSTED_PROXY_COUNT=0):
        assert security.client_ip(request) == "172.18.0.2"
    with override_settings(KC_TRUSTED_PROXY_COUNT=1):
        # The left-most hop is whatever the client wrote; only the proxy's own hop is trusted.
        assert security.client_ip(request) == "198.51.100.20"


def test_api_tokens_work_while_the_account_is_locked(client, tn_officer):
    headers = token_header(tn_officer)
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        sign_in(client, "tn_officer", "wrong-password")
    assert sign_in(client, "tn_officer").status_code == 429
    assert client.get(API, **headers).status_code == 200


# --- Two-factor authentication ------------------------------------------------------------

RECOVERY = re.compile(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>")

def code_for(device, steps_ahead=0):
    """The device's current code; ``steps_ahead`` gives a later step (a code is accepted only once)."""
    code = totp(device.bin_key, step=device.step, t0=device.t0 - steps_ahead * device.step, digits=device.digits)
    return f"{code:06d}"


@override_settings(KC_ENFORCE_2FA=True)
def test_approver_must_enrol_before_any_page(client, make_member):
    approver = make_member(Role.PROVINCE_APPROVER, TAY_NINH, username="tn_approver")
    response = sign_in(client, "tn_approver")
    assert response.status_code == 302 and signed_in_as(client, approver)

    # Every page sends them to the second step, which sends them to enrolment (no device yet).
    response = client.get("/dia-ban/")
    assert goes_to(response, "/xac-thuc-hai-lop/", "/dia-ban/")
    assert goes_to(client.get(response.url), "/xac-thuc-hai-lop/dang-ky/", "/dia-ban/")
    # The API refuses the unverified session too; htmx gets a full-page redirect.
    assert client.get(API).status_code == 403
    assert client.get("/dia-ban/", HTTP_HX_REQUEST="true")["HX-Redirect"].startswith("/xac-thuc-hai-lop/")

    page = client.get("/xac-thuc-hai-lop/dang-ky/?next=/dia-ban/")
    html = page.content.decode()
    assert page.status_code == 200 and 'src="data:image/svg+xml' in html
    device = TOTPDevice.objects.get(user=approver, confirmed=False)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    assert base64.b32decode(secret) == device.bin_key

    wrong = client.post("/xac-thuc-hai-lop/dang-ky/", {"code": "000000", "next": "/dia-ban/"})
    assert wrong.status_code == 200 and "Mã không đúng" in wrong.content.decode()
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.save()
    assert "bắt buộc" in html and "(hoặc có thể)" not in html  # says it is required, not maybe
    response = client.post("/xac-thuc-hai-lop/dang-ky/", {"code": code_for(device), "next": "/dia-ban/"})
    # The recovery codes are shown once, then the user goes on where they were going.
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert len(RECOVERY.findall(response.content.decode())) == 10 and 'href="/dia-ban/"' in response.content.decode()
    assert TOTPDevice.objects.get(user=approver).confirmed
    assert client.get("/dia-ban/").status_code == 200
    assert client.get(API).status_code == 200


@override_settings(KC_ENFORCE_2FA=True)
def test_agency_staff_must_verify_a_code_after_the_password(client, agency_officer):
    device = TOTPDevice.objects.create(user=agency_officer, name="điện thoại", confirmed=True)
    sign_in(client, "cuc_officer")
    assert goes_to(client.get("/"), "/xac-thuc-hai-lop/", "/")
    assert goes_to(client.get("/quan-tri/"), "/xac-thuc-hai-lop/", "/quan-tri/")

    page = client.get("/xac-thuc-hai-lop/?next=/")
    assert page.status_code == 200 and "Nhập mã 6 chữ số" in page.content.decode()
    response = client.post("/xac-thuc-hai-lop/", {"code": code_for(device), "next": "/"})
    assert response.status_code == 302 and response.url == "/"
    assert client.get("/").status_code == 200


@override_settings(KC_ENFORCE_2FA=True)
def test_a_code_cannot_be_used_twice(client, agency_officer):
    device = TOTPDevice.objects.create(user=agency_officer, name="điện thoại", confirmed=True)
    code = code_for(device)
    assert device.verify_token(code)
    sign_in(client, "cuc_officer")
    response = client.post("/xac-thuc-hai-lop/", {"code": code, "next": "/"})
    assert response.status_code == 200 and client.get("/").status_code == 302


@override_settings(KC_ENFORCE_2FA=True)
def test_api_token_of_an_approver_needs_no_second_factor(client, make_member):
    approver = make_member(Role.AGENCY_APPROVER, agency=True, username="cuc_approver")
    assert client.get(API, **token_header(approver)).status_code == 200
    # Even alongside an unverified session.
    sign_in(client, "cuc_approver")
    assert client.get(API).status_code == 403
    assert client.get(API, **token_header(approver)).status_code == 200


@override_settings(KC_ENFORCE_2FA=True)
def test_officer_is_not_asked_for_a_second_factor(client, tn_officer):
    sign_in(client, "tn_officer")
    assert client.get("/").status_code == 200
    assert client.get("/dia-ban/").status_code == 200


def test_enforcement_is_off_with_the_quick_start_setting(client, make_member):
    make_member(Role.PROVINCE_APPROVER, TAY_NINH, username="tn_approver")
    sign_in(client, "tn_approver")
    assert client.get("/").status_code == 200


def test_an_officer_who_opted_in_is_asked_for_the_code(client, tn_officer):
    device = TOTPDevice.objects.create(user=tn_officer, name="điện thoại", confirmed=True)
    sign_in(client, "tn_officer")
    assert client.get("/").status_code == 302
    client.post("/xac-thuc-hai-lop/", {"code": code_for(device), "next": "/"})
    assert client.get("/").status_code == 200


# --- Sessions and passwords -----------------------------------------------------------------

def test_session_limits_are_a_working_day_at_most():
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.KC_SESSION_ABSOLUTE_SECONDS <= 12 * 3600


def test_activity_renews_the_idle_timeout_and_idleness_ends_the_session(client, tn_officer):
    sign_in(client, "tn_officer")
    key = client.session.session_key
    session = client.session
    session[security.SEEN_AT] = int(time.time()) - settings.KC_SESSION_TOUCH_SECONDS - 1
    session.save()
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + timedelta(minutes=10))
    assert client.get("/").status_code == 200
    renewed = Session.objects.get(pk=key).expire_date - timezone.now()
    assert renewed > timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)

    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/dia-ban/")
    assert response.status_code == 302 and response.url.startswith(LOGIN)


def test_session_cookie_is_a_browser_session_cookie(client, tn_officer):
    response = sign_in(client, "tn_officer")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == "" and cookie["max-age"] == ""
    assert cookie["httponly"]


def test_session_ends_after_the_absolute_limit_however_active(client, tn_officer):
    sign_in(client, "tn_officer")
    assert client.get("/").status_code == 200
    session = client.session
    session[security.AUTH_AT] = int(time.time()) - settings.KC_SESSION_ABSOLUTE_SECONDS - 5
    session.save()
    response = client.get("/dia-ban/")
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("password, code", [
    ("Ab1-xyz#", "password_too_short"),  # fewer than 10 characters
    ("password1234", "password_too_common"),
    ("4839201748392", "password_entirely_numeric"),
    ("tn_officer2026", "password_too_similar"),
])
def test_password_policy(tn_officer, password, code):
    with pytest.raises(ValidationError) as error:
        validate_password(password, user=tn_officer)
    assert code in [e.code for e in error.value.error_list]


def test_password_reset_by_email(client, tn_officer):
    login_page = client.get(LOGIN).content.decode()
    assert 'href="/quen-mat-khau/"' in login_page
    response = client.post("/quen-mat-khau/", {"email": "tn_officer@example.test"})
    assert response.status_code == 302 and response.url == "/quen-mat-khau/da-gui/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["tn_officer@example.test"] and "Đặt lại mật khẩu" in message.subject
    link = re.search(r"https?://[^/\s]+(/dat-lai-mat-khau/\S+/)", message.body).group(1)

    form_url = client.get(link).url  # Django swaps the token for a session marker
    page = client.get(form_url)
    assert page.status_code == 200 and "Mật khẩu mới" in page.content.decode()
    weak = client.post(form_url, {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 200
    response = client.post(form_url, {"new_password1": "Mua-lua-2026-moi", "new_password2": "Mua-lua-2026-moi"})
    assert response.url == "/dat-lai-mat-khau/xong/"
    assert sign_in(client, "tn_officer", "Mua-lua-2026-moi").status_code == 302
    # The link works once.
    assert "không hợp lệ" in client.get(link, follow=True).content.decode()


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, tn_officer):
    response = client.post("/quen-mat-khau/", {"email": "nobody@example.test"})
    assert response.url == "/quen-mat-khau/da-gui/" and mail.outbox == []


# --- "Khóa API của tôi" ---------------------------------------------------------------------

def test_token_page_creates_shows_once_and_revokes(client, tn_officer, hcm_officer):
    from khuyencong.services import api_token_create

    theirs, _ = api_token_create(user=hcm_officer, name="của người khác")
    client.force_login(tn_officer)
    response = client.post("/khoa-api/", {"name": "phần mềm kế toán", "read_only": "on", "days": "30"})
    html = response.content.decode()
    key = re.search(r"(kc_[A-Za-z0-9_-]{20,})", html).group(1)
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=tn_officer)
    assert token.read_only and token.name == "phần mềm kế toán"
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)

    listing = client.get("/khoa-api/").content.decode()
    assert key not in listing and token.prefix in listing and "Đang hiệu lực" in listing
    assert theirs.prefix not in listing

    api = client.__class__()
    assert api.get(API, HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    assert api.post("/api/v1/establishments/", {}, HTTP_AUTHORIZATION=f"Token {key}").status_code == 403  # read-only

    assert client.post(f"/khoa-api/{theirs.pk}/thu-hoi/").status_code == 404
    assert client.get(f"/khoa-api/{token.pk}/thu-hoi/").status_code == 405
    response = client.post(f"/khoa-api/{token.pk}/thu-hoi/")
    assert response.url == "/khoa-api/"
    assert "Đã thu hồi" in client.get("/khoa-api/").content.decode()
    assert api.get(API, HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_token_page_needs_sign_in(client):
    assert client.get("/khoa-api/").url.startswith(LOGIN)


@override_settings(KC_ENFORCE_2FA=True)
def test_recovery_codes_shown_once_hashed_single_use_with_a_count(client, agency_officer):
    device = TOTPDevice.objects.create(user=agency_officer, name="điện thoại", confirmed=True)
    sign_in(client, "cuc_officer")
    client.post("/xac-thuc-hai-lop/", {"code": code_for(device), "next": "/"})
    page = client.post("/xac-thuc-hai-lop/dang-ky/", {"new_recovery_codes": "1"})
    codes = RECOVERY.findall(page.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    # Hashed at rest: no code appears in the table.
    stored = list(RecoveryCode.objects.filter(user=agency_officer).values_list("code_hash", flat=True))
    assert len(stored) == 10 and not any(code in h or code.replace("-", "") in h for code in codes for h in stored)
    assert "Còn 10 mã dự phòng" in client.get("/xac-thuc-hai-lop/dang-ky/").content.decode()
    # Shown once: the page does not show them again.
    assert not RECOVERY.findall(client.get("/xac-thuc-hai-lop/dang-ky/").content.decode())

    # A lost phone: sign in with a code (typed in capitals, without the dash), once.
    client.post("/dang-xuat/")
    sign_in(client, "cuc_officer")
    page = client.get("/xac-thuc-hai-lop/?next=/")
    assert "Dùng mã dự phòng" in page.content.decode()
    response = client.post("/xac-thuc-hai-lop/", {"recovery_code": codes[0].upper().replace("-", " "), "next": "/"})
    assert response.status_code == 302 and response.url == "/"
    assert client.get("/").status_code == 200
    assert "Còn 9 mã dự phòng" in client.get("/xac-thuc-hai-lop/dang-ky/").content.decode()
    client.post("/dang-xuat/")
    sign_in(client, "cuc_officer")
    again = client.post("/xac-thuc-hai-lop/", {"recovery_code": codes[0], "next": "/"})
    assert again.status_code == 200 and "đã được dùng" in again.content.decode()
    assert client.get("/").status_code == 302
    # A new set replaces the old: the unused old codes stop working.
    device.refresh_from_db()
    device.throttle_reset()
    client.post("/xac-thuc-hai-lop/", {"code": code_for(device, steps_ahead=1), "next": "/"})
    client.post("/xac-thuc-hai-lop/dang-ky/", {"new_recovery_codes": "1"})
    client.post("/dang-xuat/")
    sign_in(client, "cuc_officer")
    device.refresh_from_db()
    device.throttle_reset()
    stale = client.post("/xac-thuc-hai-lop/", {"recovery_code": codes[1], "next": "/"})
    assert stale.status_code == 200 and client.get("/").status_code == 302


@override_settings(KC_ENFORCE_2FA=True)
def test_after_a_wrong_code_the_page_says_how_long_to_wait(client, agency_officer):
    device = TOTPDevice.objects.create(user=agency_officer, name="điện thoại", confirmed=True)
    sign_in(client, "cuc_officer")
    wrong = client.post("/xac-thuc-hai-lop/", {"code": "000000", "next": "/"}).content.decode()
    assert "Mã không đúng" in wrong and re.search(r"Xin chờ \d+ giây \(đến \d\d:\d\d:\d\d\)", wrong)
    # The right code within the wait is refused with the same explanation, not "a moment".
    device.refresh_from_db()
    device.throttling_failure_count = 5  # a wait of 16 s: the test never outruns it
    device.save()
    right = client.post("/xac-thuc-hai-lop/", {"code": code_for(device), "next": "/"}).content.decode()
    assert "giây lát" not in right and re.search(r"Xin chờ \d+ giây", right)
