"""The geography and tenancy API, the token authentication and the API conventions
(error shape, filters, pagination, schema, docs) every later endpoint inherits."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from khuyencong.models import ApiToken
from khuyencong.services import api_token_create, api_token_revoke
from provinces.choices import OrganisationKind, Role
from provinces.models import Commune, LegacyCommune, Membership, Organisation, Province, Region
from provinces.services import (
    agency_get_or_create,
    commune_committee_get_or_create,
    province_centre_get_or_create,
    province_department_get_or_create,
)

from .api_matrix import ApiPermissionMatrix
from .conftest import HCM, TAN_NINH_WARD, TAY_NINH, THU_DUC_WARD

pytestmark = pytest.mark.django_db


# --- The permission matrix on each resource -------------------------------------------


class TestRegionsMatrix(ApiPermissionMatrix):
    basename = "region"
    reference = True
    lookup_kwarg = "code"
    list_key = "code"

    @pytest.fixture
    def own_object(self, db):
        return Region.objects.get(code="dong-nam-bo")  # holds Tây Ninh

    @pytest.fixture
    def other_object(self, db):
        return Region.objects.get(code="dong-bang-song-hong")


class TestProvincesMatrix(ApiPermissionMatrix):
    basename = "province"
    reference = True
    lookup_attr = "code"
    list_key = "code"

    @pytest.fixture
    def own_object(self, db):
        return Province.objects.get(code=TAY_NINH)

    @pytest.fixture
    def other_object(self, db):
        return Province.objects.get(code=HCM)


class TestCommunesMatrix(ApiPermissionMatrix):
    basename = "commune"
    reference = True
    list_key = "code"
    lookup_attr = "code"

    @pytest.fixture
    def own_object(self, db):
        return Commune.objects.get(code=TAN_NINH_WARD)

    @pytest.fixture
    def other_object(self, db):
        return Commune.objects.get(code=THU_DUC_WARD)

    def list_params(self, obj):
        return {"province": obj.province_id}


class TestLegacyCommunesMatrix(ApiPermissionMatrix):
    basename = "legacy-commune"
    reference = True
    list_key = "code"
    lookup_attr = "code"

    @pytest.fixture
    def own_object(self, db):
        return LegacyCommune.objects.get(code=27691)  # Phường 4, Tân An, old Long An

    @pytest.fixture
    def other_object(self, db):
        return LegacyCommune.objects.filter(province=79).order_by("code").first()  # old TP HCM

    def list_params(self, obj):
        return {"province": obj.province_id}


class TestOrganisationsMatrix(ApiPermissionMatrix):
    basename = "organisation"

    @pytest.fixture
    def own_object(self, db):
        return province_department_get_or_create(province=Province.objects.get(code=TAY_NINH))

    @pytest.fixture
    def other_object(self, db):
        return province_department_get_or_create(province=Province.objects.get(code=HCM))


class TestOrganisationsMatrixForCommuneOfficer(TestOrganisationsMatrix):
    """A commune officer reads their own committee, not another commune's."""

    role = Role.COMMUNE_OFFICER
    member_commune = TAN_NINH_WARD

    @pytest.fixture
    def own_object(self, db):
        return commune_committee_get_or_create(commune=Commune.objects.get(code=TAN_NINH_WARD))

    @pytest.fixture
    def other_object(self, db):
        # Same province, another commune: still out of a commune officer's scope.
        return commune_committee_get_or_create(commune=Commune.objects.get(code=25480))


# --- Geography resources ----------------------------------------------------------------


@pytest.fixture
def tn_client(tn_officer, api_client_for):
    return api_client_for(tn_officer)


def test_thirty_four_provinces(tn_client):
    body = tn_client.get("/api/v1/provinces/").json()
    assert body["count"] == 34
    assert len(body["results"]) == 34
    assert body["results"][0]["name"] == "Tỉnh An Giang"  # Vietnamese order


def test_province_by_nso_code(tn_client):
    body = tn_client.get("/api/v1/provinces/80/").json()
    assert body["name"] == "Tỉnh Tây Ninh"
    assert body["code"] == 80
    assert body["kind"] == "tinh"
    assert body["commune_count"] == 96


def test_unknown_province_is_404_json(tn_client):
    response = tn_client.get("/api/v1/provinces/99/")
    assert response.status_code == 404
    assert response.json()["status"] == 404


def test_region_lists_its_provinces(tn_client):
    body = tn_client.get("/api/v1/regions/dong-nam-bo/").json()
    assert sorted(body["provinces"]) == [75, 79, 80]
    assert tn_client.get("/api/v1/regions/", {"grouping": "khuyen_cong_area"}).json()["count"] == 3


def test_communes_of_a_province(tn_client):
    body = tn_client.get("/api/v1/communes/", {"province": TAY_NINH}).json()
    assert body["count"] == 96
    assert {row["province"] for row in body["results"]} == {TAY_NINH}


def test_communes_filtered_by_kind(tn_client):
    assert tn_client.get("/api/v1/communes/", {"province": TAY_NINH, "kind": "phuong"}).json()["count"] == 14
    assert tn_client.get("/api/v1/communes/", {"province": TAY_NINH, "kind": "xa"}).json()["count"] == 82


@pytest.mark.parametrize("typed", ["tan ninh", "Tân Ninh", "TAN NINH"])
def test_commune_search_ignores_diacritics(tn_client, typed):
    body = tn_client.get("/api/v1/communes/", {"q": typed, "province": TAY_NINH}).json()
    assert [row["name"] for row in body["results"]] == ["Phường Tân Ninh"]
    assert body["results"][0]["code"] == TAN_NINH_WARD


def test_commune_by_code(tn_client):
    body = tn_client.get(f"/api/v1/communes/{THU_DUC_WARD}/").json()
    assert body == {"code": THU_DUC_WARD, "name": "Phường Thủ Đức", "kind": "phuong", "province": HCM}


def test_old_commune_leads_to_its_successor(tn_client):
    body = tn_client.get("/api/v1/legacy-communes/27691/").json()
    assert body["province"] == 80 and body["province_name"] == "Tỉnh Long An"
    assert body["successors"] == [{"code": 27694, "name": "Phường Long An", "province": TAY_NINH, "partial": False}]


def test_old_communes_by_successor(tn_client):
    body = tn_client.get("/api/v1/legacy-communes/", {"successor": 27694}).json()
    assert 27691 in {row["code"] for row in body["results"]}
    assert all(27694 in [s["code"] for s in row["successors"]] for row in body["results"])


def test_split_old_commune_lists_every_successor(tn_client):
    successors = tn_client.get("/api/v1/legacy-communes/19/").json()["successors"]
    assert len(successors) == 4
    assert all(s["partial"] for s in successors)


# --- Organisations are scoped --------------------------------------------------------


@pytest.fixture
def organisations(db):
    tn, hcm = Province.objects.get(code=TAY_NINH), Province.objects.get(code=HCM)
    return {
        "agency": agency_get_or_create(),
        "tn_department": province_department_get_or_create(province=tn),
        "tn_centre": province_centre_get_or_create(province=tn),
        "tn_commune": commune_committee_get_or_create(commune=Commune.objects.get(code=TAN_NINH_WARD)),
        "hcm_department": province_department_get_or_create(province=hcm),
        "hcm_commune": commune_committee_get_or_create(commune=Commune.objects.get(code=THU_DUC_WARD)),
    }


def _organisation_ids(client, **params):
    response = client.get("/api/v1/organisations/", params)
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


def test_province_officer_lists_own_province_and_agency(organisations, tn_client):
    o = organisations
    assert _organisation_ids(tn_client) == {o["agency"].pk, o["tn_department"].pk, o["tn_centre"].pk,
                                            o["tn_commune"].pk}


def test_province_officer_never_sees_another_province(organisations, tn_client):
    assert _organisation_ids(tn_client, province=HCM) == set()
    for key in ("hcm_department", "hcm_commune"):
        response = tn_client.get(f"/api/v1/organisations/{organisations[key].pk}/")
        assert response.status_code == 404
        assert response.json() == {"status": 404, "code": "not_found", "detail": "Không tìm thấy. / Not found."}


def test_agency_sees_every_organisation(organisations, agency_officer, api_client_for):
    client = api_client_for(agency_officer)
    assert _organisation_ids(client) == {org.pk for org in organisations.values()}
    assert client.get(f"/api/v1/organisations/{organisations['hcm_commune'].pk}/").json()["commune"] == THU_DUC_WARD


def test_hcm_officer_sees_hcm_not_tay_ninh(organisations, hcm_officer, api_client_for):
    ids = _organisation_ids(api_client_for(hcm_officer))
    assert organisations["hcm_department"].pk in ids and organisations["agency"].pk in ids
    assert organisations["tn_department"].pk not in ids


def test_organisation_filters(organisations, agency_officer, api_client_for):
    client = api_client_for(agency_officer)
    assert _organisation_ids(client, province=TAY_NINH, kind=OrganisationKind.CENTRE) == {organisations["tn_centre"].pk}
    assert _organisation_ids(client, q="so cong thuong tay ninh") == {organisations["tn_department"].pk}


# --- Tokens ----------------------------------------------------------------------------


def test_token_is_stored_hashed(tn_officer):
    token, key = api_token_create(user=tn_officer)
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert all(key not in str(value) for value in row.values())
    assert row["key_hash"] == ApiToken.hash_key(key) != key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/provinces/80/").status_code == 200
    # The hash itself is not a key.
    client.credentials(HTTP_AUTHORIZATION=f"Token {row['key_hash']}")
    assert client.get("/api/v1/provinces/80/").status_code == 401


def test_token_use_is_recorded(tn_officer):
    token, key = api_token_create(user=tn_officer)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    client.get("/api/v1/provinces/")
    token.refresh_from_db()
    assert token.last_used_at is not None


def _call_with(key, path="/api/v1/provinces/"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(path)


def test_wrong_key_is_401(tn_officer):
    response = _call_with("kc_not-a-real-key")
    assert response.status_code == 401
    assert response.json()["status"] == 401


def test_expired_token_is_401(tn_officer):
    _token, key = api_token_create(user=tn_officer, expires_at=timezone.now() - timedelta(seconds=1))
    response = _call_with(key)
    assert response.status_code == 401
    assert response.json()["detail"] == "Khóa API đã hết hạn."


def test_token_valid_until_it_expires(tn_officer):
    _token, key = api_token_create(user=tn_officer, expires_at=timezone.now() + timedelta(days=1))
    assert _call_with(key).status_code == 200


def test_revoked_token_is_401(tn_officer):
    token, key = api_token_create(user=tn_officer)
    assert _call_with(key).status_code == 200
    api_token_revoke(token=token)
    response = _call_with(key)
    assert response.status_code == 401
    assert response.json()["detail"] == "Khóa API đã bị thu hồi."


def test_token_of_deactivated_user_is_401(tn_officer):
    _token, key = api_token_create(user=tn_officer)
    tn_officer.is_active = False
    tn_officer.save()
    assert _call_with(key).status_code == 401


def test_read_only_token_cannot_write(tn_officer, api_client_for):
    client = api_client_for(tn_officer, read_only=True)
    assert client.get("/api/v1/organisations/").status_code == 200
    response = client.post("/api/v1/organisations/", {"name": "X", "kind": "centre"}, format="json")
    assert response.status_code == 403
    body = response.json()
    assert set(body) == {"status", "code", "detail"}
    assert body["status"] == 403 and body["code"] == "permission_denied"
    assert "chỉ đọc" in body["detail"]


def test_auditor_role_cannot_write_even_with_a_full_token(make_member, api_client_for):
    auditor = make_member(Role.AUDITOR, TAY_NINH)
    response = api_client_for(auditor).post("/api/v1/organisations/", {}, format="json")
    assert response.status_code == 403
    assert "chỉ đọc" in response.json()["detail"]


def test_session_login_works_for_the_browser(client, tn_officer):
    client.force_login(tn_officer)
    assert client.get("/api/v1/provinces/80/").json()["name"] == "Tỉnh Tây Ninh"


# --- API conventions -------------------------------------------------------------------


def test_invalid_filter_value_is_400_with_errors(tn_client):
    response = tn_client.get("/api/v1/communes/", {"province": "tây ninh", "kind": "thon"})
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["code"] == "invalid"
    assert set(body["errors"]) == {"province", "kind"}
    assert all(isinstance(msg, str) for msgs in body["errors"].values() for msg in msgs)


def test_page_size_is_capped_at_500(tn_client):
    body = tn_client.get("/api/v1/communes/", {"page_size": 2000}).json()
    assert body["count"] == 3321
    assert len(body["results"]) == 500


def test_pagination_pages_through_the_list(tn_client):
    first = tn_client.get("/api/v1/communes/", {"province": TAY_NINH, "page_size": 50}).json()
    second = tn_client.get("/api/v1/communes/", {"province": TAY_NINH, "page_size": 50, "page": 2}).json()
    assert len(first["results"]) == 50 and len(second["results"]) == 46
    assert first["next"] and second["next"] is None
    codes = [row["code"] for row in first["results"] + second["results"]]
    assert len(set(codes)) == 96


def test_api_root_links_the_resources(tn_client):
    body = tn_client.get("/api/v1/").json()
    for name in ("regions", "provinces", "communes", "legacy-communes", "organisations", "schema", "docs"):
        assert name in body
    assert body["provinces"].endswith("/api/v1/provinces/")


def test_openapi_schema(tn_client):
    response = tn_client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/provinces/{code}/" in schema["paths"]
    assert "/api/v1/organisations/{id}/" in schema["paths"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    yaml = tn_client.get("/api/v1/schema/")
    assert yaml.content.decode().startswith("openapi: 3.")


def test_docs_use_only_local_assets(tn_client):
    response = tn_client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r"""<(?:script|link|img)\b[^>]*\b(?:src|href)=["']([^"']+)""", html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets), assets
    assert all(a.startswith("/static/") for a in assets), assets
    assert not re.search(r"""(?:src|href|url)\s*[=:(]\s*["']?https?://""", html)


# --- Management commands ----------------------------------------------------------------


def test_create_api_token_prints_the_key_once(tn_officer):
    out, err = StringIO(), StringIO()
    call_command("create_api_token", "tn_officer", stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert re.fullmatch(r"kc_[\w-]{40,}", key)
    token = ApiToken.objects.get(user=tn_officer)
    assert token.key_hash == ApiToken.hash_key(key)
    assert not token.read_only and token.expires_at is None
    assert key not in err.getvalue()
    assert _call_with(key).status_code == 200


def test_create_api_token_read_only_and_expiring(tn_officer):
    out = StringIO()
    call_command("create_api_token", "tn_officer", "--read-only", "--days", "30", stdout=out, stderr=StringIO())
    key = out.getvalue().strip()
    token = ApiToken.objects.get(user=tn_officer)
    assert token.read_only
    assert timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= timedelta(days=30)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/organisations/").status_code == 200
    assert client.post("/api/v1/organisations/", {}, format="json").status_code == 403


@pytest.mark.parametrize("args", [["nobody"], ["tn_officer", "--days", "0"]])
def test_create_api_token_rejects_bad_input(tn_officer, args):
    with pytest.raises(CommandError):
        call_command("create_api_token", *args, stdout=StringIO(), stderr=StringIO())
    assert not ApiToken.objects.exists()


def test_add_member_creates_the_user_and_is_idempotent():
    for _ in range(2):
        call_command("add_member", "lan", "--role", "province_officer", "--province", "80",
                     "--password", "mat-khau-12345", stdout=StringIO())
    user = get_user_model().objects.get(username="lan")
    assert user.check_password("mat-khau-12345")
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.PROVINCE_OFFICER
    assert membership.organisation.name == "Sở Công Thương Tây Ninh"
    assert Organisation.objects.filter(kind=OrganisationKind.DEPARTMENT, province=TAY_NINH).count() == 1


def test_add_member_adds_a_role_to_an_existing_user(tn_officer):
    call_command("add_member", "tn_officer", "--role", "council_member", "--province", "80", stdout=StringIO())
    assert set(Membership.objects.filter(user=tn_officer).values_list("role", flat=True)) == {
        Role.PROVINCE_OFFICER, Role.COUNCIL_MEMBER}
    assert tn_officer.check_password("pw-test-12345")  # no --password: unchanged


def test_add_member_reactivates_a_membership(tn_officer):
    Membership.objects.filter(user=tn_officer).update(is_active=False)
    call_command("add_member", "tn_officer", "--role", "province_officer", "--province", "80", stdout=StringIO())
    assert Membership.objects.get(user=tn_officer).is_active


def test_add_member_commune_and_agency():
    call_command("add_member", "xa", "--role", "commune_officer", "--province", "80", "--commune",
                 str(TAN_NINH_WARD), stdout=StringIO())
    call_command("add_member", "cuc", "--role", "agency_approver", "--agency", stdout=StringIO())
    commune_org = Membership.objects.get(user__username="xa").organisation
    assert (commune_org.kind, commune_org.commune_id, commune_org.province_id) == (
        OrganisationKind.COMMUNE_COMMITTEE, TAN_NINH_WARD, TAY_NINH)
    assert Membership.objects.get(user__username="cuc").organisation.kind == OrganisationKind.AGENCY
    # A user created without --password cannot log in until a password is set.
    assert not get_user_model().objects.get(username="cuc").has_usable_password()


@pytest.mark.parametrize("args", [
    ["--role", "province_officer", "--agency"],
    ["--role", "agency_officer", "--province", "80"],
    ["--role", "commune_officer", "--province", "80"],
    ["--role", "commune_officer", "--province", "80", "--commune", str(THU_DUC_WARD)],
    ["--role", "commune_officer", "--agency", "--commune", str(TAN_NINH_WARD)],
    ["--role", "province_officer", "--province", "99"],
    ["--role", "province_officer", "--province", "tay-ninh"],
    ["--role", "chairman", "--province", "80"],
    ["--role", "province_officer"],
    ["--role", "province_officer", "--agency", "--province", "80"],
])
def test_add_member_rejects_bad_combinations(args):
    with pytest.raises(CommandError):
        call_command("add_member", "bad", *args, stdout=StringIO())
    assert not get_user_model().objects.filter(username="bad").exists()
    assert not Membership.objects.exists()
