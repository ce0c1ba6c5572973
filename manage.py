#!/usr/bin/env python
"""Django's command-line utility for the khuyến công portal."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khuyencong.settings")
    # Management commands see every province at the database level (row-level security);
    # the development web server starts with no scope, like gunicorn.
    if len(sys.argv) > 1 and sys.argv[1] != "runserver":
        os.environ.setdefault("KC_DB_SCOPE", "all")
    from django.core.management import execute_from_command_line

    from khuyencong.audit import audit_context, command_actor

    # Every command (Django's own too) writes its audit entries as ``command:<name>``.
    with audit_context(actor=command_actor(sys.argv)):
        execute_from_command_line(sys.argv)
