"""Restore a backup made by ``backup``: the database (pg_restore, or the SQLite file) and
the uploaded files. Destructive: existing objects of the target database are replaced
(``pg_restore --clean --if-exists``) and files are written over MEDIA_ROOT.

``--database-url`` restores into another database (for instance a fresh empty one, to
check a backup); ``--media-root`` into another folder.
"""

import json
import sqlite3
import subprocess
import tarfile
from pathlib import Path

import dj_database_url
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection

from khuyencong.audit import AuditedCommand

from .backup import DUMP_NAME, MANIFEST_NAME, MEDIA_NAME, SQLITE_NAME, default_backup_dir, pg_command_env


def _latest(root: Path) -> Path:
    candidates = sorted(p for p in root.iterdir() if (p / MANIFEST_NAME).exists()) if root.is_dir() else []
    if not candidates:
        raise CommandError(f"No backup found under {root}")
    return candidates[-1]


class Command(AuditedCommand):
    help = "Khôi phục bản sao lưu / Restore a backup (database and uploaded files)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="Thư mục bản sao lưu (mặc định: bản mới nhất trong BACKUP_DIR)")
        parser.add_argument("--database-url", help="Khôi phục vào cơ sở dữ liệu này thay vì DATABASE_URL")
        parser.add_argument("--media-root", help="Giải nén tệp vào thư mục này thay vì MEDIA_ROOT")
        parser.add_argument("--yes", action="store_true", help="Không hỏi lại (ghi đè dữ liệu hiện có)")

    def handle(self, *args, **options):
        source = Path(options["path"]) if options["path"] else _latest(default_backup_dir())
        manifest_path = source / MANIFEST_NAME
        if not manifest_path.exists():
            raise CommandError(f"{source} is not a backup (no {MANIFEST_NAME})")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        db = dj_database_url.parse(options["database_url"]) if options["database_url"] else connection.settings_dict
        media_root = Path(options["media_root"] or settings.MEDIA_ROOT)
        if not options["yes"]:
            answer = input(f"Ghi đè {db['NAME']} và {media_root} bằng {source}? Gõ 'yes' để tiếp tục: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Đã hủy / Cancelled.")
        engine = ("postgresql" if "postgresql" in db["ENGINE"]
                  else "sqlite" if "sqlite" in db["ENGINE"] else db["ENGINE"])
        if engine != manifest["engine"]:
            raise CommandError(f"The backup is of {manifest['engine']}, the target is {engine}")
        if engine == "postgresql":
            conn_args, env = pg_command_env(db)
            cmd = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--exit-on-error",
                   *conn_args, "-d", str(db["NAME"]), str(source / DUMP_NAME)]
            result = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if result.returncode != 0:
                raise CommandError(f"pg_restore failed: {result.stderr.strip()}")
        else:
            backup_db = sqlite3.connect(str(source / SQLITE_NAME))
            target_db = sqlite3.connect(str(db["NAME"]))
            try:
                backup_db.backup(target_db)
            finally:
                target_db.close()
                backup_db.close()
        media_root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(source / MEDIA_NAME, "r:gz") as archive:
            archive.extractall(media_root, filter="data")  # no absolute paths, no "..", no devices
        self.stdout.write(f"{source} → {db['NAME']}, {media_root} ({manifest['media_files']} tệp / files)")
