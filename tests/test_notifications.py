"""In-app notifications: who is told of a transition (the workflow's next actors, the
proposer, watchers), tenancy (a notice of a dossier the recipient can no longer see is
neither shown nor mailed), the bell, the list, marking read, watching, preferences, the
API with its tenant matrix, and e-mail delivery (immediately, in the recipient's language
with an absolute link, or in a daily digest sent once)."""

import re

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from applications import services as app_services
from applications.models import Application
from khuyencong.celery import app as celery_app
from notifications import services, tasks
from notifications.choices import EmailMode, EmailStatus, Reason
from notifications.models import Notification, Watch
from provinces.choices import Role
from provinces.models import Membership
from provinces.services import member_add
from tests.conftest import module_transaction
from tests.factories import build_world, make_application

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with module_transaction(django_db_blocker):
        yield build_world((80, 79))


@pytest.fixture
def tn(world):
    return world.provinces[80]


@pytest.fixture
def hcm(world):
    return world.provinces[79]


@pytest.fixture
def eager(monkeypatch):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", True)


def submit(setup, *, user=None):
    """A dossier proposed by the commune officer (or ``user``) and submitted by them."""
    user = user or setup.commune_officer
    application = make_application(setup, user=user)
    app_services.application_transition(user=user, application_id=application.pk, action="submit")
    return application


def notices_of(application, action="submit"):
    return Notification.objects.filter(event__application=application, event__action=action)


# --- Who is told ---------------------------------------------------------------------------------


def test_a_transition_notifies_next_actors_proposer_and_watchers_not_the_actor(tn, hcm, world):
    application = make_application(tn, user=tn.commune_officer)
    services.watch_set(user=tn.council[0], application_id=application.pk, watching=True)
    services.watch_set(user=world.agency_officer, application_id=application.pk, watching=True)
    app_services.application_transition(user=tn.officer, application_id=application.pk, action="submit")
    reasons = {n.recipient.username: n.reasons for n in notices_of(application)}
    assert reasons == {
        tn.approver.username: [Reason.NEXT_ACTOR],  # the officer acted: not told of their own act
        tn.commune_officer.username: [Reason.PROPOSER],
        tn.council[0].username: [Reason.WATCHER],
        world.agency_officer.username: [Reason.WATCHER],
    }
    # Nobody in the other province hears of it; every notice carries the dossier's province.
    assert not notices_of(application).filter(recipient__in=[hcm.officer, hcm.approver]).exists()
    assert set(notices_of(application).values_list("province_id", flat=True)) == {80}


def test_the_recipient_list_follows_the_workflow_table(tn):
    """Who is told is what ``workflow.roles_to_act`` says for the new state (plus the
    proposer): returned → the proposers, not the approver."""
    application = submit(tn)
    app_services.application_transition(user=tn.approver, application_id=application.pk, action="return",
                                        reason="Thiếu báo giá")
    assert set(notices_of(application, "return").values_list("recipient__username", flat=True)) == {
        tn.officer.username, tn.commune_officer.username}


def test_a_watcher_who_cannot_see_the_dossier_is_not_told(tn, hcm):
    application = make_application(tn)
    # A watch of a dossier outside the caller's scope cannot be made…
    with pytest.raises(Application.DoesNotExist):
        services.watch_set(user=hcm.officer, application_id=application.pk, watching=True)
    # …and one left behind by someone who has since lost access tells them nothing.
    Watch.objects.create(user=hcm.officer, application=application, province_id=80)
    app_services.application_transition(user=tn.officer, application_id=application.pk, action="submit")
    assert not notices_of(application).filter(recipient=hcm.officer).exists()


# --- Tenancy: a notice of a dossier the recipient no longer sees -----------------------------------


def test_a_notice_disappears_and_is_not_mailed_when_access_is_lost(tn, eager, client,
                                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        application = submit(tn)
    notice = notices_of(application).get(recipient=tn.approver)
    assert notice.email_status == EmailStatus.PENDING
    client.force_login(tn.approver)
    assert client.get(reverse("notifications:bell")).context["unread"] == 1
    # The approver leaves the province before the mail goes out.
    Membership.objects.filter(user=tn.approver).update(is_active=False)
    member_add(username=tn.approver.username, role=Role.PROVINCE_OFFICER, province=hcm_province())
    tn.approver._kc_scope = None
    mail.outbox.clear()
    for callback in callbacks:
        callback()
    notice.refresh_from_db()
    assert notice.email_status == EmailStatus.SKIPPED
    assert [m.to for m in mail.outbox] == [[tn.officer.email]]  # the officer, who still sees it, is mailed
    assert client.get(reverse("notifications:bell")).context["unread"] == 0
    assert client.get(reverse("notifications:list")).context["object_list"].count() == 0
    assert client.get(reverse("notifications:open", args=[notice.pk])).status_code == 404


def hcm_province():
    from provinces.models import Province

    return Province.objects.get(code=79)


# --- Pages -----------------------------------------------------------------------------------------


def test_bell_list_filters_open_and_mark_read(tn, client):
    first = submit(tn)
    second = submit(tn)
    client.force_login(tn.approver)
    page = client.get(reverse("home"))
    assert reverse("notifications:bell") in page.content.decode()  # the bell is in the navigation
    bell = client.get(reverse("notifications:bell"))
    assert 'id="kc-bell-count">2<' in bell.content.decode() and "every " in bell.content.decode()
    listing = client.get(reverse("notifications:list"), {"unread": "true", "action": "submit"})
    assert {n.application_id for n in listing.context["object_list"]} == {first.pk, second.pk}
    assert first.code in listing.content.decode()
    # An htmx request gets the table only.
    partial = client.get(reverse("notifications:list"), HTTP_HX_REQUEST="true")
    assert "<h1" not in partial.content.decode() and 'id="notification-list"' in partial.content.decode()
    # Opening a notice marks it read and goes to the dossier.
    notice = notices_of(first).get(recipient=tn.approver)
    response = client.get(reverse("notifications:open", args=[notice.pk]))
    assert response.status_code == 302 and response.url == reverse("applications:application_detail",
                                                                   args=[first.pk])
    notice.refresh_from_db()
    assert notice.is_read
    assert client.get(reverse("notifications:list"), {"unread": "false"}).context["object_list"].count() == 1
    # Bad input changes nothing and says why.
    response = client.post(reverse("notifications:mark_read"), {"ids": ["abc"]}, follow=True)
    assert "không hợp lệ" in response.content.decode()
    assert Notification.objects.filter(recipient=tn.approver, read_at__isnull=True).count() == 1
    # Another user's notice cannot be marked or opened.
    other = notices_of(first).get(recipient=tn.officer)
    client.post(reverse("notifications:mark_read"), {"ids": [other.pk]})
    assert client.get(reverse("notifications:open", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert not other.is_read
    client.post(reverse("notifications:mark_read"), {"all": "1"})
    assert client.get(reverse("notifications:bell")).context["unread"] == 0
    # An invalid filter lists nothing rather than everything.
    assert client.get(reverse("notifications:list"), {"date_from": "hôm qua"}).context["object_list"].count() == 0


def test_watch_and_unwatch_from_the_dossier_page(tn, hcm, client):
    application = make_application(tn)
    client.force_login(tn.council[1])
    page = client.get(reverse("applications:application_detail", args=[application.pk])).content.decode()
    assert 'id="watch-button"' in page and "Theo dõi" in page
    client.post(reverse("notifications:watch", args=[application.pk]), {"watch": "1"})
    assert Watch.objects.filter(user=tn.council[1], application=application).exists()
    page = client.get(reverse("applications:application_detail", args=[application.pk])).content.decode()
    assert "Bỏ theo dõi" in page
    client.post(reverse("notifications:watch", args=[application.pk]), {"watch": "0"})
    assert not Watch.objects.filter(user=tn.council[1], application=application).exists()
    # Another province's dossier: 404, nothing written.
    client.force_login(hcm.officer)
    assert client.post(reverse("notifications:watch", args=[application.pk]), {"watch": "1"}).status_code == 404
    assert not Watch.objects.filter(user=hcm.officer).exists()


def test_preferences_page(tn, client):
    client.force_login(tn.officer)
    assert client.get(reverse("notifications:preferences")).status_code == 200
    response = client.post(reverse("notifications:preferences"), {"email_mode": "never", "language": "fr"})
    assert response.status_code == 400
    assert not tn.officer.__class__.objects.filter(pk=tn.officer.pk, notification_preference__isnull=False).exists()
    client.post(reverse("notifications:preferences"), {"email_mode": EmailMode.DIGEST, "language": "en"})
    pref = services.preference_for(tn.officer)
    assert (pref.email_mode, pref.language) == (EmailMode.DIGEST, "en")


# --- E-mail ----------------------------------------------------------------------------------------


@override_settings(KC_SITE_URL="https://khuyencong.example.gov.vn")
def test_immediate_email_in_the_recipients_language_with_an_absolute_link(
        tn, eager, django_capture_on_commit_callbacks):
    services.preference_set(user=tn.officer, email_mode=EmailMode.IMMEDIATE, language="en")
    services.preference_set(user=tn.approver, email_mode=EmailMode.IMMEDIATE, language="vi")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        application = submit(tn)
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {tn.officer.email, tn.approver.email}  # the actor (commune officer) is not told
    english, vietnamese = by_address[tn.officer.email], by_address[tn.approver.email]
    assert "Submitted" in english.subject and "Dear" in english.body
    assert "Đã nộp" in vietnamese.subject and "Kính gửi" in vietnamese.body
    for message in (english, vietnamese):
        link = re.search(r"https://khuyencong\.example\.gov\.vn/thong-bao/(\d+)/mo/", message.body)
        assert link and Notification.objects.get(pk=link.group(1)).application_id == application.pk
    assert set(notices_of(application).values_list("email_status", flat=True)) == {EmailStatus.SENT}
    # Sending again (a retry, the sweep) sends nothing twice.
    for notice in notices_of(application):
        assert services.notification_email_send(notification_id=notice.pk) == EmailStatus.SENT
    assert len(mail.outbox) == 2


def test_in_app_only_sends_no_mail_but_keeps_the_notice(tn, eager, client, django_capture_on_commit_callbacks):
    for user in (tn.officer, tn.approver):
        services.preference_set(user=user, email_mode=EmailMode.IN_APP, language="vi")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        application = submit(tn)
    assert mail.outbox == []
    assert set(notices_of(application).values_list("email_status", flat=True)) == {EmailStatus.NONE}
    client.force_login(tn.approver)
    assert client.get(reverse("notifications:bell")).context["unread"] == 1


def test_daily_digest_sends_one_mail_once(tn, eager, django_capture_on_commit_callbacks):
    for user in (tn.officer, tn.approver):
        services.preference_set(user=user, email_mode=EmailMode.DIGEST, language="vi")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        first, second = submit(tn), submit(tn)
    assert mail.outbox == []
    assert tasks.notification_digests_task() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([tn.officer.email, tn.approver.email])
    body = next(m.body for m in mail.outbox if m.to == [tn.approver.email])
    assert first.code in body and second.code in body
    # Idempotent: a second run sends nothing.
    assert tasks.notification_digests_task() == 0
    assert len(mail.outbox) == 2


def test_the_sweep_requeues_what_a_down_broker_could_not_take(tn, eager, monkeypatch):
    application = submit(tn)  # no on_commit in this test's transaction: nothing was queued
    notice = notices_of(application).get(recipient=tn.approver)
    assert notice.email_status == EmailStatus.PENDING
    Notification.objects.filter(pk=notice.pk).update(created_at=timezone.now() - timezone.timedelta(hours=1))
    mail.outbox.clear()
    assert tasks.notification_email_sweep_task() >= 1
    notice.refresh_from_db()
    assert notice.email_status == EmailStatus.SENT and len([m for m in mail.outbox
                                                            if m.to == [tn.approver.email]]) == 1


def test_backoff_grows_and_is_capped():
    with override_settings(KC_NOTIFICATION_RETRY_BASE_SECONDS=30, KC_NOTIFICATION_RETRY_MAX_SECONDS=3600):
        assert [tasks.backoff_seconds(n) for n in range(9)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_row_level_security_hides_another_provinces_notices(tn):
    """Under the application's database role, a forgotten filter still sees only the
    scope's provinces: Tây Ninh's notices and watches are invisible to an HCM scope."""
    from django.db import connection

    from khuyencong import rls

    application = submit(tn)
    services.watch_set(user=tn.council[0], application_id=application.pk, watching=True)
    assert notices_of(application).exists()
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {rls.APP_ROLE}")
        cursor.execute("SELECT set_config('kc.scope', '79', true)")
    assert not Notification.objects.filter(application=application).exists()
    assert not Watch.objects.filter(application=application).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('kc.scope', '80', true)")
    assert Notification.objects.filter(application=application).exists()
