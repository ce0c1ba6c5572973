"""Issue 11: programmes, calls and caps seen before drafting; commune officers propose
for provincial funds."""

import pytest
from django.urls import reverse

from applications.models import Application
from tests.factories import build_world, make_establishment
from tests.test_web_applications import application_post

pytestmark = pytest.mark.django_db
TN, HCM = 80, 79


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def tn(world):
    return world.provinces[TN]


def test_commune_officer_saves_a_local_fund_draft(client, tn):
    est = make_establishment(tn)  # in the commune officer's commune
    client.force_login(tn.commune_officer)
    page = client.get(reverse("applications:application_create")).content.decode()
    assert tn.local_programme.name in page
    lines = [("Máy sấy", "1", "bộ", "320000000")]
    response = client.post(reverse("applications:application_create"), application_post(tn, [est], lines))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Application.objects.get(title="Hỗ trợ máy sấy lúa").programme == tn.local_programme


def test_commune_proposal_reaches_the_province(client, tn, mailoutbox):
    """Through the same form, for an establishment of their commune; submitted, the
    province's officer is told and finds it in their task list."""
    from django.test import TestCase

    from applications import services as app_services
    from applications.choices import REQUIRED_ATTACHMENT_KINDS, Status
    from tests.factories import pdf_file

    est = make_establishment(tn)
    client.force_login(tn.commune_officer)
    lines = [("Máy sấy", "1", "bộ", "320000000")]
    assert client.post(reverse("applications:application_create"),
                       application_post(tn, [est], lines)).status_code == 302
    application = Application.objects.get(title="Hỗ trợ máy sấy lúa")
    assert application.created_by == tn.commune_officer and application.fund_source == "local"
    for kind in REQUIRED_ATTACHMENT_KINDS:
        app_services.attachment_add(user=tn.commune_officer, application_id=application.pk, kind=kind,
                                    uploaded_file=pdf_file())
    with TestCase.captureOnCommitCallbacks(execute=True):
        app_services.application_transition(user=tn.commune_officer, application_id=application.pk,
                                            action="submit")
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert any(tn.officer.email in m.to for m in mailoutbox)
    client.force_login(tn.officer)
    assert application.code in client.get(reverse("applications:tasks")).content.decode()


def test_commune_officer_cannot_propose_for_another_commune(client, tn):
    other_commune = tn.province.communes.filter(kind="xa").order_by("code")[1]
    est = make_establishment(tn, commune=other_commune)
    client.force_login(tn.commune_officer)
    response = client.post(reverse("applications:application_create"),
                           application_post(tn, [est], [("Máy sấy", "1", "bộ", "320000000")]))
    assert response.status_code == 400
    assert not Application.objects.filter(title="Hỗ trợ máy sấy lúa").exists()


# --- Programme pages ---------------------------------------------------------------------------


def test_programme_pages_show_calls_criteria_caps_and_money(client, tn, world):
    from tests.factories import approve_local, make_application

    approve_local(tn, make_application(tn, requested=150_000_000, total=400_000_000))
    client.force_login(tn.officer)
    page = client.get(reverse("programs:programme_list")).content.decode()
    assert tn.local_programme.name in page and world.national_programme.name in page
    assert reverse("programs:programme_list") in client.get(reverse("home")).content.decode()  # navigation
    hcm_programme = world.provinces[HCM].local_programme
    assert hcm_programme.name not in page
    page = client.get(reverse("programs:programme_detail", args=[tn.local_programme.pk])).content.decode()
    assert tn.local_call.name in page
    assert "Tính khả thi và hiệu quả" in page and "Thuyết minh đề án" in page  # criteria, documents
    assert "300.000.000 ₫" in page and "100.000.000 ₫" in page  # MMTB and DAO_TAO caps
    assert "1.850.000.000 ₫" in page  # 2.000.000.000 allocated − 150.000.000 committed
    # The national programme, read in Tây Ninh: its calls there and the national caps.
    page = client.get(reverse("programs:programme_detail", args=[world.national_programme.pk])).content.decode()
    assert tn.national_call.name in page and "1.000.000.000 ₫" in page
    # Another province's programme is a 404, for the page and the list filter.
    assert client.get(reverse("programs:programme_detail", args=[hcm_programme.pk])).status_code == 404
    # The commune officer reads their province's programmes too.
    client.force_login(tn.commune_officer)
    assert client.get(reverse("programs:programme_detail", args=[tn.local_programme.pk])).status_code == 200
    assert client.get(reverse("programs:programme_detail", args=[hcm_programme.pk])).status_code == 404


def test_application_form_shows_the_cap_live(client, tn):
    est = make_establishment(tn)
    client.force_login(tn.officer)
    page = client.get(reverse("applications:application_create"),
                      {"programme": tn.local_programme.pk, "call": tn.local_call.pk}).content.decode()
    assert 'id="guidance"' in page and reverse("applications:application_guidance") in page
    data = application_post(tn, [est], [("Máy sấy", "1", "bộ", "350000000")], requested_support="200000000")
    fragment = client.get(reverse("applications:application_guidance"), data, HTTP_HX_REQUEST="true")
    text = fragment.content.decode()
    # MMTB local Tây Ninh: ≤ 50 % and ≤ 300.000.000 → 175.000.000 for 350.000.000.
    assert "175.000.000 ₫" in text and "vượt mức tối đa" in text
    assert "Công văn đề nghị" in text
    data["requested_support"] = "150000000"
    assert "vượt mức" not in client.get(reverse("applications:application_guidance"), data).content.decode()
    # A cap of another province is never read: a programme of another province is ignored.
    data["programme"] = "999999"
    assert "Chọn chương trình" in client.get(reverse("applications:application_guidance"), data).content.decode()


def test_cap_api(api_client_for, tn, world, no_role_user):
    client = api_client_for(tn.officer)
    url = reverse("support-rule-applicable")
    response = client.get(url, {"province": TN, "fund_source": "local", "activity_type": "MMTB",
                                "total_cost": 350_000_000})
    assert response.status_code == 200, response.json()
    assert response.json()["cap"] == 175_000_000 and response.json()["rule"]["province"] == TN
    response = client.get(url, {"province": TN, "fund_source": "national", "activity_type": "MO_HINH_TD",
                                "total_cost": 5_000_000_000})
    assert response.json()["cap"] == 1_000_000_000
    assert client.get(url, {"province": HCM, "fund_source": "local", "activity_type": "MMTB"}).status_code == 404
    bad = client.get(url, {"province": TN, "fund_source": "xx", "activity_type": "NOPE", "total_cost": "-1"})
    assert bad.status_code == 400 and {"fund_source", "activity_type", "total_cost"} <= set(bad.json()["errors"])
    assert api_client_for().get(url).status_code == 401
    assert api_client_for(no_role_user).get(url, {"province": TN}).status_code == 403
    assert api_client_for(world.agency_officer).get(
        url, {"province": HCM, "fund_source": "local", "activity_type": "MMTB", "total_cost": 10**9}).json()["cap"] == 300_000_000
