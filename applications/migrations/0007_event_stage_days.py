"""The days an application spent in the state a transition leaves, recorded on the
transition's event (services.transitions) and filled here for the past ones by pairing
each transition with the one before (what the stage medians computed on every view)."""

from django.db import migrations, models


def fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE applications_applicationevent e SET stage_days = d.days FROM ("
            " SELECT id, EXTRACT(EPOCH FROM created_at - LAG(created_at) OVER ("
            "  PARTITION BY application_id ORDER BY created_at, id)) / 86400.0 AS days"
            " FROM applications_applicationevent WHERE to_status <> '') d"
            " WHERE d.id = e.id AND d.days IS NOT NULL")
        return
    # Portable branch (the SQLite quick start holds a few hundred events).
    Event = apps.get_model("applications", "ApplicationEvent")
    previous = {}
    for event in Event.objects.exclude(to_status="").order_by("application_id", "created_at", "id"):
        before = previous.get(event.application_id)
        if before is not None:
            Event.objects.filter(pk=event.pk).update(
                stage_days=max(0.0, (event.created_at - before).total_seconds() / 86400))
        previous[event.application_id] = event.created_at


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0006_list_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='applicationevent',
            name='stage_days',
            field=models.FloatField(blank=True, editable=False, null=True, verbose_name='số ngày ở trạng thái trước'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
