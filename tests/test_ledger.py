"""The budget ledger (applications.ledger: ledger, committed_amount, budget_position): derived
from the records only, its identities after a randomized sequence of operations, money
released by cancellation and settlement seen again by the approve guard, scoping."""

import random
from collections import defaultdict

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.utils import timezone

from applications import services
from applications.choices import CouncilLevel, Status
from applications.ledger import budget_position, committed_amount, ledger
from applications.models import Application, Disbursement, Settlement
from applications.services import budget_allocation_set
from khuyencong.errors import DomainConflict
from khuyencong.templatetags.kc import format_vnd
from programs.models import BudgetAllocation
from provinces.choices import Role
from provinces.services import member_add
from tests.factories import (
    _superuser,
    accept_implementation,
    approve_local,
    build_world,
    complete_implementation,
    implement,
    make_application,
    make_establishment,
    score_all,
    to_under_appraisal,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
DOMAIN_ERRORS = (DomainConflict, ValidationError, PermissionDenied)
MONEY = ("allocated", "approved", "committed", "disbursed", "settled", "released", "remaining")


def expected_from_records() -> dict:
    """The ledger recomputed in Python from the rows (the independent oracle)."""
    rows = defaultdict(lambda: dict.fromkeys(MONEY, 0))
    for allocation in BudgetAllocation.objects.all():
        rows[(allocation.programme_id, allocation.province_id, allocation.year)]["allocated"] += allocation.amount
        # Every allocation's amount is the last entry of its append-only ledger of changes.
        last = allocation.entries.order_by("-created_at", "-pk").first()
        assert last is not None and last.amount_after == allocation.amount
    paid = dict(Disbursement.objects.values("application_id").annotate(t=Sum("amount"))
                .values_list("application_id", "t"))
    settled = dict(Settlement.objects.values_list("application_id", "settled_amount"))
    for application in Application.objects.filter(approved_amount__isnull=False):
        row = rows[(application.programme_id, application.province_id, application.year)]
        approved, disbursed = application.approved_amount, paid.get(application.pk, 0)
        if application.status == Status.SETTLED:
            committed = settled[application.pk]
        elif application.status == Status.CANCELLED:
            committed = disbursed
        else:
            committed = approved
        row["approved"] += approved
        row["committed"] += committed
        row["disbursed"] += disbursed
        row["settled"] += settled.get(application.pk, 0)
        row["released"] += approved - committed if application.status in (Status.SETTLED, Status.CANCELLED) else 0
    for row in rows.values():
        row["remaining"] = row["allocated"] - row["committed"]
    return dict(rows)


def check_ledger(label=""):
    data = ledger()
    got = {(r["programme_id"], r["province_id"], r["year"]): {k: r[k] for k in MONEY} for r in data["rows"]}
    assert got == expected_from_records(), label
    for key, row in got.items():
        assert row["allocated"] == row["committed"] + row["remaining"], (label, key, row)
        assert row["disbursed"] <= row["committed"], (label, key, row)
        assert row["remaining"] >= 0, (label, key, row)
        assert row["approved"] == row["committed"] + row["released"], (label, key, row)
        assert row["settled"] <= row["disbursed"], (label, key, row)
        position = budget_position(programme_id=key[0], province_id=key[1], year=key[2])
        assert (position.allocated, position.committed) == (row["allocated"], row["committed"]), label
    totals = data["totals"]
    assert totals == {k: sum(r[k] for r in got.values()) for k in MONEY}
    assert totals["allocated"] == totals["committed"] + totals["remaining"]
    assert totals["disbursed"] <= totals["committed"]
    return data


# --- A randomized sequence of operations ------------------------------------------------------------------


def _ready_for_approval(world, setup, application, national):
    to_under_appraisal(setup, application)
    score_all(application, setup.council, CouncilLevel.PROVINCIAL)
    if national:
        services.application_transition(user=setup.approver, application_id=application.pk, action="endorse")
        services.application_transition(user=world.agency_officer, application_id=application.pk,
                                        action="start_national_appraisal")
        score_all(Application.objects.get(pk=application.pk), world.agency_council, CouncilLevel.NATIONAL)


def test_ledger_identities_hold_after_a_randomized_sequence_of_operations():
    rng = random.Random(20261127)
    world = build_world((80, 79), allocation=700_000_000)
    apps = []  # (application id, setup, national)
    for setup in world.provinces.values():
        establishment = make_establishment(setup)
        for national in (False, True, False, True, False):
            application = make_application(setup, national=national, establishments=[establishment])
            _ready_for_approval(world, setup, application, national)
            apps.append((application.pk, setup, national))
    check_ledger("start")
    done = defaultdict(int)
    for step in range(140):
        pk, setup, national = rng.choice(apps)
        application = Application.objects.get(pk=pk)
        boss = world.agency_approver if national else setup.approver
        status = application.status
        approved = application.approved_amount or 0
        left = approved - services.disbursed_total(application)
        choice = rng.random()
        op = None
        try:
            if choice < 0.06:
                op = "allocation"
                allocation = BudgetAllocation.objects.get(programme=application.programme,
                                                          province=application.province, year=application.year)
                committed = committed_amount(programme_id=allocation.programme_id, province_id=allocation.province_id,
                                             year=allocation.year)
                amount = max(0, committed + rng.choice([-50_000_000, 0, 100_000_000, 300_000_000]))
                try:
                    budget_allocation_set(user=_superuser(), programme=allocation.programme,
                                          province=allocation.province, year=allocation.year, amount=amount,
                                          reason="Điều chỉnh dự toán")
                except DomainConflict:
                    assert amount < committed
                else:
                    assert amount >= committed
            elif status == Status.UNDER_APPRAISAL or status == Status.UNDER_NATIONAL_APPRAISAL:
                op = "approve"
                services.application_transition(
                    user=boss, application_id=pk, action="approve", decision_number=f"{step}/QĐ",
                    decision_date=TODAY(), approved_amount=rng.choice([100_000_000, 150_000_000, 200_000_000]))
            elif status == Status.APPROVED:
                op = "cancel" if choice < 0.15 else "implement"
                if op == "cancel":
                    services.application_transition(user=boss, application_id=pk, action="cancel", reason="Rút")
                else:
                    implement(setup, application)
            elif status in (Status.IN_PROGRESS, Status.SUSPENDED):
                if choice < 0.15:
                    op = "cancel"
                    services.application_transition(user=boss, application_id=pk, action="cancel",
                                                    reason="Cơ sở ngừng sản xuất")
                elif choice < 0.25:
                    op = "suspend/resume"
                    action = "suspend" if status == Status.IN_PROGRESS else "resume"
                    services.application_transition(user=boss, application_id=pk, action=action, reason="Mưa lũ")
                elif choice < 0.4:
                    op = "change amount"
                    request = services.change_request_create(
                        user=setup.officer, application_id=pk, kind="amount", description="Điều chỉnh",
                        new_approved_amount=approved + rng.choice([-60_000_000, -20_000_000, 30_000_000,
                                                                   90_000_000]))
                    services.change_request_decide(user=boss, change_request_id=request.pk, approve=True)
                elif choice < 0.75:
                    op = "disburse"
                    kind = rng.choice(["advance", "payment"])
                    amount = rng.choice([10_000_000, 40_000_000, 90_000_000, 150_000_000])
                    services.disbursement_add(user=setup.officer, application_id=pk, kind=kind, amount=amount,
                                              paid_on=TODAY(), reference=f"UNC-{step}")
                else:
                    op = "complete"
                    complete_implementation(setup, application)
            elif status == Status.COMPLETED:
                op = "accept"
                accept_implementation(setup, application, result=rng.choice(["passed", "failed"]))
            elif status == Status.ACCEPTED:
                op = "settle"
                final = rng.choice([0, left // 2, left]) if left else 0
                paid = approved - left
                services.application_settle(user=boss, application_id=pk, settled_amount=paid + final,
                                            decision_number=f"QT-{step}", decision_date=TODAY(),
                                            final_payment_amount=final, final_payment_reference=f"UNC-QT-{step}")
            else:
                continue
        except DOMAIN_ERRORS:
            done[f"{op} refused"] += 1
        else:
            done[op] += 1
        check_ledger(f"step {step}: {op} on {pk} ({status})")
    print("\noperations:", dict(sorted(done.items())))
    statuses = set(Application.objects.values_list("status", flat=True))
    assert {Status.SETTLED, Status.CANCELLED} <= statuses, statuses
    assert done["disburse"] >= 5 and done["disburse refused"] >= 1 and done["approve refused"] >= 1, done
    data = check_ledger("end")
    assert data["totals"]["released"] > 0


# --- Released money is committable again -------------------------------------------------------------------


def _appraised_local(setup):
    application = make_application(setup)
    to_under_appraisal(setup, application)
    score_all(application, setup.council, CouncilLevel.PROVINCIAL)
    return application


def approve(setup, application, amount):
    return services.application_transition(user=setup.approver, application_id=application.pk, action="approve",
                                           decision_number="1/QĐ", decision_date=TODAY(), approved_amount=amount)


def test_cancellation_releases_what_was_not_paid_and_the_approve_guard_sees_it():
    world = build_world((80,), allocation=200_000_000)
    setup = world.provinces[80]
    key = {"programme_id": setup.local_programme.pk, "province_id": 80, "year": TODAY().year}
    first = make_application(setup)
    approve_local(setup, first)  # 200 million: the allocation is fully committed
    second = _appraised_local(setup)
    with pytest.raises(DomainConflict) as caught:
        approve(setup, second, 50_000_000)
    assert any(format_vnd(0) in r for r in caught.value.reasons)
    implement(setup, first)
    services.disbursement_add(user=setup.officer, application_id=first.pk, kind="advance", amount=120_000_000,
                              paid_on=TODAY(), reference="UNC-1")
    services.application_transition(user=setup.approver, application_id=first.pk, action="cancel",
                                    reason="Cơ sở giải thể")
    position = budget_position(**key)
    assert (position.committed, position.remaining) == (120_000_000, 80_000_000)  # what was paid stays committed
    row = ledger(province=80, programme=setup.local_programme)["rows"][0]
    assert (row["approved"], row["committed"], row["disbursed"], row["released"]) == (
        200_000_000, 120_000_000, 120_000_000, 80_000_000)
    with pytest.raises(DomainConflict) as caught:
        approve(setup, second, 100_000_000)
    assert any(format_vnd(80_000_000) in r for r in caught.value.reasons)
    assert approve(setup, second, 80_000_000).status == Status.APPROVED
    assert budget_position(**key).remaining == 0
    # The allocation cannot go below what is committed (paid on the cancelled + approved).
    with pytest.raises(DomainConflict, match="200.000.000"):
        budget_allocation_set(user=_superuser(), programme=setup.local_programme, province=setup.province,
                              year=TODAY().year, amount=199_999_999, reason="Thu hồi")
    budget_allocation_set(user=_superuser(), programme=setup.local_programme, province=setup.province,
                          year=TODAY().year, amount=200_000_000, reason="Thu hồi")
    check_ledger()


def test_settlement_releases_what_was_approved_and_not_settled():
    world = build_world((80,), allocation=300_000_000)
    setup = world.provinces[80]
    key = {"programme_id": setup.local_programme.pk, "province_id": 80, "year": TODAY().year}
    first = make_application(setup)
    approve_local(setup, first)
    implement(setup, first)
    services.disbursement_add(user=setup.officer, application_id=first.pk, kind="advance", amount=140_000_000,
                              paid_on=TODAY(), reference="UNC-1")
    complete_implementation(setup, first)
    accept_implementation(setup, first)
    second = _appraised_local(setup)
    with pytest.raises(DomainConflict):
        approve(setup, second, 150_000_000)  # 100 million left
    services.application_settle(user=setup.approver, application_id=first.pk, settled_amount=150_000_000,
                                decision_number="QT-1", decision_date=TODAY(), final_payment_amount=10_000_000,
                                final_payment_reference="UNC-2")
    position = budget_position(**key)
    assert (position.committed, position.remaining) == (150_000_000, 150_000_000)
    assert approve(setup, second, 150_000_000).status == Status.APPROVED
    row = ledger(province=80, programme=setup.local_programme.pk, year=TODAY().year)["rows"][0]
    assert (row["committed"], row["settled"], row["released"], row["remaining"]) == (
        300_000_000, 150_000_000, 50_000_000, 0)
    check_ledger()


def test_allocation_api_follows_the_ledger(api_client_for):
    world = build_world((80,), allocation=500_000_000)
    setup = world.provinces[80]
    application = make_application(setup)
    approve_local(setup, application)
    implement(setup, application)
    services.disbursement_add(user=setup.officer, application_id=application.pk, kind="advance",
                              amount=50_000_000, paid_on=TODAY(), reference="UNC-1")
    services.application_transition(user=setup.approver, application_id=application.pk, action="cancel",
                                    reason="Rút")
    response = api_client_for(setup.officer).get("/api/v1/budget-allocations/",
                                                 {"programme": setup.local_programme.pk})
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [(r["committed"], r["remaining"]) for r in rows] == [(50_000_000, 450_000_000)]


# --- Scope, filters and the cost of the query --------------------------------------------------------------


def test_ledger_is_scoped_filtered_and_has_national_totals():
    world = build_world((80, 79), allocation=1_000_000_000)
    tn, hcm = world.provinces[80], world.provinces[79]
    approve_local(tn, make_application(tn))
    approve_local(hcm, make_application(hcm), amount=150_000_000)
    auditor, *_ = member_add(username="cuc_auditor", role=Role.AUDITOR, email="a@example.test")
    everything = ledger(user=world.agency_approver)
    assert {r["province_id"] for r in everything["rows"]} == {79, 80}
    assert everything == ledger(user=auditor) == ledger()
    assert everything["totals"]["allocated"] == 4_000_000_000
    assert everything["totals"]["committed"] == 350_000_000
    assert everything["totals"]["remaining"] == 4_000_000_000 - 350_000_000
    mine = ledger(user=tn.officer)
    assert {r["province_id"] for r in mine["rows"]} == {80}
    assert mine["totals"]["committed"] == 200_000_000
    # A commune officer reads their province's money (province-level figures, not a
    # fraction made of their commune's dossiers): they propose against it.
    assert ledger(user=tn.commune_officer) == mine
    local = ledger(programme=tn.local_programme, year=TODAY().year)
    assert [(r["programme_code"], r["province_id"], r["fund_source"]) for r in local["rows"]] == [
        (tn.local_programme.code, 80, "local")]
    assert ledger(year=TODAY().year + 1) == {"rows": [], "totals": dict.fromkeys(MONEY, 0)}


def test_ledger_queries_do_not_grow_with_the_number_of_applications(django_assert_max_num_queries):
    world = build_world((80,), allocation=2_000_000_000)
    setup = world.provinces[80]
    establishment = make_establishment(setup)
    for _ in range(2):
        approve_local(setup, make_application(setup, establishments=[establishment]))
    with django_assert_max_num_queries(4) as small:
        ledger()
    for _ in range(4):
        application = make_application(setup, establishments=[establishment])
        approve_local(setup, application)
        implement(setup, application)
        services.disbursement_add(user=setup.officer, application_id=application.pk, kind="advance",
                                  amount=10_000_000, paid_on=TODAY(), reference="UNC")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert ledger()["totals"]["disbursed"] == 40_000_000
