"""A national-scale dataset for the benchmark: establishments, applications over five
years in realistic states and amounts, their transitions, payments and settlements.

    python manage.py generate_load_data                     # 100,000 / 300,000 (minutes)
    python manage.py generate_load_data --establishments 10000 --applications 30000
    python manage.py generate_load_data --clear             # remove what it made

Rows are written in batches (bulk_create; on PostgreSQL the large child tables go
through COPY). Everything it makes is marked (codes "LD-…", tax codes "9…") so
--clear removes only that. Not for production databases.
"""

import random
import time
from datetime import datetime, timedelta
from datetime import time as dtime

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from applications.models import Application, ApplicationEvent, Disbursement, Establishment, Settlement
from khuyencong.audit import AuditedCommand
from khuyencong.text import normalize_search
from programs.choices import FundSource
from programs.models import BudgetAllocation, Programme
from programs.services import activity_types_load
from provinces.models import Commune, Province
from provinces.services import province_centre_get_or_create

PREFIX = "LD-"
TAX_BASE = 9_000_000_000
SEQUENCE_BASE = 500_000  # far above any real dossier number of a province-year

ACTIVITY_WEIGHTS = {"MMTB": 34, "MO_HINH_TD": 10, "DAO_TAO": 14, "SXSH": 5, "XU_LY_MT": 3, "SP_CNNT": 10,
                    "TU_VAN": 6, "THONG_TIN": 4, "NANG_LUC_QL": 4, "CHUYEN_DOI_SO": 4, "LIEN_KET_CCN": 2,
                    "NGHE_NHAN": 2, "HTQT": 1, "QUAN_LY": 1}
SMALL_TYPES = {"DAO_TAO", "TU_VAN", "THONG_TIN", "NANG_LUC_QL", "NGHE_NHAN", "QUAN_LY", "HTQT"}
TITLES = {"MMTB": "Ứng dụng máy móc thiết bị tiên tiến trong sản xuất", "MO_HINH_TD": "Mô hình trình diễn kỹ thuật",
          "DAO_TAO": "Đào tạo nghề, truyền nghề", "SXSH": "Áp dụng sản xuất sạch hơn"}
INDUSTRIES = ["Cơ khí nông nghiệp", "Chế biến nông sản", "Mây tre đan", "Dệt may", "Gốm sứ", "Chế biến gỗ",
              "Thực phẩm", "Đồ gỗ mỹ nghệ"]
# Path through the workflow to each final state.
PATH_LOCAL = ["submitted", "under_appraisal", "approved", "in_progress", "completed", "accepted", "settled"]
PATH_NATIONAL = ["submitted", "under_appraisal", "endorsed", "under_national_appraisal", "approved", "in_progress",
                 "completed", "accepted", "settled"]
# State mix by age of the plan year (0 = this year).
STATE_MIX = {
    0: {"draft": 8, "submitted": 12, "returned": 3, "under_appraisal": 12, "endorsed": 3,
        "under_national_appraisal": 4, "approved": 14, "rejected": 5, "in_progress": 30, "suspended": 1,
        "completed": 5, "cancelled": 3},
    1: {"in_progress": 12, "completed": 10, "accepted": 18, "settled": 45, "rejected": 8, "cancelled": 4,
        "suspended": 3},
}
OLD_MIX = {"settled": 82, "rejected": 9, "cancelled": 6, "accepted": 3}
COMMITTED = {"approved", "in_progress", "suspended", "completed", "accepted", "settled"}


def weighted(rng, mapping):
    keys = list(mapping)
    return rng.choices(keys, weights=[mapping[k] for k in keys])[0]


class Command(AuditedCommand):
    help = "Generate a national-scale dataset for the benchmark (bench/bench.py)."

    def add_arguments(self, parser):
        parser.add_argument("--establishments", type=int, default=100_000)
        parser.add_argument("--applications", type=int, default=300_000)
        parser.add_argument("--years", type=int, default=5)
        parser.add_argument("--last-year", type=int, default=None, help="default: this year")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--batch", type=int, default=5000)
        parser.add_argument("--clear", action="store_true", help="only remove the generated rows")

    def handle(self, *args, **options):
        started = time.monotonic()
        self.rng = random.Random(options["seed"])
        self.batch = options["batch"]
        self.clear()
        if options["clear"]:
            self.stdout.write("Removed the generated rows.")
            return
        if not Province.objects.exists():
            call_command("load_admin_units")
        activity_types_load()
        last_year = options["last_year"] or timezone.localdate().year
        years = list(range(last_year - options["years"] + 1, last_year + 1))
        self.user, _ = get_user_model().objects.get_or_create(username="load_data", defaults={"is_active": False})
        self.setup(years)
        establishments = self.make_establishments(options["establishments"])
        self.stdout.write(f"{len(establishments):,} establishments ({time.monotonic() - started:.0f} s)")
        counts = self.make_applications(options["applications"], establishments, years, last_year)
        self.stdout.write("{:,} applications, {:,} events, {:,} payments, {:,} settlements".format(*counts))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.0f} s."))

    # --- setup ---------------------------------------------------------------------------------------

    def clear(self):
        apps = Application.objects.filter(code__startswith=PREFIX)
        with transaction.atomic():
            Settlement.objects.filter(application__in=apps).delete()
            Disbursement.objects.filter(application__in=apps).delete()
            ApplicationEvent.objects.filter(application__in=apps).delete()
            Application.establishments.through.objects.filter(application__in=apps).delete()
            apps.delete()
            Establishment.objects.filter(tax_code__startswith="9", name__startswith="Cơ sở tải thử").delete()
            BudgetAllocation.objects.filter(decision_number="LD").delete()

    def setup(self, years):
        self.national, _ = Programme.objects.get_or_create(
            code="kcqg-load", defaults={"name": "Chương trình khuyến công quốc gia (dữ liệu tải thử)",
                                        "fund_source": FundSource.NATIONAL, "start_year": years[0],
                                        "end_year": years[-1] + 5})
        self.provinces = list(Province.objects.all())
        self.local, self.centres, self.communes = {}, {}, {}
        for p in self.provinces:
            self.local[p.code], _ = Programme.objects.get_or_create(
                code=f"kcdp-load-{p.code}", defaults={"name": f"Khuyến công {p.short_name} (tải thử)",
                                                      "fund_source": FundSource.LOCAL, "province": p,
                                                      "start_year": years[0], "end_year": years[-1] + 5})
            self.centres[p.code] = province_centre_get_or_create(province=p)
            self.communes[p.code] = list(Commune.objects.filter(province=p).values_list("code", flat=True))
        allocations = []
        for p in self.provinces:
            for y in years:
                for programme, amount in ((self.local[p.code], self.rng.randint(8, 30) * 1_000_000_000),
                                          (self.national, self.rng.randint(2, 6) * 1_000_000_000)):
                    allocations.append(BudgetAllocation(programme=programme, province=p, year=y, amount=amount,
                                                        decision_number="LD"))
        BudgetAllocation.objects.bulk_create(allocations, ignore_conflicts=True)

    def make_establishments(self, n) -> list[tuple[int, int]]:
        rng = self.rng
        created = []
        codes = [p.code for p in self.provinces]
        for start in range(0, n, self.batch):
            rows = []
            for i in range(start, min(n, start + self.batch)):
                province = rng.choice(codes)
                craft = rng.random() < 0.1
                est = Establishment(
                    name=f"Cơ sở tải thử {i + 1}", legal_form=rng.choice(["sme", "cooperative", "household"]),
                    tax_code=str(TAX_BASE + i), representative="Nguyễn Văn An", province_id=province,
                    commune_id=rng.choice(self.communes[province]), address="Thôn 1",
                    industry=rng.choice(INDUSTRIES), woman_owned=rng.random() < 0.3,
                    ethnic_minority=rng.random() < 0.12, difficult_area=rng.random() < 0.15, craft_village=craft,
                    craft_village_name="Làng nghề truyền thống" if craft else "", employees=rng.randint(2, 200))
                est.refresh_name_keys()
                rows.append(est)
            Establishment.objects.bulk_create(rows, batch_size=self.batch)
            created += [(e.pk, e.province_id) for e in rows]
        return created

    # --- applications and their records -----------------------------------------------------------

    def make_applications(self, n, establishments, years, last_year):
        rng = self.rng
        by_province: dict = {}
        for pk, province in establishments:
            by_province.setdefault(province, []).append(pk)
        provinces = [p for p in by_province]
        sequences: dict = {}
        totals = [0, 0, 0, 0]
        now = timezone.now()
        for start in range(0, n, self.batch):
            apps, links, meta = [], [], []
            for _i in range(start, min(n, start + self.batch)):
                province = rng.choice(provinces)
                year = rng.choice(years)
                key = (province, year)
                sequences[key] = sequences.get(key, SEQUENCE_BASE) + 1
                activity = weighted(rng, ACTIVITY_WEIGHTS)
                national = rng.random() < 0.366
                age = last_year - year
                status = weighted(rng, STATE_MIX.get(age, OLD_MIX))
                path = PATH_NATIONAL if national else PATH_LOCAL
                if activity in SMALL_TYPES:
                    requested = rng.randint(10, 90) * 1_000_000
                else:
                    requested = rng.randint(50, 500) * 1_000_000
                approved = int(requested * rng.uniform(0.7, 1.0)) // 1000 * 1000 if status in COMMITTED else None
                begin = timezone.make_aware(datetime.combine(datetime(year, 1, 1), dtime(8)))
                begin += timedelta(days=rng.randint(0, 300))
                steps = self.steps(status, path)
                times, t = [], begin
                for _step in steps:
                    t += timedelta(days=rng.uniform(1, 40), hours=rng.uniform(0, 8))
                    times.append(min(t, now))
                changed = times[-1] if times else begin
                code = f"{PREFIX}{province:02d}-{year}-{sequences[key]:06d}"
                app = Application(
                    code=code, year=year, sequence=sequences[key], province_id=province,
                    programme=self.national if national else self.local[province],
                    fund_source=FundSource.NATIONAL if national else FundSource.LOCAL, activity_type_id=activity,
                    implementing_organisation=self.centres[province],
                    title=f"{TITLES.get(activity, 'Đề án khuyến công')} ({code})", total_cost=requested * 3,
                    requested_support=requested, counterpart_funds=requested * 2, approved_amount=approved,
                    decision_number="QĐ-LD" if approved else "", status=status, status_changed_at=changed,
                    submitted_at=times[0] if times else None)
                app.search_text = normalize_search(f"{code} {app.title}")
                apps.append(app)
                beneficiaries = [rng.choice(by_province[province])]
                if rng.random() < 0.1:
                    beneficiaries.append(rng.choice(by_province[province]))
                meta.append((set(beneficiaries), steps, times, status, approved, national))
            Application.objects.bulk_create(apps, batch_size=self.batch)
            events, payments, settlements = [], [], []
            for app, (beneficiaries, steps, times, status, approved, _national) in zip(apps, meta, strict=True):
                links += [(app.pk, e) for e in beneficiaries]
                previous, entered = "draft", None
                for step, at in zip(steps, times, strict=True):
                    days = (at - entered).total_seconds() / 86400 if entered else None
                    events.append((app.pk, app.province_id, step, previous, step, at, days))
                    previous, entered = step, at
                if approved and status in {"in_progress", "suspended", "completed", "accepted", "settled"}:
                    paid = (times[-1] if times else now).date()
                    advance = approved * 7 // 10 // 1000 * 1000
                    payments.append((app.pk, app.province_id, "advance", advance, paid, "LD-TU"))
                    if status in {"accepted", "settled", "completed"}:
                        payments.append((app.pk, app.province_id, "payment", approved - advance, paid, "LD-TT"))
                    if status == "settled":
                        settled = int(approved * rng.uniform(0.9, 1.0))
                        settlements.append((app.pk, app.province_id, settled, "QT-LD", paid))
            self.insert_links(links)
            self.insert_events(events)
            self.insert_payments(payments, settlements)
            totals = [totals[0] + len(apps), totals[1] + len(events), totals[2] + len(payments),
                      totals[3] + len(settlements)]
            self.stdout.write(f"  … {totals[0]:,} applications", ending="\r")
            self.stdout.flush()
        self.stdout.write("")
        return totals

    @staticmethod
    def steps(status, path):
        if status == "draft":
            return []
        if status in path:
            return path[: path.index(status) + 1]
        if status == "returned":
            return ["submitted", "returned"]
        if status == "rejected":
            return path[: path.index("approved")] + ["rejected"]
        if status == "suspended":
            return path[: path.index("in_progress") + 1] + ["suspended"]
        if status == "cancelled":
            return ["submitted", "cancelled"]
        return [status]

    # --- writers: COPY on PostgreSQL (Postgres-only speed-up), bulk_create elsewhere -------------------

    def copy(self, model, columns, rows):
        table = model._meta.db_table
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    def insert_links(self, links):
        through = Application.establishments.through
        if connection.vendor == "postgresql":
            self.copy(through, ["application_id", "establishment_id"], links)
        else:
            through.objects.bulk_create([through(application_id=a, establishment_id=e) for a, e in links],
                                        batch_size=self.batch)

    def insert_events(self, events):
        if connection.vendor == "postgresql":
            self.copy(ApplicationEvent, ["application_id", "province_id", "action", "from_status", "to_status",
                                         "created_at", "stage_days", "reason", "payload"],
                      ((a, p, action, f, t, at, days, "", "{}") for a, p, action, f, t, at, days in events))
        else:
            ApplicationEvent.objects.bulk_create(
                [ApplicationEvent(application_id=a, province_id=p, action=action, from_status=f, to_status=t,
                                  created_at=at, stage_days=days) for a, p, action, f, t, at, days in events],
                batch_size=self.batch)

    def insert_payments(self, payments, settlements):
        now = timezone.now()
        user = self.user.pk
        if connection.vendor == "postgresql":
            self.copy(Disbursement, ["application_id", "province_id", "kind", "amount", "paid_on", "reference", "note",
                                     "created_by_id", "created_at"],
                      ((a, p, k, amount, paid, ref, "", user, now) for a, p, k, amount, paid, ref in payments))
            self.copy(Settlement, ["application_id", "province_id", "settled_amount", "decision_number",
                                   "decision_date", "created_by_id", "created_at"],
                      ((a, p, amount, number, day, user, now) for a, p, amount, number, day in settlements))
        else:
            Disbursement.objects.bulk_create(
                [Disbursement(application_id=a, province_id=p, kind=k, amount=amount, paid_on=paid, reference=ref,
                              created_by_id=user) for a, p, k, amount, paid, ref in payments], batch_size=self.batch)
            Settlement.objects.bulk_create(
                [Settlement(application_id=a, province_id=p, settled_amount=amount, decision_number=number,
                            decision_date=day, created_by_id=user) for a, p, amount, number, day in settlements],
                batch_size=self.batch)
