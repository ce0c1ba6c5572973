"""Separation of duties (a province setting): whoever prepared or submitted a dossier
cannot return it, start its appraisal or record its acceptance; the reason is on the
disabled button (``workflow.preview``), the API leaves the action out of
``allowed_actions`` and refuses it with a 403, and the services refuse it."""

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from applications import services as app_services
from applications import workflow
from applications.choices import Status
from applications.models import Acceptance, Application
from provinces.choices import Role
from provinces.services import POLICY_CACHE_KEY, member_add, province_policy_set
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
        world = build_world((80,))
        tn = world.provinces[80]
        tn.users["officer2"], *_ = member_add(username="p80_officer2", role=Role.PROVINCE_OFFICER,
                                              province=tn.province, email="p80_officer2@example.test")
        tn.users["approver2"], *_ = member_add(username="p80_approver2", role=Role.PROVINCE_APPROVER,
                                               province=tn.province, email="p80_approver2@example.test")
        yield world


@pytest.fixture(autouse=True)
def _fresh_policies():
    cache.delete(POLICY_CACHE_KEY)
    yield
    cache.delete(POLICY_CACHE_KEY)


@pytest.fixture
def tn(world):
    return world.provinces[80]


def submitted_by_officer(tn):
    application = make_application(tn, user=tn.commune_officer)
    app_services.application_transition(user=tn.officer, application_id=application.pk, action="submit")
    return Application.objects.get(pk=application.pk)


def _preview(application, user):
    return {p.action: p for p in workflow.preview(application, user)}


def test_off_by_default_the_submitter_may_go_on(tn):
    application = submitted_by_officer(tn)
    assert application.submitted_by == tn.officer
    assert _preview(application, tn.officer)["start_appraisal"].allowed


def test_on_the_submitter_and_the_preparer_are_refused_with_the_reason(tn, client, api_client_for):
    province_policy_set(province=tn.province, separation_of_duties=True)
    application = submitted_by_officer(tn)
    for action in ("start_appraisal", "return"):
        item = _preview(application, tn.officer)[action]
        assert not item.allowed and "tách bạch nhiệm vụ" in item.reasons[0]
        assert _preview(application, tn.users["officer2"])[action].allowed
    with pytest.raises(PermissionDenied, match="tách bạch"):
        app_services.application_transition(user=tn.officer, application_id=application.pk,
                                            action="start_appraisal")
    # The page shows the button disabled with the reason.
    client.force_login(tn.officer)
    page = client.get(reverse("applications:application_detail", args=[application.pk])).content.decode()
    block = page.split('data-action="start_appraisal"')[1].split("</div>")[0]
    assert "disabled" in block and "tách bạch nhiệm vụ" in block
    # The API: not in allowed_actions; a 403 that says why; nothing changed.
    api = api_client_for(tn.officer)
    data = api.get(reverse("application-detail", args=[application.pk])).json()
    assert "start_appraisal" not in data["allowed_actions"] and "return" not in data["allowed_actions"]
    response = api.post(reverse("application-transitions", args=[application.pk]),
                        {"action": "return", "reason": "Thiếu hồ sơ"}, format="json")
    assert response.status_code == 403 and "tách bạch" in response.json()["detail"]
    assert Application.objects.get(pk=application.pk).status == Status.SUBMITTED
    # Another officer of the Sở takes it on.
    app_services.application_transition(user=tn.users["officer2"], application_id=application.pk,
                                        action="start_appraisal")
    assert Application.objects.get(pk=application.pk).status == Status.UNDER_APPRAISAL


def test_on_the_preparer_cannot_record_the_acceptance(tn):
    application = make_application(tn, user=tn.approver)  # prepared by an approver of the Sở
    approve_local(tn, application)
    implement(tn, application)
    complete_implementation(tn, application)
    province_policy_set(province=tn.province, separation_of_duties=True)
    application = Application.objects.get(pk=application.pk)
    item = _preview(application, tn.approver)["accept"]
    assert not item.allowed and "tách bạch" in item.reasons[0]
    with pytest.raises(PermissionDenied):
        accept_implementation(tn, application, user=tn.approver)
    assert not Acceptance.objects.filter(application=application).exists()  # nothing recorded
    accept_implementation(tn, application, user=tn.users["approver2"])
    assert Application.objects.get(pk=application.pk).status == Status.ACCEPTED
