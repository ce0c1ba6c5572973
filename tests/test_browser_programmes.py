"""Issue 11 in headless Chromium: a province approver sets up a call with criteria, a cap
and a council; an officer drafts against it seeing the cap live; a commune officer's
proposal reaches the province."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from applications import services as app_services
from applications.choices import Status
from applications.models import Application, AppraisalCouncil
from programs.models import Call, SupportRule
from tests.factories import build_world, make_establishment, pdf_file
from tests.test_browser_workflow import browser, session_for  # noqa: F401 (fixtures)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = "/tmp/shots-11"


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_approver_sets_up_a_year_officer_sees_the_cap_commune_proposes(transactional_db, units, live_server,
                                                                       session_for):  # noqa: F811
    world = build_world((80, 79))
    tn = world.provinces[80]
    today = timezone.localdate()
    closes = today + timedelta(days=20)

    # 1. The approver finds the programme in the navigation and sets up a call with criteria.
    page = session_for(tn.approver, "/")
    page.click("nav a:has-text('Chương trình')")
    page.click(f"#programme-table a:has-text('{tn.local_programme.name}')")
    page.click("#call-create")
    page.fill("#id_name", "Đợt tiếp nhận máy móc thiết bị bổ sung")
    page.fill("#id_closes_on", closes.isoformat())
    page.fill("#id_pass_mark", "75")
    page.check("#activity_types-choices input[value=MMTB]")
    page.check("#required_documents-choices input[value=quotation]")
    page.fill("#id_criteria-0-name", "Tính cấp thiết")
    page.fill("#id_criteria-0-weight", "40")
    page.fill("#id_criteria-1-name", "Hiệu quả kinh tế")
    page.fill("#id_criteria-1-weight", "50")  # 90: refused with the reason
    page.click("#save-call")
    page.wait_for_selector("text=Tổng trọng số các tiêu chí phải bằng 100 (hiện là 90)")
    page.fill("#id_criteria-1-weight", "60")
    page.click("#save-call")
    page.wait_for_selector("#programme-calls:has-text('Đợt tiếp nhận máy móc thiết bị bổ sung')")
    call = Call.objects.get(name="Đợt tiếp nhận máy móc thiết bị bổ sung")
    assert [int(c.weight) for c in call.criteria.all()] == [40, 60]
    shot(page, "01-programme-page")

    # 2. A cap: a new version of the local machinery cap from today.
    page.goto(f"{live_server.url}/chuong-trinh/dinh-muc/")
    page.click("#rule-create")
    page.select_option("#id_fund_source", "local")
    page.select_option("#id_activity_type", "MMTB")
    page.fill("#id_max_percent", "50")
    page.fill("#id_max_amount", "175000000")
    page.fill("#id_valid_from", today.isoformat())
    page.fill("#id_legal_basis", "Nghị quyết 15/2026/NQ-HĐND tỉnh Tây Ninh")
    page.click("#save-rule")
    page.wait_for_selector("#rule-table:has-text('Nghị quyết 15/2026/NQ-HĐND')")
    assert SupportRule.objects.filter(province=tn.province, activity_type_id="MMTB", max_amount=175_000_000).exists()

    # 3. The council of the call: chair, secretary, member.
    page.goto(f"{live_server.url}/chuong-trinh/{tn.local_programme.pk}/")
    page.click(f"#call-{call.pk} a:has-text('Hội đồng thẩm định')")
    page.select_option("#id_provincial-chair", str(tn.council[0].pk))
    page.select_option("#id_provincial-secretary", str(tn.council[1].pk))
    page.check(f"#council-provincial input[name=provincial-members][value='{tn.council[2].pk}']")
    page.click("#council-provincial button[type=submit]")
    page.wait_for_selector("#council-provincial .council-members:has-text('Chủ tịch')")
    assert AppraisalCouncil.objects.get(call=call).members.count() == 3
    shot(page, "02-council")

    # 4. The officer drafts in the call and sees the cap as they type.
    est = make_establishment(tn, name="Cơ sở cơ khí Gò Dầu")
    page = session_for(tn.officer, f"/chuong-trinh/{tn.local_programme.pk}/")
    page.click(f"#call-{call.pk} a:has-text('Lập đề án trong đợt này')")
    page.wait_for_selector("#application-form")
    assert page.input_value("#id_call") == str(call.pk)
    page.wait_for_selector("#guidance:has-text('Báo giá máy móc, thiết bị')")  # the call's documents
    page.select_option("#id_activity_type", "MMTB")
    page.select_option("#id_establishments", str(est.pk))
    page.fill("#id_lines-0-item", "Máy tiện CNC")
    page.fill("#id_lines-0-quantity", "1")
    page.fill("#id_lines-0-unit", "bộ")
    page.fill("#id_lines-0-unit_cost", "300000000")
    page.wait_for_selector("#cap-amount:has-text('150.000.000')")  # 50 % of 300.000.000
    page.fill("#id_lines-0-unit_cost", "400000000")
    page.wait_for_selector("#cap-amount:has-text('175.000.000')")  # the amount cap now binds
    page.fill("#id_requested_support", "300000000")
    page.wait_for_selector("#cap-warning:has-text('vượt mức tối đa 175.000.000')")
    shot(page, "03-form-cap-live")
    page.fill("#id_requested_support", "175000000")
    page.wait_for_selector("#guidance:not(:has(#cap-warning))")

    # 5. A commune officer proposes for provincial funds, for an establishment of their commune.
    local_est = make_establishment(tn, name="Hộ sản xuất bánh tráng Trảng Bàng")
    page = session_for(tn.commune_officer, "/de-an/moi/")
    page.select_option("#id_programme", str(tn.local_programme.pk))
    page.select_option("#id_call", str(tn.local_call.pk))
    page.select_option("#id_activity_type", "MMTB")
    page.select_option("#id_implementing_organisation", str(tn.centre.pk))
    page.select_option("#id_establishments", str(local_est.pk))
    page.fill("#id_title", "Hỗ trợ máy tráng bánh tự động")
    page.fill("#id_requested_support", "120000000")
    page.fill("#id_counterpart_funds", "130000000")
    page.fill("#id_lines-0-item", "Máy tráng bánh")
    page.fill("#id_lines-0-quantity", "1")
    page.fill("#id_lines-0-unit", "bộ")
    page.fill("#id_lines-0-unit_cost", "250000000")
    page.wait_for_selector("#cap-amount:has-text('125.000.000')")
    page.click("#save-application")
    page.wait_for_selector("#status-badge:has-text('Nháp')")
    proposal = Application.objects.get(title="Hỗ trợ máy tráng bánh tự động")
    assert proposal.fund_source == "local" and proposal.created_by == tn.commune_officer
    for kind in ("request_letter", "scheme_document", "beneficiary_request"):
        app_services.attachment_add(user=tn.commune_officer, application_id=proposal.pk, kind=kind,
                                    uploaded_file=pdf_file(f"{kind}.pdf"))
    page.reload()
    page.click("[data-action=submit] .btn:not([disabled])")
    page.wait_for_selector("#status-badge:has-text('Đã nộp')")
    assert Application.objects.get(pk=proposal.pk).status == Status.SUBMITTED

    # The province officer finds it among their tasks and takes it on.
    page = session_for(tn.officer, "/viec-can-lam/")
    page.click(f"#task-table a:has-text('{proposal.code}')")
    page.click("[data-action=start_appraisal] .btn:not([disabled])")
    page.wait_for_selector("#status-badge:has-text('Đang thẩm định')")
    shot(page, "04-province-takes-proposal")
