"""Row-level security on PostgreSQL: a query that forgets ``visible_to`` still sees only
the caller's provinces, and every province-owned table has a policy."""

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from applications.models import Application, CostLine, Establishment
from khuyencong import rls
from khuyencong.authentication import HashedTokenAuthentication
from khuyencong.services import api_token_create
from programs.models import Programme
from provinces.models import Organisation, Province
from tests.factories import build_world, make_application, make_establishment

pytestmark = pytest.mark.django_db


def _current_scope():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('kc.scope', true)")
        return cursor.fetchone()[0]


def _act_as_app(scope: str):
    """Inside the test transaction: become the non-owner role with a given scope."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {rls.APP_ROLE}")
        cursor.execute("SELECT set_config('kc.scope', %s, true)", [scope])


@pytest.fixture
def world():
    world = build_world()
    make_application(world.provinces[80])
    make_application(world.provinces[79])
    return world


def test_forgotten_scoping_returns_only_the_callers_province(world):
    assert Application.objects.count() == 2  # the owner (tests' superuser) sees everything
    _act_as_app("80")
    assert set(Application.objects.values_list("province_id", flat=True)) == {80}
    assert set(Establishment.objects.values_list("province_id", flat=True)) == {80}
    # Owned through a parent: cost lines of Tây Ninh's application only.
    assert set(CostLine.objects.values_list("application__province_id", flat=True)) == {80}
    # Rows without a province stay visible: the national programme, the Agency.
    assert Programme.objects.filter(province__isnull=True).exists()
    assert Organisation.objects.filter(province__isnull=True).exists()
    assert not Organisation.objects.filter(province_id=79).exists()


def test_empty_scope_sees_nothing_and_all_sees_everything(world):
    _act_as_app("")
    assert Application.objects.count() == 0
    assert CostLine.objects.count() == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('kc.scope', 'all', true)")
    assert Application.objects.count() == 2


def test_writing_into_another_province_is_refused(world):
    tay_ninh = world.provinces[80]
    other_commune = Province.objects.get(code=79).communes.first()
    _act_as_app("80")
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        Establishment.objects.create(name="Cơ sở lạc tỉnh", legal_form="household", representative="A",
                                     province_id=79, commune=other_commune, address="x", industry="y")
    # Moving a row out of the scope is refused as well.
    est = Establishment.objects.filter(province_id=80).first()
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        Establishment.objects.filter(pk=est.pk).update(province_id=79, commune=other_commune)
    assert tay_ninh  # the province's own writes still work:
    Establishment.objects.filter(pk=est.pk).update(address="Ấp 5")


def test_middleware_sets_the_users_scope_and_clears_it(world):
    seen = {}

    def view(request):
        seen["scope"] = _current_scope()
        from django.http import HttpResponse

        return HttpResponse("ok")

    request = RequestFactory().get("/")
    request.user = world.provinces[80].officer
    rls.RowLevelSecurityMiddleware(view)(request)
    assert seen["scope"] == "80"
    assert _current_scope() == ""
    request.user = world.agency_officer
    rls.RowLevelSecurityMiddleware(view)(request)
    assert seen["scope"] == "all"


def test_token_authentication_sets_the_scope(world):
    _token, key = api_token_create(user=world.provinces[79].officer)
    rls.reset_scope()
    HashedTokenAuthentication().authenticate_credentials(key)
    assert _current_scope() == "79"


def test_commune_officer_database_scope_is_their_province(world):
    assert rls.scope_value(world.provinces[80].commune_officer) == "80"


def _province_owned_tables():
    """Tables with a foreign key to Province, or a non-null one to a province-owned table."""
    province_model = apps.get_model("provinces", "Province")
    owned: dict = {}
    changed = True
    models = [m for m in apps.get_models() if m._meta.app_label in rls.TENANT_APPS]
    while changed:
        changed = False
        for model in models:
            table = model._meta.db_table
            if table in owned:
                continue
            for field in model._meta.concrete_fields:
                target = getattr(field, "related_model", None)
                if target is province_model or (target is not None and target._meta.db_table in owned
                                                 and target._meta.db_table not in rls.EXEMPT_TABLES
                                                 and not field.null):
                    owned[table] = model
                    changed = True
                    break
        for model in models:
            for field in model._meta.local_many_to_many:
                through = field.remote_field.through._meta.db_table
                sides = {model._meta.db_table, field.related_model._meta.db_table}
                if through not in owned and any(t in owned and t not in rls.EXEMPT_TABLES for t in sides):
                    owned[through] = field.remote_field.through
                    changed = True
    return owned


def test_every_province_owned_table_has_a_policy():
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_policies WHERE policyname = 'kc_tenant'")
        with_policy = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT relname FROM pg_class WHERE relrowsecurity")
        rls_enabled = {row[0] for row in cursor.fetchall()}
    missing = sorted(t for t in _province_owned_tables() if t not in with_policy and t not in rls.EXEMPT_TABLES)
    assert not missing, f"province-owned tables without a row-level security policy: {missing}"
    assert with_policy <= rls_enabled
    assert {"applications_application", "applications_establishment", "applications_costline",
            "programs_budgetallocation", "provinces_organisation"} <= with_policy


def test_the_application_role_cannot_bypass_policies():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", [rls.APP_ROLE])
        assert cursor.fetchone() == (False, False)
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = %s",
                       [rls.APP_ROLE])
        assert cursor.fetchone()[0] == 0


def test_establishment_factory_still_works_for_the_owner():
    world = build_world(province_codes=(80,))
    assert make_establishment(world.provinces[80]).pk


def test_the_api_works_under_row_level_security(world, api_client_for):
    """As the non-owner role: a token user's memberships are found, their province's
    data is listed, another province's is a 404, and a write goes through."""
    tay_ninh, hcm = world.provinces[80], world.provinces[79]
    client = api_client_for(tay_ninh.officer)
    own = Application.objects.filter(province_id=80).first()
    other = Application.objects.filter(province_id=79).first()
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {rls.APP_ROLE}")
    rls.reset_scope()
    listed = client.get("/api/v1/applications/")
    assert listed.status_code == 200
    assert [row["code"] for row in listed.json()["results"]] == [own.code]
    assert client.get(f"/api/v1/applications/{other.pk}/").status_code == 404
    response = client.post(f"/api/v1/applications/{own.pk}/transitions/", {"action": "submit"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "submitted"
    assert hcm.officer  # and the Agency, with scope "all", sees both provinces:
    agency = api_client_for(world.agency_officer).get("/api/v1/applications/")
    assert agency.json()["count"] == 2
