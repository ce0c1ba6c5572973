"""End-to-end workflows in headless Chromium (Debian's, driven by Playwright): an officer
builds and submits a dossier, the council declares and scores, the approver decides;
and the national path through the Agency."""

import os

import pytest
from django.conf import settings
from django.test import Client

from applications.choices import CouncilLevel, Status
from applications.models import Application, Establishment
from tests.factories import (
    PDF_BYTES,
    build_world,
    make_application,
    make_establishment,
    score_all,
    to_under_appraisal,
)

# Playwright's sync API runs an event loop in this thread; Django's ORM would refuse
# to run next to it without this.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-test-12345"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser(request):
    """The session's Chromium: conftest's ``chromium`` fixture when there is one (two
    sync Playwright instances cannot run in one thread), else our own."""
    try:
        yield request.getfixturevalue("chromium")
        return
    except pytest.FixtureLookupError:
        pass
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists("/usr/bin/chromium"):
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    playwright = sync_api.sync_playwright().start()
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def session_for(browser, live_server):
    """Open a signed-in page for a user; every context is closed after the test."""
    contexts = []

    def open_as(user, next_path="/", via_form=False):
        context = browser.new_context(locale="vi-VN")
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        if via_form:
            page.goto(f"{live_server.url}/dang-nhap/?next={next_path}")
            page.fill("#id_username", user.username)
            page.fill("#id_password", PASSWORD)
            page.click("form:has(#id_password) button[type=submit]")
            page.wait_for_url(f"{live_server.url}{next_path}")
            return page
        # Signing in through the form is covered once; the others get a session cookie.
        client = Client()
        client.force_login(user)
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                              "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])
        page.goto(f"{live_server.url}{next_path}")
        return page

    yield open_as
    for context in contexts:
        context.close()


def pdf(name):
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF_BYTES}


def expect_status(page, label):
    page.wait_for_selector(f"#status-badge:has-text('{label}')")


def click_action(page, action):
    page.click(f"[data-action={action}] .btn:not([disabled])")


def council_scores(session_for, application, members, score="8"):
    """Each member finds the appraisal among their tasks, declares no conflict and scores."""
    for member in members:
        page = session_for(member, "/viec-can-lam/")
        page.click(f"#task-table a:has-text('{application.code}')")
        page.wait_for_selector("#conflict-form")
        page.check("#id_has_conflict_0")
        page.click("#declare-button")
        page.wait_for_selector("#score-form")
        for field in page.query_selector_all("#score-form input[name^=score_]"):
            field.fill(score)
        page.click("#score-button")
        page.wait_for_selector("#my-total")
        assert "80,00" in page.inner_text("#my-total")


def test_local_fund_application_from_draft_to_approval(transactional_db, units, live_server, session_for):
    world = build_world()
    tn = world.provinces[80]
    make_establishment(tn, name="Cơ sở dệt thổ cẩm Tân Biên")
    commune = tn.province.communes.filter(kind="xa").order_by("code").first()

    # The officer registers the establishment, finds it by typing without diacritics
    # (htmx swaps the table) and starts a dossier from its page.
    page = session_for(tn.officer, "/co-so/moi/", via_form=True)
    page.fill("#id_name", "Cơ sở sấy nông sản Hòa Thành")
    page.select_option("#id_legal_form", "household")
    page.fill("#id_tax_code", "3901234567")
    page.fill("#id_representative", "Lê Thị Hoa")
    page.select_option("#id_commune", str(commune.pk))
    page.fill("#id_address", "Ấp Hiệp Trường")
    page.fill("#id_industry", "Chế biến nông sản")
    page.check("#id_woman_owned")
    page.click("#establishment-form button[type=submit]")
    page.wait_for_selector("#location-eligibility")
    est = Establishment.objects.get(tax_code="3901234567")
    page.goto(f"{live_server.url}/co-so/")
    page.fill("#est-q", "say nong san hoa thanh")
    page.wait_for_selector("#establishment-table:not(:has-text('thổ cẩm'))")
    page.click("#establishment-table a:has-text('Hòa Thành')")
    page.click("a:has-text('Lập đề án')")
    page.wait_for_selector("#application-form")
    assert page.eval_on_selector("#id_establishments", "el => [...el.selectedOptions].map(o => o.value)") == [
        str(est.pk)]

    # The dossier with two cost lines.
    page.select_option("#id_programme", str(tn.local_programme.pk))
    page.select_option("#id_call", str(tn.local_call.pk))
    page.select_option("#id_activity_type", "MMTB")
    page.select_option("#id_implementing_organisation", str(tn.centre.pk))
    page.fill("#id_title", "Hỗ trợ máy sấy nông sản Hòa Thành")
    page.fill("#id_requested_support", "150000000")
    page.fill("#id_counterpart_funds", "170000000")
    page.fill("#id_lines-0-item", "Máy sấy tầng sôi")
    page.fill("#id_lines-0-quantity", "1")
    page.fill("#id_lines-0-unit", "bộ")
    page.fill("#id_lines-0-unit_cost", "300000000")
    page.click("#add-cost-line")
    page.fill("#id_lines-1-item", "Lắp đặt, chạy thử")
    page.fill("#id_lines-1-quantity", "2.5")
    page.fill("#id_lines-1-unit", "ngày công")
    page.fill("#id_lines-1-unit_cost", "8000000")
    page.wait_for_selector("#cost-total:has-text('320.000.000')")
    page.click("#save-application")
    expect_status(page, "Nháp")
    application = Application.objects.get(title="Hỗ trợ máy sấy nông sản Hòa Thành")
    assert application.total_cost == 320_000_000 and application.cost_lines.count() == 2
    assert "320.000.000 ₫" in page.inner_text("#money-summary")

    # Three required documents, then submit.
    assert page.is_disabled("[data-action=submit] button")
    for kind in ("request_letter", "scheme_document", "beneficiary_request"):
        page.select_option("#id_kind", kind)
        page.set_input_files("#id_file", pdf(f"{kind}.pdf"))
        page.click("#upload-button")
        page.wait_for_selector(f"#attachments a:has-text('{kind}.pdf')")
    page.wait_for_selector("#eligibility.alert-success")
    click_action(page, "submit")
    expect_status(page, "Đã nộp")
    click_action(page, "start_appraisal")
    expect_status(page, "Đang thẩm định")

    council_scores(session_for, application, tn.council)

    # The approver decides: the form is pre-filled with the requested support.
    page = session_for(tn.approver, f"/de-an/{application.pk}/")
    page.wait_for_selector("#score-sheet")
    click_action(page, "approve")
    page.wait_for_selector("#transition-form")
    assert page.input_value("#id_approved_amount") == "150.000.000"  # money fields show đồng grouped
    assert "160.000.000 ₫" in page.inner_text("#support-cap")  # 50 % of the 320.000.000 total
    page.fill("#id_decision_number", "25/QĐ-SCT")
    page.click("#confirm-transition")
    expect_status(page, "Đã phê duyệt")
    assert "150.000.000 ₫" in page.inner_text("#approved-amount")
    application.refresh_from_db()
    assert application.status == Status.APPROVED and application.decision_number == "25/QĐ-SCT"


def test_national_fund_application_endorsed_and_approved_by_the_agency(transactional_db, units, live_server,
                                                                       session_for):
    world = build_world()
    tn = world.provinces[80]
    application = make_application(tn, national=True)
    to_under_appraisal(tn, application)
    score_all(application, tn.council, CouncilLevel.PROVINCIAL)

    page = session_for(tn.approver, f"/de-an/{application.pk}/")
    assert page.query_selector("[data-action=approve]") is None  # national funds: the province endorses
    click_action(page, "endorse")
    expect_status(page, "Đã đề xuất lên Cục")

    page = session_for(world.agency_officer, "/viec-can-lam/")
    page.click(f"#task-table a:has-text('{application.code}')")
    click_action(page, "start_national_appraisal")
    expect_status(page, "Cục đang thẩm định")

    council_scores(session_for, application, world.agency_council)

    page = session_for(world.agency_approver, f"/de-an/{application.pk}/")
    click_action(page, "approve")
    page.wait_for_selector("#transition-form")
    assert page.input_value("#id_approved_amount") == f"{application.requested_support:,}".replace(",", ".")
    page.fill("#id_approved_amount", "180000000")
    page.fill("#id_decision_number", "310/QĐ-CCN")
    page.click("#confirm-transition")
    expect_status(page, "Đã phê duyệt")
    application.refresh_from_db()
    assert application.status == Status.APPROVED and application.approved_amount == 180_000_000
