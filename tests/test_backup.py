"""Backups: ``backup`` then ``restore`` into a fresh empty PostgreSQL database gives back
every row of every table and every uploaded file, byte for byte."""

import json
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from applications.models import Attachment
from khuyencong.management.commands.backup import MANIFEST_NAME, table_counts
from tests.conftest import TAY_NINH
from tests.factories import build_world, make_application

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump/pg_restore need PostgreSQL")]


def _dsn(db, name):
    return (f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER']} dbname={name}"
            + (f" password={db['PASSWORD']}" if db.get("PASSWORD") else ""))


@pytest.fixture
def fresh_database():
    """A new empty database on the same server, dropped afterwards."""
    db = connection.settings_dict
    name = f"kc_restore_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_dsn(db, "postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = (f"postgres://{db['USER']}{':' + db['PASSWORD'] if db.get('PASSWORD') else ''}@{db['HOST'] or '127.0.0.1'}"
           f":{db['PORT'] or 5432}/{name}")
    try:
        yield name, url
    finally:
        with psycopg.connect(_dsn(db, "postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_restores_every_record_and_file(units, tmp_path, fresh_database):
    name, url = fresh_database
    media = tmp_path / "media"
    with override_settings(MEDIA_ROOT=media):
        setup = build_world(province_codes=(TAY_NINH,)).provinces[TAY_NINH]
        application = make_application(setup)
        call_command("backup", output_dir=str(tmp_path / "backups"), stdout=(out := _Capture()))
    backup_dir = Path(out.text.strip())
    manifest = json.loads((backup_dir / MANIFEST_NAME).read_text())
    attachments = list(Attachment.objects.filter(application=application))
    assert attachments and manifest["media_files"] >= len(attachments)
    source_counts = table_counts(connection)
    assert source_counts == manifest["tables"]
    assert source_counts["applications_application"] == 1 and source_counts["khuyencong_auditentry"] > 0

    restored_media = tmp_path / "restored-media"
    call_command("restore", str(backup_dir), database_url=url, media_root=str(restored_media), yes=True,
                 stdout=_Capture())

    with psycopg.connect(_dsn(connection.settings_dict, name)) as restored:
        tables = [row[0] for row in restored.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        assert sorted(tables) == sorted(source_counts)
        restored_counts = {table: restored.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
                           for table in tables}
    assert restored_counts == source_counts
    for attachment in attachments:
        original = (media / attachment.file.name).read_bytes()
        assert (restored_media / attachment.file.name).read_bytes() == original


def test_restore_refuses_a_folder_that_is_not_a_backup(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not a backup"):
        call_command("restore", str(tmp_path), yes=True)


class _Capture:
    def __init__(self):
        self.text = ""

    def write(self, value):
        self.text += value

    def flush(self):
        pass


def test_scheduled_backups_keep_only_the_newest(tmp_path):
    """Retention: ``backup --keep N`` (what the compose ``backup`` service runs every day)
    leaves the newest N complete backups and nothing else of its own."""
    root = tmp_path / "backups"
    stray = root / "notes"
    stray.mkdir(parents=True)
    made = []
    with override_settings(MEDIA_ROOT=tmp_path / "media"):
        for _ in range(3):
            call_command("backup", output_dir=str(root), keep=2, stdout=(out := _Capture()), stderr=_Capture())
            made.append(Path(out.text.strip()))
    assert sorted(p for p in root.iterdir() if (p / MANIFEST_NAME).exists()) == made[1:]
    assert stray.is_dir()
