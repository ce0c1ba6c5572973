"""The programmes API: programmes, activity types, support caps, calls with their
criteria and budget allocations with committed and remaining money."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from programs.choices import FundSource
from programs.models import ActivityType, BudgetAllocation, Programme, SupportRule
from programs.services import activity_types_load, call_create
from provinces.choices import Role
from provinces.models import Province

from .api_matrix import ApiPermissionMatrix
from .conftest import HCM, TAY_NINH
from .factories import DEFAULT_CRITERIA, _superuser, approve_local, build_world, make_application

pytestmark = pytest.mark.django_db


def local_programme(code, *, start=2026, end=2030, name=None):
    province = Province.objects.get(code=code)
    return Programme.objects.create(code=f"kcdp-{code}-{start}", name=name or f"Khuyến công {province.short_name}",
                                    fund_source=FundSource.LOCAL, province=province, start_year=start, end_year=end)


def two_activity_types():
    ActivityType.objects.bulk_create([ActivityType(code="MMTB", name="Ứng dụng máy móc, thiết bị tiên tiến"),
                                      ActivityType(code="DAO_TAO", name="Đào tạo nghề")], ignore_conflicts=True)


def local_call(code, programme=None, *, year=None, opens_on=None, days=30):
    two_activity_types()
    today = timezone.localdate()
    opens_on = opens_on or today - timedelta(days=days)
    return call_create(user=_superuser(), programme=programme or local_programme(code),
                       province=Province.objects.get(code=code), year=year or today.year,
                       name=f"Đợt tiếp nhận {code}", opens_on=opens_on, closes_on=opens_on + timedelta(days=2 * days),
                       activity_types=["MMTB", "DAO_TAO"], criteria=DEFAULT_CRITERIA)


def local_rule(code, activity_type="MMTB", **extra):
    two_activity_types()
    fields = {"max_percent": Decimal("50"), "max_amount": 300_000_000, "valid_from": date(2025, 7, 1), **extra}
    return SupportRule.objects.create(fund_source=FundSource.LOCAL, province=Province.objects.get(code=code),
                                      activity_type_id=activity_type, **fields)


def allocation(code, programme=None, *, year=2026, amount=1_000_000_000):
    return BudgetAllocation.objects.create(programme=programme or local_programme(code),
                                           province=Province.objects.get(code=code), year=year, amount=amount)


# --- The permission matrix on every endpoint ---------------------------------------------


class TestProgrammesMatrix(ApiPermissionMatrix):
    basename = "programme"

    @pytest.fixture
    def own_object(self, db):
        return local_programme(TAY_NINH)

    @pytest.fixture
    def other_object(self, db):
        return local_programme(HCM)


class TestActivityTypesMatrix(ApiPermissionMatrix):
    basename = "activity-type"
    reference = True
    lookup_kwarg = "code"
    list_key = "code"

    @pytest.fixture
    def own_object(self, db):
        activity_types_load()
        return ActivityType.objects.get(code="MMTB")

    @pytest.fixture
    def other_object(self, db):
        return ActivityType.objects.get(code="DAO_TAO")


class TestSupportRulesMatrix(ApiPermissionMatrix):
    basename = "support-rule"
    writable = True  # a new version from a date (issue 11); never edited in place
    role = Role.PROVINCE_APPROVER

    def create_payload(self, own_object) -> dict:
        return {"province": TAY_NINH, "fund_source": "local", "activity_type": "DAO_TAO", "max_amount": 90_000_000,
                "valid_from": "2026-01-01", "legal_basis": "Nghị quyết 09/2025/NQ-HĐND"}

    def expected(self, case) -> int:
        if case.method == "patch" and case.who == "member":
            return 405  # versions are added, never changed
        return super().expected(case)

    @pytest.fixture
    def own_object(self, db):
        return local_rule(TAY_NINH)

    @pytest.fixture
    def other_object(self, db):
        return local_rule(HCM)


class TestCallsMatrix(ApiPermissionMatrix):
    basename = "call"
    writable = True  # set up and changed through programs.services (issue 11)
    role = Role.PROVINCE_APPROVER  # a province approver manages the local programme's calls

    def create_payload(self, own_object) -> dict:
        return {"name": "Đợt 2", "programme": own_object.programme_id, "year": own_object.year,
                "opens_on": own_object.opens_on.isoformat(), "closes_on": own_object.closes_on.isoformat(),
                "activity_types": ["MMTB"], "criteria": [{"name": "Hiệu quả", "weight": "100", "max_score": 10}]}

    def update_payload(self, own_object) -> dict:
        return {"description": "Ưu tiên cơ sở làng nghề"}

    @pytest.fixture
    def own_object(self, db):
        return local_call(TAY_NINH)

    @pytest.fixture
    def other_object(self, db):
        return local_call(HCM)


class TestBudgetAllocationsMatrix(ApiPermissionMatrix):
    basename = "budget-allocation"
    writable = True  # allocate, raise, lower through applications.services.budget (issue 11)

    def create_payload(self, own_object) -> dict:
        return {"programme": own_object.programme_id, "province": TAY_NINH, "year": own_object.year + 1,
                "amount": 500_000_000, "decision_number": "01/QĐ-UBND"}

    def update_payload(self, own_object) -> dict:
        return {"amount": 1_200_000_000, "reason": "Bổ sung dự toán"}

    @pytest.fixture
    def own_object(self, db):
        return allocation(TAY_NINH)

    @pytest.fixture
    def other_object(self, db):
        return allocation(HCM)


# --- Contents and filters --------------------------------------------------------------------


@pytest.fixture
def tn_client(tn_officer, api_client_for):
    return api_client_for(tn_officer)


@pytest.fixture
def agency_client(agency_officer, api_client_for):
    return api_client_for(agency_officer)


def _ids(client, url, key="id", **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return [row[key] for row in response.json()["results"]]


def test_activity_type_by_code(tn_client):
    activity_types_load()
    body = tn_client.get("/api/v1/activity-types/SXSH/").json()
    assert body["name"] == "Sản xuất sạch hơn, sản xuất bền vững"
    assert body["is_green"] is True
    assert tn_client.get("/api/v1/activity-types/KHONG_CO/").status_code == 404
    assert set(_ids(tn_client, "/api/v1/activity-types/", key="code", is_green=True)) == {"SXSH", "XU_LY_MT"}


def test_programmes_national_visible_to_all_and_filters(tn_client, agency_client):
    national = Programme.objects.create(code="kcqg", name="Chương trình khuyến công quốc gia 2026–2030",
                                        fund_source=FundSource.NATIONAL, start_year=2026, end_year=2030)
    tn = local_programme(TAY_NINH, start=2021, end=2025, name="Khuyến công Tây Ninh giai đoạn trước")
    tn_new = local_programme(TAY_NINH)
    hcm = local_programme(HCM)
    url = "/api/v1/programmes/"
    assert set(_ids(tn_client, url)) == {national.pk, tn.pk, tn_new.pk}
    assert set(_ids(agency_client, url, fund_source="local")) == {tn.pk, tn_new.pk, hcm.pk}
    assert set(_ids(agency_client, url, province=HCM)) == {hcm.pk}
    assert set(_ids(tn_client, url, year=2024)) == {tn.pk}
    assert set(_ids(tn_client, url, year=2027)) == {national.pk, tn_new.pk}
    assert _ids(tn_client, url, q="khuyen cong quoc gia") == [national.pk]
    body = tn_client.get(f"{url}{national.pk}/").json()
    assert body["province"] is None and body["fund_source"] == "national"


def test_calls_carry_criteria_and_filter_by_open_date(tn_client):
    today = timezone.localdate()
    programme = local_programme(TAY_NINH)
    open_now = local_call(TAY_NINH, programme)
    later = local_call(TAY_NINH, programme, opens_on=today + timedelta(days=100), days=10)
    body = tn_client.get(f"/api/v1/calls/{open_now.pk}/").json()
    assert body["programme"] == programme.pk and body["province"] == TAY_NINH
    assert sorted(body["activity_types"]) == ["DAO_TAO", "MMTB"]
    assert [c["name"] for c in body["criteria"]] == [c["name"] for c in DEFAULT_CRITERIA]
    assert body["criteria"][1]["weight"] == 40 and body["criteria"][1]["max_score"] == 10
    url = "/api/v1/calls/"
    assert _ids(tn_client, url, open_on=today.isoformat()) == [open_now.pk]
    assert _ids(tn_client, url, open_on=(today + timedelta(days=105)).isoformat()) == [later.pk]
    assert set(_ids(tn_client, url, programme=programme.pk, province=TAY_NINH, year=today.year)) == {
        open_now.pk, later.pk}
    assert tn_client.get(url, {"open_on": "31/12/2026"}).status_code == 400


def test_support_rules_filter_by_validity(tn_client):
    old = local_rule(TAY_NINH, valid_from=date(2020, 1, 1), valid_to=date(2025, 6, 30))
    current = local_rule(TAY_NINH)
    training = local_rule(TAY_NINH, activity_type="DAO_TAO", max_percent=None, max_amount=100_000_000)
    url = "/api/v1/support-rules/"
    assert set(_ids(tn_client, url, valid_on="2024-05-01")) == {old.pk}
    assert set(_ids(tn_client, url, valid_on="2026-01-01")) == {current.pk, training.pk}
    assert set(_ids(tn_client, url, activity_type="DAO_TAO", fund_source="local", province=TAY_NINH)) == {
        training.pk}
    body = tn_client.get(f"{url}{current.pk}/").json()
    assert body["max_amount"] == 300_000_000 and body["activity_type"] == "MMTB"
    assert isinstance(body["max_amount"], int)


def test_allocation_shows_committed_and_remaining():
    world = build_world(province_codes=(TAY_NINH,), allocation=1_000_000_000)
    setup = world.provinces[TAY_NINH]
    approve_local(setup, make_application(setup), amount=150_000_000)
    make_application(setup)  # a draft commits nothing
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(setup.officer)
    rows = client.get("/api/v1/budget-allocations/", {"programme": setup.local_programme.pk}).json()["results"]
    assert len(rows) == 1
    row = rows[0]
    assert (row["amount"], row["committed"], row["remaining"]) == (1_000_000_000, 150_000_000, 850_000_000)
    national = client.get("/api/v1/budget-allocations/", {"programme": world.national_programme.pk,
                                                           "province": TAY_NINH}).json()["results"]
    assert [(r["committed"], r["remaining"]) for r in national] == [(0, 1_000_000_000)]


def _query_count(client, url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries), len(response.json()["results"])


@pytest.mark.parametrize("resource", ["programmes", "calls", "support-rules", "budget-allocations"])
def test_list_queries_constant_with_sixty_rows(resource, agency_client, capsys):
    two_activity_types()
    tn = Province.objects.get(code=TAY_NINH)
    if resource == "programmes":
        for i in range(60):
            local_programme(TAY_NINH, start=2000 + i, end=2000 + i)
    elif resource == "calls":
        programme = local_programme(TAY_NINH, start=2000, end=2100)
        for i in range(60):
            local_call(TAY_NINH, programme, year=2030 + i)
    elif resource == "support-rules":
        SupportRule.objects.bulk_create(SupportRule(fund_source=FundSource.LOCAL, province=tn, activity_type_id="MMTB",
                                                    max_amount=i + 1, valid_from=date(2000 + i, 1, 1))
                                        for i in range(60))
    else:
        programme = local_programme(TAY_NINH, start=2000, end=2100)
        BudgetAllocation.objects.bulk_create(BudgetAllocation(programme=programme, province=tn, year=2000 + i,
                                                              amount=1000) for i in range(60))
    url = f"/api/v1/{resource}/"
    agency_client.get(url)  # stamps the token's last use
    small, small_rows = _query_count(agency_client, url, page_size=5)
    large, large_rows = _query_count(agency_client, url, page_size=50)
    assert (small_rows, large_rows) == (5, 50)
    assert small == large, (small, large)
    with capsys.disabled():
        print(f"\n[queries] {resource}: page_size=5 → {small}, page_size=50 → {large}")
