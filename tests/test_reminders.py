"""The daily reminder: each person gets one e-mail with what waits on them and what is
late; approvers also get what is late past the province's threshold; running it twice
sends nothing twice; the date is the local one (Asia/Ho_Chi_Minh)."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from applications import services as app_services
from applications.models import Application
from khuyencong.celery import app as celery_app
from notifications import reminders, services, tasks
from notifications.choices import EmailMode
from notifications.models import Reminder
from provinces.services import POLICY_CACHE_KEY, province_policy_set
from tests.conftest import module_transaction
from tests.factories import approve_local, build_world, implement, make_application

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with module_transaction(django_db_blocker):
        yield build_world((80, 79))


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    cache.delete(POLICY_CACHE_KEY)
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", True)
    mail.outbox.clear()
    yield
    cache.delete(POLICY_CACHE_KEY)


@pytest.fixture
def late_schemes(world, settings):
    """In Tây Ninh: a dossier waiting 12 days for a look (target 10) and a scheme 30 days
    past its implementation end date."""
    settings.KC_STATE_TARGET_DAYS = {"submitted": 10}
    tn = world.provinces[80]
    waiting = make_application(tn, user=tn.commune_officer)
    app_services.application_transition(user=tn.commune_officer, application_id=waiting.pk, action="submit")
    Application.objects.filter(pk=waiting.pk).update(status_changed_at=timezone.now() - timedelta(days=12))
    running = make_application(tn)
    approve_local(tn, running)
    implement(tn, running)
    Application.objects.filter(pk=running.pk).update(end_date=timezone.localdate() - timedelta(days=30))
    return tn, Application.objects.get(pk=waiting.pk), Application.objects.get(pk=running.pk)


def _mail_to(user):
    return [m for m in mail.outbox if m.to == [user.email]]


def test_one_reminder_each_with_waiting_late_and_escalations(late_schemes, world):
    tn, waiting, running = late_schemes
    today = timezone.localdate()
    assert reminders.reminder_send(user_id=tn.approver.pk, on=today)
    (message,) = _mail_to(tn.approver)
    assert waiting.code in message.body and running.code in message.body
    assert "trễ 2 ngày" in message.body  # the dossier: 12 days in "submitted", target 10
    # Escalated: the scheme is 30 days late, past the national threshold of 15; the dossier is not.
    escalated = message.body.split("Đề án trễ hạn quá ngưỡng")[1]
    assert running.code in escalated and waiting.code not in escalated
    assert Reminder.objects.get(user=tn.approver, on=today).escalated == [running.pk]
    # A province with a higher threshold escalates nothing.
    province_policy_set(province=tn.province, escalation_days=60)
    assert reminders.escalations_for(tn.approver, today) == []
    # Other provinces' approvers hear nothing of Tây Ninh's schemes.
    assert reminders.escalations_for(world.provinces[79].approver, today) == []


def test_the_daily_job_is_idempotent(late_schemes, world):
    tn, waiting, running = late_schemes
    services.preference_set(user=tn.council[0], email_mode=EmailMode.IN_APP, language="vi")
    queued = tasks.reminders_daily_task()
    assert queued >= 3
    first = sorted(m.to[0] for m in mail.outbox)
    assert tn.officer.email in first and tn.approver.email in first
    assert tn.council[0].email not in first  # chose in-app only
    assert world.provinces[79].officer.email not in first  # nothing waits on them
    assert len(first) == len(set(first))  # one each
    tasks.reminders_daily_task()
    assert sorted(m.to[0] for m in mail.outbox) == first  # the second run sent nothing


def test_the_date_is_the_local_one(late_schemes):
    tn, *_ = late_schemes
    # 18:00 UTC on 2 December is 01:00 on 3 December in Asia/Ho_Chi_Minh.
    tasks.reminders_daily_task(now="2026-12-02T18:00:00+00:00")
    assert set(Reminder.objects.values_list("on", flat=True)) == {date(2026, 12, 3)}


def test_english_reminder_for_an_english_reader(late_schemes):
    tn, waiting, running = late_schemes
    services.preference_set(user=tn.officer, email_mode=EmailMode.IMMEDIATE, language="en")
    reminders.reminder_send(user_id=tn.officer.pk, on=timezone.localdate())
    (message,) = _mail_to(tn.officer)
    assert "Dear" in message.body and "late" in message.subject and "http" in message.body
