"""One soak client: a thread acting as one persona, checking tenancy on what it reads."""

import csv
import io
import itertools
import json
import random
import re
import threading
import time
import urllib.parse
from datetime import date

from .config import PASSWORD
from .http import Http, Response
from .measure import (
    APPLICATION_WORDS,
    ESTABLISHMENT_WORDS,
    INDUSTRIES,
    LEGAL_FORMS,
    REGIONS,
    STATUS_FILTERS,
    Persona,
    Stats,
)

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
        mine = self.created and self.rng.random() < 0.5
        pk = self.pick(self.created) if mine else self.pick(self.known_establishments)
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
            path = "/bao-cao/xuat/co-so/csv/" + self.query(
                q=self.rng.choice(ESTABLISHMENT_WORDS + [None] * 2),
                province=None if p.province else self.rng.choice([80, 79, None]),
            )
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
