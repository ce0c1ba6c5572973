"""In a real browser: sign in through the form and search communes live (htmx)."""

import re

import pytest
from playwright.sync_api import expect

from provinces.choices import Role

from .conftest import TAY_NINH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed_in(live_server, transactional_db, units, make_member, page):
    """Signs in through the form, as a user would, after one mistyped password."""
    make_member(Role.PROVINCE_OFFICER, TAY_NINH, username="lan")
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/dang-nhap/\?next=/$"))
    page.get_by_label("Tên đăng nhập").fill("lan")
    page.get_by_label("Mật khẩu").fill("sai")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator(".alert-danger")).to_contain_text("Tên đăng nhập hoặc mật khẩu không đúng")
    page.get_by_label("Mật khẩu").fill("pw-test-12345")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name="Xin chào, lan")).to_be_visible()
    return page


def test_live_commune_search(signed_in, live_server):
    page = signed_in
    page.get_by_role("link", name="Tỉnh Tây Ninh").click()
    expect(page).to_have_url(f"{live_server.url}/dia-ban/80/")
    rows = page.locator("#commune-table tbody tr")
    expect(rows).to_have_count(96)

    page.get_by_placeholder("Tìm xã/phường").press_sequentially("tan ninh", delay=20)

    # No submit: htmx swaps the table in place as the user types.
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Phường Tân Ninh")
    expect(page.locator("#commune-count")).to_have_text("1 đơn vị")
    expect(page.locator("nav.navbar")).to_have_count(1)  # the fragment did not replace the page

    # The search is in the address bar: reloading keeps it, Back undoes it.
    expect(page).to_have_url(re.compile(r"/dia-ban/80/\?q=tan(\+|%20)ninh"))
    page.reload()
    expect(rows).to_have_count(1)
    expect(page.get_by_placeholder("Tìm xã/phường")).to_have_value("tan ninh")
    page.go_back()
    expect(page).to_have_url(f"{live_server.url}/dia-ban/80/")
    expect(rows).to_have_count(96)
    expect(page.locator("nav.navbar")).to_have_count(1)

