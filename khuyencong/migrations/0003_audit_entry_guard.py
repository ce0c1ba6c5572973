"""PostgreSQL-only hardening: the audit table refuses UPDATE and DELETE.

The trigger fires for every role, the table owner included; TRUNCATE (used by test
database flushes and by an operator purging on purpose) is a separate privilege and is
not blocked. On SQLite (the quick start) nothing is installed: the application-level
guards (read-only admin and API) are all there is.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION kc_audit_entry_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'khuyencong_auditentry is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS kc_audit_entry_immutable ON khuyencong_auditentry;
CREATE TRIGGER kc_audit_entry_immutable BEFORE UPDATE OR DELETE ON khuyencong_auditentry
    FOR EACH ROW EXECUTE FUNCTION kc_audit_entry_immutable();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS kc_audit_entry_immutable ON khuyencong_auditentry;
DROP FUNCTION IF EXISTS kc_audit_entry_immutable();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # Postgres-only
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # Postgres-only
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("khuyencong", "0002_audit_entry")]

    operations = [migrations.RunPython(forward, backward)]
