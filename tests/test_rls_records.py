"""The records of an application carry its province: their row-level-security policy is
a column test (no subquery on the applications, which forced full scans), the value
comes from the parent and the database keeps the two equal; JIT is off in the portal's
transactions."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from applications.models import Application, ApplicationEvent, CostLine, Disbursement
from applications.models.dossier import ApplicationRecord
from khuyencong import rls
from tests.factories import build_world, make_application

pytestmark = pytest.mark.django_db


def _record_models():
    return [m for m in rls.tenant_models() if issubclass(m, ApplicationRecord)]


@pytest.fixture
def world():
    world = build_world()
    world.tay_ninh_app = make_application(world.provinces[80])
    world.hcm_app = make_application(world.provinces[79])
    return world


def test_every_record_table_has_a_column_policy():
    records = _record_models()
    assert len(records) >= 12
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, qual FROM pg_policies WHERE policyname = 'kc_tenant'")
        policies = dict(cursor.fetchall())
    for model in records:
        qual = policies[model._meta.db_table]
        assert "province_id" in qual and "applications_application" not in qual, (model, qual)


def test_the_plan_of_a_record_query_does_not_scan_the_applications(world):
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {rls.APP_ROLE}")
        cursor.execute("SELECT set_config('kc.scope', '80', true)")
        cursor.execute("EXPLAIN SELECT count(*) FROM applications_applicationevent")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "applications_application " not in plan and "SubPlan" not in plan, plan


def test_province_comes_from_the_application(world):
    app = world.tay_ninh_app
    event = ApplicationEvent.objects.create(application=app, action="note")
    assert event.province_id == 80
    CostLine.objects.bulk_create([CostLine(application=app, item="Máy", quantity=1, unit="cái", unit_cost=5,
                                           amount=5)])
    assert set(CostLine.objects.filter(application=app).values_list("province_id", flat=True)) == {80}
    line = CostLine(application=world.hcm_app, item="Máy", quantity=1, unit="cái", unit_cost=5, amount=5)
    line.full_clean()
    assert line.province_id == 79


def test_a_record_in_another_province_than_its_application_is_refused(world):
    line = CostLine(application=world.tay_ninh_app, province_id=79, item="Máy", quantity=1, unit="cái",
                    unit_cost=5, amount=5)
    with pytest.raises(ValidationError):
        line.full_clean()
    with pytest.raises(IntegrityError, match="same_province"), transaction.atomic():
        ApplicationEvent.objects.create(application=world.tay_ninh_app, province_id=79, action="note")


def test_records_follow_their_application_if_its_province_changes(world):
    app = world.tay_ninh_app
    ApplicationEvent.objects.create(application=app, action="note")
    Application.objects.filter(pk=app.pk).update(province_id=79, sequence=999_999)
    assert set(ApplicationEvent.objects.filter(application=app).values_list("province_id", flat=True)) == {79}


def test_records_under_row_level_security_follow_the_scope(world):
    for app in (world.tay_ninh_app, world.hcm_app):
        ApplicationEvent.objects.create(application=app, action="note")
        Disbursement.objects.bulk_create([Disbursement(application=app, kind="advance", amount=1,
                                                       paid_on=app.created_at.date(), reference="UNC",
                                                       created_by=world.agency_officer)])
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {rls.APP_ROLE}")
        cursor.execute("SELECT set_config('kc.scope', '80', true)")
    assert set(ApplicationEvent.objects.values_list("province_id", flat=True)) == {80}
    assert set(Disbursement.objects.values_list("application__province_id", flat=True)) == {80}


def test_jit_is_off_in_the_portals_transactions():
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM applications_application LIMIT 1")
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
