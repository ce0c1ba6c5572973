#!/usr/bin/env python
"""Django's command-line utility for the khuyến công portal."""

import os
import sys
from pathlib import Path


def read_quickstart_settings() -> None:
    """The quick start's own settings: ``var/quickstart.env`` (git-ignored), written by
    ``make run`` with ``DEBUG=1`` and a secret key generated on this machine, so every command
    the README shows (``python manage.py add_member …``) works in the checkout as written.
    Only this script reads it — gunicorn, Celery and the Docker image (which has no var/)
    never do — and a variable already set in the environment wins over the file."""
    path = Path(os.environ.get("KC_QUICKSTART_ENV") or Path(__file__).resolve().parent / "var" / "quickstart.env")
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            os.environ.setdefault(name.strip(), value.strip())


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khuyencong.settings")
    read_quickstart_settings()
    # Management commands see every province at the database level (row-level security);
    # the development web server starts with no scope, like gunicorn.
    if len(sys.argv) > 1 and sys.argv[1] != "runserver":
        os.environ.setdefault("KC_DB_SCOPE", "all")
    from django.core.management import execute_from_command_line

    from khuyencong.audit import audit_context, command_actor

    # Every command (Django's own too) writes its audit entries as ``command:<name>``.
    with audit_context(actor=command_actor(sys.argv)):
        execute_from_command_line(sys.argv)
