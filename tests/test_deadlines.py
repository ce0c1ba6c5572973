"""Deadlines before and after the decision: stage targets per province (national
defaults otherwise), the implementation end date, quarterly progress reports, the
completion and settlement deadlines; the task list, the dossier page and the API say what
is late and by how many days."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from applications import deadlines
from applications import services as app_services
from applications.choices import Status
from applications.filters import overdue_q
from applications.models import Acceptance, Application, ApplicationEvent
from provinces.services import POLICY_CACHE_KEY, province_policy_set
from tests.conftest import module_transaction
from tests.factories import (
    accept_implementation,
    approve_local,
    build_world,
    complete_implementation,
    implement,
    make_application,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with module_transaction(django_db_blocker):
        yield build_world((80, 79))


@pytest.fixture(autouse=True)
def _fresh_policies():
    # The policies are cached in Redis; a rolled-back test must not leave its own behind.
    cache.delete(POLICY_CACHE_KEY)
    yield
    cache.delete(POLICY_CACHE_KEY)


def in_progress(setup, *, end_in_days, started_days_ago=0):
    application = make_application(setup)
    approve_local(setup, application)
    implement(setup, application)
    Application.objects.filter(pk=application.pk).update(
        start_date=timezone.localdate() - timedelta(days=started_days_ago + 5),
        end_date=timezone.localdate() + timedelta(days=end_in_days))
    if started_days_ago:
        ApplicationEvent.objects.filter(application=application, action="start_implementation").update(
            created_at=timezone.now() - timedelta(days=started_days_ago))
    return Application.objects.get(pk=application.pk)


def test_stage_targets_per_province_with_national_defaults(world, settings):
    settings.KC_STATE_TARGET_DAYS = {"submitted": 10}
    tn, hcm = world.provinces[80], world.provinces[79]
    a_tn, a_hcm = make_application(tn), make_application(hcm)
    for setup, application in ((tn, a_tn), (hcm, a_hcm)):
        app_services.application_transition(user=setup.officer, application_id=application.pk, action="submit")
    Application.objects.filter(pk__in=[a_tn.pk, a_hcm.pk]).update(status_changed_at=timezone.now() - timedelta(days=8))
    assert [Application.objects.get(pk=a.pk).target_days for a in (a_tn, a_hcm)] == [10, 10]
    assert not Application.objects.filter(overdue_q(), pk__in=[a_tn.pk, a_hcm.pk]).exists()
    # Tây Ninh wants submissions looked at within 5 days; HCM keeps the national 10.
    province_policy_set(province=tn.province, stage_target_days={"submitted": 5})
    a_tn, a_hcm = Application.objects.get(pk=a_tn.pk), Application.objects.get(pk=a_hcm.pk)
    assert (a_tn.target_days, a_tn.is_overdue) == (5, True)
    assert (a_hcm.target_days, a_hcm.is_overdue) == (10, False)
    assert list(Application.objects.filter(overdue_q(), pk__in=[a_tn.pk, a_hcm.pk])
                .values_list("pk", flat=True)) == [a_tn.pk]
    stage = deadlines.deadlines_for(a_tn)[0]
    assert stage.kind == "stage" and stage.late_days == 3


def test_a_policy_with_bad_values_is_refused(world):
    tn = world.provinces[80]
    for bad in ({"submitted": 0}, {"submitted": "năm"}, ["submitted"], {"submitted": True}):
        with pytest.raises(ValidationError):
            province_policy_set(province=tn.province, stage_target_days=bad)
    assert not tn.province.__class__.objects.filter(policy__isnull=False, pk=tn.province.pk).exists()


def test_implementation_end_and_completion_deadlines(world):
    tn = world.provinces[80]
    application = in_progress(tn, end_in_days=10)
    kinds = {d.kind: d for d in deadlines.deadlines_for(application)}
    assert kinds["implementation_end"].due == application.end_date and not kinds["implementation_end"].is_late
    assert kinds["completion"].due == application.end_date + timedelta(days=30)
    # Forty days later: the end date is 30 days behind, the completion report 0 (due today).
    later = timezone.localdate() + timedelta(days=40)
    kinds = {d.kind: d for d in deadlines.deadlines_for(application, later)}
    assert kinds["implementation_end"].late_days == 30 and kinds["completion"].late_days == 0
    province_policy_set(province=tn.province, completion_grace_days=10)
    kinds = {d.kind: d for d in deadlines.deadlines_for(application, later)}
    assert kinds["completion"].late_days == 20
    assert deadlines.late_days(application, later) == 30


def test_progress_reports_are_due_quarterly(world):
    tn = world.provinces[80]
    application = in_progress(tn, end_in_days=300, started_days_ago=100)
    report = next(d for d in deadlines.deadlines_for(application) if d.kind == "progress_report")
    start = timezone.localdate() - timedelta(days=100)
    assert report.due == deadlines._add_months(start, 3) and report.is_late
    assert report.late_days == (timezone.localdate() - report.due).days
    app_services.progress_report_add(user=tn.officer, application_id=application.pk, period_start=start,
                                     period_end=timezone.localdate(), percent_done=40,
                                     narrative="Đã lắp đặt xong phần khung")
    report = next(d for d in deadlines.deadlines_for(application) if d.kind == "progress_report")
    assert report.due == deadlines._add_months(start, 6) and not report.is_late


def test_settlement_deadline_after_acceptance(world):
    tn = world.provinces[80]
    application = in_progress(tn, end_in_days=0)
    complete_implementation(tn, application)
    accept_implementation(tn, application)
    Acceptance.objects.filter(application=application).update(
        accepted_on=timezone.localdate() - timedelta(days=100))
    application = Application.objects.get(pk=application.pk)
    assert application.status == Status.ACCEPTED
    settlement = next(d for d in deadlines.deadlines_for(application) if d.kind == "settlement")
    assert settlement.late_days == 10  # national default: 90 days
    province_policy_set(province=tn.province, settlement_days=120)
    settlement = next(d for d in deadlines.deadlines_for(application) if d.kind == "settlement")
    assert not settlement.is_late


def test_task_list_dossier_page_and_api_flag_lateness(world, client, api_client_for):
    tn = world.provinces[80]
    application = in_progress(tn, end_in_days=-12)
    client.force_login(tn.officer)
    tasks = client.get(reverse("applications:tasks"))
    html = tasks.content.decode()
    assert tasks.context["overdue_count"] >= 1
    assert "Ngày kết thúc thực hiện: trễ 12 ngày" in html
    page = client.get(reverse("applications:application_detail", args=[application.pk])).content.decode()
    assert 'id="deadlines"' in page and "trễ 12 ngày" in page
    data = api_client_for(tn.officer).get(reverse("application-detail", args=[application.pk])).json()
    assert data["late_days"] == 12
    assert {"kind": "implementation_end", "label": "Ngày kết thúc thực hiện",
            "due": application.end_date.isoformat(), "late_days": 12} in data["deadlines"]
