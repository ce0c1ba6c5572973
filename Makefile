# Khuyến công portal — quick start and test commands.
#   make run    set up .venv, migrate the embedded SQLite database, load units and demo data, serve :8000
#   make test   the whole suite against PostgreSQL and Redis
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/khuyencong
REDIS_URL ?= redis://127.0.0.1:6379/0
export REDIS_URL

.PHONY: run test venv lint check messages makemessages clean

# The quick start's own settings (DEBUG and a secret key generated here), read by manage.py
# only: `python manage.py …` then works in the checkout without DEBUG=1. Git-ignored (var/).
QUICKSTART_ENV := var/quickstart.env

# Finds a Python >= 3.12: python3.13/3.12 on PATH, then pyenv's and the usual prefixes.
define find_python
for c in python3.13 python3.12 python3.14 python3 \
  $$HOME/.pyenv/versions/3.13*/bin/python3.13 $$HOME/.pyenv/versions/3.12*/bin/python3.12 \
  /root/.pyenv/versions/3.13*/bin/python3.13 /root/.pyenv/versions/3.12*/bin/python3.12 \
  /usr/local/bin/python3.13 /usr/local/bin/python3.12 /usr/bin/python3.13 /usr/bin/python3.12; do \
  if command -v "$$c" >/dev/null 2>&1 && "$$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then \
    command -v "$$c"; exit 0; fi; done; exit 1
endef

# Dependencies are installed from lock files with every version pinned and every file's hash
# (requirements-dev.lock: runtime + development tools; requirements.lock: runtime only, for the
# Docker image). pip refuses anything unpinned or whose hash differs. `make lock` regenerates them
# after a change to pyproject.toml (needs uv: `python3 -m pip install --user uv`).
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
UV ?= uv

$(STAMP): pyproject.toml $(DEV_LOCK)
	@PYBIN=$$( $(find_python) ) || { echo "Cần Python >= 3.12 (python3.13 hoặc python3.12) nhưng không tìm thấy. / Python >= 3.12 is required and none was found." >&2; exit 1; }; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then \
	  echo "Tạo .venv bằng $$PYBIN"; rm -rf $(VENV); "$$PYBIN" -m venv $(VENV); fi
	PIP_DISABLE_PIP_VERSION_CHECK=1 $(PY) -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	@touch $(STAMP)

# Regenerate both lock files from pyproject.toml (universal: every platform, Python >= 3.12).
.PHONY: lock audit
lock:
	$(UV) pip compile pyproject.toml --universal --python-version 3.12 --generate-hashes \
	  --custom-compile-command "make lock" -q -o $(LOCK)
	$(UV) pip compile pyproject.toml --extra dev --universal --python-version 3.12 --generate-hashes \
	  --custom-compile-command "make lock" -q -o $(DEV_LOCK)

# Known vulnerabilities in the locked runtime dependencies (for operators; needs network access to
# the PyPI/OSV advisory databases, so it is not part of CI). Install pip-audit once:
# `python3 -m pip install --user pip-audit`.
audit:
	pip-audit --require-hashes --strict -r $(LOCK)

venv: $(STAMP)

$(QUICKSTART_ENV):
	@mkdir -p var
	@umask 077; $(PY) -c 'import secrets; print("# Quick start only (make run); never used in production.\nDEBUG=1\nSECRET_KEY=" + secrets.token_urlsafe(50))' > $@
	@echo "Đã tạo $@ (DEBUG=1 và khóa bí mật riêng của máy này) / wrote $@"

run: $(STAMP) messages $(QUICKSTART_ENV)
	@mkdir -p var
	DEBUG=1 $(PY) manage.py migrate --noinput -v 0
	DEBUG=1 $(PY) manage.py load_admin_units
	@# Seeding walks applications through the workflow; its notification mails would bury the account list.
	DEBUG=1 EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend $(PY) manage.py seed_demo
	@set -a; . ./$(QUICKSTART_ENV); set +a; HOST=$(HOST) PORT=$(PORT) PY=$(PY) bash .ci/serve

test: $(STAMP) messages
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

check: $(STAMP)
	KC_ALLOW_DEV_KEY=1 $(PY) manage.py makemigrations --check --dry-run

# The English translation (locale/en); the .mo files are build output, not in git.
# compilemessages skips catalogues whose .mo is newer than the .po, so this is cheap.
I18N_IGNORE := --ignore=.venv --ignore=var --ignore=static --ignore=node_modules
messages: $(STAMP)
	@if ! command -v msgfmt >/dev/null 2>&1; then \
	  echo "Không có msgfmt (gói gettext): bỏ qua biên dịch bản dịch, giao diện chỉ có tiếng Việt. / msgfmt (gettext) is missing: translations not compiled, the UI stays Vietnamese."; \
	elif [ -d locale ]; then \
	  KC_ALLOW_DEV_KEY=1 $(PY) manage.py compilemessages $(I18N_IGNORE) -v 0; \
	fi

# Refresh locale/en/LC_MESSAGES/django.po after changing user-facing strings; then translate the
# new and "fuzzy" entries and run `make messages`.
makemessages: $(STAMP)
	KC_ALLOW_DEV_KEY=1 $(PY) manage.py makemessages -l en $(I18N_IGNORE)
	@msgfmt --statistics -o /dev/null locale/en/LC_MESSAGES/django.po

clean:
	rm -rf var/khuyencong.sqlite3* var/staticfiles

# Backups: database (pg_dump -Fc, or the SQLite file) and uploaded files into
# $(BACKUP_DIR)/<timestamp>/. Run with the DATABASE_URL of the tables' owner (the one
# `migrate` uses). `make restore BACKUP=var/backups/<timestamp>` overwrites the database
# of DATABASE_URL and MEDIA_ROOT with that backup.
BACKUP_DIR ?= var/backups
.PHONY: backup restore
backup: $(STAMP)
	BACKUP_DIR=$(BACKUP_DIR) KC_ALLOW_DEV_KEY=1 $(PY) manage.py backup

restore: $(STAMP)
	@test -n "$(BACKUP)" || { echo "Cách dùng / usage: make restore BACKUP=$(BACKUP_DIR)/<timestamp>" >&2; exit 2; }
	BACKUP_DIR=$(BACKUP_DIR) KC_ALLOW_DEV_KEY=1 $(PY) manage.py restore "$(BACKUP)" --yes
