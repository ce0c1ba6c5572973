"""The API after the decision: the records of one application (contracts, disbursements,
progress reports, inspections, change requests, acceptance, settlement), the steps that
record something first (start of implementation, completion), the payments list across
applications and the budget ledger — the permission matrix of each, and what a client
sees for bad input (400), wrong state or broken money rule (409), another province (404)
and a read-only token (403)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from applications import services
from applications.choices import Status
from applications.ledger import ledger
from applications.models import Acceptance, Application, ChangeRequest, Contract, Disbursement, Settlement
from provinces.choices import Role

from .api_matrix import ApiPermissionMatrix
from .conftest import HCM, TAY_NINH
from .factories import (
    PDF_BYTES,
    accept_implementation,
    approve_local,
    build_world,
    complete_implementation,
    implement,
    make_application,
    pdf_file,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def fresh(application):
    return Application.objects.get(pk=application.pk)


def running(setup, **kwargs):
    application = make_application(setup, **kwargs)
    approve_local(setup, application)
    implement(setup, application)
    return fresh(application)


def pay(setup, application, amount, kind="payment"):
    return services.disbursement_add(user=setup.officer, application_id=application.pk, kind=kind, amount=amount,
                                     paid_on=TODAY(), reference=f"UNC-{kind}-{amount}")


def nested(application, name, pk=None):
    base = f"/api/v1/applications/{application.pk}/{name}/"
    return f"{base}{pk}/" if pk else base


# --- The permission matrix of the per-application record lists ----------------------------------


class NestedRecordMatrix(ApiPermissionMatrix):
    """The matrix on ``/applications/{id}/<records>/``: the list is the records of the own
    object's application; the other province's application is a 404 whatever the method;
    records are never edited (PATCH → 405)."""

    writable = True

    @pytest.fixture
    def world(self, db):
        return build_world((TAY_NINH, HCM))

    @pytest.fixture(autouse=True)
    def _remember_own(self, own_object):
        self._own = own_object

    @pytest.fixture
    def own_object(self, world):
        return self.make_records(world.provinces[TAY_NINH])

    @pytest.fixture
    def other_object(self, world):
        return self.make_records(world.provinces[HCM])

    def make_records(self, setup):
        """Two records in one application of ``setup``'s province; returns the first."""
        raise NotImplementedError

    def list_url(self) -> str:
        return reverse(f"{self.basename}-list", kwargs={"application_pk": self._own.application_id})

    def detail_url(self, obj) -> str:
        return reverse(f"{self.basename}-detail", kwargs={"application_pk": obj.application_id, "pk": obj.pk})

    def _listed_keys(self, client, obj) -> set:
        response = client.get(reverse(f"{self.basename}-list", kwargs={"application_pk": obj.application_id}),
                              {"page_size": 500})
        if response.status_code == 404:  # another province's application: nothing to list
            return set()
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    def expected(self, case) -> int:
        if case.who == "member" and case.method == "patch" and case.target == "own":
            return 405
        return super().expected(case)


class TestContractsMatrix(NestedRecordMatrix):
    basename = "application-contract"

    def make_records(self, setup):
        application = running(setup)
        services.contract_add(user=setup.officer, application_id=application.pk, number="02/HĐ", signed_on=TODAY(),
                              beneficiary=application.establishments.first(), value=1_000_000)
        return application.contracts.order_by("pk").first()

    def create_payload(self, own_object):
        return {"number": "03/2026/HĐ-KC", "signed_on": TODAY().isoformat(),
                "beneficiary": own_object.beneficiary_id, "value": 5_000_000}


class TestApplicationDisbursementsMatrix(NestedRecordMatrix):
    basename = "application-disbursement"

    def make_records(self, setup):
        application = running(setup)
        first = pay(setup, application, 20_000_000, kind="advance")
        pay(setup, application, 10_000_000)
        return first

    def create_payload(self, own_object):
        return {"kind": "payment", "amount": 1_000_000, "paid_on": TODAY().isoformat(), "reference": "UNC-77"}


class TestProgressReportsMatrix(NestedRecordMatrix):
    basename = "application-progress-report"

    def make_records(self, setup):
        application = running(setup)
        reports = [services.progress_report_add(user=setup.officer, application_id=application.pk,
                                                period_start=TODAY(), period_end=TODAY(), percent_done=p,
                                                narrative="Đang lắp đặt") for p in (20, 40)]
        return reports[0]

    def create_payload(self, own_object):
        return {"period_start": TODAY().isoformat(), "period_end": TODAY().isoformat(), "percent_done": 60,
                "narrative": "Đã chạy thử"}


class TestInspectionsMatrix(NestedRecordMatrix):
    basename = "application-inspection"

    def make_records(self, setup):
        application = running(setup)
        found = [services.inspection_add(user=setup.officer, application_id=application.pk, inspected_on=TODAY(),
                                         inspectors="Phòng Công nghiệp", findings=f"Đúng tiến độ {i}")
                 for i in (1, 2)]
        return found[0]

    def create_payload(self, own_object):
        return {"inspected_on": TODAY().isoformat(), "inspectors": "Sở Công Thương", "findings": "Đạt yêu cầu"}


class TestChangeRequestsMatrix(NestedRecordMatrix):
    basename = "application-change-request"

    def make_records(self, setup):
        application = running(setup)
        made = [services.change_request_create(user=setup.officer, application_id=application.pk, kind="schedule",
                                               description=f"Lùi tiến độ {i}",
                                               new_end_date=TODAY() + timedelta(days=100 + i)) for i in (1, 2)]
        return made[0]

    def create_payload(self, own_object):
        return {"kind": "schedule", "description": "Thiết bị về chậm",
                "new_end_date": (TODAY() + timedelta(days=200)).isoformat()}


class TestDisbursementsMatrix(ApiPermissionMatrix):
    """The payments list across applications (read-only)."""

    basename = "disbursement"

    @pytest.fixture
    def world(self, db):
        return build_world((TAY_NINH, HCM))

    @pytest.fixture
    def own_object(self, world):
        setup = world.provinces[TAY_NINH]
        application = running(setup)
        return pay(setup, application, 30_000_000, kind="advance")

    @pytest.fixture
    def other_object(self, world):
        setup = world.provinces[HCM]
        application = running(setup)
        return pay(setup, application, 25_000_000, kind="advance")


# --- Single records and the budget ledger: the same table, by hand ----------------------------------


@pytest.fixture
def w(db):
    world = build_world((TAY_NINH, HCM))
    world.tn = world.provinces[TAY_NINH]
    world.hcm = world.provinces[HCM]
    return world


@pytest.fixture
def settled_pair(w):
    """A settled application in each province."""
    made = {}
    for code, setup in ((TAY_NINH, w.tn), (HCM, w.hcm)):
        application = running(setup)
        pay(setup, application, 50_000_000, kind="advance")
        complete_implementation(setup, application)
        accept_implementation(setup, application)
        services.application_settle(user=setup.approver, application_id=application.pk, settled_amount=190_000_000,
                                    final_payment_amount=140_000_000, final_payment_reference="UNC-QT",
                                    decision_number="9/QĐ-QT", decision_date=TODAY())
        made[code] = fresh(application)
    return made


@pytest.mark.parametrize("endpoint", ["acceptance", "settlement"])
@pytest.mark.parametrize("who,target,expected", [
    ("anonymous", "own", 401), ("no_role", "own", 403), ("member", "own", 200), ("member", "other", 404),
    ("member_read_only", "own", 200), ("agency", "own", 200), ("agency", "other", 200),
])
def test_single_record_read_matrix(endpoint, who, target, expected, settled_pair, make_member, no_role_user,
                                   agency_officer, api_client_for):
    member = make_member(Role.PROVINCE_OFFICER, TAY_NINH)
    client = {"anonymous": lambda: api_client_for(None), "no_role": lambda: api_client_for(no_role_user),
              "member": lambda: api_client_for(member),
              "member_read_only": lambda: api_client_for(member, read_only=True),
              "agency": lambda: api_client_for(agency_officer)}[who]()
    application = settled_pair[TAY_NINH if target == "own" else HCM]
    response = client.get(nested(application, endpoint))
    assert response.status_code == expected, response.content
    if expected == 200:
        model = Acceptance if endpoint == "acceptance" else Settlement
        assert response.json()["id"] == model.objects.get(application=application).pk
    else:
        assert response.json()["status"] == expected and response.json()["detail"]


@pytest.mark.parametrize("endpoint", ["acceptance", "settlement", "start-implementation", "completion"])
@pytest.mark.parametrize("who,target,expected", [
    ("anonymous", "own", 401), ("no_role", "own", 403), ("member_read_only", "own", 403), ("member", "other", 404),
])
def test_single_record_write_refusals_change_nothing(endpoint, who, target, expected, w, make_member, no_role_user,
                                                     api_client_for):
    member = make_member(Role.PROVINCE_APPROVER, TAY_NINH)
    client = {"anonymous": lambda: api_client_for(None), "no_role": lambda: api_client_for(no_role_user),
              "member": lambda: api_client_for(member),
              "member_read_only": lambda: api_client_for(member, read_only=True)}[who]()
    application = make_application(w.tn if target == "own" else w.hcm)
    approve_local(w.tn if target == "own" else w.hcm, application)
    before = fresh(application)
    response = client.post(nested(application, endpoint), {}, format="json")
    assert response.status_code == expected, response.content
    after = fresh(application)
    assert (after.status, after.version) == (before.status, before.version)
    assert not Contract.objects.filter(application=application).exists()


@pytest.mark.parametrize("who,expected", [("anonymous", 401), ("no_role", 403), ("member", 200),
                                          ("member_read_only", 200), ("agency", 200)])
def test_ledger_read_matrix(who, expected, settled_pair, make_member, no_role_user, agency_officer, api_client_for):
    member = make_member(Role.PROVINCE_OFFICER, TAY_NINH)
    client = {"anonymous": lambda: api_client_for(None), "no_role": lambda: api_client_for(no_role_user),
              "member": lambda: api_client_for(member),
              "member_read_only": lambda: api_client_for(member, read_only=True),
              "agency": lambda: api_client_for(agency_officer)}[who]()
    response = client.get("/api/v1/budget-allocations/ledger/")
    assert response.status_code == expected, response.content
    if expected == 200:
        provinces = {row["province_id"] for row in response.json()["rows"]}
        assert provinces == ({TAY_NINH, HCM} if who == "agency" else {TAY_NINH})
    assert client.post("/api/v1/budget-allocations/ledger/", {}, format="json").status_code in (401, 403, 405)


def test_ledger_rows_are_the_selectors_rows_in_the_callers_scope(w, settled_pair, api_client_for):
    year = TODAY().year
    response = api_client_for(w.tn.officer).get("/api/v1/budget-allocations/ledger/", {"year": year})
    assert response.json() == ledger(user=w.tn.officer, year=year)
    row = next(r for r in response.json()["rows"] if r["programme_id"] == w.tn.local_programme.pk)
    assert (row["allocated"], row["committed"], row["disbursed"], row["settled"], row["released"]) == (
        2_000_000_000, 190_000_000, 190_000_000, 190_000_000, 10_000_000)
    assert row["remaining"] == 2_000_000_000 - 190_000_000
    agency = api_client_for(w.agency_officer).get("/api/v1/budget-allocations/ledger/", {"year": year}).json()
    assert agency["totals"]["settled"] == 2 * 190_000_000
    national = api_client_for(w.agency_officer).get("/api/v1/budget-allocations/ledger/",
                                                    {"fund_source": "national"}).json()
    assert national["rows"] and {r["fund_source"] for r in national["rows"]} == {"national"}
    assert national["totals"]["settled"] == 0
    only_hcm = api_client_for(w.agency_officer).get("/api/v1/budget-allocations/ledger/", {"province": HCM}).json()
    assert {r["province_id"] for r in only_hcm["rows"]} == {HCM}
    bad = api_client_for(w.agency_officer).get("/api/v1/budget-allocations/ledger/", {"year": "năm"})
    assert bad.status_code == 400 and "year" in bad.json()["errors"]


# --- Behaviour --------------------------------------------------------------------------------------


def test_full_life_through_the_api(w, api_client_for):
    officer, approver = api_client_for(w.tn.officer), api_client_for(w.tn.approver)
    application = make_application(w.tn)
    approve_local(w.tn, application)
    beneficiary = application.establishments.first().pk

    response = officer.post(nested(application, "start-implementation"), {"contracts": [
        {"number": "01/2026/HĐ-KC", "signed_on": TODAY().isoformat(), "beneficiary": beneficiary,
         "value": 200_000_000}]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Status.IN_PROGRESS
    assert officer.get(nested(application, "contracts")).json()["count"] == 1

    advance = officer.post(nested(application, "disbursements"), {
        "kind": "advance", "amount": 140_000_000, "paid_on": TODAY().isoformat(), "reference": "TU-01"},
        format="json")
    assert advance.status_code == 201, advance.content
    assert advance.json()["amount"] == 140_000_000 and advance.json()["kind"] == "advance"
    report = officer.post(nested(application, "progress-reports"), {
        "period_start": TODAY().isoformat(), "period_end": TODAY().isoformat(), "percent_done": 100,
        "narrative": "Đã lắp đặt xong"}, format="json")
    assert report.status_code == 201, report.content

    done = officer.post(nested(application, "completion"), {
        "report_file": SimpleUploadedFile("bao-cao.pdf", PDF_BYTES, "application/pdf"),
        "narrative": "Hoàn thành"}, format="multipart")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == Status.COMPLETED

    accepted = approver.post(nested(application, "acceptance"), {
        "accepted_on": TODAY().isoformat(), "committee_members": "Sở Công Thương; UBND xã", "result": "passed",
        "achieved_jobs": 12, "minutes_file": SimpleUploadedFile("bien-ban.pdf", PDF_BYTES, "application/pdf")},
        format="multipart")
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["result"] == "passed" and accepted.json()["minutes"]
    assert fresh(application).status == Status.ACCEPTED

    settled = approver.post(nested(application, "settlement"), {
        "settled_amount": 195_000_000, "final_payment_amount": 55_000_000, "final_payment_reference": "UNC-QT",
        "decision_number": "15/QĐ-QT", "decision_date": TODAY().isoformat()}, format="json")
    assert settled.status_code == 201, settled.content
    assert settled.json()["settled_amount"] == 195_000_000
    assert settled.json()["final_payment"]["amount"] == 55_000_000
    assert fresh(application).status == Status.SETTLED
    assert approver.get(nested(application, "settlement")).json()["decision_number"] == "15/QĐ-QT"
    payments = officer.get("/api/v1/disbursements/", {"application": application.pk}).json()
    assert [p["kind"] for p in payments["results"]] == ["final", "advance"] or payments["count"] == 2


def test_bad_input_is_400_with_every_field_in_vietnamese(w, api_client_for):
    application = running(w.tn)
    client = api_client_for(w.tn.officer)
    response = client.post(nested(application, "disbursements"), {"kind": "advance"}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["amount"] == ["Cần nhập số tiền (đồng)."]
    assert errors["paid_on"] == ["Cần nhập ngày."]
    assert errors["reference"] == ["Cần số chứng từ."]
    response = client.post(nested(application, "disbursements"), {"kind": "hoàn ứng", "amount": 5}, format="json")
    assert response.status_code == 400 and "kind" in response.json()["errors"]
    response = client.post(nested(application, "progress-reports"), {"percent_done": 140}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["percent_done"] == ["Khối lượng hoàn thành từ 0 đến 100 %."]
    assert response.json()["errors"]["narrative"] == ["Cần nội dung báo cáo."]
    future = (TODAY() + timedelta(days=3)).isoformat()
    response = client.post(nested(application, "inspections"), {"inspected_on": future}, format="json")
    assert response.json()["errors"]["inspected_on"] == ["Ngày không được ở tương lai."]
    assert not Disbursement.objects.filter(application=application).exists()


def test_documents_must_be_attachments_of_the_same_application(w, api_client_for):
    application, other = running(w.tn), running(w.tn)
    own_file = services.attachment_add(user=w.tn.officer, application_id=application.pk, kind="voucher",
                                       uploaded_file=pdf_file("unc.pdf"))
    foreign = services.attachment_add(user=w.tn.officer, application_id=other.pk, kind="voucher",
                                      uploaded_file=pdf_file("unc.pdf"))
    client = api_client_for(w.tn.officer)
    body = {"kind": "advance", "amount": 10_000_000, "paid_on": TODAY().isoformat(), "reference": "TU-1"}
    refused = client.post(nested(application, "disbursements"), {**body, "documents": [foreign.pk]}, format="json")
    assert refused.status_code == 400
    assert str(foreign.pk) in refused.json()["errors"]["documents"][0]
    made = client.post(nested(application, "disbursements"), {**body, "documents": [own_file.pk]}, format="json")
    assert made.status_code == 201 and made.json()["documents"] == [own_file.pk]


def test_wrong_state_and_over_disbursement_are_409_with_reasons(w, api_client_for):
    client = api_client_for(w.tn.officer)
    approved = make_application(w.tn)
    approve_local(w.tn, approved)
    response = client.post(nested(approved, "progress-reports"), {
        "period_start": TODAY().isoformat(), "period_end": TODAY().isoformat(), "percent_done": 10,
        "narrative": "x"}, format="json")
    assert response.status_code == 409
    assert "Đã phê duyệt" in response.json()["errors"]["reasons"][0]

    application = running(w.tn)
    body = {"paid_on": TODAY().isoformat(), "reference": "UNC"}
    first = client.post(nested(application, "disbursements"), {**body, "kind": "advance", "amount": 150_000_000},
                        format="json")
    assert first.status_code == 409  # more than the 70 % first-advance share of 200 million
    assert "70%" in first.json()["errors"]["reasons"][0]
    assert client.post(nested(application, "disbursements"), {**body, "kind": "advance", "amount": 140_000_000},
                       format="json").status_code == 201
    over = client.post(nested(application, "disbursements"), {**body, "kind": "payment", "amount": 60_000_001},
                       format="json")
    assert over.status_code == 409
    assert "vượt kinh phí được phê duyệt" in over.json()["errors"]["reasons"][0]
    assert sum(Disbursement.objects.filter(application=application).values_list("amount", flat=True)) == 140_000_000


def test_other_province_is_404_and_read_only_token_403(w, api_client_for):
    application = running(w.tn)
    hcm = api_client_for(w.hcm.officer)
    for name in ("contracts", "disbursements", "progress-reports", "inspections", "change-requests"):
        assert hcm.get(nested(application, name)).status_code == 404
        assert hcm.post(nested(application, name), {}, format="json").status_code == 404
    read_only = api_client_for(w.tn.officer, read_only=True)
    response = read_only.post(nested(application, "disbursements"), {
        "kind": "advance", "amount": 1_000_000, "paid_on": TODAY().isoformat(), "reference": "TU"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Khóa API chỉ đọc không được phép thay đổi dữ liệu."
    assert read_only.get(nested(application, "disbursements")).status_code == 200
    # A council member of the province sees the application but may not record payments.
    council = api_client_for(w.tn.council[0])
    refused = council.post(nested(application, "disbursements"), {
        "kind": "advance", "amount": 1_000_000, "paid_on": TODAY().isoformat(), "reference": "TU"}, format="json")
    assert refused.status_code in (403, 404)
    assert not Disbursement.objects.filter(application=application).exists()


def test_transitions_that_need_a_record_point_to_the_dedicated_endpoint(w, api_client_for):
    application = make_application(w.tn)
    approve_local(w.tn, application)
    client = api_client_for(w.tn.officer)
    response = client.post(f"/api/v1/applications/{application.pk}/transitions/",
                           {"action": "start_implementation"}, format="json")
    assert response.status_code == 409
    reasons = response.json()["errors"]["reasons"]
    assert reasons[0] == "Chưa ghi nhận hợp đồng thực hiện đề án."
    assert f"/api/v1/applications/{application.pk}/start-implementation/" in reasons[-1]
    implement(w.tn, application)
    response = client.post(f"/api/v1/applications/{application.pk}/transitions/", {"action": "complete"},
                           format="json")
    assert response.status_code == 409
    assert "completion/" in response.json()["errors"]["reasons"][-1]
    # The transitions endpoint still works for the plain actions.
    response = api_client_for(w.tn.approver).post(f"/api/v1/applications/{application.pk}/transitions/",
                                                  {"action": "suspend", "reason": "Chậm vốn đối ứng"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == Status.SUSPENDED


def test_change_request_decision(w, api_client_for):
    application = running(w.tn)
    officer, approver = api_client_for(w.tn.officer), api_client_for(w.tn.approver)
    new_end = (TODAY() + timedelta(days=300)).isoformat()
    made = officer.post(nested(application, "change-requests"), {"kind": "schedule", "description": "Lùi tiến độ",
                                                                 "new_end_date": new_end}, format="json")
    assert made.status_code == 201, made.content
    url = nested(application, "change-requests", made.json()["id"]) + "decision/"
    refused = officer.post(url, {"approve": True}, format="json")
    assert refused.status_code == 403 and "lãnh đạo Sở Công Thương" in refused.json()["detail"]
    no_note = approver.post(url, {"approve": False}, format="json")
    assert no_note.status_code == 400 and no_note.json()["errors"]["note"] == ["Cần ghi lý do không chấp thuận."]
    decided = approver.post(url, {"approve": True, "note": "Đồng ý"}, format="json")
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    assert fresh(application).end_date.isoformat() == new_end
    again = approver.post(url, {"approve": True}, format="json")
    assert again.status_code == 409
    assert ChangeRequest.objects.get(pk=made.json()["id"]).status == "approved"
    assert api_client_for(w.hcm.approver).post(url, {"approve": True}, format="json").status_code == 404


def test_settlement_that_does_not_add_up_is_409_and_nothing_is_paid(w, api_client_for):
    application = running(w.tn)
    pay(w.tn, application, 100_000_000, kind="advance")
    complete_implementation(w.tn, application)
    accept_implementation(w.tn, application)
    approver = api_client_for(w.tn.approver)
    response = approver.post(nested(application, "settlement"), {
        "settled_amount": 250_000_000, "final_payment_amount": 150_000_000, "final_payment_reference": "UNC",
        "decision_number": "1/QĐ-QT", "decision_date": TODAY().isoformat()}, format="json")
    assert response.status_code == 409
    assert len(response.json()["errors"]["reasons"]) >= 2
    missing = approver.post(nested(application, "settlement"), {"settled_amount": 100_000_000}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()["errors"]) >= {"decision_number", "decision_date"}
    assert approver.get(nested(application, "settlement")).status_code == 404
    assert Disbursement.objects.filter(application=application).count() == 1
    assert fresh(application).status == Status.ACCEPTED


def test_disbursements_list_filters(w, api_client_for):
    tn_app, hcm_app = running(w.tn), running(w.hcm)
    pay(w.tn, tn_app, 40_000_000, kind="advance")
    pay(w.tn, tn_app, 10_000_000)
    pay(w.hcm, hcm_app, 30_000_000, kind="advance")
    agency = api_client_for(w.agency_officer)
    assert agency.get("/api/v1/disbursements/").json()["count"] == 3
    assert agency.get("/api/v1/disbursements/", {"province": HCM}).json()["count"] == 1
    assert agency.get("/api/v1/disbursements/", {"kind": "payment"}).json()["count"] == 1
    assert agency.get("/api/v1/disbursements/", {"application": tn_app.pk}).json()["count"] == 2
    assert agency.get("/api/v1/disbursements/", {"programme": w.tn.local_programme.pk}).json()["count"] == 2
    assert agency.get("/api/v1/disbursements/", {"year": TODAY().year - 1}).json()["count"] == 0
    assert api_client_for(w.tn.officer).get("/api/v1/disbursements/").json()["count"] == 2
    assert agency.get("/api/v1/disbursements/", {"kind": "bogus"}).status_code == 400


def test_contract_payment_schedule_through_the_api(w, api_client_for):
    officer = api_client_for(w.tn.officer)
    application = make_application(w.tn)
    approve_local(w.tn, application)
    contract = {"number": "02/2026/HĐ-KC", "signed_on": TODAY().isoformat(),
                "beneficiary": application.establishments.first().pk, "value": 200_000_000}
    bad = officer.post(nested(application, "start-implementation"), {"contracts": [
        {**contract, "payment_schedule": [{"milestone": "signing", "percent": 60},
                                          {"milestone": "acceptance", "percent": 50}]}]}, format="json")
    assert bad.status_code == 400, bad.content
    assert "100%" in str(bad.json()["errors"])
    assert fresh(application).status == Status.APPROVED
    schedule = [{"milestone": "signing", "percent": 20}, {"milestone": "progress_report", "report": 1, "percent": 50},
                {"milestone": "acceptance", "amount": 60_000_000}]
    started = officer.post(nested(application, "start-implementation"), {"contracts": [
        {**contract, "payment_schedule": schedule}]}, format="json")
    assert started.status_code == 200, started.content
    listed = officer.get(nested(application, "contracts")).json()["results"]
    assert [{k: v for k, v in i.items() if v is not None} for i in listed[0]["payment_schedule"]] == schedule
    body = {"paid_on": TODAY().isoformat(), "reference": "UNC"}
    over = officer.post(nested(application, "disbursements"), {**body, "kind": "advance", "amount": 40_000_001},
                        format="json")
    assert over.status_code == 409
    reason = over.json()["errors"]["reasons"][0]
    assert "lịch thanh toán" in reason and "40.000.000 ₫" in reason
    assert officer.post(nested(application, "disbursements"), {**body, "kind": "advance", "amount": 40_000_000},
                        format="json").status_code == 201
    assert officer.post(nested(application, "disbursements"), {**body, "amount": 1, "kind": "payment"},
                        format="json").status_code == 409
