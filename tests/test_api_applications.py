"""The establishments and applications API: the permission matrix, creating and
editing through the services, the workflow through ``/transitions/`` (local and
national paths, every refusal with its status), appraisal by the council, files,
duplicates, filters and the number of queries of a list page."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from applications import services as app_services
from applications.choices import CouncilLevel, Status
from applications.models import Application
from applications.services import budget_allocation_set
from programs.choices import FundSource
from programs.models import ActivityType, Call, Programme, SupportRule
from provinces.choices import Role
from provinces.models import Commune, Province
from provinces.services import province_centre_get_or_create

from .api_matrix import ApiPermissionMatrix
from .conftest import HCM, TAN_NINH_WARD, TAY_NINH, THU_DUC_WARD
from .factories import (
    PDF_BYTES,
    PNG_BYTES,
    _superuser,
    approve_local,
    build_world,
    make_application,
    make_establishment,
    score_all,
    to_under_appraisal,
)

pytestmark = pytest.mark.django_db

APPS = "/api/v1/applications/"
ESTABLISHMENTS = "/api/v1/establishments/"


def light_setup(code):
    """Just enough for drafts in a province (no council, no allocation), written
    directly: the permission matrix builds two of these for every one of its cases."""
    ActivityType.objects.bulk_create([ActivityType(code="MMTB", name="Ứng dụng máy móc, thiết bị tiên tiến"),
                                      ActivityType(code="DAO_TAO", name="Đào tạo nghề")], ignore_conflicts=True)
    province = Province.objects.get(code=code)
    programme = Programme.objects.create(code=f"kcdp-{code}", name=f"Khuyến công {province.short_name}",
                                         fund_source=FundSource.LOCAL, province=province, start_year=2026,
                                         end_year=2030)
    today = timezone.localdate()
    call = Call.objects.create(programme=programme, province=province, year=today.year, name=f"Đợt {code}",
                               opens_on=today - timedelta(days=5), closes_on=today + timedelta(days=5))
    call.activity_types.set(["MMTB", "DAO_TAO"])
    return SimpleNamespace(province=province, officer=_superuser(), local_call=call, national_call=None,
                           local_programme=programme, centre=province_centre_get_or_create(province=province))


def client_of(user, read_only=False):
    from khuyencong.services import api_token_create

    client = APIClient()
    _token, key = api_token_create(user=user, read_only=read_only)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def cost_line(item="Máy sấy", quantity="1", unit="bộ", unit_cost=500_000_000, **extra):
    return {"item": item, "quantity": quantity, "unit": unit, "unit_cost": unit_cost, **extra}


def application_payload(setup, beneficiaries, **overrides):
    body = {"title": "Hỗ trợ máy sấy nông sản", "province": setup.province.code,
            "programme": setup.local_call.programme_id, "call": setup.local_call.pk, "activity_type": "MMTB",
            "implementing_organisation": setup.centre.pk, "establishments": [e.pk for e in beneficiaries],
            "cost_lines": [cost_line(unit_cost=300_000_000), cost_line("Lắp đặt", "2", "lần", 100_000_000)],
            "requested_support": 200_000_000, "counterpart_funds": 300_000_000}
    body.update(overrides)
    return body


def establishment_payload(**overrides):
    body = {"name": "Hợp tác xã mây tre đan Tân Ninh", "legal_form": "cooperative", "tax_code": "3901234567",
            "representative": "Trần Văn Bình", "commune": TAN_NINH_WARD, "address": "Khu phố 2",
            "industry": "Mây tre đan"}
    body.update(overrides)
    return body


# --- The permission matrix ----------------------------------------------------------------


class TestEstablishmentsMatrix(ApiPermissionMatrix):
    basename = "establishment"
    writable = True

    @pytest.fixture
    def own_object(self, db):
        return make_establishment(light_setup(TAY_NINH))

    @pytest.fixture
    def other_object(self, db):
        return make_establishment(light_setup(HCM))

    def create_payload(self, own_object):
        return establishment_payload()

    def update_payload(self, obj):
        return {"phone": "0276 3822 111"}


class TestApplicationsMatrix(ApiPermissionMatrix):
    basename = "application"
    writable = True

    @pytest.fixture
    def own_object(self, db):
        return make_application(light_setup(TAY_NINH), attachments=False)

    @pytest.fixture
    def other_object(self, db):
        return make_application(light_setup(HCM), attachments=False)

    def create_payload(self, own_object):
        setup = SimpleNamespace(province=own_object.province, local_call=own_object.call,
                                centre=own_object.implementing_organisation)
        return application_payload(setup, own_object.establishments.all())

    def update_payload(self, obj):
        return {"title": "Hỗ trợ máy sấy nông sản (bổ sung)"}


class TestApplicationsMatrixForCommuneOfficer(ApiPermissionMatrix):
    """A commune officer sees the schemes of their commune's establishments only."""

    basename = "application"
    writable = True
    role = Role.COMMUNE_OFFICER
    member_commune = TAN_NINH_WARD

    @pytest.fixture
    def own_object(self, db):
        setup = light_setup(TAY_NINH)
        est = make_establishment(setup, commune=Commune.objects.get(code=TAN_NINH_WARD))
        return make_application(setup, establishments=[est], attachments=False)

    @pytest.fixture
    def other_object(self, db):
        # Same province, another commune: out of a commune officer's scope.
        return make_application(SimpleNamespace(**{**vars(light_setup(HCM))}), attachments=False)

    def create_payload(self, own_object):
        setup = SimpleNamespace(province=own_object.province, local_call=own_object.call,
                                centre=own_object.implementing_organisation)
        return application_payload(setup, own_object.establishments.all())

    def update_payload(self, obj):
        return {"title": "Hỗ trợ máy sấy nông sản (bổ sung)"}


# The sub-resources of an application: (method, path, body, status for the member).
SUB_RESOURCES = [
    ("get", "events/", None, 200),
    ("get", "attachments/", None, 200),
    ("get", "duplicates/", None, 200),
    ("get", "score-sheet/", None, 200),
    ("post", "transitions/", {"action": "cancel", "reason": "Cơ sở rút đề nghị"}, 200),
    ("post", "attachments/", {"kind": "other"}, 400),  # no file
    ("post", "conflict-declaration/", {"has_conflict": False}, 409),  # not under appraisal
    ("post", "scores/", {"scores": {"1": {"score": 5}}}, 409),
]


def test_permission_matrix_of_sub_resources(make_member, no_role_user, api_client_for):
    own = make_application(light_setup(TAY_NINH), attachments=False)
    other = make_application(light_setup(HCM), attachments=False)
    member = make_member(Role.PROVINCE_OFFICER, TAY_NINH)
    callers = {"anonymous": APIClient(), "no_role": client_of(no_role_user), "member": client_of(member),
               "read_only": client_of(member, read_only=True)}
    for method, path, body, member_status in SUB_RESOURCES:
        def call(who, application, method=method, path=path, body=body):
            form = "multipart" if path == "attachments/" else "json"
            return getattr(callers[who], method)(f"{APPS}{application.pk}/{path}", body, format=form)

        assert call("anonymous", own).status_code == 401, path
        assert call("no_role", own).status_code == 403, path
        assert call("member", other).status_code == 404, path
        if method == "post":
            response = call("read_only", own)
            assert response.status_code == 403 and "chỉ đọc" in response.json()["detail"], path
        else:
            assert call("read_only", own).status_code == 200, path
        response = call("member", own)
        assert response.status_code == member_status, (path, response.content)
        assert response.status_code == 200 or response.json()["status"] == member_status


# --- Establishments: create through the service ---------------------------------------------


@pytest.fixture
def tn_client(tn_officer):
    return client_of(tn_officer)


@pytest.fixture
def hcm_client(hcm_officer):
    return client_of(hcm_officer)


def test_create_establishment(tn_client):
    response = tn_client.post(ESTABLISHMENTS, establishment_payload(woman_owned=True), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["province"] == TAY_NINH and body["commune"] == TAN_NINH_WARD  # province taken from the commune
    assert body["woman_owned"] is True and body["legal_form"] == "cooperative"
    assert body["location_eligible"] is True and body["location_problem"] is None
    assert tn_client.get(ESTABLISHMENTS, {"tax_code": "3901234567"}).json()["count"] == 1


def test_commune_outside_the_province_is_400(tn_client):
    response = tn_client.post(ESTABLISHMENTS, establishment_payload(province=TAY_NINH, commune=THU_DUC_WARD),
                              format="json")
    assert response.status_code == 400
    assert "commune" in response.json()["errors"]


def test_establishment_in_another_province_is_refused(tn_client):
    response = tn_client.post(ESTABLISHMENTS, establishment_payload(commune=THU_DUC_WARD), format="json")
    assert response.status_code == 403


def test_tax_code_formats(tn_client):
    # Enterprise (10 digits), branch (10 + "-" + 3), household's personal ID (12), or none.
    for tax_code in ["3901234567", "3901234567-001", "079123456789", ""]:
        response = tn_client.post(ESTABLISHMENTS, establishment_payload(tax_code=tax_code), format="json")
        assert response.status_code == 201, (tax_code, response.content)
        assert response.json()["tax_code"] == tax_code
    for tax_code in ["12345", "39012345678", "3901234567001", "390123456A", "3901234567-01", "3901234567-0011",
                     "07912345678", "3901234567 001"]:
        response = tn_client.post(ESTABLISHMENTS, establishment_payload(tax_code=tax_code), format="json")
        assert response.status_code == 400, tax_code
        assert any("10 chữ số" in message for message in response.json()["errors"]["tax_code"]), tax_code


def test_tax_code_is_unique_nationwide(tn_client, hcm_client):
    assert tn_client.post(ESTABLISHMENTS, establishment_payload(), format="json").status_code == 201
    response = hcm_client.post(ESTABLISHMENTS, establishment_payload(commune=THU_DUC_WARD), format="json")
    assert response.status_code == 400, response.content
    assert "đã có trong sổ đăng ký" in response.json()["errors"]["tax_code"][0]


def test_edit_establishment_and_location_rule(hcm_client):
    # A ward of a centrally-run city is eligible only inside a recognised craft village.
    created = hcm_client.post(ESTABLISHMENTS, establishment_payload(commune=THU_DUC_WARD), format="json").json()
    assert created["location_eligible"] is False
    assert "làng nghề" in created["location_problem"]
    url = f"{ESTABLISHMENTS}{created['id']}/"
    response = hcm_client.patch(url, {"craft_village": True}, format="json")
    assert response.status_code == 400 and "craft_village_name" in response.json()["errors"]
    response = hcm_client.patch(url, {"craft_village": True, "craft_village_name": "Làng nghề chiếu Bình Lợi"},
                                format="json")
    assert response.status_code == 200
    assert response.json()["location_eligible"] is True


def test_establishment_filters(tn_client):
    setup = light_setup(TAY_NINH)
    woman = make_establishment(setup, woman_owned=True, name="Cơ sở dệt thổ cẩm Hòa Thành")
    make_establishment(setup)
    ids = lambda **p: {r["id"] for r in tn_client.get(ESTABLISHMENTS, p).json()["results"]}  # noqa: E731
    assert ids(woman_owned=True) == {woman.pk}
    assert ids(q="det tho cam") == {woman.pk}
    assert ids(legal_form="household", province=TAY_NINH) >= {woman.pk}
    assert ids(province=HCM) == set()


# --- Applications: create and edit --------------------------------------------------------


@pytest.fixture
def world():
    """Tây Ninh ready for the whole workflow (and the Agency); most tests need no second province."""
    return build_world(province_codes=(TAY_NINH,))


@pytest.fixture
def tn(world):
    return world.provinces[TAY_NINH]


@pytest.fixture
def world2():
    return build_world()


def test_create_application_with_cost_lines(tn):
    est = make_establishment(tn)
    client = client_of(tn.officer)
    response = client.post(APPS, application_payload(tn, [est]), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["code"].startswith(f"KC-80-{timezone.localdate().year}-")
    assert body["total_cost"] == 500_000_000
    assert [(line["item"], line["amount"]) for line in body["cost_lines"]] == [("Máy sấy", 300_000_000),
                                                                             ("Lắp đặt", 200_000_000)]
    assert all(isinstance(line["amount"], int) and isinstance(line["unit_cost"], int) for line in body["cost_lines"])
    assert body["requested_support"] + body["counterpart_funds"] == body["total_cost"]
    assert body["establishments"] == [est.pk] and body["province"] == TAY_NINH
    assert body["call"] == tn.local_call.pk and body["activity_type"] == "MMTB" and body["fund_source"] == "local"
    assert body["allowed_actions"] == ["submit", "cancel"]
    assert body["approved_amount"] is None and body["days_in_status"] == 0 and body["version"] == 1


BAD_INPUTS = [
    ({"cost_lines": [cost_line(quantity="0")]}, "cost_lines", ""),
    ({"cost_lines": [cost_line(unit_cost=-5)]}, "cost_lines", ""),
    ({"cost_lines": [cost_line(unit_cost="năm trăm")]}, "cost_lines", ""),
    ({"cost_lines": [cost_line(amount=499_000_000)]}, "cost_lines", "số lượng × đơn giá"),
    ({"cost_lines": []}, "cost_lines", ""),
    ({"total_cost": 600_000_000}, "total_cost", "tổng các dòng dự toán"),
    ({"counterpart_funds": 100_000_000}, "counterpart_funds", "phải bằng tổng kinh phí"),
    ({"requested_support": "nhiều"}, "requested_support", ""),
    ({"activity_type": "KHONG_CO"}, "activity_type", ""),
    ({"establishments": []}, "establishments", ""),
]


def test_bad_money_or_lines_are_400(tn_officer):
    setup = light_setup(TAY_NINH)
    est = make_establishment(setup)
    client = client_of(tn_officer)
    for change, field, message in BAD_INPUTS:
        response = client.post(APPS, application_payload(setup, [est], **change), format="json")
        assert response.status_code == 400, (change, response.content)
        body = response.json()
        assert body["code"] == "invalid" and field in body["errors"], (change, body)
        assert message in str(body["errors"][field]), (change, body)
    assert not Application.objects.exists()


def test_establishment_of_another_province_is_400(world2):
    tn, hcm = world2.provinces[TAY_NINH], world2.provinces[HCM]
    other = make_establishment(hcm)
    # Not even visible to the Tây Ninh officer: "does not exist", never a hint.
    response = client_of(tn.officer).post(APPS, application_payload(tn, [other]), format="json")
    assert response.status_code == 400 and "establishments" in response.json()["errors"]
    # The Agency sees both provinces; the service still refuses to mix them.
    agency = client_of(_superuser())
    response = agency.post(APPS, application_payload(tn, [make_establishment(tn), other]), format="json")
    assert response.status_code == 400
    assert "thuộc tỉnh/thành của đề án" in response.json()["errors"]["establishments"][0]


def test_edit_draft_with_version_and_freeze_after_submit(tn):
    application = make_application(tn)
    client = client_of(tn.officer)
    url = f"{APPS}{application.pk}/"
    response = client.patch(url, {"title": "Máy sấy nông sản bằng năng lượng mặt trời", "version": 1},
                            format="json")
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    stale = client.patch(url, {"title": "Bản cũ", "version": 1}, format="json")
    assert stale.status_code == 409
    assert "phiên bản" in stale.json()["errors"]["reasons"][0]
    lines = client.patch(url, {"cost_lines": [cost_line(unit_cost=400_000_000)], "counterpart_funds": 200_000_000},
                         format="json")
    assert lines.status_code == 200 and lines.json()["total_cost"] == 400_000_000
    payload = application_payload(tn, application.establishments.all(), title="Máy sấy lúa", version=3)
    replaced = client.put(url, payload, format="json")
    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["title"] == "Máy sấy lúa" and replaced.json()["total_cost"] == 500_000_000
    assert client.put(url, {"title": "Thiếu mọi trường khác"}, format="json").status_code == 400
    assert client.post(f"{url}transitions/", {"action": "submit"}, format="json").status_code == 200
    frozen = client.put(url, application_payload(tn, application.establishments.all()), format="json")
    assert frozen.status_code == 409
    assert frozen.json()["errors"]["reasons"]


# --- The workflow through /transitions/ -------------------------------------------------------


def transition(client, application, action, **body):
    return client.post(f"{APPS}{application.pk}/transitions/", {"action": action, **body}, format="json")


def score_via_api(application, members, score=8):
    for member in members:
        client = client_of(member)
        url = f"{APPS}{application.pk}/"
        response = client.post(f"{url}conflict-declaration/", {"has_conflict": False}, format="json")
        assert response.status_code == 201, response.content
        criteria = application.call.criteria.all()
        response = client.post(f"{url}scores/", {"scores": {str(c.pk): {"score": score, "comment": "Đạt"}
                                                           for c in criteria}}, format="json")
        assert response.status_code == 200, response.content


def test_local_path_to_approval(tn):
    application = make_application(tn)
    officer, approver = client_of(tn.officer), client_of(tn.approver)
    response = transition(officer, application, "submit")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"
    assert response.json()["allowed_actions"] == ["return", "start_appraisal", "cancel"]
    assert transition(officer, application, "start_appraisal").json()["status"] == "under_appraisal"

    sheet = officer.get(f"{APPS}{application.pk}/score-sheet/").json()
    assert sheet["level"] == "provincial" and sheet["finished"] is False and len(sheet["members"]) == 3
    score_via_api(application, tn.council[:2], score=8)
    score_via_api(application, tn.council[2:], score=6)
    sheet = officer.get(f"{APPS}{application.pk}/score-sheet/").json()
    assert sheet["finished"] is True and sheet["passed"] is True
    totals = {m["username"]: m["weighted_total"] for m in sheet["members"]}
    assert totals == {tn.council[0].username: 80, tn.council[1].username: 80, tn.council[2].username: 60}
    assert sheet["average"] == pytest.approx(73.33) and sheet["pass_mark"] == 70

    today = timezone.localdate()
    response = transition(approver, application, "approve", decision_number="45/QĐ-SCT",
                          decision_date=today.isoformat(), approved_amount=180_000_000)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "approved" and body["approved_amount"] == 180_000_000
    assert body["decision_number"] == "45/QĐ-SCT" and body["decision_date"] == today.isoformat()
    assert body["allowed_actions"] == ["start_implementation", "cancel"]

    events = officer.get(f"{APPS}{application.pk}/events/").json()
    transitions = [e["action"] for e in events if e["to_status"]]
    assert transitions == ["create", "submit", "start_appraisal", "approve"]
    assert events[-1]["payload"]["approved_amount"] == 180_000_000 and events[-1]["actor"] == tn.approver.username
    allocation = officer.get("/api/v1/budget-allocations/", {"programme": tn.local_programme.pk}).json()["results"][0]
    assert allocation["committed"] == 180_000_000 and allocation["remaining"] == 2_000_000_000 - 180_000_000


def test_national_path_to_agency_approval(tn, world):
    application = make_application(tn, national=True, activity_type="MO_HINH_TD", requested=150_000_000)
    officer, approver = client_of(tn.officer), client_of(tn.approver)
    assert transition(officer, application, "submit").status_code == 200
    assert transition(officer, application, "start_appraisal").status_code == 200
    score_via_api(application, tn.council)
    # A national scheme is endorsed by the province, not approved by it.
    assert "approve" not in approver.get(f"{APPS}{application.pk}/").json()["allowed_actions"]
    response = transition(approver, application, "endorse")
    assert response.status_code == 200 and response.json()["status"] == "endorsed"
    agency_officer, agency_approver = client_of(world.agency_officer), client_of(world.agency_approver)
    assert agency_officer.get(f"{APPS}{application.pk}/").json()["allowed_actions"] == [
        "return", "start_national_appraisal"]
    assert transition(agency_officer, application, "start_national_appraisal").json()["status"] == (
        "under_national_appraisal")
    sheet = agency_officer.get(f"{APPS}{application.pk}/score-sheet/").json()
    assert sheet["level"] == "national" and sheet["finished"] is False
    score_via_api(application, world.agency_council, score=9)
    assert agency_officer.get(f"{APPS}{application.pk}/score-sheet/").json()["passed"] is True
    # Provincial sheet still readable with ?level=.
    assert officer.get(f"{APPS}{application.pk}/score-sheet/", {"level": "provincial"}).json()["finished"] is True
    response = transition(agency_approver, application, "approve", decision_number="812/QĐ-BCT",
                          decision_date=timezone.localdate().isoformat(), approved_amount=150_000_000)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"


def test_application_gone_from_scope_inside_the_service_is_404(tn_officer, monkeypatch):
    # A race: visible when the view read it, gone from the caller's scope when the
    # service locked it. The service's Application.DoesNotExist is a 404, not a 500.
    application = make_application(light_setup(TAY_NINH), attachments=False)

    def vanished(**kwargs):
        raise Application.DoesNotExist("Không tìm thấy đề án.")

    monkeypatch.setattr(app_services, "application_transition", vanished)
    response = transition(client_of(tn_officer), application, "submit")
    assert response.status_code == 404
    assert response.json() == {"status": 404, "code": "not_found", "detail": "Không tìm thấy. / Not found."}


@pytest.fixture
def appraised(tn):
    """A local application under appraisal that the council has passed."""
    application = to_under_appraisal(tn, make_application(tn))
    score_all(application, tn.council, CouncilLevel.PROVINCIAL)
    return application


def approve_body(**overrides):
    body = {"decision_number": "45/QĐ-SCT", "decision_date": timezone.localdate().isoformat(),
            "approved_amount": 150_000_000}
    body.update(overrides)
    return body


def test_refusals_of_a_transition(tn, appraised, make_member):
    approver = client_of(tn.approver)
    # Wrong state: 409 with the reason.
    draft = make_application(tn)
    response = transition(approver, draft, "approve", **approve_body())
    assert response.status_code == 409
    assert response.json()["code"] == "conflict" and response.json()["errors"]["reasons"]
    # Visible but not this role's step: 403 with why.
    response = transition(client_of(tn.officer), appraised, "approve", **approve_body())
    assert response.status_code == 403 and "Vai trò" in response.json()["detail"]
    # Council members appraise, they do not decide.
    assert transition(client_of(tn.council[0]), appraised, "reject", reason="x").status_code == 403
    # Another province's application does not exist for this caller.
    hcm_approver = make_member(Role.PROVINCE_APPROVER, HCM)
    response = transition(client_of(hcm_approver), appraised, "approve", **approve_body())
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    # A read-only token never writes.
    assert transition(client_of(tn.approver, read_only=True), appraised, "reject", reason="x").status_code == 403
    # Inputs: 400 with field errors.
    for body, field in [
        ({"action": "return"}, "reason"),
        ({"action": "reject", "reason": "   "}, "reason"),
        ({"action": "approve", **approve_body(decision_number="")}, "decision_number"),
        ({"action": "approve", **approve_body(decision_date=None)}, "decision_date"),
        ({"action": "approve", **approve_body(approved_amount=None)}, "approved_amount"),
        ({"action": "approve", **approve_body(approved_amount="một trăm")}, "approved_amount"),
        ({"action": "approve", **approve_body(approved_amount=250_000_000)}, "approved_amount"),  # > requested
        ({"action": "approve", **approve_body(approved_amount=0)}, "approved_amount"),
        ({"action": "phe_duyet"}, "action"),
    ]:
        response = approver.post(f"{APPS}{appraised.pk}/transitions/", body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert field in response.json()["errors"], (body, response.json())
    # A stale version is a 409.
    response = transition(approver, appraised, "approve", version=appraised.version - 1, **approve_body())
    assert response.status_code == 409 and "phiên bản" in response.json()["errors"]["reasons"][0]
    appraised.refresh_from_db()
    assert appraised.status == Status.UNDER_APPRAISAL and appraised.approved_amount is None


def test_amount_above_the_cap_in_force_is_400(tn, appraised):
    # A stricter provincial cap took effect after submission.
    SupportRule.objects.create(fund_source=FundSource.LOCAL, province=tn.province, activity_type_id="MMTB",
                               max_amount=100_000_000, valid_from=timezone.localdate())
    response = transition(client_of(tn.approver), appraised, "approve", **approve_body())
    assert response.status_code == 400
    assert "mức hỗ trợ tối đa" in response.json()["errors"]["approved_amount"][0]


def test_amount_above_the_remaining_allocation_is_409(tn, appraised):
    budget_allocation_set(user=_superuser(), programme=tn.local_programme, province=tn.province,
                          year=appraised.year, amount=100_000_000, reason="Điều chỉnh dự toán")
    response = transition(client_of(tn.approver), appraised, "approve", **approve_body())
    assert response.status_code == 409
    assert "không đủ" in response.json()["errors"]["reasons"][0]
    # Within what is left it goes through.
    response = transition(client_of(tn.approver), appraised, "approve", **approve_body(approved_amount=100_000_000))
    assert response.status_code == 200 and response.json()["status"] == "approved"


def test_unfinished_appraisal_blocks_approval_with_every_reason(tn):
    application = to_under_appraisal(tn, make_application(tn))
    score_via_api(application, tn.council[:1])
    response = transition(client_of(tn.approver), application, "approve", **approve_body())
    assert response.status_code == 409
    reasons = response.json()["errors"]["reasons"]
    assert len(reasons) == 2 and all("chưa khai báo" in r for r in reasons)


def test_allowed_actions_differ_by_role(tn, world, appraised):
    def allowed(user):
        return client_of(user).get(f"{APPS}{appraised.pk}/").json()["allowed_actions"]

    assert allowed(tn.officer) == ["return", "cancel"]
    assert allowed(tn.approver) == ["return", "approve", "reject", "cancel"]
    assert allowed(tn.council[0]) == []
    assert allowed(world.agency_approver) == []  # a local scheme is the province's decision
    listed = client_of(tn.approver).get(APPS, {"status": "under_appraisal"}).json()["results"]
    assert [row["allowed_actions"] for row in listed] == [["return", "approve", "reject", "cancel"]]


# --- Council: declarations and scores -----------------------------------------------------------


def test_council_member_declares_before_scoring(tn, make_member):
    application = to_under_appraisal(tn, make_application(tn))
    member = client_of(tn.council[0])
    url = f"{APPS}{application.pk}/"
    criteria = list(application.call.criteria.all())
    scores = {"scores": {str(c.pk): {"score": 7} for c in criteria}}
    # The dossier stays closed and scoring waits for the declaration.
    assert member.get(f"{url}attachments/").status_code == 403
    assert member.post(f"{url}scores/", scores, format="json").status_code == 409
    assert member.post(f"{url}conflict-declaration/", {"has_conflict": True}, format="json").status_code == 400
    assert member.post(f"{url}conflict-declaration/", {"has_conflict": False}, format="json").status_code == 201
    assert member.post(f"{url}conflict-declaration/", {"has_conflict": False}, format="json").status_code == 409
    assert member.get(f"{url}attachments/").status_code == 200
    too_high = {"scores": {str(criteria[0].pk): {"score": 11}}}
    response = member.post(f"{url}scores/", too_high, format="json")
    assert response.status_code == 400 and "scores" in response.json()["errors"]
    response = member.post(f"{url}scores/", scores, format="json")
    assert response.status_code == 200
    assert [s["score"] for s in response.json()["scores"]] == [7, 7, 7]
    # Not on the council: refused; another province: not found.
    assert client_of(tn.officer).post(f"{url}scores/", scores, format="json").status_code == 403
    hcm_member = client_of(make_member(Role.COUNCIL_MEMBER, HCM))
    assert hcm_member.post(f"{url}conflict-declaration/", {"has_conflict": False},
                           format="json").status_code == 404


def test_conflict_gate_covers_the_dossier_its_timeline_and_score_sheet(tn, world, make_member):
    application = to_under_appraisal(tn, make_application(tn))
    scorer, undeclared, conflicted = tn.council
    score_all(application, [scorer], CouncilLevel.PROVINCIAL, score=9)
    app_services.conflict_declare(user=conflicted, application_id=application.pk, has_conflict=True,
                                  note="Người nhà của chủ cơ sở")
    url = f"{APPS}{application.pk}/"
    for member, why in ((undeclared, "Khai báo xung đột lợi ích trước"), (conflicted, "đã khai báo có xung đột")):
        client = client_of(member)
        for endpoint, query in (("score-sheet/", {}), ("score-sheet/", {"level": "provincial"}), ("events/", {})):
            response = client.get(f"{url}{endpoint}", query)
            assert response.status_code == 403, (member.username, endpoint)
            assert why in response.json()["detail"] and "Đạt" not in response.content.decode()
        # What the declaration needs, and nothing more of the dossier.
        body = client.get(url).json()
        assert (body["code"], body["title"], body["call"]) == (application.code, application.title,
                                                               application.call_id)
        assert why in body["closed_reason"]
        assert not {"cost_lines", "establishments", "requested_support", "objectives"} & set(body)
        row = next(r for r in client.get(APPS).json()["results"] if r["id"] == application.pk)
        assert row == body
    # A conflicted member still does not score.
    scores = {"scores": {str(c.pk): {"score": 7} for c in application.call.criteria.all()}}
    assert client_of(conflicted).post(f"{url}scores/", scores, format="json").status_code == 403
    # Officers, approvers, the Agency and auditors read everything, as before.
    for user in (tn.officer, tn.approver, world.agency_officer, make_member(Role.AUDITOR, TAY_NINH)):
        client = client_of(user)
        assert "cost_lines" in client.get(url).json()
        assert any(e["action"] == "scores_submitted" for e in client.get(f"{url}events/").json())
        sheet = {m["username"]: m for m in client.get(f"{url}score-sheet/").json()["members"]}
        assert sheet[scorer.username]["weighted_total"] == 90
        assert {s["comment"] for s in sheet[scorer.username]["scores"].values()} == {"Đạt"}


def test_council_members_score_blind(tn):
    application = to_under_appraisal(tn, make_application(tn))
    first, second, _third = tn.council
    score_all(application, [first], CouncilLevel.PROVINCIAL, score=9)
    app_services.conflict_declare(user=second, application_id=application.pk, has_conflict=False)
    member, url = client_of(second), f"{APPS}{application.pk}/"
    criteria = list(application.call.criteria.all())

    def reads():
        sheet = {m["username"]: m for m in member.get(f"{url}score-sheet/").json()["members"]}
        submitted = [e for e in member.get(f"{url}events/").json()
                     if e["action"] == "scores_submitted" and e["actor"] == first.username]
        return sheet, submitted

    # Declared, not yet scored; then part of the criteria: the others' scores stay hidden.
    partial = {"scores": {str(criteria[0].pk): {"score": 6, "comment": "Một phần"}}}
    for step in ("declared", "partial"):
        if step == "partial":
            assert member.post(f"{url}scores/", partial, format="json").status_code == 200
        sheet, submitted = reads()
        other = sheet[first.username]
        assert other["scores"] == {} and other["weighted_total"] is None and other.get("hidden") is True, step
        assert other["complete"] is True  # who has finished is not a secret; the scores are
        assert submitted and all("scores" not in e["payload"] for e in submitted), step
        mine = sheet[second.username]
        assert mine["hidden"] is False
        assert (step == "partial") == ({s["comment"] for s in mine["scores"].values()} == {"Một phần"})
    # Once the member's own set is complete, the others' scores and comments open.
    full = {"scores": {str(c.pk): {"score": 8, "comment": "Khá"} for c in criteria}}
    assert member.post(f"{url}scores/", full, format="json").status_code == 200
    sheet, submitted = reads()
    assert sheet[first.username]["weighted_total"] == 90 and sheet[first.username]["hidden"] is False
    assert {s["comment"] for s in sheet[first.username]["scores"].values()} == {"Đạt"}
    assert submitted and all(e["payload"]["scores"] for e in submitted)


# --- Attachments ---------------------------------------------------------------------------------


def test_attachments_upload_list_download_remove(tn, hcm_officer, settings):
    application = make_application(tn, attachments=False)
    client = client_of(tn.officer)
    url = f"{APPS}{application.pk}/attachments/"
    upload = SimpleUploadedFile("Thuyết minh đề án.pdf", PDF_BYTES, content_type="application/pdf")
    response = client.post(url, {"kind": "scheme_document", "file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    attachment = response.json()
    assert attachment["content_type"] == "application/pdf" and attachment["size"] == len(PDF_BYTES)
    assert attachment["original_name"] == "Thuyết minh đề án.pdf"

    # The type is told by the content, not the name.
    fake = SimpleUploadedFile("bao-gia.pdf", b"just some text, not a PDF\n" * 10, content_type="application/pdf")
    response = client.post(url, {"kind": "quotation", "file": fake}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()["errors"]
    settings.KC_ATTACHMENT_MAX_BYTES = len(PNG_BYTES) - 1
    big = SimpleUploadedFile("anh.png", PNG_BYTES, content_type="image/png")
    response = client.post(url, {"kind": "other", "file": big}, format="multipart")
    assert response.status_code == 400 and "quá lớn" in response.json()["errors"]["file"][0]
    response = client.post(url, {"kind": "bia", "file": big}, format="multipart")
    assert response.status_code == 400 and "kind" in response.json()["errors"]

    download = client.get(attachment["download_url"], HTTP_ACCEPT="application/pdf")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "Thuy" in download["Content-Disposition"]
    # Scoped: another province's officer gets 404, on the list and on the file.
    other = client_of(hcm_officer)
    assert other.get(url).status_code == 404
    assert other.get(attachment["download_url"]).status_code == 404
    # An attachment id under the wrong application is not found either.
    other_app = make_application(tn, attachments=False)
    wrong = f"{APPS}{other_app.pk}/attachments/{attachment['id']}/download/"
    assert client.get(wrong).status_code == 404

    response = client.post(f"{url}{attachment['id']}/remove/")
    assert response.status_code == 200
    assert client.get(url).json() == []
    assert client.get(attachment["download_url"]).status_code == 404


def test_commune_officer_reads_the_timeline_and_files_of_their_proposal(make_member):
    setup = light_setup(TAY_NINH)
    est = make_establishment(setup, commune=Commune.objects.get(code=TAN_NINH_WARD))
    application = make_application(setup, establishments=[est])
    client = client_of(make_member(Role.COMMUNE_OFFICER, TAY_NINH, commune=TAN_NINH_WARD))
    url = f"{APPS}{application.pk}/"
    assert [e["action"] for e in client.get(f"{url}events/").json()][:2] == ["create", "attachment_add"]
    files = client.get(f"{url}attachments/").json()
    assert len(files) == 3
    assert client.get(files[0]["download_url"]).status_code == 200
    assert client.get(url).json()["allowed_actions"] == ["submit"]


def test_commune_officer_proposes_for_their_commune(make_member):
    setup = light_setup(TAY_NINH)
    own = make_establishment(setup, commune=Commune.objects.get(code=TAN_NINH_WARD))
    elsewhere = make_establishment(setup)  # another commune of the province
    client = client_of(make_member(Role.COMMUNE_OFFICER, TAY_NINH, commune=TAN_NINH_WARD))
    payload = application_payload(setup, [own])
    del payload["province"]  # taken from the beneficiaries
    response = client.post(APPS, payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["province"] == TAY_NINH and response.json()["allowed_actions"] == ["submit"]
    response = client.post(APPS, application_payload(setup, [elsewhere]), format="json")
    assert response.status_code == 400 and "establishments" in response.json()["errors"]


# --- Duplicates, filters and query counts ---------------------------------------------------------


def test_duplicates_by_tax_code(tn):
    shared = make_establishment(tn, tax_code="3909999999")
    submitted = make_application(tn, establishments=[shared])
    app_services.application_transition(user=tn.officer, application_id=submitted.pk, action="submit")
    draft = make_application(tn, establishments=[shared])
    client = client_of(tn.officer)
    rows = client.get(f"{APPS}{draft.pk}/duplicates/").json()
    assert [(r["code"], r["status"], r["province"]) for r in rows] == [(submitted.code, "submitted", TAY_NINH)]
    assert "id" not in rows[0]
    assert client.get(f"{APPS}{draft.pk}/").json()["duplicate_count"] == 1
    assert client.get(f"{APPS}{submitted.pk}/").json()["duplicate_count"] == 0  # a draft is not support
    listed = {r["id"]: r["duplicate_count"] for r in client.get(APPS).json()["results"]}
    assert listed == {draft.pk: 1, submitted.pk: 0}


def test_application_filters(world2):
    world = world2
    tn, hcm = world.provinces[TAY_NINH], world.provinces[HCM]
    dryer = make_application(tn)
    training_est = make_establishment(tn, commune=Commune.objects.get(code=TAN_NINH_WARD))
    training = make_application(tn, establishments=[training_est], activity_type="DAO_TAO", requested=50_000_000,
                                total=100_000_000)
    app_services.application_update(user=tn.officer, application_id=training.pk,
                                    data={"title": "Đào tạo nghề mây tre đan"})
    app_services.application_transition(user=tn.officer, application_id=training.pk, action="submit")
    national = make_application(tn, national=True, activity_type="MO_HINH_TD", requested=150_000_000)
    other = make_application(hcm)
    Application.objects.filter(pk=training.pk).update(status_changed_at=timezone.now() - timedelta(days=11))
    agency = client_of(world.agency_officer)

    def ids(**params):
        response = agency.get(APPS, params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids(q="may say") == {dryer.pk, national.pk, other.pk}
    assert ids(q="MÁY SẤY", province=TAY_NINH) == {dryer.pk, national.pk}
    assert ids(q="mây tre") == {training.pk}
    assert ids(q=training.code.lower()) == {training.pk}
    assert ids(province=HCM) == {other.pk}
    assert ids(commune=TAN_NINH_WARD) == {training.pk}
    assert ids(status=["submitted", "draft"]) == {dryer.pk, training.pk, national.pk, other.pk}
    assert ids(status="submitted") == {training.pk}
    assert ids(fund_source="national") == {national.pk}
    assert ids(activity_type="DAO_TAO") == {training.pk}
    assert ids(programme=world.national_programme.pk) == {national.pk}
    assert ids(call=tn.local_call.pk) == {dryer.pk, training.pk}
    assert ids(year=timezone.localdate().year, province=TAY_NINH) == {dryer.pk, training.pk, national.pk}
    assert ids(year=2001) == set()
    assert ids(overdue=True) == {training.pk}
    assert training.pk not in ids(overdue=False)
    assert ids(establishment=training_est.pk) == {training.pk}
    assert agency.get(f"{APPS}{training.pk}/").json()["is_overdue"] is True
    assert agency.get(APPS, {"status": "approved_maybe"}).status_code == 400
    # A province officer's filters never reach beyond the province.
    assert client_of(tn.officer).get(APPS, {"province": HCM}).json()["count"] == 0


def _queries(client, url, page_size):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
    return len(queries)


def test_list_queries_do_not_grow_with_page_size(tn, capsys):
    shared = make_establishment(tn)
    for i in range(60):
        establishments = [make_establishment(tn)] if i % 2 else [shared, make_establishment(tn)]
        make_application(tn, establishments=establishments, attachments=False)
    client = client_of(tn.officer)
    client.get(APPS)  # stamps the token's last use
    counts = {url: (_queries(client, url, 5), _queries(client, url, 50)) for url in (APPS, ESTABLISHMENTS)}
    with capsys.disabled():
        for url, (small, large) in counts.items():
            print(f"\n[queries] {url}: page_size=5 → {small}, page_size=50 → {large}")
    assert all(small == large for small, large in counts.values()), counts


def test_approved_local_application_lists_with_its_decision(tn):
    application = approve_local(tn, make_application(tn), amount=120_000_000)
    row = client_of(tn.officer).get(APPS, {"status": "approved"}).json()["results"][0]
    assert row["id"] == application.pk and row["approved_amount"] == 120_000_000
    assert row["decision_number"] == "123/QĐ-SCT" and Decimal(row["total_cost"]) == 500_000_000


def test_empty_status_parameter_means_any_status(api_client_for, tn_officer):
    """A blank form field (``?status=``) is ignored rather than emptying the list."""
    client = api_client_for(tn_officer)
    everything = client.get("/api/v1/applications/").json()["count"]
    blank = client.get("/api/v1/applications/?status=&fund_source=")
    assert blank.status_code == 200
    assert blank.json()["count"] == everything


def test_row_errors_of_the_service_come_back_aligned_with_the_input(tn_officer):
    """The service's per-row rule (amount = quantity × unit cost) travels as structured data:
    the second row's error sits at index 1, under its column, as a nested serializer's would."""
    setup = light_setup(TAY_NINH)
    est = make_establishment(setup)
    lines = [cost_line(unit_cost=300_000_000), cost_line(item="Lắp đặt", unit_cost=200_000_000, amount=1)]
    response = client_of(tn_officer).post(APPS, application_payload(setup, [est], cost_lines=lines), format="json")
    assert response.status_code == 400, response.content
    rows = response.json()["errors"]["cost_lines"]
    assert rows[0] == {} and list(rows[1]) == ["amount"]
    assert "số lượng × đơn giá (200.000.000 ₫)" in rows[1]["amount"][0]
    assert not Application.objects.exists()
