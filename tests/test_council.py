"""Appraisal councils at the service level: who may sit, conflicts of interest, scoring,
the weighted total and the pass mark, and what a failed appraisal blocks."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from applications import selectors, services
from applications.api.serializers.dossier import ScoresSerializer
from applications.choices import REQUIRED_ATTACHMENT_KINDS, CouncilLevel, CouncilRole, Status
from applications.models import Application, ConflictDeclaration, Score
from khuyencong.errors import DomainConflict
from programs.models import ActivityType
from programs.services import call_create
from provinces.choices import Role
from tests.conftest import module_transaction
from tests.factories import build_world, make_application, make_establishment, pdf_file, score_all

TODAY = timezone.localdate()
PROVINCIAL, NATIONAL = CouncilLevel.PROVINCIAL, CouncilLevel.NATIONAL


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker):
    """Built once per module in an outer transaction; each test runs in a savepoint."""
    with module_transaction(django_db_blocker):
        yield build_world((80, 79))


@pytest.fixture
def world(module_world, db):
    return module_world


@pytest.fixture
def tn(world):
    return world.provinces[80]


@pytest.fixture
def hcm(world):
    return world.provinces[79]


def transition(user, application, action, **kwargs):
    return services.application_transition(user=user, application_id=application.pk, action=action, **kwargs)


def under_appraisal(setup, national=False):
    application = make_application(setup, national=national)
    transition(setup.officer, application, "submit")
    transition(setup.officer, application, "start_appraisal")
    return Application.objects.get(pk=application.pk)


def scores_for(application, value):
    return {c.pk: {"score": value, "comment": "Nhận xét"} for c in application.call.criteria.all()}


def approve(setup, application):
    return transition(setup.approver, application, "approve", decision_number="12/QĐ-SCT", decision_date=TODAY,
                      approved_amount=application.requested_support)


# --- Who may sit -------------------------------------------------------------------------------------------


def test_provincial_members_need_the_council_role_in_that_province(tn, hcm, make_member):
    application = make_application(tn)
    newcomer = make_member(Role.COUNCIL_MEMBER, 80, username="p80_council_new")
    council = services.council_create(user=tn.officer, name="Hội đồng thẩm định đề án máy sấy",
                                      level=PROVINCIAL, application=application,
                                      members=[(newcomer, CouncilRole.CHAIR), (tn.council[0], CouncilRole.MEMBER)])
    assert council.province_id == 80 and council.members.count() == 2
    assert application.events.filter(action="council_create").exists()
    for outsider in (hcm.council[0], tn.officer, tn.approver):
        with pytest.raises(ValidationError) as caught:
            services.council_create(user=tn.officer, name="Hội đồng", level=PROVINCIAL, application=application,
                                    members=[(tn.council[1], CouncilRole.CHAIR), (outsider, CouncilRole.MEMBER)])
        assert outsider.username in " ".join(caught.value.message_dict["members"])


def test_only_the_province_sets_up_its_council(tn, hcm, world):
    application = make_application(tn)
    for user in (hcm.officer, tn.council[0], tn.commune_officer, world.agency_officer):
        with pytest.raises(PermissionDenied):
            services.council_create(user=user, name="Hội đồng", level=PROVINCIAL, application=application,
                                    members=[(tn.council[0], CouncilRole.CHAIR)])


def test_national_council_is_agency_staff_only(tn, world):
    council = services.council_create(
        user=world.agency_officer, name="Hội đồng Cục", level=NATIONAL, call=tn.national_call,
        members=[(world.agency_council[0], CouncilRole.CHAIR), (world.agency_officer, CouncilRole.MEMBER)])
    assert council.province_id is None
    with pytest.raises(ValidationError) as caught:
        services.council_create(user=world.agency_officer, name="Hội đồng Cục", level=NATIONAL, call=tn.national_call,
                                members=[(world.agency_council[0], CouncilRole.CHAIR),
                                         (tn.council[0], CouncilRole.MEMBER)])
    assert tn.council[0].username in " ".join(caught.value.message_dict["members"])
    with pytest.raises(PermissionDenied):
        services.council_create(user=tn.officer, name="Hội đồng Cục", level=NATIONAL, call=tn.national_call,
                                members=[(world.agency_council[0], CouncilRole.CHAIR)])


def test_a_council_has_members_and_at_most_one_chair(tn):
    with pytest.raises(ValidationError) as caught:
        services.council_create(user=tn.officer, name="Hội đồng", level=PROVINCIAL, call=tn.local_call, members=[])
    assert "members" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.council_create(user=tn.officer, name="Hội đồng", level=PROVINCIAL, call=tn.local_call,
                                members=[(tn.council[0], CouncilRole.CHAIR), (tn.council[1], CouncilRole.CHAIR)])
    assert "members" in caught.value.message_dict


# --- Declaring and scoring -----------------------------------------------------------------------------------


def test_a_member_declares_before_scoring(tn):
    application = under_appraisal(tn)
    member = tn.council[0]
    with pytest.raises(DomainConflict):
        services.scores_submit(user=member, application_id=application.pk, scores=scores_for(application, 8))
    assert not Score.objects.filter(application=application).exists()
    services.conflict_declare(user=member, application_id=application.pk, has_conflict=False)
    saved = services.scores_submit(user=member, application_id=application.pk, scores=scores_for(application, 8))
    assert len(saved) == 3
    with pytest.raises(DomainConflict):  # once only
        services.conflict_declare(user=member, application_id=application.pk, has_conflict=True, note="Người thân")


def test_a_conflicted_member_cannot_score_and_is_excluded_but_recorded(tn):
    application = under_appraisal(tn)
    conflicted, *others = tn.council
    with pytest.raises(ValidationError) as caught:
        services.conflict_declare(user=conflicted, application_id=application.pk, has_conflict=True, note=" ")
    assert "note" in caught.value.message_dict
    services.conflict_declare(user=conflicted, application_id=application.pk, has_conflict=True,
                              note="Là anh ruột của chủ cơ sở")
    with pytest.raises(PermissionDenied):
        services.scores_submit(user=conflicted, application_id=application.pk, scores=scores_for(application, 10))
    declaration = ConflictDeclaration.objects.get(application=application, user=conflicted)
    assert declaration.has_conflict and declaration.level == PROVINCIAL
    event = application.events.get(action="conflict_declared", actor=conflicted)
    assert event.payload == {"level": PROVINCIAL, "has_conflict": True} and "anh ruột" in event.reason

    sheet = selectors.score_sheet(application, PROVINCIAL)
    assert [m.member.user for m in sheet.excluded_members] == [conflicted]
    assert conflicted not in [m.member.user for m in sheet.scoring_members]
    assert not sheet.finished
    score_all(application, others, PROVINCIAL, score=8)
    sheet = selectors.score_sheet(application, PROVINCIAL)
    assert sheet.finished and sheet.passed and sheet.average == Decimal("80.00")
    assert approve(tn, application).status == Status.APPROVED


def test_the_appraisal_is_finished_when_every_scoring_member_scored_every_criterion(tn):
    application = under_appraisal(tn)
    first, second, third = tn.council
    criteria = list(application.call.criteria.all())
    score_all(application, [first, second], PROVINCIAL)
    services.conflict_declare(user=third, application_id=application.pk, has_conflict=False)
    services.scores_submit(user=third, application_id=application.pk,
                           scores={c.pk: {"score": 9} for c in criteria[:2]})
    sheet = selectors.score_sheet(application, PROVINCIAL)
    assert not sheet.finished and sheet.average is None
    assert [m.member.user for m in sheet.scoring_members if not m.complete] == [third]
    problems = sheet.problems()
    assert len(problems) == 1 and third.username in problems[0]
    with pytest.raises(DomainConflict) as caught:
        approve(tn, application)
    assert caught.value.reasons == problems
    services.scores_submit(user=third, application_id=application.pk, scores={criteria[2].pk: {"score": 9}})
    assert selectors.score_sheet(application, PROVINCIAL).finished


def test_everyone_conflicted_leaves_nobody_to_score(tn):
    application = under_appraisal(tn)
    for member in tn.council:
        services.conflict_declare(user=member, application_id=application.pk, has_conflict=True, note="Xung đột")
    sheet = selectors.score_sheet(application, PROVINCIAL)
    assert not sheet.finished and not sheet.passed
    with pytest.raises(DomainConflict) as caught:
        approve(tn, application)
    assert any("Không còn thành viên" in r for r in caught.value.reasons)


def test_scores_outside_the_scale_or_the_call_are_refused(tn):
    application = under_appraisal(tn)
    member = tn.council[0]
    services.conflict_declare(user=member, application_id=application.pk, has_conflict=False)
    criterion = application.call.criteria.first()
    for bad in (11, Decimal("10.01"), -1):
        with pytest.raises(ValidationError) as caught:
            services.scores_submit(user=member, application_id=application.pk, scores={criterion.pk: {"score": bad}})
        assert "scores" in caught.value.message_dict
    serializer = ScoresSerializer(data={"scores": {str(criterion.pk): {"score": "mười"}}})
    assert not serializer.is_valid() and "scores" in serializer.errors  # not a number: stops at the boundary
    foreign = tn.national_call.criteria.first()
    with pytest.raises(ValidationError):
        services.scores_submit(user=member, application_id=application.pk, scores={foreign.pk: {"score": 5}})
    with pytest.raises(ValidationError):
        services.scores_submit(user=member, application_id=application.pk, scores={})
    assert not Score.objects.filter(application=application).exists()
    services.scores_submit(user=member, application_id=application.pk, scores={criterion.pk: {"score": 10}})
    assert Score.objects.get(application=application, user=member).score == Decimal("10")


def test_a_non_member_cannot_declare_or_score(tn, hcm, make_member):
    application = under_appraisal(tn)
    bystander = make_member(Role.COUNCIL_MEMBER, 80, username="p80_council_bystander")
    for user in (bystander, tn.officer, tn.approver):
        with pytest.raises(PermissionDenied):
            services.conflict_declare(user=user, application_id=application.pk, has_conflict=False)
        with pytest.raises(PermissionDenied):
            services.scores_submit(user=user, application_id=application.pk, scores=scores_for(application, 8))
    with pytest.raises(Application.DoesNotExist):  # another province's member does not even see it
        services.conflict_declare(user=hcm.council[0], application_id=application.pk, has_conflict=False)


def test_scoring_is_only_during_an_appraisal(tn):
    application = make_application(tn)
    with pytest.raises(DomainConflict):
        services.conflict_declare(user=tn.council[0], application_id=application.pk, has_conflict=False)


# --- The weighted total and the pass mark -----------------------------------------------------------------------


@pytest.fixture
def weighted_call(tn):
    """A call with unequal weights and scales, pass mark 85, and its own council."""
    root = tn.officer.__class__.objects.get(username="root")
    call = call_create(user=root, programme=tn.local_programme, province=tn.province, year=TODAY.year,
                       name="Đợt bổ sung", opens_on=TODAY - timedelta(days=1), closes_on=TODAY + timedelta(days=1),
                       activity_types=["MMTB"], pass_mark=Decimal("85"), criteria=[
                           {"name": "Cấp thiết", "weight": Decimal("40"), "max_score": 20},
                           {"name": "Khả thi", "weight": Decimal("20"), "max_score": 5},
                           {"name": "Hiệu quả", "weight": Decimal("40"), "max_score": 10}])
    services.council_create(user=tn.officer, name="Hội đồng đợt bổ sung", level=PROVINCIAL, call=call,
                            members=[(tn.council[0], CouncilRole.CHAIR),
                                     *[(m, CouncilRole.MEMBER) for m in tn.council[1:]]])
    return call


def _in_call(setup, call):
    application = services.application_create(
        user=setup.officer, province=setup.province, establishments=[make_establishment(setup)],
        data={"title": "Máy ép dầu lạc", "programme": call.programme, "call": call,
              "activity_type": ActivityType.objects.get(code="MMTB"), "implementing_organisation": setup.centre,
              "requested_support": 100_000_000, "counterpart_funds": 150_000_000},
        cost_lines=[{"item": "Máy ép", "quantity": 1, "unit": "bộ", "unit_cost": 250_000_000}])
    for kind in REQUIRED_ATTACHMENT_KINDS:
        services.attachment_add(user=setup.officer, application_id=application.pk, kind=kind,
                                uploaded_file=pdf_file())
    transition(setup.officer, application, "submit")
    transition(setup.officer, application, "start_appraisal")
    return Application.objects.get(pk=application.pk)


def _score(application, member, values):
    services.conflict_declare(user=member, application_id=application.pk, has_conflict=False)
    criteria = list(application.call.criteria.order_by("position"))
    services.scores_submit(user=member, application_id=application.pk,
                           scores={c.pk: {"score": v} for c, v in zip(criteria, values, strict=True)})


def test_weighted_total_matches_a_hand_computation(tn, weighted_call):
    application = _in_call(tn, weighted_call)
    first, second, third = tn.council
    # (40 × 15/20 + 20 × 4/5 + 40 × 7/10) / (40 + 20 + 40) × 100 = (30 + 16 + 28) / 100 × 100 = 74
    _score(application, first, [15, 4, 7])
    # (40 × 20/20 + 20 × 5/5 + 40 × 10/10) / 100 × 100 = 100
    _score(application, second, [20, 5, 10])
    services.conflict_declare(user=third, application_id=application.pk, has_conflict=True, note="Cổ đông")
    sheet = selectors.score_sheet(application, PROVINCIAL)
    totals = {m.member.user: m.weighted_total for m in sheet.members}
    assert totals == {first: Decimal("74.00"), second: Decimal("100.00"), third: None}
    assert sheet.finished and sheet.average == Decimal("87.00")  # (74 + 100) / 2
    assert sheet.pass_mark == Decimal("85") and sheet.passed
    assert approve(tn, application).status == Status.APPROVED


def test_below_the_pass_mark_fails_and_blocks_approval_with_the_reason(tn, weighted_call):
    application = _in_call(tn, weighted_call)
    for member in tn.council:
        _score(application, member, [16, 4, 8])  # (40 × 0.8 + 20 × 0.8 + 40 × 0.8) / 100 × 100 = 80
    sheet = selectors.score_sheet(application, PROVINCIAL)
    assert sheet.finished and sheet.average == Decimal("80.00") and not sheet.passed
    with pytest.raises(DomainConflict) as caught:
        approve(tn, application)
    assert any("80.00" in r and "85" in r for r in caught.value.reasons), caught.value.reasons
    assert Application.objects.get(pk=application.pk).status == Status.UNDER_APPRAISAL
    # Rejecting a failed scheme is possible.
    assert transition(tn.approver, application, "reject", reason="Không đạt điểm").status == Status.REJECTED


def test_a_failed_provincial_appraisal_blocks_endorsement(tn):
    application = under_appraisal(tn, national=True)
    score_all(application, tn.council, PROVINCIAL, score=6)  # 60 < 70
    with pytest.raises(DomainConflict) as caught:
        transition(tn.approver, application, "endorse")
    assert any("60.00" in r for r in caught.value.reasons)
    assert Application.objects.get(pk=application.pk).status == Status.UNDER_APPRAISAL


def test_the_national_appraisal_is_scored_separately_by_the_agency_council(tn, world):
    application = under_appraisal(tn, national=True)
    score_all(application, tn.council, PROVINCIAL, score=9)
    transition(tn.approver, application, "endorse")
    transition(world.agency_officer, application, "start_national_appraisal")
    application.refresh_from_db()
    sheet = selectors.score_sheet(application, NATIONAL)
    assert not sheet.finished  # provincial scores do not count at the Agency
    with pytest.raises(PermissionDenied):  # the province's council does not sit on the Agency's
        services.conflict_declare(user=tn.council[0], application_id=application.pk, has_conflict=False)
    kwargs = {"decision_number": "99/QĐ-BCT", "decision_date": TODAY, "approved_amount": 200_000_000}
    with pytest.raises(DomainConflict):
        transition(world.agency_approver, application, "approve", **kwargs)
    score_all(application, world.agency_council, NATIONAL, score=7)
    assert selectors.score_sheet(application, NATIONAL).average == Decimal("70.00")
    assert transition(world.agency_approver, application, "approve", **kwargs).status == Status.APPROVED


def test_an_application_council_takes_precedence_over_the_call_council(tn, make_member):
    application = make_application(tn)
    own = make_member(Role.COUNCIL_MEMBER, 80, username="p80_council_own")
    services.council_create(user=tn.officer, name="Hội đồng riêng", level=PROVINCIAL, application=application,
                            members=[(own, CouncilRole.CHAIR)])
    transition(tn.officer, application, "submit")
    transition(tn.officer, application, "start_appraisal")
    with pytest.raises(PermissionDenied):
        services.conflict_declare(user=tn.council[0], application_id=application.pk, has_conflict=False)
    score_all(Application.objects.get(pk=application.pk), [own], PROVINCIAL, score=8)
    assert approve(tn, application).status == Status.APPROVED
