"""Measure an import of many establishments through a real Celery worker: time to read
the file into the preview, time to write it, and the worker's peak resident memory.

    python bench/import_bench.py --rows 100000 --worker-pid PID

Start the worker first (``celery -A khuyencong worker -P solo -c 1``, with the same
``DATABASE_URL`` and ``REDIS_URL``) and give its process id; its peak RSS is read from
``/proc/PID/status`` (VmHWM) before and after. Needs a migrated database with the
administrative units loaded."""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khuyencong.settings")
os.environ.setdefault("KC_DB_SCOPE", "all")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def generate(path: str, rows: int, province_code: int) -> None:
    from openpyxl import Workbook

    from applications.imports.establishments import COLUMNS
    from provinces.models import Commune

    communes = list(Commune.objects.filter(province_id=province_code).values_list("code", flat=True))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Dữ liệu")
    sheet.append([str(c.label) for c in COLUMNS])
    keys = [c.key for c in COLUMNS]
    for i in range(rows):
        values = {"name": f"Cơ sở sản xuất thử nghiệm số {i}", "legal_form": "Hộ kinh doanh",
                  "representative": "Nguyễn Văn Thử", "tax_code": f"{4_800_000_000 + i:010d}",
                  "commune": str(communes[i % len(communes)]), "address": f"Ấp {i % 17}, số {i}",
                  "industry": "Chế biến nông sản", "woman_owned": "Có" if i % 3 == 0 else "Không",
                  "employees": i % 50}
        sheet.append([values.get(k, None) for k in keys])
    workbook.save(path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--province", type=int, default=80)
    parser.add_argument("--worker-pid", type=int, required=True)
    parser.add_argument("--file", default="/tmp/kc-import-bench.xlsx")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.files import File

    from applications.imports import services
    from applications.models import Establishment, ImportJob, ImportKind, ImportStatus
    from provinces.choices import Role
    from provinces.models import Province
    from provinces.services import member_add

    settings.KC_IMPORT_MAX_ROWS = max(settings.KC_IMPORT_MAX_ROWS, args.rows)
    user, *_ = member_add(username="bench_importer", role=Role.PROVINCE_OFFICER,
                          province=Province.objects.get(code=args.province), password="bench-pw-12345")
    started = time.monotonic()
    generate(args.file, args.rows, args.province)
    print(f"generated {args.rows} rows in {time.monotonic() - started:.1f}s, "
          f"{os.path.getsize(args.file) / 1e6:.1f} MB", flush=True)
    before = Establishment.objects.count()
    rss_start = peak_rss_mb(args.worker_pid)
    with open(args.file, "rb") as handle:
        job = services.import_job_create(user=user, kind=ImportKind.ESTABLISHMENTS,
                                         province=Province.objects.get(code=args.province),
                                         upload=File(handle, name="bench.xlsx"))
    t0 = time.monotonic()
    while True:
        job.refresh_from_db()
        if job.status in (ImportStatus.PREVIEW, ImportStatus.FAILED):
            break
        time.sleep(2)
    read_wall = time.monotonic() - t0
    print(f"read: status={job.status} rows={job.total_rows} counts={job.counts} wall={read_wall:.1f}s "
          f"worker={job.read_seconds:.1f}s worker peak RSS={peak_rss_mb(args.worker_pid):.0f} MB "
          f"(at start {rss_start:.0f} MB) error={job.error!r}", flush=True)
    if job.status != ImportStatus.PREVIEW:
        return 1
    services.import_job_confirm(user=user, job=job)
    t0 = time.monotonic()
    while True:
        job = ImportJob.objects.get(pk=job.pk)
        if job.status in (ImportStatus.DONE, ImportStatus.WRITE_FAILED):
            break
        time.sleep(5)
    print(f"write: status={job.status} wall={time.monotonic() - t0:.1f}s worker={job.write_seconds:.1f}s "
          f"established {Establishment.objects.count() - before} worker peak RSS={peak_rss_mb(args.worker_pid):.0f} MB "
          f"error={job.error!r}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
