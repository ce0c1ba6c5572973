"""Bounded soak of the production-like setup on one machine: gunicorn and a Celery worker under
row-level security, driven by N concurrent clients for D seconds; prints figures and stops.

    .venv/bin/python bench/soak.py                                # 50 clients, 600 s
    .venv/bin/python bench/soak.py --clients 10 --duration 60     # a short try
    .venv/bin/python bench/soak.py --reuse --json var/soak/last.json
    .venv/bin/python bench/soak.py --database-url postgres://postgres@127.0.0.1:5432/kc_soak2

What it does
- Database (DATABASE_URL of the tables' owner; default postgres://postgres@127.0.0.1:5432/kc_soak):
  without ``--reuse`` it (re)creates the database — only one whose name contains "soak", so a
  mistyped URL never drops real data — then, as the owner, ``migrate``, ``load_admin_units``,
  ``seed_demo`` and ``add_member`` for two more provinces. With ``--reuse`` it keeps the data and
  only runs ``migrate`` (idempotent; it also reinstalls the policies). Either way it creates (once)
  a login role (``--web-role``, default kc_soak_web) that is a member of ``kc_app`` and owns
  nothing, checks that row-level security is in force for it, and creates API tokens with
  ``create_api_token``.
- Starts gunicorn (gthread) and a Celery worker connecting as that role, both on a Redis database
  of their own (``--redis-url``, default redis://127.0.0.1:6379/9, flushed at start; db 0 is
  refused), logs in files under ``--workdir`` (default var/soak/). Stops them at the end, always.
- Drives ``--clients`` clients on 127.0.0.1 for ``--duration`` seconds, as four provinces' officers
  (Tây Ninh, TP HCM, Hà Nội, Đà Nẵng), a commune officer and the Agency: API lists with filters
  and ``q``, details, dashboards and list pages with a session, CSV exports, and writes
  (establishments created and patched through the API, report runs requested through the API for
  the worker, submit/return transitions). Every client checks tenancy on what it reads: a
  province never sees another province's rows, the commune officer never another commune's
  establishment; deliberate probes of foreign ids must answer 404.

What it reports
- Requests per second; p50/p95/p99/max latency overall and per kind of request.
- Errors: any status other than the expected ones (2xx/3xx, or 404 for a deliberate probe), a
  redirect of a signed-in page to the login page, any tenancy breach, any exception. Goal: 0.
- Report runs requested, finished, failed, still queued; time from request to finished.
- RSS (from /proc) of the gunicorn master + workers and of the Celery worker + pool children when
  idle, after the warm-up and at the end, with a timeline, so one sees whether memory is flat;
  database connections of the web role; tracebacks found in the server logs.

Not part of the test suite: performance is never asserted there. The clients run in this process
on the same machine, so they take some CPU from the servers; compare runs made the same way.
"""

import argparse
import csv
import http.client
import io
import itertools
import json
import math
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
import redis
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PASSWORD = "KhuyenCong@2026"  # seed_demo's shared demo password (README, Demo accounts)
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kc_soak"
APP_ROLE = "kc_app"  # khuyencong.rls.APP_ROLE: the role the policies restrict
TAN_NINH_WARD = 25459  # tayninh_xa's commune (khuyencong.demo.DEMO_PROVINCES)
# gunicorn closes an idle keep-alive connection after 2 s (its default): reusing one that old
# races with that close, so a client opens a fresh connection after this much idleness.
KEEPALIVE_REUSE_SECONDS = 1.0


# --- Personas -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Persona:
    username: str
    province: int | None  # None: the Agency (sees every province)
    commune: int | None = None  # a commune officer: establishments of this commune only
    writes: bool = False
    # Accounts seed_demo does not make: created with add_member (province code).
    add_member: str | None = None


PERSONAS = [
    Persona("tayninh_canbo", 80, writes=True),
    Persona("hcm_canbo", 79, writes=True),
    Persona("soak_hanoi_canbo", 1, writes=True, add_member="1"),
    Persona("soak_danang_canbo", 48, writes=True, add_member="48"),
    Persona("cuc_chuyenvien", None),
    Persona("tayninh_xa", 80, commune=TAN_NINH_WARD),
]
REGIONS = ["phia-nam", "phia-bac", "mien-trung-tay-nguyen", "dong-nam-bo"]
ESTABLISHMENT_WORDS = ["may tre", "gom", "det", "che bien", "soak", "hop tac xa", "co so", "tay ninh", "nguyen"]
APPLICATION_WORDS = ["de an", "nang cao", "may moc", "soak", "thiet bi", "dao tao", "trinh dien"]
INDUSTRIES = ["Mây tre đan", "Gốm sứ", "Dệt thổ cẩm", "Chế biến nông sản", "Cơ khí nhỏ", "Sơn mài"]
LEGAL_FORMS = ["sme", "cooperative", "cooperative_union", "cooperative_group", "household"]
STATUS_FILTERS = [["submitted"], ["approved", "in_progress"], ["draft", "returned"], ["settled"], []]


# --- Measurements ---------------------------------------------------------------------------------


class Stats:
    """Latencies and outcomes per kind of request, shared by every client thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = defaultdict(list)  # kind -> seconds
        self.errors = defaultdict(int)  # kind -> count
        self.statuses = defaultdict(lambda: defaultdict(int))  # kind -> status -> count
        self.samples = {}  # (kind, what) -> (count, first message)
        self.tenancy_rows = 0
        self.tenancy_breaches = 0
        self.probes = 0

    def record(self, kind: str, seconds: float, status, error: str | None = None):
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[kind][status] += 1
            if error:
                self.errors[kind] += 1
                key = (kind, str(status), error[:60])
                count, message = self.samples.get(key, (0, error))
                self.samples[key] = (count + 1, message)

    def error(self, kind: str, message: str):
        """An error found after the request was counted (a failed check on its content)."""
        with self.lock:
            self.errors[kind] += 1
            key = (kind, "check", message[:60])
            count, first = self.samples.get(key, (0, message))
            self.samples[key] = (count + 1, first)

    def rows_checked(self, n: int, breaches: int):
        with self.lock:
            self.tenancy_rows += n
            self.tenancy_breaches += breaches


def percentile(values, p):
    if not values:
        return 0.0
    ordered = sorted(values)  # nearest rank
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


# --- A small HTTP client (standard library only: requests is not a declared dependency) ---------


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


class Http:
    """One keep-alive connection and a cookie jar, for one client thread."""

    def __init__(self, port: int, timeout: float):
        self.port = port
        self.timeout = timeout
        self.conn = None
        self.last_used = 0.0
        self.cookies = {}

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _connection(self):
        if self.conn is not None and time.monotonic() - self.last_used > KEEPALIVE_REUSE_SECONDS:
            self.close()
        fresh = self.conn is None
        if fresh:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        return self.conn, fresh

    def request(self, method, path, body=None, headers=None) -> Response:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (0, 1):
            conn, fresh = self._connection()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                # A reused connection the server closed before answering: nothing was processed,
                # so one retry on a fresh connection is safe. Anything else is an error.
                if fresh or attempt:
                    raise
                continue
            except Exception:
                self.close()
                raise
            self.last_used = time.monotonic()
            if response.will_close:
                self.close()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                pair = cookie.split(";", 1)[0]
                name, _, value = pair.partition("=")
                if "max-age=0" in cookie.lower() or not value.strip('"'):
                    self.cookies.pop(name.strip(), None)
                else:
                    self.cookies[name.strip()] = value
            return Response(response.status, response.headers, data)
        raise AssertionError("unreachable")


# --- One client -----------------------------------------------------------------------------------


class Shared:
    """What the clients share: ids to probe, communes to write in, counters, the report limiter."""

    def __init__(self, args, port, tokens, reference):
        self.args = args
        self.port = port
        self.tokens = tokens
        self.reference = reference
        self.stats = Stats()
        self.stop = threading.Event()
        self.tax_codes = itertools.count(reference["next_tax_code"])
        self.tax_lock = threading.Lock()
        self.report_lock = threading.Lock()
        self.next_report_at = 0.0
        self.report_ids = []  # (id, requested at)
        self.year = date.today().year
        # Which province owns each row known to the script: (kind "e"/"a", id) -> province code.
        self.owners = dict(reference["owners"])

    def next_tax_code(self) -> str:
        with self.tax_lock:
            return f"{next(self.tax_codes):010d}"

    def may_request_report(self) -> bool:
        # Report runs are heavy (PDF): one every --report-every seconds across all clients keeps
        # the worker busy without a queue that grows for the whole run.
        with self.report_lock:
            now = time.monotonic()
            if now < self.next_report_at:
                return False
            self.next_report_at = now + self.args.report_every
            return True


class Client(threading.Thread):
    def __init__(self, shared: Shared, persona: Persona, group_index: int, group_size: int, seed: int):
        super().__init__(daemon=True, name=f"client-{persona.username}-{group_index}")
        self.shared = shared
        self.stats = shared.stats
        self.persona = persona
        self.group_index = group_index  # partition of the transitions among this persona's clients
        self.group_size = group_size
        self.rng = random.Random(seed)
        self.http = Http(shared.port, shared.args.request_timeout)
        self.token = shared.tokens[persona.username]
        self.created = []  # establishments this client made (to patch and read back)
        ref = shared.reference
        own = [persona.province] if persona.province else list(ref["establishments"])
        self.known_establishments = [i for p in own for i in ref["establishments"].get(p, [])]
        self.known_applications = [i for p in own for i in ref["applications"].get(p, [])]
        if persona.commune:
            # Finer than the province: learnt from its own lists (applications through their
            # establishments' commune).
            self.known_establishments = list(ref["commune_establishments"])
            self.known_applications = []
        self.logged_in = False

    # -- plumbing

    def call(self, kind, method, path, *, body=None, api=True, expect=(200,), form=None) -> Response | None:
        headers = {}
        if api:
            headers["Authorization"] = f"Token {self.token}"
            headers["Accept"] = "application/json"
        if body is not None:
            body = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.shared.port}{path}"
        if not api and method == "POST":
            headers["X-CSRFToken"] = self.http.cookies.get("csrftoken", "")
        started = time.perf_counter()
        self.last_status = None
        try:
            response = self.http.request(method, path, body=body, headers=headers)
        except Exception as exc:  # noqa: BLE001 - every exception is an error to count, not a crash
            self.stats.record(kind, time.perf_counter() - started, "exception", f"{type(exc).__name__}: {exc}")
            return None
        elapsed = time.perf_counter() - started
        self.last_status = response.status
        error = None
        if response.status not in expect:
            error = f"{method} {path.split('?')[0]} -> {response.status}: {response.text[:160]!r}"
        elif not api and 300 <= response.status < 400 and "dang-nhap" in response.headers.get("Location", ""):
            # A signed-in page that sends us to the login page lost the session: an error.
            error = f"{method} {path.split('?')[0]} redirected to the login page"
        self.stats.record(kind, elapsed, response.status, error)
        return None if error else response

    def check(self, kind, rows, province_of, commune_of=None):
        """Tenancy of the rows read: a province persona sees only its province, the commune
        officer only its commune (for establishments)."""
        if self.persona.province is None:
            self.stats.rows_checked(len(rows), 0)
            return
        breaches = 0
        for row in rows:
            province = province_of(row)
            if str(province) != str(self.persona.province):
                breaches += 1
                self.stats.error(kind, f"tenancy breach: {self.persona.username} saw a row of province {province}")
            elif self.persona.commune and commune_of and str(commune_of(row)) != str(self.persona.commune):
                breaches += 1
                self.stats.error(kind, f"tenancy breach: {self.persona.username} saw commune {commune_of(row)}")
        self.stats.rows_checked(len(rows), breaches)

    def pick(self, items):
        return self.rng.choice(items) if items else None

    def query(self, **params) -> str:
        pairs = []
        for key, value in params.items():
            if value is None or value == "" or value == []:
                continue
            for item in value if isinstance(value, list) else [value]:
                pairs.append((key, item))
        return "?" + urllib.parse.urlencode(pairs) if pairs else ""

    # -- session login (for the pages and exports)

    def login(self) -> bool:
        page = self.call("page.login", "GET", "/dang-nhap/", api=False)
        if page is None:
            return False
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if not match:
            self.stats.error("page.login", "no CSRF token on the login page")
            return False
        response = self.call("page.login", "POST", "/dang-nhap/", api=False, expect=(302,),
                             form={"username": self.persona.username, "password": PASSWORD,
                                   "csrfmiddlewaretoken": match.group(1)})
        if response is None or "sessionid" not in self.http.cookies:
            self.stats.error("page.login", f"{self.persona.username} could not sign in")
            return False
        self.logged_in = True
        return True

    # -- reads

    def establishments_list(self):
        p = self.persona
        params = {"page_size": self.rng.choice([20, 50, 100]), "q": self.rng.choice(ESTABLISHMENT_WORDS + [None] * 3),
                  "legal_form": self.rng.choice(LEGAL_FORMS + [None] * 4)}
        if p.province is None:
            params["province"] = self.rng.choice([80, 79, 1, 48, None])
        elif self.rng.random() < 0.3:
            params["province"] = p.province
        response = self.call("api.establishments.list", "GET", "/api/v1/establishments/" + self.query(**params))
        if response is None:
            return
        rows = response.json()["results"]
        self.check("api.establishments.list", rows, lambda r: r["province"], lambda r: r["commune"])
        if params.get("province") and p.province is None and any(r["province"] != params["province"] for r in rows):
            self.stats.error("api.establishments.list", "the province filter returned rows of another province")
        self._remember(self.known_establishments, rows)

    def applications_list(self, statuses=None) -> list:
        p = self.persona
        params = {"page_size": self.rng.choice([20, 50, 100]), "status": statuses if statuses is not None else
                  self.rng.choice(STATUS_FILTERS), "q": self.rng.choice(APPLICATION_WORDS + [None] * 4),
                  "year": self.rng.choice([self.shared.year, None]),
                  "fund_source": self.rng.choice(["national", "local", None, None])}
        if statuses is not None:
            params.update(q=None, year=None, fund_source=None, page_size=200)
        if p.province is None:
            params["province"] = self.rng.choice([80, 79, None])
        response = self.call("api.applications.list", "GET", "/api/v1/applications/" + self.query(**params))
        if response is None:
            return []
        rows = response.json()["results"]
        self.check("api.applications.list", rows, lambda r: r["province"])
        self._remember(self.known_applications, rows)
        return rows

    def _remember(self, pool, rows):
        for row in rows[:5]:
            if row["id"] not in pool:
                pool.append(row["id"])
        del pool[:-500]  # bounded: the soak must not measure its own memory growth

    def establishment_detail(self):
        pk = self.pick(self.created) if self.created and self.rng.random() < 0.5 else self.pick(self.known_establishments)
        if pk is None:
            return self.establishments_list()
        response = self.call("api.establishments.detail", "GET", f"/api/v1/establishments/{pk}/")
        if response is not None:
            self.check("api.establishments.detail", [response.json()], lambda r: r["province"], lambda r: r["commune"])

    def application_detail(self):
        pk = self.pick(self.known_applications)
        if pk is None:
            return self.applications_list()
        response = self.call("api.applications.detail", "GET", f"/api/v1/applications/{pk}/")
        if response is not None:
            self.check("api.applications.detail", [response.json()], lambda r: r["province"])

    def reports_list(self):
        response = self.call("api.reports.list", "GET", "/api/v1/reports/?page_size=50")
        if response is None:
            return
        rows = response.json()["results"]
        # A province sees its own runs and the published national summaries (DESIGN.md).
        self.check("api.reports.list", [r for r in rows if r["scope"] == "province"], lambda r: r["province"])

    def dashboard(self):
        p = self.persona
        refresh = "&refresh=1" if self.rng.random() < 0.25 else ""  # figures are cached per worker: sometimes computed
        if p.province is None:
            path = self.rng.choice(["/bao-cao/toan-quoc/", f"/bao-cao/vung/{self.rng.choice(REGIONS)}/",
                                    f"/bao-cao/tinh/{self.rng.choice([80, 79])}/"])
        else:
            path = f"/bao-cao/tinh/{p.province}/"
        self.call("page.dashboard", "GET", f"{path}?year={self.shared.year}{refresh}", api=False)

    def list_page(self):
        choice = self.rng.random()
        if choice < 0.4:
            path = "/co-so/" + self.query(q=self.rng.choice(ESTABLISHMENT_WORDS + [None]))
        elif choice < 0.8:
            path = "/de-an/" + self.query(status=self.rng.choice(STATUS_FILTERS))
        else:
            path = "/viec-can-lam/"
        response = self.call("page.list", "GET", path, api=False)
        if response is None or self.persona.province is None:
            return
        # Tenancy of the HTML list: no link to a row of another province whose owner we know.
        owners = self.shared.owners
        links = [("e", int(pk)) for pk in re.findall(r'href="/co-so/(\d+)/"', response.text)]
        links += [("a", int(pk)) for pk in re.findall(r'href="/de-an/(\d+)/"', response.text)]
        self.check("page.list", [owners[link] for link in links if link in owners], lambda province: province)

    def export_csv(self):
        p = self.persona
        if self.rng.random() < 0.5:
            path = "/bao-cao/xuat/co-so/csv/" + self.query(q=self.rng.choice(ESTABLISHMENT_WORDS + [None] * 2),
                                                           province=None if p.province else self.rng.choice([80, 79, None]))
            province_column, commune_column = "Mã tỉnh", "Mã xã"
        else:
            path = "/bao-cao/xuat/de-an/csv/" + self.query(status=self.rng.choice(STATUS_FILTERS),
                                                           year=self.rng.choice([self.shared.year, None]))
            province_column, commune_column = "Mã tỉnh", None
        response = self.call("export.csv", "GET", path, api=False)
        if response is None:
            return
        rows = list(csv.DictReader(io.StringIO(response.body.decode("utf-8-sig"))))
        if rows and province_column not in rows[0]:
            self.stats.error("export.csv", f"no {province_column!r} column in {path.split('?')[0]}")
            return
        self.check("export.csv", rows, lambda r: r[province_column],
                   (lambda r: r[commune_column]) if commune_column else None)

    def probe(self):
        """Deliberate reads outside the caller's scope: each must be a 404 (never a 403, which
        would confirm the row exists, and never a 200)."""
        p = self.persona
        ref = self.shared.reference
        if p.province is None:
            return self.reports_list()  # the Agency sees everything: nothing to probe
        if p.commune:
            foreign = ref["other_commune_establishments"]
            kind, path = "probe.api", "/api/v1/establishments/{}/"
        elif self.rng.random() < 0.7:
            others = [q for q in ref["establishments"] if q != p.province]
            foreign = ref["establishments"].get(self.pick(others), []) if others else []
            kind, path = "probe.api", "/api/v1/establishments/{}/"
            if self.rng.random() < 0.5:
                foreign = ref["applications"].get(self.pick(others), []) if others else []
                path = "/api/v1/applications/{}/"
        else:
            other = self.rng.choice([q for q in (80, 79, 1, 48) if q != p.province])
            self.call("probe.dashboard", "GET", f"/bao-cao/tinh/{other}/", api=False, expect=(404,))
            self._probed()
            return
        pk = self.pick(foreign)
        if pk is None:
            return
        self.call(kind, "GET", path.format(pk), expect=(404,))
        self._probed()

    def _probed(self):
        with self.stats.lock:
            self.stats.probes += 1
            # 200 shows a foreign row, 403 confirms it exists: both break tenancy (the status is
            # already counted as an error by call()).
            if self.last_status in (200, 403):
                self.stats.tenancy_breaches += 1

    # -- writes

    def establishment_create(self):
        p = self.persona
        commune = self.pick(self.shared.reference["communes"][p.province])
        n = self.shared.next_tax_code()
        body = {"name": f"Cơ sở soak {self.rng.choice(INDUSTRIES).lower()} {n[-6:]}",
                "legal_form": self.rng.choice(LEGAL_FORMS), "tax_code": n,
                "representative": self.rng.choice(["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"]),
                "commune": commune, "address": f"Số {int(n[-4:])}, tổ {self.rng.randint(1, 30)}",
                "industry": self.rng.choice(INDUSTRIES), "woman_owned": self.rng.random() < 0.4}
        response = self.call("api.establishments.create", "POST", "/api/v1/establishments/", body=body, expect=(201,))
        if response is None:
            return
        created = response.json()
        self.check("api.establishments.create", [created], lambda r: r["province"])
        self.created.append(created["id"])
        self.shared.owners[("e", created["id"])] = created["province"]
        del self.created[:-200]

    def establishment_patch(self):
        pk = self.pick(self.created)
        if pk is None:
            return self.establishment_create()
        body = {"address": f"Số {self.rng.randint(1, 999)} (đã sửa)", "employees": self.rng.randint(1, 200)}
        response = self.call("api.establishments.patch", "PATCH", f"/api/v1/establishments/{pk}/", body=body)
        if response is not None and response.json().get("address") != body["address"]:
            self.stats.error("api.establishments.patch", "PATCH did not return the new address")

    def transition(self):
        """submit/return on this client's share of the submitted and returned applications
        (``id % group_size``), so two clients never race on the same one."""
        # Drafts are left out: a seeded draft may lack the documents submit requires (409).
        rows = self.applications_list(statuses=["submitted", "returned"])
        mine = [r for r in rows if r["id"] % self.group_size == self.group_index]
        row = self.pick(mine)
        if row is None:
            return
        if "return" in row["allowed_actions"]:
            body = {"action": "return", "reason": "Kiểm thử tải: trả lại để bổ sung hồ sơ", "version": row["version"]}
        elif "submit" in row["allowed_actions"]:
            body = {"action": "submit", "version": row["version"]}
        else:
            return
        response = self.call("api.applications.transition", "POST", f"/api/v1/applications/{row['id']}/transitions/",
                             body=body, expect=(200, 201))
        if response is not None:
            self.check("api.applications.transition", [response.json()], lambda r: r["province"])

    def report_request(self):
        p = self.persona
        if not self.shared.may_request_report():
            return self.reports_list()
        if p.province is None:
            body = {"kind": "regional_summary", "scope": "region", "region": self.rng.choice(REGIONS[:3]),
                    "year": self.shared.year}
        else:
            body = {"kind": self.rng.choice(["province_annual", "budget_execution"]), "scope": "province",
                    "province": p.province, "year": self.shared.year}
        response = self.call("api.reports.create", "POST", "/api/v1/reports/", body=body, expect=(201,))
        if response is not None:
            with self.shared.report_lock:
                self.shared.report_ids.append(response.json()["id"])

    # -- the loop

    def operations(self):
        p = self.persona
        ops = [(self.establishments_list, 14), (self.applications_list, 14), (self.establishment_detail, 8),
               (self.application_detail, 8), (self.reports_list, 3), (self.export_csv, 3), (self.probe, 5)]
        if not p.commune:  # the commune officer has no dashboard and requests no report (403)
            ops += [(self.dashboard, 5), (self.list_page, 5), (self.report_request, 2)]
        if p.writes:
            ops += [(self.establishment_create, 6), (self.establishment_patch, 6), (self.transition, 4)]
        return [op for op, _ in ops], [w for _, w in ops]

    def run(self):
        ops, weights = self.operations()
        deadline = self.shared.deadline
        try:
            while not self.shared.stop.is_set() and time.monotonic() < deadline:
                op = self.rng.choices(ops, weights)[0]
                needs_session = op in (self.dashboard, self.list_page, self.export_csv) or (
                    op == self.probe and not self.persona.commune)
                if needs_session and not self.logged_in and not self.login():
                    self.shared.stop.wait(1)
                    continue
                try:
                    op()
                except Exception as exc:  # noqa: BLE001 - a malformed answer is an error, not a crash
                    self.stats.error(op.__name__, f"{type(exc).__name__}: {exc}")
                # Think time, uniform around the mean so clients do not move in lockstep.
                if self.shared.args.think:
                    self.shared.stop.wait(self.rng.uniform(0, 2 * self.shared.args.think))
        finally:
            self.http.close()


# --- Processes and memory -------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it, from /proc (no psutil: not a dependency)."""
    children = defaultdict(list)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may contain spaces and parentheses: the ppid follows the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children[ppid].append(int(entry))
    result, todo = [], [pid]
    while todo:
        current = todo.pop()
        result.append(current)
        todo.extend(children.get(current, []))
    return result


def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far: shows how the load is spread over the workers."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


class Service:
    """A server process started by this script, its output in a file (never an unread pipe)."""

    def __init__(self, name, argv, env, log_path: Path):
        self.name = name
        self.log_path = log_path
        self.log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        # A session of its own: Ctrl-C in the terminal reaches only this script, which then
        # stops the service in order (in its finally).
        self.process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def memory(self) -> dict[int, int]:
        if self.process.poll() is not None:
            return {}
        return {pid: rss_kib(pid) for pid in descendants(self.process.pid)}

    def cpu(self) -> dict[int, float]:
        if self.process.poll() is not None:
            return {}
        return {pid: cpu_seconds(pid) for pid in descendants(self.process.pid)}

    def stop(self, timeout: float):
        if self.process.poll() is None:
            pids = descendants(self.process.pid)
            self.process.send_signal(signal.SIGTERM)  # graceful: gunicorn and Celery finish what runs
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                for pid in pids:  # only processes this service started, by id
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                self.process.wait(timeout=10)
        self.log.close()


def wait_for(what, predicate, timeout, service=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service is not None and service.process.poll() is not None:
            raise SystemExit(f"{service.name} exited while waiting for {what}; see {service.log_path}")
        try:
            if predicate():
                return
        except Exception:  # noqa: BLE001, S110 - not up yet
            pass
        time.sleep(0.5)
    raise SystemExit(f"timed out waiting for {what}")


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


# --- Report -------------------------------------------------------------------------------------


def mib(kib):
    return f"{kib / 1024:.1f}"


def build_report(args, shared, elapsed, memory, timeline, runs, logs, connections, counts) -> dict:
    stats = shared.stats
    kinds = sorted(stats.latencies)
    all_latencies = [x for k in kinds for x in stats.latencies[k]]
    total = len(all_latencies)
    errors = sum(stats.errors.values())
    per_kind = {}
    for kind in kinds + ["TOTAL"]:
        values = all_latencies if kind == "TOTAL" else stats.latencies[kind]
        per_kind[kind] = {
            "count": len(values), "errors": errors if kind == "TOTAL" else stats.errors.get(kind, 0),
            "rps": len(values) / elapsed if elapsed else 0,
            "p50_ms": percentile(values, 50) * 1000, "p95_ms": percentile(values, 95) * 1000,
            "p99_ms": percentile(values, 99) * 1000, "max_ms": (max(values) if values else 0) * 1000,
            "statuses": {} if kind == "TOTAL" else {str(k): v for k, v in stats.statuses[kind].items()},
        }
    # Errors found by checks on kinds that made no request of their own (e.g. a crashed op).
    for kind, count in stats.errors.items():
        if kind not in per_kind:
            per_kind[kind] = {"count": 0, "errors": count, "rps": 0, "p50_ms": 0, "p95_ms": 0, "p99_ms": 0,
                              "max_ms": 0, "statuses": {}}
    return {
        "config": {"clients": args.clients, "duration_s": args.duration, "think_s": args.think,
                   "gunicorn_workers": args.workers, "gunicorn_threads": args.threads,
                   "celery_concurrency": args.celery_concurrency, "database": args.database_url,
                   "web_role": args.web_role, "redis": args.redis_url},
        "data_before": {"establishments": counts[0], "applications": counts[1], "report_runs": counts[2]},
        "elapsed_s": elapsed, "requests": total, "rps": total / elapsed if elapsed else 0, "errors": errors,
        "per_kind": per_kind,
        "error_samples": [{"kind": k, "status": s, "count": c, "message": m}
                          for (k, s, _), (c, m) in sorted(stats.samples.items(), key=lambda i: -i[1][0])],
        "tenancy": {"rows_checked": stats.tenancy_rows, "breaches": stats.tenancy_breaches,
                    "foreign_probes": stats.probes},
        "report_runs": runs, "memory_kib": memory, "memory_timeline": timeline, "db_connections": connections,
        "server_logs": logs,
    }


def print_report(report):
    c = report["config"]
    print()
    print("=" * 100)
    print(f"Kết quả chạy thử tải / Soak results — {c['clients']} clients, {report['elapsed_s']:.0f} s "
          f"(think {c['think_s']} s), gunicorn {c['gunicorn_workers']}×{c['gunicorn_threads']} gthread, "
          f"Celery concurrency {c['celery_concurrency']}")
    d = report["data_before"]
    print(f"Data at start: {d['establishments']:,} establishments, {d['applications']:,} applications, "
          f"{d['report_runs']:,} report runs · DB {c['database']} as {c['web_role']} (row-level security)")
    print(f"Requests: {report['requests']:,} · {report['rps']:.1f} req/s · errors: {report['errors']}")
    print()
    header = f"{'Kind / Loại yêu cầu':<30}{'count':>8}{'err':>6}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}  statuses"
    print(header)
    print("-" * len(header))
    for kind, row in report["per_kind"].items():
        if kind == "TOTAL":
            continue
        statuses = " ".join(f"{k}:{v}" for k, v in sorted(row["statuses"].items()))
        print(f"{kind:<30}{row['count']:>8}{row['errors']:>6}{row['rps']:>8.2f}{row['p50_ms']:>9.0f}"
              f"{row['p95_ms']:>9.0f}{row['p99_ms']:>9.0f}{row['max_ms']:>9.0f}  {statuses}")
    row = report["per_kind"]["TOTAL"]
    print("-" * len(header))
    print(f"{'TOTAL':<30}{row['count']:>8}{row['errors']:>6}{row['rps']:>8.2f}{row['p50_ms']:>9.0f}"
          f"{row['p95_ms']:>9.0f}{row['p99_ms']:>9.0f}{row['max_ms']:>9.0f}")
    print()
    t = report["tenancy"]
    print(f"Tenancy / Phân quyền: {t['rows_checked']:,} rows checked, {t['breaches']} breaches; "
          f"{t['foreign_probes']:,} probes of foreign rows (404 expected)")
    if report["error_samples"]:
        print("Errors / Lỗi (first message of each kind):")
        for sample in report["error_samples"][:25]:
            print(f"  {sample['count']:>5} × {sample['kind']} [{sample['status']}] {sample['message'][:220]}")
    r = report["report_runs"]
    print(f"Report runs / Báo cáo: {r['requested']} requested · {r['by_status']} · request→finished "
          f"p50 {r['p50_s']:.1f} s, max {r['max_s']:.1f} s · still unfinished after the drain: {r['unfinished']}")
    print()
    print(f"{'Memory RSS (MiB) / Bộ nhớ':<34}{'idle':>9}{'warm':>9}{'end':>9}{'end−warm':>10}{'CPU s':>8}")
    for group in ("gunicorn", "celery"):
        rows = report["memory_kib"][group]
        cpu = report["cpu_seconds"][group]
        pids = sorted(set().union(*(set(rows[s]) for s in ("idle", "warm", "end"))), key=int)
        for pid in pids:
            values = [rows[s].get(pid) for s in ("idle", "warm", "end")]
            role = "master" if pid == rows["main_pid"] else "child"
            cells = "".join(f"{mib(v) if v is not None else '—':>9}" for v in values)
            delta = f"{(values[2] - values[1]) / 1024:+.1f}" if None not in values[1:] else "—"
            # CPU time used during the load (idle sample to end sample).
            used = cpu["end"].get(pid, 0) - cpu["idle"].get(pid, 0)
            print(f"  {group} {role} pid {pid:<14}{cells}{delta:>10}{used:>8.1f}")
        totals = [sum(rows[s].values()) for s in ("idle", "warm", "end")]
        print(f"  {group + ' total':<32}{''.join(f'{mib(v):>9}' for v in totals)}{(totals[2] - totals[1]) / 1024:>+10.1f}")
    print("Timeline (s: gunicorn MiB / celery MiB / DB connections of the web role):")
    print("  " + " · ".join(f"{p['t']:.0f}: {mib(p['gunicorn'])}/{mib(p['celery'])}/{p['db_connections']}"
                            for p in report["memory_timeline"]))
    print(f"Server logs: {report['server_logs']}")
    print("=" * 100)


def scan_logs(services) -> dict:
    found = {}
    for service in services:
        try:
            text = service.log_path.read_text(errors="replace")
        except OSError:
            continue
        found[service.name] = {"tracebacks": text.count("Traceback (most recent call last)"),
                               "worker_timeouts": text.count("WORKER TIMEOUT"),
                               "errors": len(re.findall(r"\] ERROR|ERROR/|\bERROR:", text)),
                               "log": str(service.log_path)}
    return found


def report_runs(url, ids, drain_seconds) -> dict:
    """Waits up to ``drain_seconds`` for the runs requested during the soak, then sums them up."""
    deadline = time.monotonic() + drain_seconds
    with psycopg.connect(url, autocommit=True) as conn:
        while ids:
            pending = conn.execute("SELECT count(*) FROM reports_reportrun WHERE id = ANY(%s) AND status IN "
                                   "('queued', 'running')", [ids]).fetchone()[0]
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(2)
        by_status = dict(conn.execute("SELECT status, count(*) FROM reports_reportrun WHERE id = ANY(%s) "
                                      "GROUP BY status", [ids]).fetchall()) if ids else {}
        durations = [r[0] for r in conn.execute(
            "SELECT extract(epoch FROM finished_at - created_at) FROM reports_reportrun WHERE id = ANY(%s) "
            "AND finished_at IS NOT NULL", [ids])] if ids else []
        failures = [r[0] for r in conn.execute(
            "SELECT left(error, 300) FROM reports_reportrun WHERE id = ANY(%s) AND status = 'failed'", [ids])] if ids else []
    durations = [float(d) for d in durations]
    return {"requested": len(ids), "by_status": by_status, "p50_s": statistics.median(durations) if durations else 0.0,
            "max_s": max(durations) if durations else 0.0,
            "unfinished": by_status.get("queued", 0) + by_status.get("running", 0), "failures": failures[:5]}


def db_connections(url, role) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = %s", [role]).fetchone()[0]


# --- Main ---------------------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
                        help="the tables' owner (default $DATABASE_URL or %(default)s)")
    parser.add_argument("--reuse", action="store_true", help="keep the database and its data (migrate only)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=600, help="seconds of load")
    parser.add_argument("--think", type=float, default=0.25, help="mean pause between a client's requests (s)")
    parser.add_argument("--warmup", type=float, default=None,
                        help="seconds before the 'warm' memory sample (default: a fifth of the duration, ≤ 60)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument("--port", type=int, default=0, help="gunicorn port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9", help="a Redis database of its own")
    parser.add_argument("--web-role", default="kc_soak_web", help="login role of gunicorn and the worker")
    parser.add_argument("--web-password", default=None, help="its password (none with trust authentication)")
    parser.add_argument("--report-every", type=float, default=10, help="seconds between report requests (all clients)")
    parser.add_argument("--drain", type=float, default=90, help="seconds to wait for report runs after the load")
    parser.add_argument("--request-timeout", type=float, default=60)
    parser.add_argument("--sample-every", type=float, default=30, help="seconds between memory samples")
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "soak")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    # Bounded by construction: a soak that never ends is a mistake, not a longer soak.
    if not 1 <= args.clients <= 500:
        parser.error("--clients must be between 1 and 500")
    if not 1 <= args.duration <= 6 * 3600:
        parser.error("--duration must be between 1 s and 6 h")
    if urllib.parse.urlsplit(args.redis_url).path.strip("/") in ("", "0"):
        parser.error("--redis-url must name a Redis database of its own (not 0, the portal's default): it is flushed")
    args.workdir = args.workdir.resolve()
    if args.warmup is None:
        args.warmup = min(60.0, args.duration / 5)
    return args


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main():
    args = parse_args()
    # SIGTERM (e.g. from a CI timeout) stops like Ctrl-C: the finally below stops the servers.
    signal.signal(signal.SIGTERM, _interrupt)
    args.workdir.mkdir(parents=True, exist_ok=True)
    (args.workdir / "var").mkdir(exist_ok=True)
    env = base_env(args)
    with open(args.workdir / "setup.log", "a") as log:
        setup = setup_database(args, env, log)
    redis.Redis.from_url(args.redis_url).flushdb()  # stale tasks of an earlier run would reference other rows

    port = args.port or free_port()
    server_env = {**env, "DATABASE_URL": setup["web_url"]}
    for name in ("gunicorn.log", "celery.log"):
        (args.workdir / name).unlink(missing_ok=True)
    services = []
    interrupted = False
    try:
        gunicorn = Service("gunicorn", [str(VENV_BIN / "gunicorn"), "khuyencong.wsgi", "-b", f"127.0.0.1:{port}",
                                        "-w", str(args.workers), "-k", "gthread", "--threads", str(args.threads),
                                        "--timeout", "60", "--no-control-socket"],
                           server_env, args.workdir / "gunicorn.log")
        services.append(gunicorn)
        celery = Service("celery", [sys.executable, "-m", "celery", "-A", "khuyencong", "worker", "--loglevel=INFO",
                                    f"--concurrency={args.celery_concurrency}", "--hostname", f"soak-{port}@%h"],
                         server_env, args.workdir / "celery.log")
        services.append(celery)
        probe = Http(port, 10)
        wait_for("gunicorn", lambda: probe.request("GET", "/dang-nhap/").status == 200, 90, gunicorn)
        wait_for("the Celery worker", lambda: " ready." in celery.log_path.read_text(errors="replace"), 90, celery)
        probe.close()
        # Every worker answers once before the idle sample (gunicorn boots them in parallel).
        time.sleep(2)
        say(f"gunicorn on http://127.0.0.1:{port} (pid {gunicorn.process.pid}), Celery (pid {celery.process.pid}); "
            f"logs in {args.workdir}")

        shared = Shared(args, port, setup["tokens"], setup["reference"])
        memory = {"gunicorn": {"main_pid": str(gunicorn.process.pid)}, "celery": {"main_pid": str(celery.process.pid)}}
        cpu = {"gunicorn": {}, "celery": {}}

        def sample(label):
            for group, service in (("gunicorn", gunicorn), ("celery", celery)):
                memory[group][label] = {str(pid): kib for pid, kib in service.memory().items()}
                cpu[group][label] = {str(pid): seconds for pid, seconds in service.cpu().items()}

        sample("idle")
        timeline = []
        groups = defaultdict(list)
        for i in range(args.clients):
            groups[PERSONAS[i % len(PERSONAS)].username].append(i)
        clients = []
        for i in range(args.clients):
            persona = PERSONAS[i % len(PERSONAS)]
            members = groups[persona.username]
            clients.append(Client(shared, persona, members.index(i), len(members), args.seed * 1000 + i))
        say(f"Driving {args.clients} clients for {args.duration:.0f} s …")
        started = time.monotonic()
        shared.deadline = started + args.duration
        for client in clients:
            client.start()
        warm_taken = False
        next_sample = started
        try:
            while time.monotonic() < shared.deadline and any(c.is_alive() for c in clients):
                now = time.monotonic()
                if now >= next_sample:
                    timeline.append({"t": now - started,
                                     "gunicorn": sum(gunicorn.memory().values()), "celery": sum(celery.memory().values()),
                                     "db_connections": db_connections(args.database_url, args.web_role)})
                    next_sample += args.sample_every
                if not warm_taken and now - started >= args.warmup:
                    sample("warm")
                    warm_taken = True
                if gunicorn.process.poll() is not None or celery.process.poll() is not None:
                    say("a server process exited during the soak!")
                    break
                time.sleep(0.5)
        except KeyboardInterrupt:
            interrupted = True
            say("Interrupted: stopping the clients and reporting what ran.")
        shared.stop.set()
        for client in clients:
            client.join(timeout=args.request_timeout + 5)
        elapsed = time.monotonic() - started
        if not warm_taken:
            sample("warm")
        sample("end")
        timeline.append({"t": elapsed, "gunicorn": sum(gunicorn.memory().values()),
                         "celery": sum(celery.memory().values()),
                         "db_connections": db_connections(args.database_url, args.web_role)})
        drain = 0 if interrupted else args.drain
        say(f"Load finished; waiting up to {drain:.0f} s for {len(shared.report_ids)} report runs …")
        runs = report_runs(args.database_url, shared.report_ids, drain)
        for message in runs["failures"]:  # a report the worker failed to make is an error too
            shared.stats.error("worker.report_run", f"report run failed: {message}")
        report = build_report(args, shared, elapsed, memory, timeline, runs, scan_logs(services),
                              timeline[-1]["db_connections"], setup["reference"]["counts"])
        report["interrupted"] = interrupted
        report["cpu_seconds"] = cpu
        report["memory_after_drain_kib"] = {"gunicorn": sum(gunicorn.memory().values()),
                                            "celery": sum(celery.memory().values())}
    finally:
        for service in reversed(services):
            service.stop(timeout=60)
    report["server_logs"] = scan_logs(services)  # again, with the shutdown in the logs
    print_report(report)
    if runs["failures"]:
        print("Failed report runs:", *runs["failures"], sep="\n  ")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        print(f"Figures written to {args.json}")
    return 1 if report["errors"] or report["tenancy"]["breaches"] else 0


if __name__ == "__main__":
    sys.exit(main())
