"""The workflow of an application (đề án) at the service level: every transition of
``workflow.TRANSITIONS`` allowed and refused, its inputs and guards, the event it
writes, eligibility at submission, time in stage and the e-mails that follow."""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from applications import guards, selectors, services, workflow
from applications.api.serializers.dossier import TransitionSerializer
from applications.choices import CouncilLevel, Status
from applications.ledger import budget_position
from applications.models import Application, AppraisalCouncil, CouncilSeat
from applications.workflow import COMMITTED_STATES
from khuyencong.errors import DomainConflict
from khuyencong.scoping import scope_for
from khuyencong.templatetags.kc import format_vnd
from programs.choices import FundSource
from programs.models import BudgetAllocation, BudgetAllocationEntry, Call, SupportRule
from programs.services import support_rule_create
from provinces.choices import Role
from provinces.models import Commune
from provinces.services import member_add
from tests.factories import build_world, make_application, make_establishment, pdf_file, score_all

TODAY = timezone.localdate
LOCAL, NATIONAL = FundSource.LOCAL, FundSource.NATIONAL
DOMAIN_ERRORS = (DomainConflict, PermissionDenied, ValidationError, Application.DoesNotExist)


# --- The cast and a way to bring an application to any state ------------------------------------


@dataclass
class Cast:
    world: object
    setup: object  # Tây Ninh (80), where the applications live
    other: object  # TP HCM (79), another tenant
    auditor: object
    by_role: dict = field(default_factory=dict)
    # (fund source, state) -> id of an application in that state; appraisal states fully scored.
    gallery: dict = field(default_factory=dict)


@pytest.fixture(scope="module")
def module_cast(django_db_setup, django_db_blocker):
    """The world is built once per module inside an outer transaction; every test runs
    in a savepoint within it (pytest-django's own atomic) and the module rolls it all back."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = build_world((80, 79))
            setup, other = world.provinces[80], world.provinces[79]
            auditor, *_ = member_add(username="p80_auditor", role=Role.AUDITOR, province=setup.province,
                                     email="p80_auditor@example.test")
            cast = Cast(world=world, setup=setup, other=other, auditor=auditor, by_role={
                Role.PROVINCE_OFFICER: setup.officer,
                Role.PROVINCE_APPROVER: setup.approver,
                Role.COUNCIL_MEMBER: setup.council[0],
                Role.COMMUNE_OFFICER: setup.commune_officer,
                Role.AGENCY_OFFICER: world.agency_officer,
                Role.AGENCY_APPROVER: world.agency_approver,
                Role.AUDITOR: auditor,
            })
            for fund in (LOCAL, NATIONAL):
                for state in states_for(fund):
                    application = bring_to(cast, state, fund)
                    if application.appraisal_level == CouncilLevel.PROVINCIAL:
                        ensure_scored(application, setup.council)
                    elif application.appraisal_level == CouncilLevel.NATIONAL:
                        ensure_scored(application, world.agency_council)
                    for action, transition in workflow.TRANSITIONS.items():
                        if transition.step_for(state, fund):
                            record_prerequisites(cast, application, action)
                    cast.gallery[(fund, state)] = application.pk
            yield cast
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def cast(module_cast, db):
    for setup in module_cast.world.provinces.values():
        for obj in (setup.local_call, setup.national_call, setup.local_programme):
            obj.refresh_from_db()
    return module_cast


def inputs_for(action: str, application=None) -> dict:
    """Complete, valid inputs for ``action``."""
    transition = workflow.TRANSITIONS[action]
    kwargs = {}
    if transition.requires_reason:
        kwargs["reason"] = "Hồ sơ cần bổ sung báo giá thiết bị"
    if transition.requires_decision:
        kwargs["decision_number"] = "45/QĐ-SCT"
        kwargs["decision_date"] = TODAY()
    if transition.requires_amount:
        kwargs["approved_amount"] = application.requested_support if application else 150_000_000
    return kwargs


def act(user, application, action, **extra):
    kwargs = {**inputs_for(action, application), **extra}
    return services.application_transition(user=user, application_id=application.pk, action=action, **kwargs)


def ensure_scored(application, members, score=8):
    """Every member who has not yet declared declares no conflict and scores every criterion."""
    level = application.appraisal_level
    for member in members:
        if not application.conflict_declarations.filter(level=level, user=member).exists():
            services.conflict_declare(user=member, application_id=application.pk, has_conflict=False)
        services.scores_submit(user=member, application_id=application.pk,
                               scores={c.pk: {"score": score} for c in application.call.criteria.all()})


def _path(state: str, national: bool) -> list:
    """Actions (and who takes them) from draft to ``state``."""
    appraised = [("submit", "officer"), ("start_appraisal", "officer"), ("score", "council")]
    if national:
        approved = appraised + [("endorse", "approver"), ("start_national_appraisal", "agency_officer"),
                                ("score", "agency_council"), ("approve", "agency_approver")]
    else:
        approved = appraised + [("approve", "approver")]
    boss = "agency_approver" if national else "approver"
    in_progress = approved + [("start_implementation", "officer")]
    completed = in_progress + [("complete", "officer")]
    paths = {
        Status.DRAFT: [],
        Status.SUBMITTED: [("submit", "officer")],
        Status.RETURNED: [("submit", "officer"), ("return", "officer")],
        Status.UNDER_APPRAISAL: appraised[:2],
        Status.ENDORSED: appraised + [("endorse", "approver")],
        Status.UNDER_NATIONAL_APPRAISAL: appraised + [("endorse", "approver"),
                                                      ("start_national_appraisal", "agency_officer")],
        Status.APPROVED: approved,
        Status.REJECTED: appraised + [("reject", "approver")],
        Status.IN_PROGRESS: in_progress,
        Status.SUSPENDED: in_progress + [("suspend", boss)],
        Status.COMPLETED: completed,
        Status.ACCEPTED: completed + [("accept", "approver")],
        Status.SETTLED: completed + [("accept", "approver"), ("settle", boss)],
        Status.CANCELLED: [("cancel", "officer")],
    }
    return paths[state]


def guard_names(action: str) -> set:
    """The names of the guard callables of ``action`` in the transition table."""
    return {guard.__name__ for guard in workflow.TRANSITIONS[action].guards}


def record_prerequisites(cast: Cast, application, action: str) -> None:
    """Record what the post-decision guards of ``action`` need (a contract, a completion
    report, a passed acceptance, a settlement), so the transition table itself is under
    test here; tests/test_implementation.py records them through their own services."""
    from applications.models import Acceptance, Settlement
    from tests.factories import pdf_file as _pdf

    application = Application.objects.get(pk=application.pk)
    guards = guard_names(action)
    if "contract_recorded" in guards and not application.contracts.exists():
        services.contract_add(user=cast.setup.officer, application_id=application.pk, number="01/HĐ",
                              signed_on=TODAY(), beneficiary=application.establishments.first(),
                              value=application.approved_amount)
    if "completion_report" in guards and not application.attachments.filter(kind="completion_report").exists():
        services.attachment_add(user=cast.setup.officer, application_id=application.pk, kind="completion_report",
                                uploaded_file=_pdf("bao-cao.pdf"))
    if "acceptance_passed" in guards and not Acceptance.objects.filter(application=application).exists():
        Acceptance.objects.create(application=application, accepted_on=TODAY(), committee_members="Hội đồng",
                                  result="passed", created_by=cast.setup.approver)
    if "settlement_recorded" in guards and not Settlement.objects.filter(application=application).exists():
        Settlement.objects.create(application=application, settled_amount=0, decision_number="9/QĐ-QT",
                                  decision_date=TODAY(), created_by=cast.setup.approver)


def bring_to(cast: Cast, state: str, fund: str) -> Application:
    """A fresh application taken to ``state`` through the real transitions."""
    national = fund == NATIONAL
    setup, world = cast.setup, cast.world
    actors = {"officer": setup.officer, "approver": setup.approver, "agency_officer": world.agency_officer,
              "agency_approver": world.agency_approver}
    application = make_application(setup, national=national)
    for action, who in _path(state, national):
        if action == "score":
            members = setup.council if who == "council" else world.agency_council
            ensure_scored(Application.objects.get(pk=application.pk), members)
            continue
        record_prerequisites(cast, application, action)
        act(actors[who], application, action)
    application = Application.objects.get(pk=application.pk)
    assert application.status == state
    return application


def prepare_for(cast: Cast, application, action: str) -> Application:
    """Satisfy the action's appraisal guard (the council of the current level scores)."""
    if "appraisal_passed" in guard_names(action) and application.appraisal_level:
        national = application.appraisal_level == CouncilLevel.NATIONAL
        ensure_scored(application, cast.world.agency_council if national else cast.setup.council)
    return Application.objects.get(pk=application.pk)


def states_for(fund: str) -> list:
    national_only = {Status.ENDORSED, Status.UNDER_NATIONAL_APPRAISAL}
    return [s for s in Status.values if fund == NATIONAL or s not in national_only]


def snapshot(application):
    application = Application.objects.get(pk=application.pk)
    return application.status, application.version, application.events.count()


# --- 1. Every transition, allowed ---------------------------------------------------------------------


@pytest.mark.parametrize("action", workflow.ACTIONS)
def test_each_step_of_the_transition_is_allowed_to_each_of_its_roles(cast, action):
    """For every (from-state, fund source, role) the table allows, the action succeeds,
    moves the application to the target, bumps the version and writes exactly one event.
    Each attempt runs in a savepoint on the shared gallery and is rolled back."""
    transition = workflow.TRANSITIONS[action]
    tried = 0
    for step in transition.steps:
        for fund in sorted(step.fund_sources):
            for state in sorted(step.sources):
                for role in sorted(step.roles):
                    with transaction.atomic():
                        _try_allowed(cast, transition, fund, state, role)
                        transaction.set_rollback(True)
                    tried += 1
    assert tried >= 1


def _try_allowed(cast, transition, fund, state, role):
    application = Application.objects.get(pk=cast.gallery[(fund, state)])
    user = cast.by_role[role]
    action = transition.action
    events_before = set(application.events.values_list("pk", flat=True))
    kwargs = inputs_for(action, application)
    result = services.application_transition(user=user, application_id=application.pk, action=action,
                                             expected_version=application.version, **kwargs)
    assert result.status == transition.target, (action, fund, state, role)
    stored = Application.objects.get(pk=application.pk)
    assert stored.status == transition.target
    assert stored.version == application.version + 1
    assert stored.status_changed_at > application.status_changed_at
    new_events = list(stored.events.exclude(pk__in=events_before))
    assert len(new_events) == 1, (action, fund, state, role)
    event = new_events[0]
    assert (event.action, event.from_status, event.to_status, event.actor_id) == (
        action, state, transition.target, user.pk)
    assert event.reason == kwargs.get("reason", "")
    if transition.requires_amount:
        assert event.payload["approved_amount"] == kwargs["approved_amount"]
        assert stored.approved_amount == kwargs["approved_amount"]
    if transition.requires_decision:
        assert event.payload["decision_number"] == "45/QĐ-SCT"
        assert event.payload["decision_date"] == TODAY().isoformat()


# --- 1. Every transition, refused ---------------------------------------------------------------------


def test_every_transition_is_refused_in_the_wrong_state_role_or_province(cast):
    """One gallery of applications in every state of both fund sources; every action is
    tried from every state by the right and the wrong people. Refusals change nothing."""
    gallery = {key: Application.objects.get(pk=pk) for key, pk in cast.gallery.items()}
    before = {key: snapshot(app) for key, app in gallery.items()}
    outsiders = [cast.other.officer, cast.other.approver, cast.other.commune_officer]
    failures = []

    def expect(exc_type, user, app, action, label):
        try:
            act(user, app, action)
        except exc_type:
            return
        except Exception as exc:  # noqa: BLE001 - report what was raised instead
            failures.append(f"{label}: {action} by {user.username} on {app.fund_source}/{app.status} raised "
                            f"{type(exc).__name__}: {exc}, expected {exc_type.__name__}")
            return
        failures.append(f"{label}: {action} by {user.username} on {app.fund_source}/{app.status} succeeded")

    for action, transition in workflow.TRANSITIONS.items():
        natural_actor = cast.by_role[sorted(transition.steps[0].roles)[0]]
        for (fund, state), app in gallery.items():
            step = transition.step_for(state, fund)
            if step is None:
                # The state is checked before the role: even the usual actor meets a conflict.
                expect(DomainConflict, natural_actor, app, action, "wrong state")
                continue
            for role, user in cast.by_role.items():
                if role not in step.roles:
                    expect(PermissionDenied, user, app, action, "wrong role")
            for user in outsiders:
                expect(Application.DoesNotExist, user, app, action, "other province")
    assert not failures, "\n".join(failures)
    assert {key: snapshot(app) for key, app in gallery.items()} == before


def test_every_status_has_its_facts_and_preview_follows_the_table(cast):
    """The per-state table covers every status, and ``preview`` (what the API, the buttons
    and the task list show) offers exactly the actions the transition table allows."""
    assert set(workflow.STATES) == set(Status.values)
    assert workflow.COMMITTED_STATES == {Status.APPROVED, Status.IN_PROGRESS, Status.SUSPENDED, Status.COMPLETED,
                                         Status.ACCEPTED, Status.SETTLED}
    for (fund, state), pk in cast.gallery.items():
        application = Application.objects.get(pk=pk)
        for role, user in cast.by_role.items():
            items = workflow.preview(application, user)
            assert [i.action for i in items if i.allowed] == workflow.allowed_actions(scope_for(user), application)
            for item in items:
                assert item.transition.step_for(state, fund) is not None, (fund, state, item.action)
                assert item.allowed != bool(item.reasons), (fund, state, role, item.action)


def test_visible_to_with_an_action_follows_the_permissions(cast):
    """``visible_to(user, action)`` filters what ``applications.permissions`` decides one
    object at a time: edit (write the dossier), record (after the decision), decide."""
    from applications import permissions
    from applications.models import Attachment

    users = [*cast.by_role.values(), cast.other.officer, cast.other.approver]
    checks = {
        "edit": lambda user, app: permissions.write_application(user, app.province_id, list(app.establishments.all())),
        "record": permissions.record,
        "decide": permissions.decide,
    }
    for (fund, state), pk in cast.gallery.items():
        application = Application.objects.get(pk=pk)
        for user in users:
            seen = Application.objects.visible_to(user).filter(pk=pk).exists()
            for action, check in checks.items():
                expected = seen and bool(check(user, application))
                got = Application.objects.visible_to(user, action=action).filter(pk=pk).exists()
                assert got == expected, (fund, state, user.username, action)
                files = Attachment.objects.visible_to(user, action=action).filter(application=application)
                assert files.count() == (application.attachments.count() if expected else 0)
    with pytest.raises(ValueError):
        Application.objects.visible_to(cast.setup.officer, action="delete")


def test_auditor_is_read_only(cast):
    application = make_application(cast.setup)
    auditor = cast.auditor
    assert Application.objects.visible_to(auditor).filter(pk=application.pk).exists()
    assert workflow.allowed_actions(scope_for(auditor), application) == []
    with pytest.raises(PermissionDenied):
        act(auditor, application, "submit")
    with pytest.raises(PermissionDenied):
        act(auditor, application, "cancel")
    with pytest.raises(PermissionDenied):
        services.application_update(user=auditor, application_id=application.pk, data={"title": "Sửa"})
    with pytest.raises(PermissionDenied):
        services.attachment_add(user=auditor, application_id=application.pk, kind="other",
                                uploaded_file=pdf_file())
    with pytest.raises(PermissionDenied):
        services.establishment_create(user=auditor, data={
            "name": "Cơ sở dệt thổ cẩm", "legal_form": "household", "tax_code": "0312345678",
            "representative": "Lê Văn Tám", "province": cast.setup.province,
            "commune": cast.setup.province.communes.first(), "address": "Ấp 1", "industry": "Dệt"})
    assert snapshot(application) == (Status.DRAFT, 1, application.events.count())


def test_an_agency_auditor_sees_every_province_but_acts_nowhere(cast):
    auditor, *_ = member_add(username="cuc_auditor", role=Role.AUDITOR, email="cuc_auditor@example.test")
    hcm_application = make_application(cast.other)
    assert Application.objects.visible_to(auditor).filter(pk=hcm_application.pk).exists()
    for key in ((LOCAL, Status.DRAFT), (LOCAL, Status.UNDER_APPRAISAL), (NATIONAL, Status.UNDER_NATIONAL_APPRAISAL)):
        application = Application.objects.get(pk=cast.gallery[key])
        for action, transition in workflow.TRANSITIONS.items():
            if transition.step_for(application.status, application.fund_source):
                with pytest.raises(PermissionDenied):
                    act(auditor, application, action)
    with pytest.raises(PermissionDenied):
        act(auditor, hcm_application, "submit")


def test_appraisal_cannot_start_without_a_council(cast):
    application = Application.objects.get(pk=cast.gallery[(LOCAL, Status.SUBMITTED)])
    # Only a test removes a council (its history of seats first): the portal never does.
    CouncilSeat.objects.filter(council__call=cast.setup.local_call).delete()
    AppraisalCouncil.objects.filter(call=cast.setup.local_call).delete()
    with pytest.raises(DomainConflict) as caught:
        act(cast.setup.officer, application, "start_appraisal")
    assert any("hội đồng" in r for r in caught.value.reasons)
    assert Application.objects.get(pk=application.pk).status == Status.SUBMITTED


@pytest.mark.parametrize("action", ["return", "reject", "cancel", "suspend"])
@pytest.mark.parametrize("reason", ["", "   ", None])
def test_reason_is_required(cast, action, reason):
    state = {"return": Status.SUBMITTED, "reject": Status.UNDER_APPRAISAL, "cancel": Status.SUBMITTED,
             "suspend": Status.IN_PROGRESS}[action]
    application = Application.objects.get(pk=cast.gallery[(LOCAL, state)])
    before = snapshot(application)
    with pytest.raises(ValidationError) as caught:
        act(cast.setup.approver, application, action, reason=reason)
    assert "reason" in caught.value.message_dict
    assert snapshot(application) == before


@pytest.fixture
def appraised(cast):
    """A local application whose appraisal is finished and passed (average 80/100)."""
    return _appraised(cast)


def _appraised(cast, national=False, **kwargs):
    application = make_application(cast.setup, national=national, **kwargs)
    act(cast.setup.officer, application, "submit")
    act(cast.setup.officer, application, "start_appraisal")
    score_all(application, cast.setup.council, CouncilLevel.PROVINCIAL)
    return Application.objects.get(pk=application.pk)


def test_approve_needs_decision_number_date_and_amount(cast, appraised):
    with pytest.raises(ValidationError) as caught:
        services.application_transition(user=cast.setup.approver, application_id=appraised.pk, action="approve")
    assert {"decision_number", "decision_date", "approved_amount"} <= set(caught.value.message_dict)
    with pytest.raises(ValidationError) as caught:
        act(cast.setup.approver, appraised, "approve", decision_date=TODAY() + timedelta(days=1))
    assert "decision_date" in caught.value.message_dict
    serializer = TransitionSerializer(data={"action": "approve", "decision_date": "27/11/2026"})
    assert not serializer.is_valid() and "decision_date" in serializer.errors
    assert snapshot(appraised)[:2] == (Status.UNDER_APPRAISAL, appraised.version)


def test_approved_amount_may_not_exceed_the_requested_support(cast, appraised):
    with pytest.raises(ValidationError) as caught:
        act(cast.setup.approver, appraised, "approve", approved_amount=appraised.requested_support + 1)
    assert "approved_amount" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        act(cast.setup.approver, appraised, "approve", approved_amount=0)
    assert "approved_amount" in caught.value.message_dict
    assert Application.objects.get(pk=appraised.pk).status == Status.UNDER_APPRAISAL


def test_approved_amount_is_checked_against_the_cap_valid_on_the_decision_date(cast, appraised):
    # The dossier was submitted a month ago; while it was appraised, the People's Council
    # lowered the local cap.
    Application.objects.filter(pk=appraised.pk).update(submitted_at=timezone.now() - timedelta(days=30))
    lowered_on = TODAY() - timedelta(days=5)
    support_rule_create(user=cast.setup.approver, fund_source=LOCAL, province=cast.setup.province,
                        activity_type_id="MMTB", max_amount=150_000_000, valid_from=lowered_on)
    with pytest.raises(ValidationError) as caught:
        act(cast.setup.approver, appraised, "approve", approved_amount=180_000_000, decision_date=TODAY())
    messages = caught.value.message_dict["approved_amount"]
    assert any(format_vnd(150_000_000) in m for m in messages), messages
    # A decision dated before the new cap took effect is judged by the old one (300 million, 50 %).
    approved = act(cast.setup.approver, appraised, "approve", approved_amount=180_000_000,
                   decision_date=lowered_on - timedelta(days=1))
    assert approved.status == Status.APPROVED and approved.approved_amount == 180_000_000


def test_a_decision_date_cannot_precede_submission_nor_leave_the_plan_year(cast, appraised, settings):
    """Backdated decisions (attack run): a dossier submitted today cannot be approved by a
    decision dated before it, nor one outside the plan year's window, nor in the future;
    the date picks the support rule, so a backdated one could choose an older cap."""
    submitted = timezone.localtime(appraised.submitted_at).date()
    for day in (submitted - timedelta(days=1), date(2025, 7, 1), TODAY() + timedelta(days=1)):
        with pytest.raises(ValidationError) as caught:
            act(cast.setup.approver, appraised, "approve", decision_date=day)
        assert "decision_date" in caught.value.message_dict, day
    assert snapshot(appraised)[:2] == (Status.UNDER_APPRAISAL, appraised.version)
    # A dossier of a plan year long past (submitted then): the window is that year's.
    Application.objects.filter(pk=appraised.pk).update(year=TODAY().year - 2,
                                                       submitted_at=timezone.now() - timedelta(days=900))
    with pytest.raises(ValidationError) as caught:
        act(cast.setup.approver, appraised, "approve", decision_date=TODAY())
    assert "kế hoạch năm" in caught.value.message_dict["decision_date"][0]
    first, last = guards.decision_window(2026)
    assert (first, last) == (date(2025, 7, 1), date(2026, 12, 31))
    settings.KC_DECISION_WINDOW_MONTHS_BEFORE = 18
    assert guards.decision_window(2026)[0] == date(2024, 7, 1)


def test_percent_cap_applies_to_the_approved_amount(cast):
    # National demonstration model: ≤ 30 % of the cost and ≤ 1,000,000,000 đồng.
    rule = SupportRule.objects.get(fund_source=NATIONAL, activity_type_id="MO_HINH_TD")
    assert rule.cap_for(1_000_000_000) == 300_000_000
    application = make_application(cast.setup, national=True, activity_type="MO_HINH_TD", requested=300_000_000,
                                   total=1_000_000_000)
    act(cast.setup.officer, application, "submit")
    SupportRule.objects.filter(pk=rule.pk).update(max_percent=Decimal("20"))
    act(cast.setup.officer, application, "start_appraisal")
    score_all(application, cast.setup.council, CouncilLevel.PROVINCIAL)
    act(cast.setup.approver, application, "endorse")
    act(cast.world.agency_officer, application, "start_national_appraisal")
    score_all(application, cast.world.agency_council, CouncilLevel.NATIONAL)
    with pytest.raises(ValidationError) as caught:
        act(cast.world.agency_approver, application, "approve", approved_amount=250_000_000)
    assert any(format_vnd(200_000_000) in m for m in caught.value.message_dict["approved_amount"])


def test_approval_above_the_remaining_allocation_is_a_conflict_naming_the_remainder(cast):
    setup = cast.setup
    committed = budget_position(programme_id=setup.local_programme.pk, province_id=80, year=TODAY().year).committed
    BudgetAllocation.objects.filter(programme=setup.local_programme, province=setup.province).update(
        amount=committed + 300_000_000)
    first, second = _appraised(cast), _appraised(cast)
    act(setup.approver, first, "approve")  # 200 million committed, 100 million left
    before = snapshot(second)
    with pytest.raises(DomainConflict) as caught:
        act(setup.approver, second, "approve")
    text = " ".join(caught.value.reasons)
    assert format_vnd(100_000_000) in text and "còn lại" in text
    assert snapshot(second) == before
    # A smaller amount that fits is approved; the budget is then fully committed.
    assert act(setup.approver, second, "approve", approved_amount=100_000_000).status == Status.APPROVED
    # Cancelling an approved scheme releases its money.
    third = _appraised(cast)
    with pytest.raises(DomainConflict):
        act(setup.approver, third, "approve", approved_amount=1_000_000)
    act(setup.approver, first, "cancel")
    assert act(setup.approver, third, "approve").status == Status.APPROVED


def test_approval_without_any_allocation_is_a_conflict(cast):
    application = _appraised(cast)
    # Only a test removes an allocation (its ledger of changes first): the portal never does.
    BudgetAllocationEntry.objects.filter(allocation__programme=cast.setup.local_programme).delete()
    BudgetAllocation.objects.filter(programme=cast.setup.local_programme).delete()
    with pytest.raises(DomainConflict) as caught:
        act(cast.setup.approver, application, "approve")
    assert any("Chưa có kinh phí được giao" in r for r in caught.value.reasons)


def test_approval_before_the_appraisal_is_finished_lists_who_has_not_scored(cast):
    setup = cast.setup
    application = bring_to(cast, Status.UNDER_APPRAISAL, LOCAL)
    first, second, third = setup.council
    score_all(application, [first], CouncilLevel.PROVINCIAL)
    services.conflict_declare(user=second, application_id=application.pk, has_conflict=False)
    with pytest.raises(DomainConflict) as caught:
        act(setup.approver, application, "approve")
    reasons = caught.value.reasons
    assert any(second.username in r for r in reasons) and any(third.username in r for r in reasons)
    assert not any(first.username in r for r in reasons)
    # Rejecting needs no finished appraisal.
    assert act(setup.approver, application, "reject").status == Status.REJECTED


def test_endorse_is_only_for_national_funds(cast):
    local = _appraised(cast)
    with pytest.raises(DomainConflict):
        act(cast.setup.approver, local, "endorse")
    national = _appraised(cast, national=True)
    assert act(cast.setup.approver, national, "endorse").status == Status.ENDORSED


def test_endorse_needs_a_passed_appraisal(cast):
    application = make_application(cast.setup, national=True)
    act(cast.setup.officer, application, "submit")
    act(cast.setup.officer, application, "start_appraisal")
    with pytest.raises(DomainConflict) as caught:
        act(cast.setup.approver, application, "endorse")
    assert len(caught.value.reasons) == 3  # each of the three members has yet to declare


@pytest.mark.parametrize("action,state", [
    ("approve", Status.UNDER_APPRAISAL), ("reject", Status.UNDER_APPRAISAL), ("return", Status.SUBMITTED),
    ("start_appraisal", Status.SUBMITTED), ("suspend", Status.IN_PROGRESS), ("settle", Status.ACCEPTED),
    ("cancel", Status.APPROVED), ("resume", Status.SUSPENDED),
])
def test_the_agency_does_not_act_on_local_fund_steps(cast, action, state):
    application = Application.objects.get(pk=cast.gallery[(LOCAL, state)])
    for user in (cast.world.agency_officer, cast.world.agency_approver):
        with pytest.raises(PermissionDenied):
            act(user, application, action)
    assert Application.objects.get(pk=application.pk).status == state


def test_the_agency_approves_national_schemes_and_the_province_cannot(cast):
    application = bring_to(cast, Status.UNDER_NATIONAL_APPRAISAL, NATIONAL)
    ensure_scored(application, cast.world.agency_council)
    with pytest.raises(PermissionDenied):
        act(cast.setup.approver, application, "approve")
    with pytest.raises(PermissionDenied):
        act(cast.world.agency_officer, application, "approve")
    assert act(cast.world.agency_approver, application, "approve").status == Status.APPROVED


def test_a_stale_version_is_a_conflict(cast):
    application = make_application(cast.setup)
    stale = application.version
    services.application_update(user=cast.setup.officer, application_id=application.pk,
                                data={"title": "Hỗ trợ máy sấy và máy xay"}, expected_version=stale)
    with pytest.raises(DomainConflict):
        act(cast.setup.officer, application, "submit", expected_version=stale)
    with pytest.raises(DomainConflict):
        services.application_update(user=cast.setup.officer, application_id=application.pk,
                                    data={"title": "Lại sửa"}, expected_version=stale)
    fresh = Application.objects.get(pk=application.pk)
    assert fresh.status == Status.DRAFT and fresh.version == stale + 1
    assert act(cast.setup.officer, application, "submit", expected_version=fresh.version).status == Status.SUBMITTED


def test_unknown_action_is_a_validation_error(cast):
    application = make_application(cast.setup)
    with pytest.raises(ValidationError) as caught:
        services.application_transition(user=cast.setup.officer, application_id=application.pk, action="publish")
    assert "action" in caught.value.message_dict


# --- 1. Property: random actions by random people ----------------------------------------------------


def _transition_events(application):
    return list(application.events.filter(action__in=[*workflow.ACTIONS, "create"]).order_by("pk"))


@pytest.mark.parametrize("seed", [2646, 235, 45])
def test_random_walks_stay_inside_the_table_and_history_matches_status(cast, seed):
    """Random people try random actions with sometimes missing inputs. Each outcome is
    the one the table predicts; status stays within reachable_states(); the events
    replay to the current status and the version counts every change."""
    rng = random.Random(seed)
    reachable = workflow.reachable_states()
    people = [*cast.by_role.values(), cast.other.officer, cast.other.approver, cast.world.agency_council[0]]
    applications = [make_application(cast.setup, national=rng.random() < 0.5) for _ in range(3)]
    counts = {"ok": 0, "refused": 0}
    live = list(applications)
    for _step in range(60):
        application = Application.objects.get(pk=rng.choice(live).pk)
        if application.status in workflow.TERMINAL_STATES:
            # A closed scheme stays closed; keep walking with a fresh one.
            live.remove(next(a for a in live if a.pk == application.pk))
            fresh = make_application(cast.setup, national=rng.random() < 0.5)
            applications.append(fresh)
            live.append(fresh)
            application = fresh
        before = snapshot(application)
        choice = rng.random()
        if choice < 0.12 and application.appraisal_level:
            members = cast.setup.council if application.appraisal_level == CouncilLevel.PROVINCIAL \
                else cast.world.agency_council
            ensure_scored(application, members, score=rng.choice([5, 8, 9]))
            assert snapshot(application)[:2] == before[:2]
            continue
        if choice < 0.2:
            try:
                services.application_update(user=rng.choice(people), application_id=application.pk,
                                            data={"title": f"Đề án {rng.randint(1, 10**6)}"})
            except DOMAIN_ERRORS:
                assert snapshot(application) == before
            else:
                assert snapshot(application)[:2] == (before[0], before[1] + 1)
            continue
        # Bias towards actions the state allows and people who hold the role, so walks go deep.
        possible = [a for a, t in workflow.TRANSITIONS.items()
                    if a != "cancel" and t.step_for(application.status, application.fund_source)]
        action = rng.choice(possible if possible and rng.random() < 0.6 else workflow.ACTIONS)
        transition = workflow.TRANSITIONS[action]
        step = transition.step_for(application.status, application.fund_source)
        fitting = [u for role, u in cast.by_role.items() if step and role in step.roles]
        user = rng.choice(fitting if fitting and rng.random() < 0.6 else people)
        kwargs = inputs_for(action, application)
        if kwargs and rng.random() < 0.15:
            kwargs.pop(rng.choice(sorted(kwargs)))
        scope = scope_for(user)
        visible = Application.objects.visible_to(user).filter(pk=application.pk).exists()
        try:
            result = services.application_transition(user=user, application_id=application.pk, action=action,
                                                     **kwargs)
        except Application.DoesNotExist:
            assert not visible
            outcome = "404"
        except DomainConflict:
            assert visible and (step is None or workflow.role_allows(
                scope, transition, application.status, application.fund_source, application.province_id))
            outcome = "409"
        except PermissionDenied:
            assert visible and step is not None
            assert scope.read_only or not workflow.role_allows(
                scope, transition, application.status, application.fund_source, application.province_id)
            outcome = "403"
        except ValidationError:
            assert visible and step is not None and not scope.read_only
            outcome = "400"
        else:
            assert visible and step is not None and not scope.read_only
            assert result.status == transition.target
            outcome = "ok"
        after = snapshot(application)
        if outcome == "ok":
            counts["ok"] += 1
            assert after == (transition.target, before[1] + 1, before[2] + 1)
            event = application.events.order_by("-pk").first()
            assert (event.action, event.from_status, event.to_status, event.actor_id) == (
                action, before[0], transition.target, user.pk)
        else:
            counts["refused"] += 1
            assert after == before, (action, user.username, outcome)
        assert after[0] in reachable
    assert counts["ok"] >= 5 and counts["refused"] >= 20, counts
    for application in applications:
        application = Application.objects.get(pk=application.pk)
        events = _transition_events(application)
        assert events[0].action == "create" and events[0].to_status == Status.DRAFT
        for previous, event in zip(events, events[1:], strict=False):
            assert event.from_status == previous.to_status
        assert events[-1].to_status == application.status
        updates = application.events.filter(action="update").count()
        assert application.version == 1 + (len(events) - 1) + updates
        if application.status in COMMITTED_STATES:
            assert application.approved_amount and application.decision_number


# --- 2. Eligibility at submission ---------------------------------------------------------------------


def test_submission_lists_every_problem_at_once(cast):
    """An HCM scheme with a beneficiary in a ward of the city, for a content the call
    does not take, over the cap, without attachments, whose money does not add up, in a
    call that has closed: one refusal that names all of them."""
    setup = cast.other
    support_rule_create(user=setup.approver, fund_source=LOCAL, province=setup.province,
                        activity_type_id="SXSH", max_amount=50_000_000, valid_from=date(2025, 7, 1))
    ward = setup.province.communes.filter(kind="phuong").order_by("code").first()
    establishment = make_establishment(setup, commune=ward)
    application = make_application(setup, establishments=[establishment], activity_type="SXSH",
                                   attachments=False)
    Call.objects.filter(pk=setup.local_call.pk).update(closes_on=TODAY() - timedelta(days=1))
    Application.objects.filter(pk=application.pk).update(counterpart_funds=100_000_000)  # legacy, inconsistent row
    before = snapshot(application)
    with pytest.raises(DomainConflict) as caught:
        act(setup.officer, application, "submit")
    reasons = caught.value.reasons
    text = "\n".join(reasons)
    assert "chỉ nhận hồ sơ từ" in text  # call closed
    assert "SXSH" in text and "không được nhận trong đợt này" in text  # activity type not open
    assert ward.name in text and "làng nghề" in text  # ward of a centrally-run city
    assert format_vnd(50_000_000) in text  # above the cap valid today
    assert sum("Thiếu tài liệu" in r for r in reasons) == 3  # the three required documents
    assert "phải bằng tổng kinh phí" in text  # money does not add up
    assert len(reasons) >= 8
    assert snapshot(application) == before


def test_submission_without_establishments_is_refused(cast):
    application = make_application(cast.setup)
    application.establishments.clear()
    with pytest.raises(DomainConflict) as caught:
        act(cast.setup.officer, application, "submit")
    assert any("cơ sở thụ hưởng" in r for r in caught.value.reasons)


def test_ward_of_a_city_is_eligible_in_a_craft_village_and_a_provincial_ward_always(cast):
    hcm_ward = Commune.objects.get(code=26824)  # Phường Thủ Đức, TP HCM
    in_village = make_establishment(cast.other, commune=hcm_ward, craft_village=True,
                                    craft_village_name="Làng nghề sơn mài Tương Bình Hiệp")
    application = make_application(cast.other, establishments=[in_village])
    assert act(cast.other.officer, application, "submit").status == Status.SUBMITTED

    tay_ninh_ward = Commune.objects.get(code=25459)  # Phường Tân Ninh, Tây Ninh (a province)
    assert tay_ninh_ward.kind == "phuong"
    establishment = make_establishment(cast.setup, commune=tay_ninh_ward)
    application = make_application(cast.setup, establishments=[establishment])
    assert act(cast.setup.officer, application, "submit").status == Status.SUBMITTED


def test_requested_support_above_todays_cap_is_refused(cast):
    application = make_application(cast.setup, requested=250_000_000, total=500_000_000)  # cap 50 % = 250 M: fits
    support_rule_create(user=cast.setup.approver, fund_source=LOCAL, province=cast.setup.province,
                        activity_type_id="MMTB", max_amount=200_000_000, valid_from=TODAY())
    with pytest.raises(DomainConflict) as caught:
        act(cast.setup.officer, application, "submit")
    assert caught.value.reasons == [r for r in caught.value.reasons if format_vnd(200_000_000) in r]


def test_removed_attachment_no_longer_counts(cast):
    application = make_application(cast.setup)
    letter = application.attachments.get(kind="request_letter")
    services.attachment_remove(user=cast.setup.officer, attachment_id=letter.pk)
    with pytest.raises(DomainConflict) as caught:
        act(cast.setup.officer, application, "submit")
    assert len(caught.value.reasons) == 1 and "Thiếu tài liệu" in caught.value.reasons[0]


@pytest.mark.parametrize("craft_village", [False, True])
def test_decree_235_effective_date(cast, craft_village):
    hcm_ward = Commune.objects.get(code=26824)
    extra = {"craft_village": True, "craft_village_name": "Làng nghề"} if craft_village else {}
    in_ward = make_establishment(cast.other, commune=hcm_ward, **extra)
    hcm_commune = cast.other.province.communes.filter(kind="xa").first()
    in_commune = make_establishment(cast.other, commune=hcm_commune)
    tay_ninh_ward = make_establishment(cast.setup, commune=Commune.objects.get(code=25459))
    before, effective = date(2025, 10, 14), date(2025, 10, 15)
    # Before the decree: wards of centrally-run cities were out, craft village or not.
    assert selectors.location_problem(in_ward, before) is not None
    # From 15/10/2025: allowed only in a recognised craft village.
    assert (selectors.location_problem(in_ward, effective) is None) is craft_village
    for est in (in_commune, tay_ninh_ward):
        assert selectors.location_problem(est, before) is None
        assert selectors.location_problem(est, effective) is None
    # The submission check applies the rule of the day it is asked about.
    application = make_application(cast.other, establishments=[in_ward])
    old_rule = selectors.location_problem(in_ward, before)
    assert old_rule in selectors.eligibility_problems(application, on=before)
    today = selectors.eligibility_problems(application)
    assert (today == []) is craft_village


# --- 6. Time in stage -----------------------------------------------------------------------------------


@override_settings(KC_STATE_TARGET_DAYS={"submitted": 10, "under_appraisal": 20})
def test_days_in_status_and_overdue(cast):
    application = bring_to(cast, Status.SUBMITTED, LOCAL)
    assert application.days_in_status == 0 and not application.is_overdue
    Application.objects.filter(pk=application.pk).update(status_changed_at=timezone.now() - timedelta(days=10, hours=1))
    application.refresh_from_db()
    assert application.days_in_status == 10 and application.target_days == 10 and not application.is_overdue
    Application.objects.filter(pk=application.pk).update(status_changed_at=timezone.now() - timedelta(days=11, hours=1))
    application.refresh_from_db()
    assert application.days_in_status == 11 and application.is_overdue
    # Moving on restarts the clock against the next stage's target.
    act(cast.setup.officer, application, "start_appraisal")
    application.refresh_from_db()
    assert application.days_in_status == 0 and application.target_days == 20 and not application.is_overdue
    draft = make_application(cast.setup)
    Application.objects.filter(pk=draft.pk).update(status_changed_at=timezone.now() - timedelta(days=400))
    draft.refresh_from_db()
    assert draft.days_in_status == 400 and draft.target_days is None and not draft.is_overdue


# --- 7. Notifications (who is told: the workflow's next actors, the proposer, watchers) ---------------


def _notified(application, action):
    """Usernames notified of the latest ``action`` event of ``application``."""
    from notifications.models import Notification

    event = application.events.filter(action=action).latest("pk")
    return sorted(Notification.objects.filter(event=event).values_list("recipient__username", flat=True))


def test_the_next_actors_are_notified_in_the_transaction(cast):
    setup = cast.setup
    application = make_application(setup, user=setup.commune_officer)
    act(setup.commune_officer, application, "submit")
    # Submitted: the Sở's officer and approver decide what happens next; nobody in HCM.
    assert _notified(application, "submit") == sorted([setup.officer.username, setup.approver.username])

    act(setup.officer, application, "return", reason="Thiếu báo giá")
    # Returned: the proposers (the commune officer of the beneficiary, who also made it) fix it;
    # the officer who returned it is not told of their own act.
    assert _notified(application, "return") == [setup.commune_officer.username]


def test_the_council_is_notified_when_an_appraisal_starts(cast):
    setup, world = cast.setup, cast.world
    application = bring_to(cast, Status.SUBMITTED, NATIONAL)
    act(setup.officer, application, "start_appraisal")
    assert _notified(application, "start_appraisal") == sorted(
        [setup.approver.username, *(m.username for m in setup.council)])
    ensure_scored(Application.objects.get(pk=application.pk), setup.council)
    act(setup.approver, application, "endorse")
    act(world.agency_officer, application, "start_national_appraisal")
    # The Agency's officer acted; the proposer (the Sở's officer) is told too.
    assert _notified(application, "start_national_appraisal") == sorted(
        [world.agency_approver.username, setup.officer.username, *(m.username for m in world.agency_council)])


def test_national_endorsement_notifies_the_agency(cast):
    application = _appraised(cast, national=True)
    act(cast.setup.approver, application, "endorse")
    assert _notified(application, "endorse") == sorted(
        [cast.world.agency_officer.username, cast.world.agency_approver.username, cast.setup.officer.username])


def test_nobody_is_emailed_when_the_transaction_rolls_back(cast, django_capture_on_commit_callbacks):
    application = make_application(cast.setup)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            act(cast.setup.officer, application, "submit")
            raise RuntimeError("the surrounding request failed")
    assert callbacks == [] and mail.outbox == []
    assert Application.objects.get(pk=application.pk).status == Status.DRAFT
    assert not application.events.filter(action="submit").exists()
    assert not application.notifications.exists()  # the notices rolled back with the change
    # A refused transition sends nothing either.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(DomainConflict):
            act(cast.setup.officer, application, "approve")
    assert callbacks == [] and mail.outbox == []

