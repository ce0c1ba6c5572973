"""Test settings: the real settings plus a fast password hasher and an SQLite alias
used only by the cross-database search tests."""

import os

os.environ.setdefault("KC_ALLOW_DEV_KEY", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/khuyencong")

from khuyencong.settings import *  # noqa: E402,F403
from khuyencong.settings import DATABASES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DATABASES["sqlite"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:", "TEST": {"NAME": ":memory:"}}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
# A Celery worker started by the e-mail delivery test sends through a local SMTP server.
if os.environ.get("KC_TEST_SMTP_PORT"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": int(os.environ["KC_TEST_SMTP_PORT"]), "timeout": 5},
        }
    }
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
MEDIA_ROOT = BASE_DIR / "var" / "test-media"  # noqa: F405
# WhiteNoise warns on every request when STATIC_ROOT is missing; tests never collect.
STATIC_ROOT = BASE_DIR / "var" / "test-static"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Django's live server wraps the site in a media handler that parses MEDIA_URL, which
# the portal leaves None (uploads are never served by URL): give it a path nothing uses.
MEDIA_URL = "/_test-media-not-served/"
# Most tests sign in approvers and Agency staff without a second factor; the
# two-factor tests switch enforcement on with override_settings.
KC_ENFORCE_2FA = False

# The shared cache in a Redis database of the tests' own, under a prefix per run: parallel
# runs on one Redis never see each other's dashboards or throttle counts.
CACHES["default"]["LOCATION"] = os.environ.get(  # noqa: F405
    "KC_TEST_CACHE_URL", REDIS_URL.rsplit("/", 1)[0] + "/7")  # noqa: F405
# (A worker started by a test is given its parent's prefix.)
CACHES["default"]["KEY_PREFIX"] = os.environ.get("KC_TEST_CACHE_PREFIX", f"kc-test-{os.getpid()}")  # noqa: F405
# The suite calls the API hundreds of times with the same token (the fuzz tests above
# all); the throttle tests set production-like rates themselves.
KC_API_THROTTLE_RATES = {"token": "100000/minute", "user": "100000/minute", "anon": "100000/minute"}
KC_REPORT_REQUESTS_PER_HOUR = 1000
