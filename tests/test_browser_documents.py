"""In a real browser: an approver adds a signer, issues a province report with a number,
and a recipient checks it on the public verification page."""

import pytest
from playwright.sync_api import expect

from provinces.choices import Role
from provinces.models import Province
from reports.choices import ReportKind, ReportScope, RunStatus
from reports.documents.models import OfficialDocument
from reports.models import ReportRun

from .conftest import TAY_NINH
from .report_fixtures import build_dataset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = "/tmp/shots-12"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_approver_adds_a_signer_issues_and_anyone_verifies(live_server, units, make_member, page):
    build_dataset()
    make_member(Role.PROVINCE_APPROVER, TAY_NINH, username="giamdoc")
    run = ReportRun.objects.create(kind=ReportKind.PROVINCE_ANNUAL, scope=ReportScope.PROVINCE, year=2026,
                                   province=Province.objects.get(code=TAY_NINH), formats=["pdf"],
                                   status=RunStatus.SUCCEEDED, progress=100)
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill("giamdoc")
    page.get_by_label("Mật khẩu").fill("pw-test-12345")
    page.get_by_role("button", name="Đăng nhập").click()

    page.goto(f"{live_server.url}/bao-cao/lan-lap/{run.pk}/")
    expect(page.locator("#issue-form")).to_contain_text("Cơ quan chưa có người ký")
    page.get_by_role("link", name="Thêm người ký").click()
    form = page.locator("form[id^=add-signer]")
    form.get_by_label("Họ và tên").fill("Nguyễn Văn Bình")
    form.get_by_label("Chức vụ").fill("Phó Giám đốc")
    form.get_by_label("Hình thức ký").select_option("KT")
    form.get_by_label("Ký thay / thay mặt cho").fill("Giám đốc")
    form.get_by_role("button", name="Thêm người ký").click()
    expect(page.locator(".alert-success")).to_contain_text("Nguyễn Văn Bình")
    expect(page.locator("table").nth(1)).to_contain_text("KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC")
    page.screenshot(path=f"{SHOTS}/registry.png", full_page=True)

    page.goto(f"{live_server.url}/bao-cao/lan-lap/{run.pk}/")
    page.get_by_role("button", name="Ban hành").click()  # no signer chosen: refused, nothing issued
    expect(page.locator(".alert-danger")).to_contain_text("Chọn người ký")
    assert not OfficialDocument.objects.exists()
    page.get_by_label("Người ký").select_option(label="KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC — Nguyễn Văn Bình")
    page.screenshot(path=f"{SHOTS}/run-issue-form.png", full_page=True)
    page.get_by_role("button", name="Ban hành").click()
    expect(page.locator(".alert-success")).to_contain_text("01/BC-SCT")
    issued = page.locator("#issued-document")
    doc = OfficialDocument.objects.get()
    expect(issued).to_contain_text(doc.sha256)
    expect(issued).to_contain_text("Nguyễn Văn Bình")
    page.screenshot(path=f"{SHOTS}/run-issued.png", full_page=True)

    visitor = page.context.browser.new_context(locale="vi-VN").new_page()
    visitor.goto(f"{live_server.url}/xac-minh/")
    visitor.get_by_label("Mã xác minh").fill(doc.verification_code.lower())
    visitor.get_by_role("button", name="Kiểm tra").click()
    expect(visitor.locator("#sha256")).to_have_text(doc.sha256)
    expect(visitor.locator("#verified")).to_contain_text("01/BC-SCT")
    visitor.screenshot(path=f"{SHOTS}/verify.png", full_page=True)
    visitor.goto(f"{live_server.url}/xac-minh/ABCDEFGHJK/")
    expect(visitor.locator("#not-found")).to_be_visible()
    visitor.context.close()
