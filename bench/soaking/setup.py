"""Setting up the database, the login role, tokens and the servers' environment."""

import os
import subprocess
import sys
import time
import urllib.parse

import psycopg
from psycopg import sql

from .config import APP_ROLE, PASSWORD, ROOT, TAN_NINH_WARD
from .measure import PERSONAS

# --- Setup --------------------------------------------------------------------------------------


def with_user(url: str, user: str, password: str | None, database: str | None = None) -> str:
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{user}:{urllib.parse.quote(password, safe='')}@{host}" if password else f"{user}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    path = f"/{database}" if database else parts.path
    return urllib.parse.urlunsplit((parts.scheme, netloc, path, parts.query, ""))


def base_env(args) -> dict:
    """Like tests/test_replicas.py's ``_base_env``, with a real broker (tasks not eager)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "KC_DB_SCOPE"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "khuyencong.settings", "KC_ALLOW_DEV_KEY": "1", "DEBUG": "0",
        # Notifications are rendered and "sent"; the dummy backend keeps nothing (the locmem
        # backend would keep every mail in the worker's memory and look like a leak).
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "STATIC_ROOT": str(args.workdir / "static"), "VAR_DIR": str(args.workdir / "var"),
        "KC_ENFORCE_2FA": "0", "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0",
        "CELERY_TASK_ALWAYS_EAGER": "0", "REDIS_URL": args.redis_url, "CELERY_BROKER_URL": args.redis_url,
        "CONN_MAX_AGE": "60",  # as docker-compose.yml
        "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1",
        # The soak measures the servers, not the abuse limits: a handful of demo accounts
        # carry the traffic of a whole office each, far past one person's rate.
        "KC_API_RATE_TOKEN": "100000/minute", "KC_API_RATE_USER": "100000/minute",
        "KC_REPORT_REQUESTS_PER_HOUR": "100000", "KC_LOGIN_SLOWDOWN_AFTER": "100000",
    })
    return env


def manage(env, log, *argv) -> str:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "manage.py", *argv], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=1800)
    log.write(f"$ manage.py {' '.join(argv)}  ({time.perf_counter() - started:.1f} s, rc {result.returncode})\n")
    log.write(result.stderr)
    log.flush()
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(argv)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def setup_database(args, env, log) -> dict:
    url = args.database_url
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    maintenance = urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not args.reuse:
            if exists and "soak" not in name:
                raise SystemExit(f"refusing to drop {name!r}: only a database whose name contains 'soak' is "
                                 "recreated; pass --reuse to use it as it is")
            say(f"Creating database {name} …")
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        elif not exists:
            raise SystemExit(f"--reuse: database {name!r} does not exist")

    owner_env = {**env, "DATABASE_URL": url}
    say("migrate (as the owner) …")
    manage(owner_env, log, "migrate", "--noinput", "-v", "0")
    if not args.reuse:
        say("load_admin_units, seed_demo …")
        manage(owner_env, log, "load_admin_units")
        manage(owner_env, log, "seed_demo")
    for persona in PERSONAS:
        if persona.add_member:  # idempotent
            manage(owner_env, log, "add_member", persona.username, "--role", "province_officer", "--province",
                   persona.add_member, "--password", PASSWORD)
    if not args.reuse or not (args.workdir / "static" / "staticfiles.json").exists():
        say("collectstatic …")
        manage(owner_env, log, "collectstatic", "--noinput", "-v", "0")

    # The login role of the web server and the worker: owns nothing, member of kc_app, so the
    # policies apply to it (as khuyencong/deploy/postgres-roles.sh and tests/test_replicas.py).
    role = sql.Identifier(args.web_role)
    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [args.web_role]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE")
                         .format(role))
        if args.web_password:
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(role, sql.Literal(args.web_password)))
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(APP_ROLE), role))
        conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(name), role))
        owner_rows = conn.execute("SELECT count(*) FROM applications_establishment").fetchone()[0]
    web_url = with_user(url, args.web_role, args.web_password)
    with psycopg.connect(web_url, autocommit=True) as conn:
        superuser, bypass = conn.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user").fetchone()
        unscoped = conn.execute("SELECT count(*) FROM applications_establishment").fetchone()[0]
    if superuser or bypass or (owner_rows and unscoped):
        raise SystemExit(f"row-level security is not in force for {args.web_role} (superuser={superuser}, "
                         f"bypassrls={bypass}, {unscoped} rows visible without a scope)")
    say(f"Row-level security in force for {args.web_role}: 0 of {owner_rows} establishments visible without a scope.")

    tokens = {}
    for persona in PERSONAS:
        tokens[persona.username] = manage(owner_env, log, "create_api_token", persona.username, "--days", "1",
                                          "--name", "soak").strip().splitlines()[-1]
    return {"web_url": web_url, "tokens": tokens, "reference": reference_data(url)}


def reference_data(url) -> dict:
    """Ids and communes the clients need, read as the owner (outside row-level security)."""
    provinces = sorted({p.province for p in PERSONAS if p.province})
    ref = {"establishments": {}, "applications": {}, "communes": {}}
    with psycopg.connect(url) as conn:
        for code in provinces:
            ref["communes"][code] = [r[0] for r in conn.execute(
                "SELECT code FROM provinces_commune WHERE province_id = %s ORDER BY code", [code])]
            ref["establishments"][code] = [r[0] for r in conn.execute(
                "SELECT id FROM applications_establishment WHERE province_id = %s ORDER BY random() LIMIT 100", [code])]
            ref["applications"][code] = [r[0] for r in conn.execute(
                "SELECT id FROM applications_application WHERE province_id = %s ORDER BY random() LIMIT 100", [code])]
        ref["commune_establishments"] = [r[0] for r in conn.execute(
            "SELECT id FROM applications_establishment WHERE commune_id = %s LIMIT 100", [TAN_NINH_WARD])]
        ref["other_commune_establishments"] = [r[0] for r in conn.execute(
            "SELECT id FROM applications_establishment WHERE province_id = 80 AND commune_id <> %s LIMIT 100",
            [TAN_NINH_WARD])]
        ref["owners"] = {("e", pk): province for pk, province in conn.execute(
            "SELECT id, province_id FROM applications_establishment ORDER BY id DESC LIMIT 50000")}
        ref["owners"].update({("a", pk): province for pk, province in conn.execute(
            "SELECT id, province_id FROM applications_application ORDER BY id DESC LIMIT 50000")})
        # Unique tax codes across runs on a reused database: continue after the highest one used.
        highest = conn.execute("SELECT max(tax_code) FROM applications_establishment "
                               "WHERE tax_code ~ '^8[0-9]{9}$'").fetchone()[0]
        ref["next_tax_code"] = int(highest) + 1 if highest else 8_000_000_001
        ref["counts"] = conn.execute("SELECT (SELECT count(*) FROM applications_establishment), "
                                     "(SELECT count(*) FROM applications_application), "
                                     "(SELECT count(*) FROM reports_reportrun)").fetchone()
    return ref


def say(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)
