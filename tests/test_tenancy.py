"""Tenancy: a user's scope, ``visible_to`` on organisations and memberships for every
kind of role, and the Django admin applying the same scope to staff."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from khuyencong.scoping import EMPTY_SCOPE, scope_for
from provinces.choices import Role
from provinces.models import Commune, Membership, Organisation, Province
from provinces.services import (
    agency_get_or_create,
    commune_committee_get_or_create,
    member_add,
    province_centre_get_or_create,
    province_department_get_or_create,
)

from .conftest import HCM, TAN_NINH_WARD, TAY_NINH, THU_DUC_WARD

pytestmark = pytest.mark.django_db

BINH_MINH_WARD = 25480  # another ward of Tây Ninh


@pytest.fixture
def orgs(db):
    """Every kind of organisation in Tây Ninh and TP Hồ Chí Minh, plus the Agency."""
    tn, hcm = Province.objects.get(code=TAY_NINH), Province.objects.get(code=HCM)
    return {
        "agency": agency_get_or_create(),
        "tn_department": province_department_get_or_create(province=tn),
        "tn_centre": province_centre_get_or_create(province=tn),
        "tn_tan_ninh": commune_committee_get_or_create(commune=Commune.objects.get(code=TAN_NINH_WARD)),
        "tn_binh_minh": commune_committee_get_or_create(commune=Commune.objects.get(code=BINH_MINH_WARD)),
        "hcm_department": province_department_get_or_create(province=hcm),
        "hcm_thu_duc": commune_committee_get_or_create(commune=Commune.objects.get(code=THU_DUC_WARD)),
    }


@pytest.fixture
def staff(orgs, make_member):
    """One member in each organisation, so memberships exist everywhere."""
    return {
        "agency": make_member(Role.AGENCY_OFFICER, agency=True),
        "tn_department": make_member(Role.PROVINCE_OFFICER, TAY_NINH),
        "tn_centre": _member_of(orgs["tn_centre"], Role.PROVINCE_OFFICER, "tn_centre_officer"),
        "tn_tan_ninh": make_member(Role.COMMUNE_OFFICER, TAY_NINH, commune=TAN_NINH_WARD),
        "tn_binh_minh": make_member(Role.COMMUNE_OFFICER, TAY_NINH, commune=BINH_MINH_WARD),
        "hcm_department": make_member(Role.PROVINCE_OFFICER, HCM),
        "hcm_thu_duc": make_member(Role.COMMUNE_OFFICER, HCM, commune=THU_DUC_WARD),
    }


def _member_of(org, role, username):
    user, *_ = member_add(username=username, role=role, organisation=org, province=org.province,
                          password="pw-test-12345")
    return user


def _fresh(user):
    """The user as the next request loads it (the scope is cached per user object)."""
    return get_user_model().objects.get(pk=user.pk)


def visible_orgs(user, orgs):
    """Keys of ``orgs`` that ``Organisation.objects.visible_to(user)`` returns."""
    keys = {org.pk: key for key, org in orgs.items()}
    return {keys[pk] for pk in Organisation.objects.visible_to(_fresh(user)).values_list("pk", flat=True)}


def visible_membership_orgs(user, orgs):
    """Keys of the organisations of the memberships ``user`` can see."""
    keys = {org.pk: key for key, org in orgs.items()}
    rows = Membership.objects.visible_to(_fresh(user)).values_list("organisation_id", flat=True)
    return {keys[pk] for pk in rows}


ALL_ORGS = {"agency", "tn_department", "tn_centre", "tn_tan_ninh", "tn_binh_minh", "hcm_department", "hcm_thu_duc"}


# --- scope_for -------------------------------------------------------------------------


def test_scope_of_a_province_officer(make_member):
    scope = scope_for(make_member(Role.PROVINCE_OFFICER, TAY_NINH))
    assert scope.province_ids == {TAY_NINH}
    assert not scope.national and not scope.commune_ids and not scope.read_only and not scope.is_empty
    assert scope.has_role(Role.PROVINCE_OFFICER, province_id=TAY_NINH)
    assert not scope.has_role(Role.PROVINCE_OFFICER, province_id=HCM)
    assert not scope.has_role(Role.PROVINCE_APPROVER)


def test_scope_of_a_commune_officer(make_member):
    scope = scope_for(make_member(Role.COMMUNE_OFFICER, TAY_NINH, commune=TAN_NINH_WARD))
    assert scope.commune_ids == {TAN_NINH_WARD}
    assert scope.commune_province_ids == {TAY_NINH}
    assert scope.province_ids == frozenset()
    assert not scope.national and not scope.is_empty


def test_scope_of_an_agency_officer(make_member):
    scope = scope_for(make_member(Role.AGENCY_OFFICER, agency=True))
    assert scope.national and not scope.read_only
    # Agency roles count in every province.
    assert scope.has_role(Role.AGENCY_OFFICER, province_id=HCM)


def test_scope_of_auditors(make_member):
    agency_auditor = scope_for(make_member(Role.AUDITOR, agency=True))
    assert agency_auditor.national and agency_auditor.read_only
    province_auditor = scope_for(make_member(Role.AUDITOR, TAY_NINH))
    assert province_auditor.province_ids == {TAY_NINH}
    assert province_auditor.read_only and not province_auditor.national


def test_auditor_with_a_working_role_is_not_read_only(make_member):
    user = make_member(Role.AUDITOR, TAY_NINH, username="both")
    make_member(Role.PROVINCE_OFFICER, TAY_NINH, username="both")
    assert not scope_for(_fresh(user)).read_only


def test_scope_of_a_superuser_without_membership(db):
    root = get_user_model().objects.create_superuser("root", password="pw-test-12345")
    scope = scope_for(root)
    assert scope.national and scope.superuser and not scope.read_only and not scope.is_empty


def test_scope_of_a_user_without_role(no_role_user):
    assert scope_for(no_role_user) == EMPTY_SCOPE
    assert scope_for(no_role_user).is_empty


def test_inactive_membership_gives_no_scope(make_member):
    user = make_member(Role.PROVINCE_OFFICER, TAY_NINH)
    Membership.objects.filter(user=user).update(is_active=False)
    assert scope_for(_fresh(user)).is_empty


def test_inactive_user_has_no_scope(make_member):
    user = make_member(Role.AGENCY_OFFICER, agency=True)
    user.is_active = False
    user.save()
    assert scope_for(_fresh(user)).is_empty


def test_scope_of_a_member_of_two_provinces(make_member):
    user = make_member(Role.PROVINCE_OFFICER, TAY_NINH, username="two")
    make_member(Role.PROVINCE_APPROVER, HCM, username="two")
    scope = scope_for(_fresh(user))
    assert scope.province_ids == {TAY_NINH, HCM}
    assert scope.has_role(Role.PROVINCE_APPROVER, province_id=HCM)
    assert not scope.has_role(Role.PROVINCE_APPROVER, province_id=TAY_NINH)


# --- visible_to: organisations -----------------------------------------------------------


def test_province_officer_sees_own_province_and_agency(staff, orgs):
    assert visible_orgs(staff["tn_department"], orgs) == {"agency", "tn_department", "tn_centre", "tn_tan_ninh",
                                                    "tn_binh_minh"}
    assert visible_orgs(staff["hcm_department"], orgs) == {"agency", "hcm_department", "hcm_thu_duc"}


def test_commune_officer_sees_own_committee_province_bodies_and_agency(staff, orgs):
    assert visible_orgs(staff["tn_tan_ninh"], orgs) == {"agency", "tn_department", "tn_centre", "tn_tan_ninh"}


@pytest.mark.parametrize("role", [Role.AGENCY_OFFICER, Role.AGENCY_APPROVER, Role.AUDITOR])
def test_agency_roles_see_every_organisation(staff, orgs, make_member, role):
    assert visible_orgs(make_member(role, agency=True), orgs) == ALL_ORGS


def test_province_auditor_sees_only_the_province(staff, orgs, make_member):
    assert visible_orgs(make_member(Role.AUDITOR, HCM), orgs) == {"agency", "hcm_department", "hcm_thu_duc"}


def test_superuser_sees_every_organisation(staff, orgs):
    root = get_user_model().objects.create_superuser("root", password="pw-test-12345")
    assert visible_orgs(root, orgs) == ALL_ORGS


def test_no_role_and_inactive_members_see_nothing(staff, orgs, no_role_user):
    assert visible_orgs(no_role_user, orgs) == set()
    Membership.objects.filter(user=staff["tn_department"]).update(is_active=False)
    assert visible_orgs(staff["tn_department"], orgs) == set()


def test_anonymous_sees_nothing(staff, orgs):
    from django.contrib.auth.models import AnonymousUser

    assert not Organisation.objects.visible_to(AnonymousUser()).exists()
    assert not Membership.objects.visible_to(None).exists()


# --- visible_to: memberships ---------------------------------------------------------------


def test_province_officer_sees_memberships_of_the_province(staff, orgs):
    # Agency staff are not province staff: a province does not list them.
    assert visible_membership_orgs(staff["tn_department"], orgs) == {"tn_department", "tn_centre", "tn_tan_ninh",
                                                               "tn_binh_minh"}


def test_commune_officer_sees_memberships_of_the_commune_only(staff, orgs):
    assert visible_membership_orgs(staff["tn_tan_ninh"], orgs) == {"tn_tan_ninh"}


def test_agency_and_superuser_see_every_membership(staff, orgs):
    root = get_user_model().objects.create_superuser("root", password="pw-test-12345")
    assert visible_membership_orgs(staff["agency"], orgs) == ALL_ORGS
    assert Membership.objects.visible_to(root).count() == Membership.objects.count() == 7


def test_no_role_sees_no_membership(staff, orgs, no_role_user):
    assert not Membership.objects.visible_to(no_role_user).exists()


# --- The Django admin ------------------------------------------------------------------


def _make_staff(user, *codenames):
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def tn_staff(staff, client):
    user = _make_staff(staff["tn_department"], "view_organisation", "change_organisation", "add_organisation",
                       "view_membership", "view_province", "change_province", "add_province")
    client.force_login(user)
    return user


def test_admin_changelist_shows_only_visible_organisations(tn_staff, client, orgs):
    response = client.get("/quan-tri/provinces/organisation/")
    assert response.status_code == 200
    listed = {key for key, org in orgs.items() if f"/quan-tri/provinces/organisation/{org.pk}/change/" in
              response.content.decode()}
    assert listed == {"agency", "tn_department", "tn_centre", "tn_tan_ninh", "tn_binh_minh"}
    assert "Sở Công Thương Hồ Chí Minh" not in response.content.decode()


def test_admin_search_does_not_reach_another_province(tn_staff, client):
    response = client.get("/quan-tri/provinces/organisation/", {"q": "Hồ Chí Minh"})
    assert response.status_code == 200
    assert "Sở Công Thương Hồ Chí Minh" not in response.content.decode()


def test_admin_object_of_another_province_is_not_found(tn_staff, client, orgs):
    response = client.get(f"/quan-tri/provinces/organisation/{orgs['hcm_department'].pk}/change/")
    assert response.status_code == 302
    assert response.url == "/quan-tri/"


def test_admin_memberships_are_scoped(tn_staff, client, staff):
    content = client.get("/quan-tri/provinces/membership/").content.decode()
    assert staff["tn_tan_ninh"].username in content
    assert staff["hcm_department"].username not in content
    assert staff["agency"].username not in content


def test_admin_staff_can_edit_an_organisation_of_their_province(tn_staff, client, orgs):
    centre = orgs["tn_centre"]
    response = client.post(f"/quan-tri/provinces/organisation/{centre.pk}/change/", {
        "kind": "centre", "name": "Trung tâm Khuyến công và Tư vấn Tây Ninh", "short_name": "TTKC",
        "province": TAY_NINH, "commune": "", "address": "", "email": "", "phone": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    centre.refresh_from_db()
    assert centre.name == "Trung tâm Khuyến công và Tư vấn Tây Ninh"


def test_admin_staff_cannot_move_an_organisation_to_another_province(tn_staff, client, orgs):
    centre = orgs["tn_centre"]
    response = client.post(f"/quan-tri/provinces/organisation/{centre.pk}/change/", {
        "kind": "centre", "name": "Trung tâm chuyển đi", "short_name": "TTKC",
        "province": HCM, "commune": "", "address": "", "email": "", "phone": "",
    })
    assert response.status_code == 403
    centre.refresh_from_db()
    assert (centre.province_id, centre.name) == (TAY_NINH, "Trung tâm Khuyến công Tây Ninh")


def test_admin_staff_cannot_add_an_organisation_in_another_province(tn_staff, client):
    response = client.post("/quan-tri/provinces/organisation/add/", {
        "kind": "centre", "name": "Trung tâm lạ", "short_name": "", "province": HCM, "commune": "",
        "address": "", "email": "", "phone": "",
    })
    assert response.status_code == 403
    assert not Organisation.objects.filter(name="Trung tâm lạ").exists()


def test_admin_reference_data_is_read_only_for_staff(tn_staff, client):
    page = client.get("/quan-tri/provinces/province/80/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # view-only page, no save button
    response = client.post("/quan-tri/provinces/province/80/change/", {"name": "Tỉnh Đổi Tên", "kind": "tinh"})
    assert response.status_code == 403
    assert Province.objects.get(code=80).name == "Tỉnh Tây Ninh"
    assert client.get("/quan-tri/provinces/province/add/").status_code == 403
    # Reference data is still readable: the whole country.
    assert client.get("/quan-tri/provinces/province/").content.decode().count("/change/") >= 34


def test_admin_read_only_role_cannot_change(staff, orgs, make_member, client):
    auditor = _make_staff(make_member(Role.AUDITOR, TAY_NINH), "view_organisation", "change_organisation")
    client.force_login(auditor)
    assert client.get("/quan-tri/provinces/organisation/").status_code == 200
    response = client.post(f"/quan-tri/provinces/organisation/{orgs['tn_centre'].pk}/change/", {
        "kind": "centre", "name": "Sửa bởi kiểm toán", "short_name": "", "province": TAY_NINH, "commune": "",
        "address": "", "email": "", "phone": "",
    })
    assert response.status_code == 403
    assert not Organisation.objects.filter(name="Sửa bởi kiểm toán").exists()


def test_admin_staff_without_role_sees_nothing(no_role_user, client, orgs):
    _make_staff(no_role_user, "view_organisation", "change_organisation", "add_organisation")
    client.force_login(no_role_user)
    assert client.get("/quan-tri/provinces/organisation/").status_code == 403
    assert client.get("/quan-tri/provinces/organisation/add/").status_code == 403


def test_superuser_admin_sees_everything(orgs, client):
    root = get_user_model().objects.create_superuser("root", password="pw-test-12345")
    client.force_login(root)
    content = client.get("/quan-tri/provinces/organisation/").content.decode()
    for org in orgs.values():
        assert f"/quan-tri/provinces/organisation/{org.pk}/change/" in content
