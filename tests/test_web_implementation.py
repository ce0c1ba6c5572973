"""The pages after the decision, through Django's test client: the application page's
sections (contract, payments, progress, inspections, adjustments, acceptance,
settlement), the record forms and the steps that record something first (start,
completion, acceptance, settlement) — own province 200, another province 404, bad input
shown on the form with nothing saved — and the budget page, whose numbers are the
ledger's."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from applications import services
from applications.choices import Status
from applications.ledger import ledger
from applications.models import Acceptance, Application, ChangeRequest, Contract, Disbursement, Settlement
from khuyencong.templatetags.kc import format_vnd
from tests.factories import (
    PDF_BYTES,
    accept_implementation,
    approve_local,
    build_world,
    complete_implementation,
    implement,
    make_application,
)

pytestmark = pytest.mark.django_db

TN, HCM = 80, 79
TODAY = timezone.localdate


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def tn(world):
    return world.provinces[TN]


@pytest.fixture
def hcm(world):
    return world.provinces[HCM]


def fresh(application):
    return Application.objects.get(pk=application.pk)


def approved(setup):
    application = make_application(setup)
    approve_local(setup, application)
    return fresh(application)


def running(setup):
    application = approved(setup)
    implement(setup, application)
    return fresh(application)


def login(client, user):
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def record_url(application, record):
    return reverse("applications:record", args=[application.pk, record])


def step_url(application, action):
    return reverse("applications:transition", args=[application.pk, action])


def test_application_page_shows_the_implementation_sections_once_approved(client, tn):
    draft = make_application(tn)
    login(client, tn.officer)
    page = text(client.get(reverse("applications:application_detail", args=[draft.pk])))
    assert 'id="thanh-toan"' not in page
    application = running(tn)
    services.disbursement_add(user=tn.officer, application_id=application.pk, kind="advance", amount=50_000_000,
                              paid_on=TODAY(), reference="TU-01")
    page = text(client.get(reverse("applications:application_detail", args=[application.pk])))
    for title in ("Hợp đồng", "Thanh toán", "Tiến độ", "Kiểm tra", "Điều chỉnh", "Nghiệm thu", "Quyết toán"):
        assert f">{title}<" in page or f">{title} <" in page, title
    assert "01/2026/HĐ-KC" in page
    assert "TU-01" in page and format_vnd(50_000_000) in page
    assert 'id="add-disbursement"' in page and 'id="add-progress"' in page


def test_record_pages_answer_for_own_province_and_404_for_another(client, tn, hcm):
    application = running(tn)
    login(client, tn.officer)
    for record in ("hop-dong", "thanh-toan", "tien-do", "kiem-tra", "dieu-chinh"):
        assert client.get(record_url(application, record)).status_code == 200, record
    assert client.get(record_url(application, "khong-co")).status_code == 404
    # A council member of the province sees the application but records nothing.
    login(client, tn.council[0])
    assert client.get(record_url(application, "thanh-toan")).status_code == 403
    response = client.post(record_url(application, "thanh-toan"), {
        "kind": "advance", "amount": "1000000", "paid_on": TODAY().isoformat(), "reference": "TU"})
    assert response.status_code == 403
    login(client, hcm.officer)
    for record in ("hop-dong", "thanh-toan", "tien-do", "kiem-tra", "dieu-chinh"):
        assert client.get(record_url(application, record)).status_code == 404
        assert client.post(record_url(application, record), {}).status_code == 404
    for action in ("complete", "suspend"):
        assert client.get(step_url(application, action)).status_code == 404
    assert client.get(reverse("applications:application_detail", args=[application.pk])).status_code == 404
    assert not Disbursement.objects.filter(application=application).exists()


def test_payment_form_says_what_is_wrong_and_saves_nothing(client, tn):
    application = running(tn)
    login(client, tn.officer)
    response = client.post(record_url(application, "thanh-toan"), {"kind": "advance", "amount": "", "paid_on": "",
                                                                   "reference": ""})
    assert response.status_code == 400
    page = text(response)
    for message in ("Cần nhập số tiền (đồng).", "Cần nhập ngày.", "Cần số chứng từ."):
        assert message in page
    # Over the first-advance share: a conflict with the rule and the limit, the input kept.
    response = client.post(record_url(application, "thanh-toan"), {
        "kind": "advance", "amount": "150000000", "paid_on": TODAY().isoformat(), "reference": "TU-9"})
    assert response.status_code == 409
    assert "tạm ứng tối đa 70% kinh phí được phê duyệt" in text(response)
    assert "tối đa 140.000.000 ₫" in text(response)
    assert 'value="TU-9"' in text(response)
    assert not Disbursement.objects.filter(application=application).exists()
    response = client.post(record_url(application, "thanh-toan"), {
        "kind": "advance", "amount": "140000000", "paid_on": TODAY().isoformat(), "reference": "TU-9"})
    assert response.status_code == 302 and response["Location"].endswith("#thanh-toan")
    assert Disbursement.objects.get(application=application).amount == 140_000_000


def test_progress_inspection_and_contract_forms(client, tn):
    application = running(tn)
    login(client, tn.officer)
    response = client.post(record_url(application, "tien-do"), {"percent_done": "120", "narrative": ""})
    assert response.status_code == 400
    assert "Khối lượng hoàn thành từ 0 đến 100 %." in text(response)
    assert "Cần nội dung báo cáo." in text(response)
    response = client.post(record_url(application, "tien-do"), {
        "period_start": TODAY().isoformat(), "period_end": TODAY().isoformat(), "percent_done": "50",
        "narrative": "Đã lắp đặt một nửa", "document": SimpleUploadedFile("anh.pdf", PDF_BYTES, "application/pdf")})
    assert response.status_code == 302
    assert application.progress_reports.get().documents.count() == 1
    future = (TODAY() + timedelta(days=5)).isoformat()
    response = client.post(record_url(application, "kiem-tra"), {"inspected_on": future})
    assert response.status_code == 400
    assert "Ngày không được ở tương lai." in text(response) and "Cần kết quả kiểm tra." in text(response)
    response = client.post(record_url(application, "hop-dong"), {"number": "", "value": "-5"})
    assert response.status_code == 400
    assert "Cần số hợp đồng." in text(response) and "Chọn cơ sở thụ hưởng." in text(response)
    assert Contract.objects.filter(application=application).count() == 1
    assert not application.inspections.exists()


def test_start_implementation_page_collects_the_contract(client, tn):
    application = approved(tn)
    login(client, tn.officer)
    page = text(client.get(reverse("applications:application_detail", args=[application.pk])))
    assert step_url(application, "start_implementation") in page
    response = client.post(step_url(application, "start_implementation"), {"number": "", "signed_on": ""})
    assert response.status_code == 400
    assert "Cần số hợp đồng." in text(response) and "Cần nhập ngày." in text(response)
    assert fresh(application).status == Status.APPROVED and not application.contracts.exists()
    response = client.post(step_url(application, "start_implementation"), {
        "number": "05/2026/HĐ-KC", "signed_on": TODAY().isoformat(),
        "beneficiary": application.establishments.first().pk, "value": "200000000"})
    assert response.status_code == 302
    assert fresh(application).status == Status.IN_PROGRESS
    assert application.contracts.get().number == "05/2026/HĐ-KC"


def test_start_implementation_form_records_the_payment_schedule_and_the_page_shows_what_is_payable(client, tn):
    application = approved(tn)
    login(client, tn.officer)
    contract = {"number": "06/2026/HĐ-KC", "signed_on": TODAY().isoformat(),
                "beneficiary": application.establishments.first().pk, "value": "200000000"}
    response = client.post(step_url(application, "start_implementation"), {
        **contract, "schedule_signing": "60", "schedule_acceptance": "50"})
    assert response.status_code == 400
    assert "Tổng tỷ lệ các đợt 110% vượt 100% giá trị hợp đồng." in text(response)
    assert fresh(application).status == Status.APPROVED
    response = client.post(step_url(application, "start_implementation"), {
        **contract, "schedule_signing": "25", "schedule_report_1": "45", "schedule_acceptance": "30"})
    assert response.status_code == 302
    assert fresh(application).contracts.get().payment_schedule == [
        {"milestone": "signing", "percent": 25}, {"milestone": "progress_report", "report": 1, "percent": 45},
        {"milestone": "acceptance", "percent": 30}]
    page = text(client.get(reverse("applications:application_detail", args=[application.pk])))
    assert "Lịch thanh toán:" in page and "Sau báo cáo tiến độ số 1" in page and format_vnd(90_000_000) in page
    payable = re.search(r'id="payable-now">([^<]*)<', page).group(1)
    assert payable == format_vnd(50_000_000)  # 25 % of the contract on signing
    response = client.post(record_url(application, "thanh-toan"), {
        "kind": "advance", "amount": "50000001", "paid_on": TODAY().isoformat(), "reference": "TU-6"})
    assert response.status_code == 409
    assert "lịch thanh toán của hợp đồng" in text(response)
    assert not Disbursement.objects.filter(application=application).exists()


def test_completion_acceptance_and_settlement_pages(client, tn):
    application = running(tn)
    services.disbursement_add(user=tn.officer, application_id=application.pk, kind="advance", amount=100_000_000,
                              paid_on=TODAY(), reference="TU-1")
    login(client, tn.officer)
    response = client.post(step_url(application, "complete"), {"narrative": "Xong"})
    assert response.status_code == 400 and "Cần tải lên báo cáo hoàn thành." in text(response)
    assert fresh(application).status == Status.IN_PROGRESS
    response = client.post(step_url(application, "complete"), {
        "narrative": "Xong", "report_file": SimpleUploadedFile("bc.pdf", PDF_BYTES, "application/pdf")})
    assert response.status_code == 302 and fresh(application).status == Status.COMPLETED

    login(client, tn.approver)
    response = client.post(step_url(application, "accept"), {"result": "passed_with_conditions",
                                                              "accepted_on": TODAY().isoformat()})
    assert response.status_code == 400
    page = text(response)
    for message in ("Cần thành phần hội đồng nghiệm thu.", "Ghi các điều kiện kèm theo.", "Cần biên bản nghiệm thu."):
        assert message in page
    assert not Acceptance.objects.filter(application=application).exists()
    response = client.post(step_url(application, "accept"), {
        "result": "passed", "accepted_on": TODAY().isoformat(), "committee_members": "Sở Công Thương",
        "achieved_jobs": "10", "minutes_file": SimpleUploadedFile("bb.pdf", PDF_BYTES, "application/pdf")})
    assert response.status_code == 302 and fresh(application).status == Status.ACCEPTED

    response = client.post(step_url(application, "settle"), {
        "settled_amount": "300000000", "decision_number": "", "decision_date": TODAY().isoformat()})
    assert response.status_code == 400 and "Cần số quyết định quyết toán." in text(response)
    response = client.post(step_url(application, "settle"), {
        "settled_amount": "300000000", "final_payment_amount": "200000000", "final_payment_reference": "UNC",
        "decision_number": "3/QĐ-QT", "decision_date": TODAY().isoformat()})
    assert response.status_code == 409
    assert "vượt kinh phí được phê duyệt" in text(response)
    assert not Settlement.objects.filter(application=application).exists()
    assert Disbursement.objects.filter(application=application).count() == 1
    response = client.post(step_url(application, "settle"), {
        "settled_amount": "180000000", "final_payment_amount": "80000000", "final_payment_reference": "UNC-QT",
        "decision_number": "3/QĐ-QT", "decision_date": TODAY().isoformat()})
    assert response.status_code == 302
    page = text(client.get(reverse("applications:application_detail", args=[application.pk])))
    assert "Đã quyết toán" in page and format_vnd(180_000_000) in page
    assert format_vnd(20_000_000) in page  # released back to the allocation


def test_change_requests_are_decided_by_the_approver_from_the_page(client, tn):
    application = running(tn)
    login(client, tn.officer)
    response = client.post(record_url(application, "dieu-chinh"), {"kind": "schedule", "description": ""})
    assert response.status_code == 400
    assert "Cần nội dung và lý do điều chỉnh." in text(response)
    assert "Nhập ngày bắt đầu mới và/hoặc ngày kết thúc mới." in text(response)
    new_end = TODAY() + timedelta(days=365)
    assert client.post(record_url(application, "dieu-chinh"), {
        "kind": "schedule", "description": "Thiết bị nhập khẩu về chậm",
        "new_end_date": new_end.isoformat()}).status_code == 302
    change = ChangeRequest.objects.get(application=application)
    page = text(client.get(reverse("applications:application_detail", args=[application.pk])))
    assert "change-decision" not in page  # the officer does not decide
    login(client, tn.approver)
    page = text(client.get(reverse("applications:application_detail", args=[application.pk])))
    assert reverse("applications:change_decision", args=[application.pk, change.pk]) in page
    url = reverse("applications:change_decision", args=[application.pk, change.pk])
    response = client.post(url, {"approve": "0", "note": ""}, follow=True)
    assert "Cần ghi lý do không chấp thuận." in text(response)
    assert ChangeRequest.objects.get(pk=change.pk).status == "pending"
    client.post(url, {"approve": "1", "note": "Đồng ý"})
    assert ChangeRequest.objects.get(pk=change.pk).status == "approved"
    assert fresh(application).end_date == new_end


def _money_cells(page: str) -> list[tuple]:
    """(programme, province, year, {column: text}) of every ledger row on the page."""
    rows = []
    for match in re.finditer(r'<tr class="ledger-row" data-programme="(\d+)" data-province="(\d+)" '
                             r'data-year="(\d+)">(.*?)</tr>', page, re.S):
        cells = dict(re.findall(r'data-col="(\w+)">([^<]*)<', match.group(4)))
        rows.append(((int(match.group(1)), int(match.group(2)), int(match.group(3))), cells))
    return rows


def _settle(setup, application):
    services.disbursement_add(user=setup.officer, application_id=application.pk, kind="advance",
                              amount=60_000_000, paid_on=TODAY(), reference="TU")
    complete_implementation(setup, application)
    accept_implementation(setup, application)
    services.application_settle(user=setup.approver, application_id=application.pk, settled_amount=150_000_000,
                                final_payment_amount=90_000_000, final_payment_reference="UNC-QT",
                                decision_number="1/QĐ-QT", decision_date=TODAY())


def test_budget_page_numbers_equal_the_ledger(client, world, tn, hcm):
    _settle(tn, running(tn))
    running(tn)
    _settle(hcm, running(hcm))
    for user, provinces in ((tn.officer, {TN}), (world.agency_officer, {TN, HCM})):
        login(client, user)
        response = client.get(reverse("applications:budget"))
        assert response.status_code == 200
        page = text(response)
        expected = ledger(user=user)
        shown = _money_cells(page)
        assert {key[1] for key, _cells in shown} == provinces
        assert len(shown) == len(expected["rows"])
        for row in expected["rows"]:
            cells = dict(shown)[(row["programme_id"], row["province_id"], row["year"])]
            for column in ("allocated", "committed", "disbursed", "settled", "released", "remaining"):
                assert cells[column] == format_vnd(row[column]), (column, row)
        totals = re.search(r'id="ledger-totals">(.*?)</tr>', page, re.S).group(1)
        assert dict(re.findall(r'data-col="(\w+)">([^<]*)<', totals))["settled"] == format_vnd(
            expected["totals"]["settled"])
    page = text(client.get(reverse("applications:budget")))
    assert "Tổng cả nước" in page
    # Filters: the local programme of Tây Ninh only; a fund source; a bad year is ignored with its error.
    only = text(client.get(reverse("applications:budget"), {"programme": tn.local_programme.pk}))
    assert {key[0] for key, _c in _money_cells(only)} == {tn.local_programme.pk}
    national = text(client.get(reverse("applications:budget"), {"fund_source": "national"}))
    assert {key[0] for key, _c in _money_cells(national)} == {world.national_programme.pk}
    assert client.get(reverse("applications:budget"), {"year": "abc"}).status_code == 200


def test_budget_nav_item_and_no_other_provinces_figures(client, tn, hcm):
    _settle(hcm, running(hcm))
    login(client, tn.officer)
    page = text(client.get(reverse("applications:budget")))
    assert reverse("applications:budget") in page
    assert hcm.province.name not in page
    assert format_vnd(150_000_000) not in page
