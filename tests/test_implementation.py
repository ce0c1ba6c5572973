"""After the decision, at the service level: contracts and the start of implementation,
advances and payments, progress reports, inspections, change requests, completion,
acceptance and settlement — each allowed and refused (state, role, other province, bad
input) — the full life of a local and a national scheme, and concurrent disbursements."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from applications import selectors, services
from applications.api.serializers.implementation import ChangeRequestInputSerializer, ContractInputSerializer
from applications.choices import AttachmentKind, ChangeStatus, Status
from applications.forms import ContractForm
from applications.ledger import budget_position, ledger
from applications.models import Acceptance, Application, ChangeRequest, Disbursement, Settlement
from khuyencong.errors import DomainConflict
from khuyencong.templatetags.kc import format_vnd
from programs.choices import FundSource
from programs.models import ActivityType, BudgetAllocation
from programs.services import support_rule_create
from provinces.choices import Role
from provinces.models import Province
from provinces.services import member_add
from tests.factories import (
    _superuser,
    accept_implementation,
    approve_local,
    approve_national,
    build_world,
    complete_implementation,
    implement,
    make_application,
    make_establishment,
    pdf_file,
)
from tests.test_concurrency import run_in_threads

TODAY = timezone.localdate
APPROVED = 200_000_000  # make_application: requested 200 million of a 500 million scheme


@pytest.fixture
def w(db):
    """Tây Ninh (80) with its staff and an HCM officer (another tenant), plus an auditor."""
    world = build_world((80,))
    world.setup = world.provinces[80]
    world.hcm_officer, *_ = member_add(username="hcm_officer", role=Role.PROVINCE_OFFICER,
                                       province=Province.objects.get(code=79), email="hcm@example.test")
    world.auditor, *_ = member_add(username="p80_auditor", role=Role.AUDITOR, province=world.setup.province,
                                   email="aud@example.test")
    return world


def fresh(application) -> Application:
    return Application.objects.get(pk=application.pk)


def approved_app(w, *, national=False, **kwargs) -> Application:
    application = make_application(w.setup, national=national, **kwargs)
    if national:
        approve_national(w, w.setup, application)
    else:
        approve_local(w.setup, application)
    return fresh(application)


def running_app(w, *, national=False, **kwargs) -> Application:
    application = approved_app(w, national=national, **kwargs)
    implement(w.setup, application)
    return fresh(application)


def pay(user, application, amount, kind="payment", **extra):
    data = {"paid_on": TODAY(), "reference": f"UNC-{amount}", **extra}
    return services.disbursement_add(user=user, application_id=application.pk, kind=kind, amount=amount, **data)


def report_progress(user, application, percent=40):
    return services.progress_report_add(user=user, application_id=application.pk,
                                        period_start=TODAY() - timedelta(days=30), period_end=TODAY(),
                                        percent_done=percent, narrative="Đã nhận máy, đang lắp đặt")


def contract_data(application, **extra):
    return {"number": "12/2026/HĐ-KC", "signed_on": TODAY(), "beneficiary": application.establishments.first(),
            "value": APPROVED, **extra}


def unchanged(application):
    stored = fresh(application)
    return stored.status, stored.version, stored.events.count()


# --- Contracts and the start of implementation ---------------------------------------------------


def test_contract_is_recorded_by_province_staff_of_an_approved_or_running_scheme(w):
    application = approved_app(w)
    for user in (w.setup.officer, w.setup.approver):
        contract = services.contract_add(user=user, application_id=application.pk, **contract_data(application))
        assert contract.implementing_organisation_id == application.implementing_organisation_id
        assert contract.created_by == user
    event = application.events.filter(action="contract_add").last()
    assert event.payload["value"] == APPROVED and event.actor == w.setup.approver
    implement(w.setup, application)
    services.contract_add(user=w.setup.officer, application_id=application.pk,
                          **contract_data(application, number="13/HĐ", documents=[pdf_file("hd.pdf")]))
    contract = application.contracts.get(number="13/HĐ")
    assert [a.kind for a in contract.documents.all()] == [AttachmentKind.CONTRACT]
    assert application.contracts.count() == 4  # two, the one that started it, one more


def test_contract_is_refused_in_the_wrong_state_role_or_province_and_for_bad_input(w):
    setup = w.setup
    draft = make_application(setup)
    with pytest.raises(DomainConflict):
        services.contract_add(user=setup.officer, application_id=draft.pk, **contract_data(draft))
    application = approved_app(w)
    for user in (setup.commune_officer, setup.council[0], w.agency_officer, w.agency_approver, w.auditor):
        with pytest.raises(PermissionDenied):
            services.contract_add(user=user, application_id=application.pk, **contract_data(application))
    with pytest.raises(Application.DoesNotExist):
        services.contract_add(user=w.hcm_officer, application_id=application.pk, **contract_data(application))
    stranger = make_establishment(setup)  # not a beneficiary of this scheme
    with pytest.raises(ValidationError) as caught:
        services.contract_add(user=setup.officer, application_id=application.pk, number=" ",
                              signed_on=TODAY() + timedelta(days=1), beneficiary=stranger, value=0)
    assert set(caught.value.message_dict) == {"number", "signed_on", "beneficiary", "value"}
    # Untyped input stops where it is shaped: the serializer and the form refuse it field by field.
    raw = {"number": "12/2026/HĐ-KC", "signed_on": "31/12/2026", "value": "nhiều",
           "beneficiary": application.establishments.first().pk}
    serializer = ContractInputSerializer(data=raw)
    assert not serializer.is_valid() and set(serializer.errors) == {"signed_on", "value"}
    form = ContractForm(data=raw, application=application)
    assert not form.is_valid() and {"signed_on", "value"} <= set(form.errors)
    assert not application.contracts.exists() and not application.events.filter(action="contract_add").exists()


def test_implementation_starts_with_its_contracts_in_one_transaction(w):
    setup = w.setup
    application = approved_app(w)
    before = unchanged(application)
    # Without a contract: neither the service nor the plain transition starts it.
    with pytest.raises(DomainConflict) as caught:
        services.implementation_start(user=setup.officer, application_id=application.pk, contracts=[])
    assert any("hợp đồng" in r for r in caught.value.reasons)
    with pytest.raises(DomainConflict):
        services.application_transition(user=setup.officer, application_id=application.pk,
                                        action="start_implementation")
    # One bad contract among two: nothing is recorded, the state is unchanged.
    with pytest.raises(ValidationError) as caught:
        services.implementation_start(user=setup.officer, application_id=application.pk,
                                      contracts=[contract_data(application), contract_data(application, value=-5)])
    assert caught.value.message_dict["contracts"][0].startswith("#2")
    with pytest.raises(ValidationError):
        services.implementation_start(user=setup.officer, application_id=application.pk, contracts=["12/HĐ"])
    assert unchanged(application) == before and not application.contracts.exists()
    with pytest.raises(PermissionDenied):
        services.implementation_start(user=setup.commune_officer, application_id=application.pk,
                                      contracts=[contract_data(application)])
    with pytest.raises(Application.DoesNotExist):
        services.implementation_start(user=w.hcm_officer, application_id=application.pk,
                                      contracts=[contract_data(application)])
    result = services.implementation_start(user=setup.officer, application_id=application.pk,
                                           contracts=[contract_data(application)])
    assert result.status == Status.IN_PROGRESS and result.version == before[1] + 1
    assert list(fresh(application).events.order_by("pk").values_list("action", flat=True))[-2:] == [
        "contract_add", "start_implementation"]
    with pytest.raises(DomainConflict):  # already started
        services.implementation_start(user=setup.officer, application_id=application.pk,
                                      contracts=[contract_data(application)])


# --- Disbursements ----------------------------------------------------------------------------------


def test_first_advance_is_limited_to_the_activity_types_share(w):
    setup = w.setup
    application = running_app(w)  # MMTB: 70 %
    assert application.activity_type.first_advance_percent == 70
    before = unchanged(application)
    with pytest.raises(DomainConflict) as caught:
        pay(setup.officer, application, 140_000_001, kind="advance")
    assert any("70%" in r and format_vnd(140_000_000) in r for r in caught.value.reasons)
    assert unchanged(application) == before
    advance = pay(setup.officer, application, 140_000_000, kind="advance")
    assert advance.kind == "advance" and advance.created_by == setup.officer
    # After the first progress report the share no longer applies, only the approved amount.
    report_progress(setup.officer, application)
    pay(setup.officer, application, 60_000_000, kind="advance")
    event = fresh(application).events.filter(action="disbursement_add").last()
    assert event.payload["disbursed_total"] == APPROVED


def test_first_advance_share_for_cluster_infrastructure_is_30_percent_and_configurable(w):
    setup = w.setup
    support_rule_create(user=_superuser(), fund_source=FundSource.LOCAL, province=setup.province,
                        activity_type_id="LIEN_KET_CCN", max_percent=Decimal("50"), max_amount=500_000_000,
                        valid_from=date(2025, 7, 1))
    setup.local_call.activity_types.add("LIEN_KET_CCN")
    application = running_app(w, activity_type="LIEN_KET_CCN")
    with pytest.raises(DomainConflict) as caught:
        pay(setup.officer, application, 60_000_001, kind="advance")
    assert any("30%" in r and format_vnd(60_000_000) in r for r in caught.value.reasons)
    ActivityType.objects.filter(code="LIEN_KET_CCN").update(first_advance_percent=40)
    pay(setup.officer, application, 80_000_000, kind="advance")


def test_first_advance_share_caps_the_total_however_it_is_split(w):
    """The attack: 1 ₫ then 199.999.999 ₫ (or a plain payment) paid everything on day one."""
    setup = w.setup
    application = running_app(w)  # MMTB: 70 % of 200 million = 140 million before the first milestone
    pay(setup.officer, application, 1, kind="advance")
    for kind in ("advance", "payment"):
        with pytest.raises(DomainConflict) as caught:
            pay(setup.officer, application, APPROVED - 1, kind=kind)
        assert any("70%" in r and format_vnd(140_000_000) in r and format_vnd(139_999_999) in r
                   for r in caught.value.reasons), caught.value.reasons
    pay(setup.officer, application, 100_000_000, kind="payment")
    pay(setup.officer, application, 39_999_999, kind="advance")
    with pytest.raises(DomainConflict):
        pay(setup.officer, application, 1)
    assert services.disbursed_total(application) == 140_000_000
    assert selectors.first_advance_limit(fresh(application)) == 140_000_000
    assert selectors.payable_now(fresh(application)).available == 0
    report_progress(setup.officer, application)  # the first milestone: the rest may be paid
    assert selectors.first_advance_limit(fresh(application)) is None
    assert selectors.payable_now(fresh(application)).available == 60_000_000
    pay(setup.officer, application, 60_000_000)


def test_without_a_progress_report_the_rest_is_paid_after_acceptance(w):
    setup = w.setup
    application = running_app(w)
    pay(setup.officer, application, 140_000_000, kind="advance")
    complete_implementation(setup, application)
    with pytest.raises(DomainConflict):
        pay(setup.officer, application, 1)
    accept_implementation(setup, application)
    pay(setup.officer, application, 60_000_000)


def schedule_app(w, schedule, *, value=APPROVED):
    application = approved_app(w)
    services.implementation_start(user=w.setup.officer, application_id=application.pk,
                                  contracts=[contract_data(application, value=value, payment_schedule=schedule)])
    return fresh(application)


def test_payments_follow_the_contracts_payment_schedule(w):
    setup = w.setup
    application = schedule_app(w, [
        {"milestone": "signing", "percent": 30},
        {"milestone": "progress_report", "report": 1, "percent": 30},
        {"milestone": "progress_report", "report": 2, "amount": 20_000_000},
        {"milestone": "acceptance", "percent": 20},
    ])
    assert fresh(application).contracts.get().payment_schedule[1] == {"milestone": "progress_report", "report": 1,
                                                                    "percent": 30}
    with pytest.raises(DomainConflict) as caught:
        pay(setup.officer, application, 60_000_001, kind="advance")
    assert any(format_vnd(60_000_000) in r and "lịch thanh toán" in r for r in caught.value.reasons)
    pay(setup.officer, application, 30_000_000, kind="advance")
    pay(setup.officer, application, 30_000_000)
    report_progress(setup.officer, application)  # instalment 2 due: 120 million
    with pytest.raises(DomainConflict):
        pay(setup.officer, application, 60_000_001)
    pay(setup.officer, application, 60_000_000)
    report_progress(setup.officer, application, percent=80)  # instalment 3: 140 million
    assert selectors.payable_now(fresh(application)).available == 20_000_000
    pay(setup.officer, application, 20_000_000)
    complete_implementation(setup, application)
    with pytest.raises(DomainConflict):
        pay(setup.officer, application, 1)
    accept_implementation(setup, application)  # the last instalment: 180 million of the 200 approved
    with pytest.raises(DomainConflict):
        pay(setup.officer, application, 40_000_001)
    pay(setup.officer, application, 40_000_000)
    assert services.disbursed_total(application) == 180_000_000


def test_a_schedule_never_lifts_the_first_advance_share(w):
    setup = w.setup
    application = schedule_app(w, [{"milestone": "signing", "percent": 100}])
    with pytest.raises(DomainConflict) as caught:
        pay(setup.officer, application, 140_000_001, kind="advance")
    assert any("70%" in r for r in caught.value.reasons)
    pay(setup.officer, application, 140_000_000, kind="advance")


def test_payment_schedule_is_validated(w):
    setup = w.setup
    application = approved_app(w)
    bad = {
        "percents over 100": [{"milestone": "signing", "percent": 70}, {"milestone": "acceptance", "percent": 40}],
        "amounts over the approved amount": [{"milestone": "signing", "amount": 150_000_000},
                                             {"milestone": "acceptance", "amount": 60_000_000}],
        "unknown milestone": [{"milestone": "whenever", "percent": 10}],
        "both percent and amount": [{"milestone": "signing", "percent": 10, "amount": 5}],
        "neither": [{"milestone": "signing"}],
        "zero percent": [{"milestone": "signing", "percent": 0}],
    }
    for label, schedule in bad.items():
        with pytest.raises(ValidationError) as caught:
            services.contract_add(user=setup.officer, application_id=application.pk,
                                  **contract_data(application, payment_schedule=schedule))
        assert "payment_schedule" in caught.value.message_dict, label
    serializer = ContractInputSerializer(data={"payment_schedule": "30% on signing"})
    assert not serializer.is_valid() and "payment_schedule" in serializer.errors  # not a list
    with pytest.raises(ValidationError) as caught:
        services.implementation_start(user=setup.officer, application_id=application.pk, contracts=[
            contract_data(application, payment_schedule=bad["percents over 100"])])
    assert "100%" in " ".join(caught.value.message_dict["contracts"])
    assert application.contracts.count() == 0
    assert fresh(application).status == Status.APPROVED


def test_total_disbursed_never_exceeds_the_approved_amount(w):
    setup = w.setup
    application = running_app(w)
    pay(setup.officer, application, 140_000_000, kind="advance")
    report_progress(setup.officer, application)
    pay(setup.approver, application, 50_000_000)
    with pytest.raises(DomainConflict) as caught:
        pay(setup.officer, application, 10_000_001)
    assert any(format_vnd(10_000_000) in r for r in caught.value.reasons)  # what can still be paid
    pay(setup.officer, application, 10_000_000)
    with pytest.raises(DomainConflict):
        pay(setup.officer, application, 1)
    assert services.disbursed_total(application) == APPROVED


def test_disbursement_states_kinds_roles_and_inputs(w):
    setup = w.setup
    approved = approved_app(w)
    for kind in ("advance", "payment"):
        with pytest.raises(DomainConflict):
            pay(setup.officer, approved, 1_000_000, kind=kind)
    application = running_app(w)
    for kind in ("final", "refund"):
        with pytest.raises(ValidationError) as caught:
            pay(setup.officer, application, 1_000_000, kind=kind)
        assert "kind" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.disbursement_add(user=setup.officer, application_id=application.pk, kind="advance", amount=0,
                                  paid_on=TODAY() + timedelta(days=1), reference="  ")
    assert set(caught.value.message_dict) == {"amount", "paid_on", "reference"}
    for user in (setup.commune_officer, setup.council[0], w.agency_approver, w.auditor):
        with pytest.raises(PermissionDenied):
            pay(user, application, 1_000_000)
    with pytest.raises(Application.DoesNotExist):
        pay(w.hcm_officer, application, 1_000_000)
    services.application_transition(user=setup.approver, application_id=application.pk, action="suspend",
                                    reason="Cơ sở chưa giải phóng mặt bằng")
    with pytest.raises(DomainConflict):
        pay(setup.officer, application, 1_000_000)
    services.application_transition(user=setup.approver, application_id=application.pk, action="resume")
    pay(setup.officer, application, 100_000_000, kind="advance", documents=[pdf_file("unc.pdf")])
    report_progress(setup.officer, application)
    complete_implementation(setup, application)
    with pytest.raises(DomainConflict):  # no advance once the work is done
        pay(setup.officer, application, 1_000_000, kind="advance")
    payment = pay(setup.officer, application, 50_000_000)  # paying the work done is still possible
    accept_implementation(setup, application)
    pay(setup.officer, application, 10_000_000)
    assert Disbursement.objects.filter(application=application).count() == 3
    assert payment.documents.count() == 0
    assert fresh(application).attachments.filter(kind=AttachmentKind.VOUCHER).count() == 1


def test_documents_must_belong_to_the_application(w):
    setup = w.setup
    application, other = running_app(w), running_app(w)
    foreign = services.attachment_add(user=setup.officer, application_id=other.pk, kind=AttachmentKind.VOUCHER,
                                      uploaded_file=pdf_file())
    own = services.attachment_add(user=setup.officer, application_id=application.pk, kind=AttachmentKind.VOUCHER,
                                  uploaded_file=pdf_file())
    with pytest.raises(ValidationError) as caught:
        pay(setup.officer, application, 1_000_000, documents=[foreign.pk])
    assert str(foreign.pk) in caught.value.message_dict["documents"][0]
    assert pay(setup.officer, application, 1_000_000, documents=[own]).documents.get() == own


def test_post_decision_attachment_kinds(w):
    setup = w.setup
    submitted = make_application(setup)
    services.application_transition(user=setup.officer, application_id=submitted.pk, action="submit")
    with pytest.raises(DomainConflict):
        services.attachment_add(user=setup.officer, application_id=submitted.pk, kind=AttachmentKind.VOUCHER,
                                uploaded_file=pdf_file())
    application = running_app(w)
    for kind in (AttachmentKind.CONTRACT, AttachmentKind.VOUCHER, AttachmentKind.PROGRESS,
                 AttachmentKind.SETTLEMENT, AttachmentKind.OTHER):
        services.attachment_add(user=setup.officer, application_id=application.pk, kind=kind,
                                uploaded_file=pdf_file())
    with pytest.raises(DomainConflict):  # the dossier itself is frozen
        services.attachment_add(user=setup.officer, application_id=application.pk, kind=AttachmentKind.QUOTATION,
                                uploaded_file=pdf_file())


# --- Monitoring -----------------------------------------------------------------------------------------


def test_progress_reports(w):
    setup = w.setup
    approved = approved_app(w)
    report = {"period_start": TODAY() - timedelta(days=30), "period_end": TODAY(), "percent_done": 40,
              "narrative": "Đã nhận máy, đang lắp đặt"}
    with pytest.raises(DomainConflict):
        services.progress_report_add(user=setup.officer, application_id=approved.pk, **report)
    application = running_app(w)
    created = services.progress_report_add(user=setup.officer, application_id=application.pk,
                                           documents=[pdf_file("anh.pdf")], **report)
    assert created.percent_done == 40 and created.documents.get().kind == AttachmentKind.PROGRESS
    assert fresh(application).events.filter(action="progress_report_add").count() == 1
    with pytest.raises(ValidationError) as caught:
        services.progress_report_add(user=setup.officer, application_id=application.pk,
                                     period_start=TODAY(), period_end=TODAY() - timedelta(days=1),
                                     percent_done=101, narrative="")
    assert set(caught.value.message_dict) == {"period_end", "percent_done", "narrative"}
    with pytest.raises(PermissionDenied):
        services.progress_report_add(user=setup.commune_officer, application_id=application.pk, **report)
    with pytest.raises(Application.DoesNotExist):
        services.progress_report_add(user=w.hcm_officer, application_id=application.pk, **report)
    services.application_transition(user=setup.approver, application_id=application.pk, action="suspend",
                                    reason="Tạm dừng do mưa lũ")
    services.progress_report_add(user=setup.approver, application_id=application.pk, **report)
    services.application_transition(user=setup.approver, application_id=application.pk, action="resume")
    complete_implementation(setup, application)
    with pytest.raises(DomainConflict):
        services.progress_report_add(user=setup.officer, application_id=application.pk, **report)


def test_inspections(w):
    setup = w.setup
    visit = {"inspected_on": TODAY(), "inspectors": "Sở Công Thương, UBND xã", "findings": "Đúng tiến độ"}
    approved = approved_app(w)
    with pytest.raises(DomainConflict):
        services.inspection_add(user=setup.officer, application_id=approved.pk, **visit)
    application = running_app(w)
    services.inspection_add(user=setup.officer, application_id=application.pk, **visit)
    complete_implementation(setup, application)
    inspection = services.inspection_add(user=setup.approver, application_id=application.pk,
                                         documents=[pdf_file("bb.pdf")], **visit)
    assert inspection.documents.get().kind == AttachmentKind.INSPECTION
    with pytest.raises(ValidationError) as caught:
        services.inspection_add(user=setup.officer, application_id=application.pk,
                                inspected_on=TODAY() + timedelta(days=2), inspectors="", findings=" ")
    assert set(caught.value.message_dict) == {"inspected_on", "inspectors", "findings"}
    with pytest.raises(PermissionDenied):
        services.inspection_add(user=w.auditor, application_id=application.pk, **visit)
    with pytest.raises(Application.DoesNotExist):
        services.inspection_add(user=w.hcm_officer, application_id=application.pk, **visit)
    accept_implementation(setup, application)
    with pytest.raises(DomainConflict):
        services.inspection_add(user=setup.officer, application_id=application.pk, **visit)
    assert fresh(application).events.filter(action="inspection_add").count() == 2


# --- Change requests -------------------------------------------------------------------------------------


def change(user, application, kind, **extra):
    return services.change_request_create(user=user, application_id=application.pk, kind=kind,
                                          description="Điều chỉnh theo thực tế", **extra)


def decide(user, request, approve=True, note="Đồng ý"):
    return services.change_request_decide(user=user, change_request_id=request.pk, approve=approve, note=note)


def test_schedule_change_is_applied_with_before_and_after_in_the_event(w):
    setup = w.setup
    application = running_app(w)
    request = change(setup.officer, application, "schedule", new_end_date=date(2027, 6, 30))
    assert request.status == ChangeStatus.PENDING
    assert fresh(application).events.filter(action="change_request_create").get().payload["proposed"] == {
        "start_date": None, "end_date": "2027-06-30"}
    version = fresh(application).version
    decided = decide(setup.approver, request)
    assert decided.status == ChangeStatus.APPROVED and decided.decided_by == setup.approver
    stored = fresh(application)
    assert stored.end_date == date(2027, 6, 30) and stored.version == version + 1
    event = stored.events.filter(action="change_request_decide").get()
    assert event.payload["before"]["end_date"] is None and event.payload["after"]["end_date"] == "2027-06-30"
    with pytest.raises(DomainConflict):  # decided once
        decide(setup.approver, request)
    serializer = ChangeRequestInputSerializer(data={"kind": "schedule", "description": "Lùi hạn",
                                                     "new_start_date": "2027-09-01", "new_end_date": "sai"})
    assert not serializer.is_valid() and set(serializer.errors) == {"new_end_date"}
    with pytest.raises(DomainConflict):  # ends before it starts
        change(setup.officer, application, "schedule", new_start_date=date(2027, 9, 1))


def test_amount_increase_within_the_cap_raises_the_request_and_commits_more(w):
    setup = w.setup
    application = running_app(w)
    position = budget_position(programme_id=application.programme_id, province_id=80, year=application.year)
    request = change(setup.officer, application, "amount", new_approved_amount=240_000_000)
    decide(setup.approver, request)
    stored = fresh(application)
    assert (stored.approved_amount, stored.requested_support, stored.counterpart_funds) == (
        240_000_000, 240_000_000, 260_000_000)
    after = budget_position(programme_id=application.programme_id, province_id=80, year=application.year)
    assert after.committed == position.committed + 40_000_000
    # The cap (local MMTB: 50 % of 500 million = 250 million) refuses more.
    with pytest.raises(DomainConflict) as caught:
        change(setup.officer, application, "amount", new_approved_amount=260_000_000)
    assert any(format_vnd(250_000_000) in r for r in caught.value.reasons)


def test_amount_increase_over_the_remaining_allocation_is_refused_when_decided(w):
    setup = w.setup
    application = running_app(w)
    request = change(setup.officer, application, "amount", new_approved_amount=240_000_000)
    # Meanwhile the allocation is spent down to 10 million left.
    position = budget_position(programme_id=application.programme_id, province_id=80, year=application.year)
    BudgetAllocation.objects.filter(pk=position.allocation.pk).update(amount=position.committed + 10_000_000)
    before = unchanged(application)
    with pytest.raises(DomainConflict) as caught:
        decide(setup.approver, request)
    assert any("còn lại" in r and format_vnd(10_000_000) in r for r in caught.value.reasons)
    assert ChangeRequest.objects.get(pk=request.pk).status == ChangeStatus.PENDING
    assert unchanged(application) == before and fresh(application).approved_amount == APPROVED
    decide(setup.approver, request, approve=False, note="Không còn kinh phí")
    assert ChangeRequest.objects.get(pk=request.pk).status == ChangeStatus.REFUSED
    assert fresh(application).approved_amount == APPROVED


def test_amount_decrease_may_not_go_below_what_was_paid(w):
    setup = w.setup
    application = running_app(w)
    pay(setup.officer, application, 140_000_000, kind="advance")
    report_progress(setup.officer, application)
    with pytest.raises(DomainConflict) as caught:
        change(setup.officer, application, "amount", new_approved_amount=130_000_000)
    assert any(format_vnd(140_000_000) in r for r in caught.value.reasons)
    request = change(setup.officer, application, "amount", new_approved_amount=150_000_000)
    pay(setup.officer, application, 20_000_000)  # 160 million paid by the time it is decided
    with pytest.raises(DomainConflict):
        decide(setup.approver, request)
    assert fresh(application).approved_amount == APPROVED
    request = change(setup.officer, application, "amount", new_approved_amount=170_000_000)
    decide(setup.approver, request)
    stored = fresh(application)
    assert (stored.approved_amount, stored.requested_support) == (170_000_000, APPROVED)
    with pytest.raises(DomainConflict):  # total disbursed now capped by the lower amount
        pay(setup.officer, application, 10_000_001)


def test_cost_lines_change_replaces_the_lines_and_recomputes_the_money(w):
    setup = w.setup
    application = running_app(w)
    lines = [{"item": "Máy sấy", "quantity": Decimal("1"), "unit": "bộ", "unit_cost": 420_000_000},
             {"item": "Lắp đặt", "quantity": Decimal("2"), "unit": "công", "unit_cost": 15_000_000}]
    request = change(setup.officer, application, "cost_lines", new_cost_lines=lines)
    decide(setup.approver, request)
    stored = fresh(application)
    assert stored.total_cost == 450_000_000 and stored.counterpart_funds == 250_000_000
    assert [(line.item, line.amount) for line in stored.cost_lines.order_by("position")] == [
        ("Máy sấy", 420_000_000), ("Lắp đặt", 30_000_000)]
    event = stored.events.filter(action="change_request_decide").get()
    assert event.payload["before"]["total_cost"] == 500_000_000 and event.payload["after"]["total_cost"] == 450_000_000
    with pytest.raises(DomainConflict):  # below the support: the counterpart would be negative
        change(setup.officer, application, "cost_lines",
               new_cost_lines=[{"item": "Máy", "quantity": Decimal("1"), "unit": "bộ", "unit_cost": 150_000_000}])
    with pytest.raises(ValidationError) as caught:
        change(setup.officer, application, "cost_lines", new_cost_lines=[
            {"item": "Máy", "quantity": Decimal("1"), "unit": "bộ", "unit_cost": 1_000, "amount": 999}])
    assert "new_cost_lines" in caught.value.message_dict


def test_change_requests_refused_for_wrong_state_role_province_and_input(w):
    setup = w.setup
    draft = make_application(setup)
    with pytest.raises(DomainConflict):
        change(setup.officer, draft, "schedule", new_end_date=date(2027, 1, 1))
    application = running_app(w)
    with pytest.raises(ValidationError):
        change(setup.officer, application, "scope", new_end_date=date(2027, 1, 1))
    with pytest.raises(ValidationError) as caught:
        services.change_request_create(user=setup.officer, application_id=application.pk, kind="amount",
                                       description="")
    assert set(caught.value.message_dict) == {"description", "new_approved_amount"}
    with pytest.raises(ValidationError):
        change(setup.officer, application, "schedule")
    with pytest.raises(PermissionDenied):
        change(setup.commune_officer, application, "schedule", new_end_date=date(2027, 1, 1))
    with pytest.raises(Application.DoesNotExist):
        change(w.hcm_officer, application, "schedule", new_end_date=date(2027, 1, 1))
    request = change(setup.officer, application, "schedule", new_end_date=date(2027, 1, 1))
    for user in (setup.officer, w.agency_approver, w.auditor):
        with pytest.raises(PermissionDenied):
            decide(user, request)
    with pytest.raises(ChangeRequest.DoesNotExist):
        decide(w.hcm_officer, request)
    with pytest.raises(ValidationError):
        decide(setup.approver, request, approve=False, note=" ")
    complete_implementation(setup, application)
    with pytest.raises(DomainConflict):  # too late to adjust
        decide(setup.approver, request)


def test_national_changes_are_decided_by_the_agency(w):
    setup = w.setup
    application = running_app(w, national=True)
    request = change(setup.officer, application, "amount", new_approved_amount=150_000_000)
    with pytest.raises(PermissionDenied):
        decide(setup.approver, request)
    decide(w.agency_approver, request)
    assert fresh(application).approved_amount == 150_000_000


# --- Completion, acceptance, settlement -------------------------------------------------------------------


def test_completion_needs_the_completion_report(w):
    setup = w.setup
    application = running_app(w)
    with pytest.raises(ValidationError) as caught:
        services.application_complete(user=setup.officer, application_id=application.pk)
    assert "report_file" in caught.value.message_dict
    with pytest.raises(DomainConflict) as caught:
        services.application_transition(user=setup.officer, application_id=application.pk, action="complete")
    assert any("báo cáo hoàn thành" in r for r in caught.value.reasons)
    with pytest.raises(PermissionDenied):
        services.application_complete(user=setup.commune_officer, application_id=application.pk,
                                      report_file=pdf_file())
    with pytest.raises(Application.DoesNotExist):
        services.application_complete(user=w.hcm_officer, application_id=application.pk, report_file=pdf_file())
    assert not fresh(application).attachments.filter(kind=AttachmentKind.COMPLETION_REPORT).exists()
    result = services.application_complete(user=setup.officer, application_id=application.pk,
                                           report_file=pdf_file(), narrative="Hoàn thành lắp đặt")
    assert result.status == Status.COMPLETED
    assert fresh(application).events.get(action="complete").reason == "Hoàn thành lắp đặt"
    approved = approved_app(w)
    with pytest.raises(DomainConflict):
        services.application_complete(user=setup.officer, application_id=approved.pk, report_file=pdf_file())


def test_acceptance_failed_then_passed_replaces_the_record(w):
    setup = w.setup
    application = running_app(w)
    record = {"accepted_on": TODAY(), "committee_members": "Sở Công Thương; UBND xã",
              "minutes_file": pdf_file("bb.pdf")}
    with pytest.raises(DomainConflict):  # not completed yet
        services.acceptance_record(user=setup.approver, application_id=application.pk, result="passed", **record)
    complete_implementation(setup, application)
    with pytest.raises(DomainConflict):  # plain accept without a record
        services.application_transition(user=setup.approver, application_id=application.pk, action="accept")
    with pytest.raises(PermissionDenied):
        services.acceptance_record(user=setup.officer, application_id=application.pk, result="passed", **record)
    with pytest.raises(Application.DoesNotExist):
        services.acceptance_record(user=w.hcm_officer, application_id=application.pk, result="passed", **record)
    with pytest.raises(ValidationError) as caught:
        services.acceptance_record(user=setup.approver, application_id=application.pk, accepted_on=None,
                                   committee_members="", result="passed_with_conditions", achieved_jobs=-1)
    assert set(caught.value.message_dict) == {"accepted_on", "committee_members", "conditions", "achieved_jobs",
                                              "minutes_file"}
    failed = services.acceptance_record(user=setup.approver, application_id=application.pk, result="failed",
                                        **record)
    assert failed.result == "failed" and fresh(application).status == Status.COMPLETED
    with pytest.raises(DomainConflict) as caught:
        services.application_transition(user=setup.approver, application_id=application.pk, action="accept")
    assert any("Không đạt" in r for r in caught.value.reasons)
    # The second acceptance uses the minutes already attached.
    passed = services.acceptance_record(user=setup.approver, application_id=application.pk,
                                        accepted_on=TODAY(), committee_members="Hội đồng nghiệm thu lần 2",
                                        result="passed_with_conditions", conditions="Bổ sung hồ sơ bảo hành",
                                        achieved_jobs=15, achieved_trainees=3)
    assert passed.pk == failed.pk and Acceptance.objects.filter(application=application).count() == 1
    stored = fresh(application)
    assert stored.status == Status.ACCEPTED
    events = list(stored.events.filter(action="acceptance_record").order_by("pk"))
    assert [e.payload["result"] for e in events] == ["failed", "passed_with_conditions"]
    assert events[1].payload["replaced"]["result"] == "failed"
    assert stored.events.filter(action="accept").count() == 1


def test_settlement_rules(w):
    setup = w.setup
    application = running_app(w)
    pay(setup.officer, application, 140_000_000, kind="advance")
    settle = {"decision_number": "88/QĐ-STC", "decision_date": TODAY()}
    with pytest.raises(DomainConflict):  # not accepted yet
        services.application_settle(user=setup.approver, application_id=application.pk, settled_amount=1, **settle)
    complete_implementation(setup, application)
    accept_implementation(setup, application)
    with pytest.raises(DomainConflict):  # plain settle without a settlement
        services.application_transition(user=setup.approver, application_id=application.pk, action="settle",
                                        **settle)
    for user in (setup.officer, w.agency_approver):
        with pytest.raises(PermissionDenied):
            services.application_settle(user=user, application_id=application.pk, settled_amount=1, **settle)
    with pytest.raises(Application.DoesNotExist):
        services.application_settle(user=w.hcm_officer, application_id=application.pk, settled_amount=1, **settle)
    with pytest.raises(ValidationError) as caught:
        services.application_settle(user=setup.approver, application_id=application.pk, settled_amount=-1,
                                    decision_number="", decision_date=None, final_payment_amount=5)
    assert set(caught.value.message_dict) == {"settled_amount", "decision_number", "decision_date",
                                              "final_payment_reference"}
    before = unchanged(application)
    cases = [
        (150_000_000, 0, "vượt số đã chi"),  # more than paid
        (130_000_000, 0, "thu hồi"),  # less than paid: the overpayment must be recovered first
        (200_000_000, 70_000_000, "vượt kinh phí được phê duyệt"),  # final payment over the approved amount
        (210_000_000, 60_000_000, "vượt kinh phí được phê duyệt"),  # settled over approved
    ]
    for settled, final, words in cases:
        with pytest.raises(DomainConflict) as caught:
            services.application_settle(user=setup.approver, application_id=application.pk, settled_amount=settled,
                                        final_payment_amount=final, final_payment_reference="UNC-9", **settle)
        assert any(words in r for r in caught.value.reasons), caught.value.reasons
    assert unchanged(application) == before and not Disbursement.objects.filter(kind="final").exists()
    result = services.application_settle(user=setup.approver, application_id=application.pk,
                                         settled_amount=185_000_000, final_payment_amount=45_000_000,
                                         final_payment_reference="UNC-9", **settle)
    assert result.status == Status.SETTLED
    settlement = Settlement.objects.get(application=application)
    assert settlement.final_payment.kind == "final" and settlement.final_payment.amount == 45_000_000
    stored = fresh(application)
    assert stored.decision_number == "123/QĐ-SCT"  # the approval decision is kept
    assert stored.events.get(action="settle").payload["decision_number"] == "88/QĐ-STC"
    assert stored.events.get(action="settlement_record").payload["released"] == 15_000_000
    with pytest.raises(DomainConflict):
        pay(setup.officer, application, 1)


# --- The full life, local and national --------------------------------------------------------------------


@pytest.mark.parametrize("national", [False, True], ids=["local", "national"])
def test_full_life_from_draft_to_settled(w, national):
    setup = w.setup
    boss = w.agency_approver if national else setup.approver
    application = make_application(setup, national=national)
    key = {"programme_id": application.programme_id, "province_id": 80, "year": application.year}

    def row():
        return budget_position(**key)

    allocated = row().allocated
    assert row().committed == 0
    if national:
        approve_national(w, setup, application)
    else:
        approve_local(setup, application)
    assert row().committed == APPROVED
    implement(setup, application)
    pay(setup.officer, application, 140_000_000, kind="advance")
    services.progress_report_add(user=setup.officer, application_id=application.pk,
                                 period_start=TODAY() - timedelta(days=10), period_end=TODAY(), percent_done=60,
                                 narrative="Đã lắp đặt 60 %")
    services.inspection_add(user=setup.approver, application_id=application.pk, inspected_on=TODAY(),
                            inspectors="Phòng Kinh tế", findings="Đúng thiết kế")
    request = change(setup.officer, application, "schedule", new_end_date=TODAY() + timedelta(days=60))
    decide(boss, request)
    complete_implementation(setup, application)
    pay(setup.officer, application, 30_000_000)
    accept_implementation(setup, application)
    assert row().committed == APPROVED
    services.application_settle(user=boss, application_id=application.pk, settled_amount=190_000_000,
                                decision_number="9/QĐ-QT", decision_date=TODAY(), final_payment_amount=20_000_000,
                                final_payment_reference="UNC-3")
    stored = fresh(application)
    assert stored.status == Status.SETTLED
    assert row().committed == 190_000_000 and row().remaining == allocated - 190_000_000
    ledger_row = next(r for r in ledger(province=80, programme=application.programme_id)["rows"])
    assert (ledger_row["committed"], ledger_row["disbursed"], ledger_row["settled"], ledger_row["released"]) == (
        190_000_000, 190_000_000, 190_000_000, 10_000_000)
    transitions = [e.to_status for e in stored.events.exclude(to_status="").order_by("pk")]
    path = [Status.DRAFT, Status.SUBMITTED, Status.UNDER_APPRAISAL]
    if national:
        path += [Status.ENDORSED, Status.UNDER_NATIONAL_APPRAISAL]
    path += [Status.APPROVED, Status.IN_PROGRESS, Status.COMPLETED, Status.ACCEPTED, Status.SETTLED]
    assert transitions == path
    actions = set(stored.events.values_list("action", flat=True))
    assert {"contract_add", "disbursement_add", "progress_report_add", "inspection_add", "change_request_create",
            "change_request_decide", "acceptance_record", "settlement_record"} <= actions


# --- Concurrency ----------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_disbursements_never_exceed_the_approved_amount(units):
    world = build_world((80,))
    setup = world.provinces[80]
    application = make_application(setup)
    approve_local(setup, application)
    implement(setup, application)
    report_progress(setup.officer, application)  # past the first milestone: only the approved amount limits
    officer_id, approver_id = setup.officer.pk, setup.approver.pk
    threads, amount = 12, 30_000_000  # 360 million asked for, 200 million approved: 6 fit

    def disburse(i):
        user = get_user_model().objects.get(pk=officer_id if i % 2 else approver_id)
        return services.disbursement_add(user=user, application_id=application.pk, kind="payment", amount=amount,
                                         paid_on=timezone.localdate(), reference=f"UNC-{i}").pk

    results, elapsed = run_in_threads(threads, disburse)
    ok = [value for kind, value in results if kind == "ok"]
    refused = [value for kind, value in results if kind == "error"]
    print(f"\n{threads} parallel payments of {format_vnd(amount)} against {format_vnd(APPROVED)}: "
          f"{len(ok)} paid, {len(refused)} refused, {elapsed:.2f} s")
    assert len(ok) == APPROVED // amount
    assert all(isinstance(exc, DomainConflict) for exc in refused), refused
    assert services.disbursed_total(application) == len(ok) * amount <= APPROVED
    assert Application.objects.get(pk=application.pk).events.filter(action="disbursement_add").count() == len(ok)

    # Racing first advances: exactly one is the first (limited to 70 %), the rest are
    # ordinary advances limited by what is left.
    second = make_application(setup, establishments=list(application.establishments.all()))
    approve_local(setup, second)
    implement(setup, second)

    def advance(i):
        user = get_user_model().objects.get(pk=officer_id)
        return services.disbursement_add(user=user, application_id=second.pk, kind="advance", amount=120_000_000,
                                         paid_on=timezone.localdate(), reference=f"TU-{i}").pk

    results, _elapsed = run_in_threads(6, advance)
    assert sorted(kind for kind, _value in results) == ["error"] * 5 + ["ok"]
    assert services.disbursed_total(second) == 120_000_000

    # Racing small advances before the first milestone: their TOTAL stays within the 70 % share.
    third = make_application(setup, establishments=list(application.establishments.all()))
    approve_local(setup, third)
    implement(setup, third)

    def split(i):
        user = get_user_model().objects.get(pk=officer_id if i % 2 else approver_id)
        return services.disbursement_add(user=user, application_id=third.pk, kind="advance" if i % 3 else "payment",
                                         amount=30_000_000, paid_on=timezone.localdate(), reference=f"TU3-{i}").pk

    results, _elapsed = run_in_threads(8, split)
    assert sorted(kind for kind, _value in results) == ["error"] * 4 + ["ok"] * 4  # 4 × 30 ≤ 140 < 5 × 30
    assert services.disbursed_total(third) == 120_000_000
