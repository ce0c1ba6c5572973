"""Concurrency on real PostgreSQL: parallel approvals never over-commit a budget
allocation, and parallel creations get consecutive application codes."""

import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from applications import services
from applications.choices import CouncilLevel, Status
from applications.ledger import budget_position
from applications.models import Application, ApplicationCodeSequence
from khuyencong.errors import DomainConflict
from khuyencong.templatetags.kc import format_vnd
from programs.models import ActivityType, Call
from provinces.models import Organisation, Province
from tests.factories import build_world, make_application, make_establishment, score_all, to_under_appraisal

pytestmark = pytest.mark.django_db(transaction=True)

ALLOCATION = 1_100_000_000
REQUESTED = 200_000_000
APPLICATIONS = 12


def run_in_threads(count, work):
    """Run ``work(i)`` in ``count`` threads released together by a barrier. Each thread
    uses its own database connection and closes it. Returns (results, seconds)."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def target(i):
        try:
            barrier.wait(timeout=60)
            results[i] = ("ok", work(i))
        except Exception as exc:  # noqa: BLE001 - every outcome is inspected by the test
            results[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.perf_counter() - started
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results, elapsed


def test_parallel_approvals_never_over_commit_the_allocation(units):
    world = build_world((80,), allocation=ALLOCATION)
    setup = world.provinces[80]
    establishment = make_establishment(setup)
    ids = []
    for _ in range(APPLICATIONS):
        application = make_application(setup, establishments=[establishment], requested=REQUESTED,
                                       total=500_000_000)
        to_under_appraisal(setup, application)
        score_all(application, setup.council, CouncilLevel.PROVINCIAL)
        ids.append(application.pk)
    year = timezone.localdate().year
    approver_id = setup.approver.pk
    fits = ALLOCATION // REQUESTED  # 5

    def approve(i):
        approver = get_user_model().objects.get(pk=approver_id)
        return services.application_transition(
            user=approver, application_id=ids[i], action="approve", decision_number=f"{i + 1}/QĐ-SCT",
            decision_date=timezone.localdate(), approved_amount=REQUESTED).status

    results, elapsed = run_in_threads(APPLICATIONS, approve)
    print(f"\n{APPLICATIONS} parallel approvals against {format_vnd(ALLOCATION)}: {elapsed:.2f} s")

    succeeded = [i for i, (kind, value) in enumerate(results) if kind == "ok"]
    refused = [value for kind, value in results if kind == "error"]
    assert all(value == Status.APPROVED for kind, value in results if kind == "ok")
    assert len(succeeded) == fits, results
    assert all(isinstance(exc, DomainConflict) for exc in refused), refused
    # Every refusal names what is left once the fitting approvals committed.
    left = format_vnd(ALLOCATION - fits * REQUESTED)
    for exc in refused:
        assert any("còn lại" in reason and left in reason for reason in exc.reasons), exc.reasons

    approved = Application.objects.filter(pk__in=ids, status=Status.APPROVED)
    assert sorted(approved.values_list("pk", flat=True)) == sorted(ids[i] for i in succeeded)
    position = budget_position(programme_id=setup.local_programme.pk, province_id=80, year=year)
    assert position.committed == fits * REQUESTED <= ALLOCATION
    assert position.remaining == ALLOCATION - fits * REQUESTED
    for application in Application.objects.filter(pk__in=ids).exclude(status=Status.APPROVED):
        assert application.status == Status.UNDER_APPRAISAL and application.approved_amount is None
        assert not application.events.filter(action="approve").exists()
    assert all(a.events.filter(action="approve").count() == 1 for a in approved)

    # Several people acting on the same application at once: the row lock lets one through.
    target = ids[succeeded[0]]
    officer_id = setup.officer.pk
    services.contract_add(user=setup.officer, application_id=target, number="01/HĐ", signed_on=timezone.localdate(),
                          beneficiary=establishment, value=REQUESTED)  # the start needs a contract

    def start(_i):
        officer = get_user_model().objects.get(pk=officer_id)
        return services.application_transition(user=officer, application_id=target,
                                               action="start_implementation").status

    results, _elapsed = run_in_threads(4, start)
    assert sorted(kind for kind, _value in results) == ["error", "error", "error", "ok"]
    assert all(isinstance(value, DomainConflict) for kind, value in results if kind == "error")
    application = Application.objects.get(pk=target)
    # Created (1), submitted, appraisal started, approved, implementation started: one step each.
    assert application.status == Status.IN_PROGRESS and application.version == 5
    assert application.events.filter(action="start_implementation").count() == 1


def test_parallel_creations_get_consecutive_codes(units):
    world = build_world((80,))
    setup = world.provinces[80]
    threads = 10
    establishments = [make_establishment(setup).pk for _ in range(threads)]
    year = timezone.localdate().year
    assert not ApplicationCodeSequence.objects.exists()  # the first creations also race to create the counter

    def create(i):
        from applications.models import Establishment

        officer = get_user_model().objects.get(pk=setup.officer.pk)
        call = Call.objects.get(pk=setup.local_call.pk)
        application = services.application_create(
            user=officer, province=Province.objects.get(code=80),
            establishments=[Establishment.objects.get(pk=establishments[i])],
            data={"title": f"Đề án song song {i}", "programme": call.programme, "call": call,
                  "activity_type": ActivityType.objects.get(code="MMTB"),
                  "implementing_organisation": Organisation.objects.get(pk=setup.centre.pk),
                  "requested_support": 100_000_000, "counterpart_funds": 100_000_000},
            cost_lines=[{"item": "Máy", "quantity": 1, "unit": "bộ", "unit_cost": 200_000_000}])
        return application.code

    results, elapsed = run_in_threads(threads, create)
    print(f"\n{threads} parallel creations: {elapsed:.2f} s")
    assert all(kind == "ok" for kind, _value in results), results
    codes = sorted(value for _kind, value in results)
    assert codes == [f"KC-80-{year}-{n:04d}" for n in range(1, threads + 1)]
    assert ApplicationCodeSequence.objects.get(province=80, year=year).last == threads
    assert sorted(Application.objects.values_list("sequence", flat=True)) == list(range(1, threads + 1))
