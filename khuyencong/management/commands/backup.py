"""Back up the database and the uploaded files into BACKUP_DIR/<timestamp>/.

PostgreSQL: ``pg_dump -Fc`` (run it with the tables' owner, the DATABASE_URL that
``migrate`` uses: under row-level security a non-owner role would be refused). SQLite
(quick start): the sqlite3 online backup API, safe while the server runs. Uploaded
files: a tar.gz of MEDIA_ROOT. A manifest records the row count of every table, which
``restore --check`` and the tests compare against.
"""

import json
import os
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from khuyencong.audit import AuditedCommand

DUMP_NAME = "database.dump"
SQLITE_NAME = "database.sqlite3"
MEDIA_NAME = "media.tar.gz"
MANIFEST_NAME = "manifest.json"


def default_backup_dir() -> Path:
    return Path(os.environ.get("BACKUP_DIR") or Path(settings.VAR_DIR) / "backups")


def pg_command_env(db: dict) -> tuple[list[str], dict]:
    """libpq connection arguments and environment of a Django database settings dict."""
    args = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def table_counts(conn) -> dict[str, int]:
    """Rows per table of the schema (every table, not only Django's models)."""
    with conn.cursor() as cursor:
        tables = sorted(conn.introspection.table_names(cursor))
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {conn.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


class Command(AuditedCommand):
    help = "Sao lưu cơ sở dữ liệu và tệp tải lên / Back up the database and the uploaded files."

    def add_arguments(self, parser):
        parser.add_argument("--output-dir", help="Thư mục sao lưu (mặc định BACKUP_DIR hoặc var/backups)")
        parser.add_argument("--keep", type=int, default=int(os.environ.get("BACKUP_KEEP", 0)),
                            help="Giữ N bản sao lưu mới nhất, xóa các bản cũ hơn (0: giữ tất cả) / keep the newest N "
                                 "backups and delete older ones (0: keep all)")

    def handle(self, *args, **options):
        root = Path(options["output_dir"] or default_backup_dir())
        target = root / timezone.now().strftime("%Y%m%dT%H%M%S%fZ")
        target.mkdir(parents=True, exist_ok=False)
        db = connection.settings_dict
        if connection.vendor == "postgresql":
            conn_args, env = pg_command_env(db)
            cmd = ["pg_dump", "-Fc", *conn_args, "-f", str(target / DUMP_NAME),
                   str(db["NAME"])]
            result = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if result.returncode != 0:
                raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        elif connection.vendor == "sqlite":
            source = sqlite3.connect(str(db["NAME"]))
            destination = sqlite3.connect(str(target / SQLITE_NAME))
            try:
                source.backup(destination)
            finally:
                destination.close()
                source.close()
        else:
            raise CommandError(f"Unsupported database engine: {connection.vendor}")
        media_root = Path(settings.MEDIA_ROOT)
        files = 0
        with tarfile.open(target / MEDIA_NAME, "w:gz") as archive:
            if media_root.is_dir():
                for path in sorted(media_root.rglob("*")):
                    if path.is_file():
                        archive.add(path, arcname=str(path.relative_to(media_root)))
                        files += 1
        manifest = {"created_at": timezone.now().isoformat(), "engine": connection.vendor,
                    "database": str(db["NAME"]), "media_files": files, "tables": table_counts(connection)}
        (target / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        self.stdout.write(str(target))
        if options["keep"] > 0:
            for old in prune_backups(root, options["keep"]):
                self.stderr.write(f"removed old backup {old}")


def prune_backups(root: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` complete backups under ``root`` (folders with a
    manifest; their names are UTC timestamps, so they sort by age). Anything else in the
    folder is left alone."""
    import shutil

    backups = sorted(path for path in root.iterdir() if path.is_dir() and (path / MANIFEST_NAME).is_file())
    removed = backups[:-keep] if keep > 0 else []
    for path in removed:
        shutil.rmtree(path)
    return removed
