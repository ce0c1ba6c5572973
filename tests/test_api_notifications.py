"""The notifications API with its tenant matrix: ``/api/v1/notifications/`` (list, detail,
``read/``, ``preferences/``) and ``/api/v1/watches/``. A notice is its recipient's only:
anyone else — same province, another province, the Agency — gets a 404, and so does the
recipient once the dossier has left their scope."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications import services as app_services
from notifications.models import Notification, Watch
from provinces.choices import Role
from provinces.models import Membership
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
def notice(tn):
    """A notice to Tây Ninh's approver about a dossier the commune officer submitted."""
    application = make_application(tn, user=tn.commune_officer)
    app_services.application_transition(user=tn.commune_officer, application_id=application.pk, action="submit")
    return Notification.objects.get(application=application, recipient=tn.approver)


@pytest.fixture
def callers(world, tn, make_member, no_role_user, api_client_for):
    return {
        "anonymous": api_client_for(None),
        "no_role": api_client_for(no_role_user),
        "recipient": api_client_for(tn.approver),
        "recipient_read_only": api_client_for(tn.approver, read_only=True),
        "same_province": api_client_for(make_member(Role.PROVINCE_OFFICER, 80)),
        "other_province": api_client_for(world.provinces[79].officer),
        "agency": api_client_for(world.agency_officer),
    }


# caller, method, target, expected status
MATRIX = [
    ("anonymous", "get", "list", 401), ("anonymous", "get", "detail", 401), ("anonymous", "post", "read", 401),
    ("no_role", "get", "list", 403), ("no_role", "get", "detail", 403), ("no_role", "post", "read", 403),
    ("recipient", "get", "list", 200), ("recipient", "get", "detail", 200),
    ("recipient_read_only", "get", "detail", 200), ("recipient_read_only", "post", "read", 403),
    ("recipient_read_only", "put", "preferences", 403),
    ("same_province", "get", "detail", 404), ("other_province", "get", "detail", 404),
    ("agency", "get", "detail", 404),
    ("recipient", "get", "preferences", 200), ("recipient", "post", "read", 200),
]


def _call(client, method, target, notice):
    url = {"list": reverse("notification-list"), "detail": reverse("notification-detail", args=[notice.pk]),
           "read": reverse("notification-read"), "preferences": reverse("notification-preferences")}[target]
    body = {"read": {"ids": [notice.pk]}, "preferences": {"email_mode": "digest", "language": "en"}}.get(target, {})
    return getattr(client, method)(url, body, format="json")


def test_notification_matrix(callers, notice):
    for who, method, target, expected in MATRIX:
        response = _call(callers[who], method, target, notice)
        assert response.status_code == expected, (who, method, target, response.status_code, response.content[:300])
        if expected >= 400:
            body = response.json()
            assert body["status"] == expected and body["code"] and body["detail"]
        notice.refresh_from_db()
        if method != "get" and expected >= 400:
            assert not notice.is_read  # a refused write changed nothing
    assert notice.is_read  # the recipient's own POST read/ did


def test_lists_show_only_the_callers_own_notices(notice, callers, tn):
    # (The notice is made before the callers: a Sở officer added earlier would be a next actor too.)
    rows = callers["recipient"].get(reverse("notification-list")).json()["results"]
    assert [r["id"] for r in rows] == [notice.pk]
    row = rows[0]
    assert row["application"] == notice.application_id and row["action"] == "submit" and row["is_read"] is False
    assert row["url"] == reverse("applications:application_detail", args=[notice.application_id])
    for who in ("same_province", "other_province", "agency"):
        assert callers[who].get(reverse("notification-list")).json()["count"] == 0
    # Filters: unread, action.
    assert callers["recipient"].get(reverse("notification-list"), {"unread": "false"}).json()["count"] == 0
    assert callers["recipient"].get(reverse("notification-list"), {"action": "approve"}).json()["count"] == 0
    bad = callers["recipient"].get(reverse("notification-list"), {"action": "nonsense"})
    assert bad.status_code == 400


def test_a_notice_of_a_dossier_out_of_scope_is_a_404(callers, notice, tn):
    Membership.objects.filter(user=tn.approver).update(is_active=False)
    tn.approver._kc_scope = None
    from provinces.models import Province
    from provinces.services import member_add

    member_add(username=tn.approver.username, role=Role.PROVINCE_OFFICER, province=Province.objects.get(code=79))
    client = callers["recipient"]
    assert client.get(reverse("notification-detail", args=[notice.pk])).status_code == 404
    assert client.get(reverse("notification-list")).json()["count"] == 0
    assert client.post(reverse("notification-read"), {}, format="json").json()["marked"] == 0


def test_read_all_and_bad_ids(callers, notice):
    client = callers["recipient"]
    assert client.post(reverse("notification-read"), {"ids": ["x"]}, format="json").status_code == 400
    assert client.post(reverse("notification-read"), {"ids": "7"}, format="json").status_code == 400
    notice.refresh_from_db()
    assert not notice.is_read
    assert client.post(reverse("notification-read"), {}, format="json").json() == {"marked": 1, "unread": 0}


def test_preferences(callers):
    client = callers["recipient"]
    assert client.get(reverse("notification-preferences")).json() == {"email_mode": "immediate", "language": "vi"}
    bad = client.put(reverse("notification-preferences"), {"email_mode": "sometimes", "language": "vi"},
                     format="json")
    assert bad.status_code == 400 and "email_mode" in str(bad.json())
    ok = client.put(reverse("notification-preferences"), {"email_mode": "in_app", "language": "en"}, format="json")
    assert ok.json() == {"email_mode": "in_app", "language": "en"}


def test_watch_matrix(callers, world, tn):
    own = make_application(tn)
    other = make_application(world.provinces[79])
    url = reverse("watch-list")
    assert callers["anonymous"].post(url, {"application": own.pk}, format="json").status_code == 401
    assert callers["no_role"].post(url, {"application": own.pk}, format="json").status_code == 403
    assert callers["recipient_read_only"].post(url, {"application": own.pk}, format="json").status_code == 403
    assert callers["recipient"].post(url, {"application": other.pk}, format="json").status_code == 404
    assert callers["recipient"].post(url, {"application": "abc"}, format="json").status_code == 400
    created = callers["recipient"].post(url, {"application": own.pk}, format="json")
    assert created.status_code == 201 and created.json()["application"] == own.pk
    watch_id = created.json()["id"]
    # Watching twice is one watch.
    assert callers["recipient"].post(url, {"application": own.pk}, format="json").status_code == 201
    assert Watch.objects.filter(user=tn.approver, application=own).count() == 1
    assert [r["id"] for r in callers["recipient"].get(url).json()["results"]] == [watch_id]
    for who in ("same_province", "other_province", "agency"):
        assert callers[who].get(reverse("watch-detail", args=[watch_id])).status_code == 404
        assert callers[who].delete(reverse("watch-detail", args=[watch_id])).status_code == 404
    assert callers["recipient_read_only"].delete(reverse("watch-detail", args=[watch_id])).status_code == 403
    assert callers["recipient"].delete(reverse("watch-detail", args=[watch_id])).status_code == 204
    assert not Watch.objects.filter(user=tn.approver).exists()


def test_list_queries_do_not_grow_with_page_size(callers, tn):
    for _ in range(3):
        application = make_application(tn, user=tn.commune_officer)
        app_services.application_transition(user=tn.commune_officer, application_id=application.pk, action="submit")
    client = callers["recipient"]
    client.get(reverse("notification-list"))
    counts = []
    for size in (1, 500):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("notification-list"), {"page_size": size}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
