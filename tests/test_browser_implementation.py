"""After the decision, in headless Chromium: an approved local-fund application is started
with its contract, gets an advance and a progress report, is completed with its report,
accepted with minutes and settled with a final payment; the budget page then shows the
settled amount."""

import os

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from applications.choices import Status
from applications.models import Application
from khuyencong.templatetags.kc import format_vnd
from tests.factories import PDF_BYTES, approve_local, build_world, make_application

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_as(chromium, live_server):
    """A signed-in tab for a user (session cookie); contexts are closed after the test."""
    contexts = []

    def make(user, path):
        context = chromium.new_context(locale="vi-VN")
        context.set_default_timeout(15_000)
        contexts.append(context)
        client = Client()
        client.force_login(user)
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                              "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])
        page = context.new_page()
        page.goto(f"{live_server.url}{path}")
        return page

    yield make
    for context in contexts:
        context.close()


def pdf(name):
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF_BYTES}


def expect_status(page, label):
    page.wait_for_selector(f"#status-badge:has-text('{label}')")


def action(page, name):
    page.click(f"[data-action={name}] .btn:not([disabled])")
    page.wait_for_selector("#transition-form")


def test_approved_application_through_implementation_to_settlement(transactional_db, units, live_server, open_as):
    world = build_world((80,))
    tn = world.provinces[80]
    application = make_application(tn)  # 200 million of a 500 million scheme, MMTB (first advance ≤ 70 %)
    approve_local(tn, application)
    today = timezone.localdate().isoformat()
    detail = f"/de-an/{application.pk}/"

    # The officer starts implementation: the page asks for the contract, and says what is missing.
    page = open_as(tn.officer, detail)
    expect_status(page, "Đã phê duyệt")
    action(page, "start_implementation")
    page.click("#confirm-transition")
    page.wait_for_selector(".invalid-feedback:has-text('Cần số hợp đồng.')")
    page.fill("#id_number", "07/2026/HĐ-KC")
    page.fill("#id_signed_on", today)
    page.fill("#id_value", "200000000")
    page.click("#confirm-transition")
    expect_status(page, "Đang thực hiện")
    assert "07/2026/HĐ-KC" in page.inner_text("#contracts")

    # An advance above the 70 % share is refused with the rule; within it, it is recorded.
    page.click("#add-disbursement")
    page.select_option("#id_kind", "advance")
    page.fill("#id_amount", "150000000")
    page.fill("#id_reference", "TU-07")
    page.click("#save-record")
    page.wait_for_selector(".alert:has-text('tạm ứng tối đa 70% kinh phí được phê duyệt')")
    page.fill("#id_amount", "120000000")
    page.click("#save-record")
    page.wait_for_selector("#disbursements")
    assert format_vnd(120_000_000) in page.inner_text("#disbursed-total")

    # A progress report with a photo.
    page.click("#add-progress")
    page.fill("#id_period_start", today)
    page.fill("#id_percent_done", "100")
    page.fill("#id_narrative", "Máy sấy đã lắp đặt và chạy thử")
    page.set_input_files("#id_document", pdf("anh-lap-dat.pdf"))
    page.click("#save-record")
    page.wait_for_selector("#progress-reports:has-text('100 %')")

    # Completion with the implementer's report.
    action(page, "complete")
    page.set_input_files("#id_report_file", pdf("bao-cao-hoan-thanh.pdf"))
    page.fill("#id_narrative", "Hoàn thành đúng tiến độ")
    page.click("#confirm-transition")
    expect_status(page, "Hoàn thành thực hiện")

    # The approver records the acceptance with its minutes, then settles with a final payment.
    page = open_as(tn.approver, detail)
    action(page, "accept")
    page.fill("#id_committee_members", "Sở Công Thương; UBND xã; cơ sở thụ hưởng")
    page.select_option("#id_result", "passed")
    page.fill("#id_achieved_jobs", "12")
    page.set_input_files("#id_minutes_file", pdf("bien-ban-nghiem-thu.pdf"))
    page.click("#confirm-transition")
    expect_status(page, "Đã nghiệm thu")
    assert "Đạt" in page.inner_text("#acceptance")

    action(page, "settle")
    page.fill("#id_settled_amount", "190000000")
    page.fill("#id_final_payment_amount", "70000000")
    page.fill("#id_final_payment_reference", "UNC-QT-07")
    page.fill("#id_decision_number", "45/QĐ-SCT")
    page.click("#confirm-transition")
    expect_status(page, "Đã quyết toán")
    assert format_vnd(190_000_000) in page.inner_text("#settlement")
    assert format_vnd(10_000_000) in page.inner_text("#released")
    assert Application.objects.get(pk=application.pk).status == Status.SETTLED

    # The budget page (from the navigation) shows the settled amount of the programme.
    page.click("nav a:has-text('Ngân sách')")
    page.wait_for_selector("#ledger")
    row = page.locator(f"tr.ledger-row[data-programme='{tn.local_programme.pk}']")
    assert row.locator("[data-col=settled]").inner_text() == format_vnd(190_000_000)
    assert row.locator("[data-col=disbursed]").inner_text() == format_vnd(190_000_000)
    assert row.locator("[data-col=remaining]").inner_text() == format_vnd(2_000_000_000 - 190_000_000)
