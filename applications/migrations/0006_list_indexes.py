"""Indexes matching the lists' default orderings, and (PostgreSQL only) trigram GIN
indexes on the normalised search columns, which serve ``q``'s ``LIKE '%term%'`` and
word-start regular expressions (``khuyencong.models.search_q``)."""

from django.conf import settings
from django.db import migrations, models

TRIGRAM = {"applications_application": "application_search_trgm",
           "applications_establishment": "establishment_search_trgm"}


def trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, name in TRIGRAM.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (search_text gin_trgm_ops)")


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM.values():
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0005_record_province'),
        ('programs', '0001_initial'),
        ('provinces', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='application',
            index=models.Index(fields=['year', 'sequence', 'id'], name='application_list_order'),
        ),
        migrations.AddIndex(
            model_name='establishment',
            index=models.Index(fields=['sort_key', 'id'], name='establishment_list_order'),
        ),
        migrations.RunPython(trigram_indexes, drop_trigram_indexes),
    ]
