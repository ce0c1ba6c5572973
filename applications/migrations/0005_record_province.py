"""Every record of an application carries its application's province (denormalised), so
its row-level-security policy is a column test instead of a subquery on the applications.

Adds the column nullable, fills it from the parent, makes it required, and on PostgreSQL
adds a composite foreign key ``(application_id, province_id)`` to ``application (id,
province_id)`` with ``ON UPDATE CASCADE``: the database keeps the two equal for good
(SQLite, the quick start, relies on ``ApplicationRecord.fill_province``)."""

import django.db.models.deletion
from django.db import migrations, models

RECORDS = ["acceptance", "applicationevent", "attachment", "changerequest", "conflictdeclaration", "contract",
           "costline", "disbursement", "inspection", "progressreport", "score", "settlement"]


def field(null):
    return models.ForeignKey(editable=False, null=null, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                             to="provinces.province", verbose_name="tỉnh/thành phố")


def fill(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for name in RECORDS:
        table = apps.get_model("applications", name)._meta.db_table
        if postgres:
            schema_editor.execute(f"UPDATE {table} r SET province_id = a.province_id FROM applications_application a "
                                  f"WHERE a.id = r.application_id AND r.province_id IS NULL")
        else:
            schema_editor.execute(f"UPDATE {table} SET province_id = (SELECT a.province_id FROM "
                                  f"applications_application a WHERE a.id = {table}.application_id) "
                                  f"WHERE province_id IS NULL")


def constrain(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE applications_application ADD CONSTRAINT applications_application_id_province "
                          "UNIQUE (id, province_id)")
    for name in RECORDS:
        table = apps.get_model("applications", name)._meta.db_table
        schema_editor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_same_province FOREIGN KEY "
                              f"(application_id, province_id) REFERENCES applications_application (id, province_id) "
                              f"ON UPDATE CASCADE")


def unconstrain(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in RECORDS:
        table = apps.get_model("applications", name)._meta.db_table
        schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {table}_same_province")
    schema_editor.execute("ALTER TABLE applications_application DROP CONSTRAINT IF EXISTS "
                          "applications_application_id_province")


class Migration(migrations.Migration):

    dependencies = [
        ("applications", "0004_contract_payment_schedule"),
        ("provinces", "0001_initial"),
    ]

    operations = (
        [migrations.AddField(model_name=name, name="province", field=field(True)) for name in RECORDS]
        + [migrations.RunPython(fill, migrations.RunPython.noop)]
        + [migrations.AlterField(model_name=name, name="province", field=field(False)) for name in RECORDS]
        + [migrations.RunPython(constrain, unconstrain)]
    )
