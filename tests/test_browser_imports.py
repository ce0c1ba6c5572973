"""In Chromium: an officer downloads the template, uploads a file with an error, sees the
preview with the reason per cell, uploads the corrected file and confirms."""

import os

import pytest
from django.test import Client
from playwright.sync_api import expect

from applications.models import Establishment
from khuyencong.celery import app as celery_app
from provinces.choices import Role

from .conftest import TAN_NINH_WARD, TAY_NINH
from .test_imports import row, xlsx

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = "/tmp/shots-15"


@pytest.fixture
def officer_page(live_server, transactional_db, units, make_member, page, monkeypatch, settings, tmp_path):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    settings.MEDIA_ROOT = tmp_path / "media"
    user = make_member(Role.PROVINCE_OFFICER, TAY_NINH, username="lan")
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])
    return page


def test_upload_preview_fix_and_confirm(officer_page, live_server, tmp_path):
    page = officer_page
    os.makedirs(SHOTS, exist_ok=True)
    page.goto(f"{live_server.url}/co-so/")
    page.get_by_role("link", name="Nhập từ Excel").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Cơ sở công nghiệp nông thôn — Tỉnh Tây Ninh").click()
    assert download.value.suggested_filename == "mau-nhap-establishments-80.xlsx"

    bad = tmp_path / "co-so.xlsx"
    bad.write_bytes(xlsx([row(tax_code="3901234567"), row(name="Cơ sở gốm Tân Ninh", tax_code="39012345")]))
    page.set_input_files("#import-file", str(bad))
    page.get_by_role("button", name="Tải lên và xem trước").click()
    expect(page.locator("#job-state")).to_have_text("Chờ xác nhận")
    expect(page.locator("[data-outcome=error] .badge")).to_have_text("1")
    expect(page.locator("#preview-table")).to_contain_text(
        "Dòng 3, cột E (Mã số thuế): mã số thuế phải có 10, 12 hoặc 13 chữ số")
    expect(page.locator("#confirm-form")).to_have_count(0)
    page.screenshot(path=f"{SHOTS}/import-preview-errors.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải các dòng lỗi").click()
    assert download.value.suggested_filename.startswith("dong-loi-")
    assert not Establishment.objects.exists()

    good = tmp_path / "co-so-da-sua.xlsx"
    good.write_bytes(xlsx([row(tax_code="3901234567"), row(name="Cơ sở gốm Tân Ninh", tax_code="3901234599",
                                                           commune=f"{TAN_NINH_WARD} – Phường Tân Ninh")]))
    page.goto(f"{live_server.url}/nhap-du-lieu/")
    page.set_input_files("#import-file", str(good))
    page.get_by_role("button", name="Tải lên và xem trước").click()
    expect(page.locator("[data-outcome=created] .badge")).to_have_text("2")
    page.screenshot(path=f"{SHOTS}/import-preview-ok.png", full_page=True)
    page.get_by_role("button", name="Xác nhận ghi vào sổ").click()
    expect(page.locator("#job-state")).to_have_text("Đã nhập")
    expect(page.locator("#job-done")).to_contain_text("2 thêm mới")
    page.screenshot(path=f"{SHOTS}/import-done.png", full_page=True)
    assert Establishment.objects.count() == 2
