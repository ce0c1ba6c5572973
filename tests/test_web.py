"""The HTML side: signing in and out, the home page, the province pages with their
live commune search, and the production configuration check."""

import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest

from provinces.choices import Role

from .conftest import TAN_NINH_WARD, TAY_NINH

pytestmark = pytest.mark.django_db

PASSWORD = "pw-test-12345"  # the password make_member gives


class _Tables(HTMLParser):
    """Collects the body rows (lists of cell texts) of every table of a page."""

    def __init__(self):
        super().__init__()
        self.tables, self._row, self._cell, self._in_head = [], None, None, False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"id": dict(attrs).get("id"), "rows": []})
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and not self._in_head:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1]["rows"].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table_rows(response, table_id=None):
    """Body rows of the table with ``table_id`` (or of the only table) of the page."""
    parser = _Tables()
    parser.feed(response.content.decode())
    tables = [t for t in parser.tables if table_id is None or t["id"] == table_id]
    assert len(tables) == 1, [t["id"] for t in parser.tables]
    return tables[0]["rows"]


@pytest.fixture
def logged_in(client, tn_officer):
    client.force_login(tn_officer)
    return client


# --- Signing in and out ----------------------------------------------------------------


def test_login_page_is_in_vietnamese(client):
    response = client.get("/dang-nhap/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="vi">' in html
    for text in ("Đăng nhập", "Tên đăng nhập", "Mật khẩu"):
        assert text in html


def test_login_with_the_form_leads_home(client, tn_officer):
    response = client.post("/dang-nhap/", {"username": "tn_officer", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "Xin chào, tn_officer" in response.content.decode()


def test_login_returns_to_the_page_asked_for(client, tn_officer):
    response = client.post("/dang-nhap/?next=/dia-ban/80/",
                           {"username": "tn_officer", "password": PASSWORD, "next": "/dia-ban/80/"})
    assert response.url == "/dia-ban/80/"


def test_wrong_password_is_refused_in_vietnamese(client, tn_officer):
    response = client.post("/dang-nhap/", {"username": "tn_officer", "password": "sai-mat-khau"})
    assert response.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_ends_the_session(logged_in):
    response = logged_in.post("/dang-xuat/")
    assert response.url == "/dang-nhap/"
    assert logged_in.get("/").url == "/dang-nhap/?next=/"


def test_anonymous_is_sent_to_login(client):
    for path in ("/", "/dia-ban/", "/dia-ban/80/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.url == f"/dang-nhap/?next={path}"


def test_password_change(logged_in, client):
    response = logged_in.post("/doi-mat-khau/", {"old_password": PASSWORD, "new_password1": "Mat-khau-moi-2026",
                                                 "new_password2": "Mat-khau-moi-2026"}, follow=True)
    assert response.redirect_chain[-1][0] == "/doi-mat-khau/xong/"
    assert "Mật khẩu của bạn đã được thay đổi." in response.content.decode()
    logged_in.post("/dang-xuat/")
    # django-axes needs the request behind every authenticate() call.
    assert not client.login(request=HttpRequest(), username="tn_officer", password=PASSWORD)
    assert client.login(request=HttpRequest(), username="tn_officer", password="Mat-khau-moi-2026")


def test_password_change_refuses_a_short_password(logged_in):
    response = logged_in.post("/doi-mat-khau/", {"old_password": PASSWORD, "new_password1": "ngan",
                                                 "new_password2": "ngan"})
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert get_user_model().objects.get(username="tn_officer").check_password(PASSWORD)


# --- Home page -------------------------------------------------------------------------


def test_home_shows_organisation_role_and_province(logged_in):
    rows = table_rows(logged_in.get("/"), "memberships")
    assert rows == [["Sở Công Thương Tây Ninh", "Cán bộ Sở", "Tỉnh Tây Ninh", "—"]]
    assert 'href="/dia-ban/80/"' in logged_in.get("/").content.decode()


def test_home_of_a_commune_officer_and_of_the_agency(client, make_member, agency_officer):
    commune_officer = make_member(Role.COMMUNE_OFFICER, TAY_NINH, commune=TAN_NINH_WARD)
    client.force_login(commune_officer)
    assert table_rows(client.get("/"), "memberships") == [
        ["UBND Phường Tân Ninh", "Cán bộ UBND xã", "Tỉnh Tây Ninh", "Phường Tân Ninh"]]
    client.force_login(agency_officer)
    [row] = table_rows(client.get("/"), "memberships")
    assert row[1:3] == ["Chuyên viên Cục", "Toàn quốc"]


def test_home_tells_a_user_without_role_to_ask_for_one(client, no_role_user):
    client.force_login(no_role_user)
    assert "chưa được phân công" in client.get("/").content.decode()


# --- Province pages ---------------------------------------------------------------------


def test_provinces_page_lists_the_34_provinces(logged_in):
    rows = table_rows(logged_in.get("/dia-ban/"), "province-table")
    assert len(rows) == 34
    assert rows[0][:3] == ["91", "Tỉnh An Giang", "Tỉnh"]  # Vietnamese order
    tay_ninh = next(row for row in rows if row[1] == "Tỉnh Tây Ninh")
    assert tay_ninh[3:7] == ["82", "14", "0", "96"]  # xã, phường, đặc khu, total


def test_provinces_page_search(logged_in):
    rows = table_rows(logged_in.get("/dia-ban/", {"q": "tay ninh"}), "province-table")
    assert [row[1] for row in rows] == ["Tỉnh Tây Ninh"]


def test_province_page_lists_its_communes(logged_in):
    response = logged_in.get("/dia-ban/80/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tỉnh Tây Ninh" in html
    assert "Tỉnh Long An" in html  # formed from old Long An and old Tây Ninh
    rows = table_rows(response)
    assert len(rows) == 96
    assert ["25459", "Phường Tân Ninh", "Phường"] in rows


@pytest.mark.parametrize("typed", ["tan ninh", "Tân Ninh", "TAN  NINH"])
def test_province_page_search_ignores_diacritics(logged_in, typed):
    response = logged_in.get("/dia-ban/80/", {"q": typed})
    assert "<html" in response.content.decode()
    assert table_rows(response) == [["25459", "Phường Tân Ninh", "Phường"]]


def test_province_page_filters_by_kind(logged_in):
    rows = table_rows(logged_in.get("/dia-ban/80/", {"kind": "phuong"}))
    assert len(rows) == 14
    assert {row[2] for row in rows} == {"Phường"}


def test_htmx_search_returns_only_the_table(logged_in):
    response = logged_in.get("/dia-ban/80/", {"q": "tan ninh"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "<nav" not in html
    assert table_rows(response) == [["25459", "Phường Tân Ninh", "Phường"]]
    assert "HX-Request" in response["Vary"]  # the browser must not show the fragment as the page


def test_htmx_history_restore_gets_the_whole_page(logged_in):
    # After the search pushed ?q=... into the address bar, Back/Forward with an empty
    # htmx history cache asks again with both headers and must get the full page.
    response = logged_in.get("/dia-ban/80/", {"q": "tan ninh"},
                             headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    html = response.content.decode()
    assert "<html" in html and "<nav" in html
    assert table_rows(response) == [["25459", "Phường Tân Ninh", "Phường"]]


def test_province_page_rejects_an_invalid_filter(logged_in):
    response = logged_in.get("/dia-ban/80/", {"kind": "thon"})
    assert response.status_code == 200
    assert 'class="alert alert-danger"' in response.content.decode()
    assert table_rows(response) == [["Không có xã/phường nào khớp."]]


def test_unknown_province_is_404_in_vietnamese(logged_in):
    response = logged_in.get("/dia-ban/99/")
    assert response.status_code == 404
    assert "Không tìm thấy" in response.content.decode()


def test_user_without_role_is_refused_the_province_pages(client, no_role_user):
    client.force_login(no_role_user)
    for path in ("/dia-ban/", "/dia-ban/80/"):
        response = client.get(path)
        assert response.status_code == 403
        assert "Bạn không có quyền" in response.content.decode()


def test_user_whose_membership_ended_is_refused(client, tn_officer):
    tn_officer.memberships.update(is_active=False)
    client.force_login(tn_officer)
    assert client.get("/dia-ban/80/").status_code == 403


def test_pages_use_only_local_assets(logged_in):
    html = logged_in.get("/dia-ban/80/").content.decode()
    assert "/static/vendor/htmx/htmx.min.js" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html


# --- Production configuration -------------------------------------------------------------


def _manage(args, tmp_path, **env):
    # A clean production-like environment: none of what the test session sets (the
    # browser fixture sets DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy rightly flags).
    test_only = ("DJANGO_SETTINGS_MODULE", "KC_ALLOW_DEV_KEY", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if k not in test_only}
    base.update(DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3", VAR_DIR=str(tmp_path), **env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=base,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_in_production_mode(tmp_path):
    result = _manage(["check", "--deploy"], tmp_path, DEBUG="0", SECRET_KEY=secrets.token_urlsafe(60),
                     ALLOWED_HOSTS="khuyencong.example.gov.vn")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output and "ERRORS" not in output, output
    assert "no issues" in output


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _manage(["check"], tmp_path, DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
