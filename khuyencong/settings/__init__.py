"""Settings, read from environment variables with safe defaults, in four parts that each
build on the one before (base → data → web → portal).

Without DATABASE_URL the portal runs on the embedded SQLite database under var/
(the quick start); production, CI and tests use PostgreSQL through DATABASE_URL.
"""

from .portal import *  # noqa: F403
