"""Writes of the reports app: request, retry and execute a report run; requeue runs whose
worker died; create the quarterly summaries. No request objects here: the same code
runs from a view, the API, a Celery task or a management command."""

import hashlib
import logging
import time
from datetime import date, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from khuyencong.celery import app as celery_app
from khuyencong.db.router import replica_reads
from khuyencong.errors import DomainConflict
from khuyencong.scoping import scope_for
from provinces.choices import AGENCY_ROLES, PROVINCE_STAFF
from provinces.models import Province, Region

from .choices import KIND_SCOPES, ReportFormat, ReportKind, ReportScope, RunStatus
from .models import ReportFile, ReportRun

logger = logging.getLogger(__name__)

RUN_TASK = "reports.tasks.report_run_task"

QUEUE_DOWN = _("Không gửi được yêu cầu lập báo cáo vì hàng đợi tác vụ (Redis) không hoạt động. Chưa có báo cáo nào "
               "được tạo; vui lòng thử lại sau ít phút hoặc báo quản trị hệ thống. / The task queue (Redis) is not "
               "available: nothing was created, please try again later.")


class ReportQueueUnavailable(Exception):
    """The broker cannot be reached: the report was not requested."""

    def __init__(self, message=None):
        self.message = message or QUEUE_DOWN
        super().__init__(self.message)


class ReportRateLimited(Exception):
    """The requester asked for too many reports in the last hour: nothing was created."""

    def __init__(self, wait_seconds: int):
        self.wait_seconds = wait_seconds
        self.message = _("Bạn đã yêu cầu quá nhiều báo cáo trong một giờ; vui lòng thử lại sau %(minutes)s phút. / "
                         "Too many report requests in the last hour; retry in %(minutes)s minutes.") % {
            "minutes": max(1, -(-wait_seconds // 60))}
        super().__init__(self.message)


def stale_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "KC_REPORT_STALE_SECONDS", 600))


# --- Who may request what -------------------------------------------------------------------------


def can_request(user, *, scope: str, province_id=None) -> tuple[bool, str]:
    """(allowed, reason). The Agency requests any report; a province's officers and
    approvers request their own province's reports."""
    s = scope_for(user)
    if s.is_empty:
        return False, _("Tài khoản chưa được phân công vai trò.")
    if s.read_only:
        return False, _("Vai trò chỉ đọc không được yêu cầu lập báo cáo.")
    if s.superuser or (s.national and s.roles & AGENCY_ROLES):
        return True, ""
    if scope == ReportScope.PROVINCE and province_id is not None and s.has_role(*PROVINCE_STAFF,
                                                                                province_id=province_id):
        return True, ""
    return False, _("Bạn chỉ được yêu cầu báo cáo của tỉnh/thành phố mình phụ trách.")


def _validate(*, kind, scope, region, province, year, quarter, formats) -> list[str]:
    errors = {}
    if kind not in ReportKind.values:
        errors["kind"] = _("Loại báo cáo không hợp lệ.")
    elif scope not in KIND_SCOPES[kind]:
        errors["scope"] = _("Phạm vi này không dùng được cho loại báo cáo đã chọn.")
    if scope == ReportScope.REGION and region is None:
        errors["region"] = _("Chọn vùng.")
    if scope == ReportScope.PROVINCE and province is None:
        errors["province"] = _("Chọn tỉnh/thành phố.")
    if quarter is not None and quarter not in (1, 2, 3, 4):
        errors["quarter"] = _("Quý từ 1 đến 4.")
    if not year or not 2000 <= int(year) <= 2100:
        errors["year"] = _("Năm không hợp lệ.")
    formats = [f for f in ReportFormat.values if f in (formats or [])]
    if not formats:
        errors["formats"] = _("Chọn ít nhất một định dạng.")
    if errors:
        raise ValidationError(errors)
    return formats


# --- The queue -------------------------------------------------------------------------------------


def _celery():
    return celery_app


def _run_task():
    """The task that produces a run, found by name in Celery's registry (the app registers it
    when ready): the tasks module imports this one, never the reverse."""
    return celery_app.tasks[RUN_TASK]


def broker_available() -> bool:
    app = _celery()
    if app.conf.task_always_eager:
        return True
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, interval_max=0, timeout=3)
        return True
    except Exception:  # kombu raises OperationalError, socket errors, timeouts…
        logger.warning("report queue: broker unreachable", exc_info=True)
        return False


def _enqueue_after_commit(run_id: int) -> None:
    def send():
        report_run_task = _run_task()
        app = _celery()
        if app.conf.task_always_eager:
            # In-process (quick start without Redis): the run records its own failure.
            try:
                report_run_task.apply(args=[run_id])
            except Exception:
                logger.exception("report run %s failed", run_id)
            return
        try:
            report_run_task.apply_async(args=[run_id], retry=False)
        except Exception:
            # The broker went away between the check and the send: nothing will pick
            # this run up, so it must not stay "queued" for ever.
            logger.exception("report run %s could not be queued", run_id)
            ReportRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
                status=RunStatus.FAILED, error=QUEUE_DOWN, finished_at=timezone.now())

    transaction.on_commit(send)


def _same_request_lock(key: tuple) -> None:
    """Serialise identical requests so two of them cannot both find nothing running and both
    create a run. PostgreSQL only (a transaction-scoped advisory lock); SQLite's immediate
    transactions already serialise writers."""
    if connection.vendor == "postgresql":
        digest = int.from_bytes(hashlib.sha256(repr(key).encode()).digest()[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [digest])


def _rate_limit_wait(user) -> int:
    """Seconds until ``user`` may request another report (0: now). Counted from the runs
    they created in the last hour (``KC_REPORT_REQUESTS_PER_HOUR``); a request answered with
    a run already under way creates nothing and does not count."""
    limit = int(getattr(settings, "KC_REPORT_REQUESTS_PER_HOUR", 30))
    if limit <= 0 or user is None or not user.is_authenticated:
        return 0
    since = timezone.now() - timedelta(hours=1)
    times = list(ReportRun.objects.filter(requested_by=user, created_at__gte=since)
                 .order_by("-created_at").values_list("created_at", flat=True)[:limit])
    if len(times) < limit:
        return 0
    return max(1, int((times[-1] + timedelta(hours=1) - timezone.now()).total_seconds()))


def report_run_request(*, user, kind: str, scope: str, year: int, quarter: int | None = None,
                       region: Region | None = None, province: Province | None = None,
                       formats=None) -> ReportRun:
    """Create a run and queue it — or, when an identical run the requester can see is still
    queued or running, return that one (its ``reused`` attribute is then True) instead of
    computing the same report twice. Raises ValidationError, PermissionDenied,
    ReportRateLimited or ReportQueueUnavailable (then nothing is created)."""
    formats = _validate(kind=kind, scope=scope, region=region, province=province, year=year, quarter=quarter,
                        formats=formats if formats is not None else ReportFormat.values)
    allowed, reason = can_request(user, scope=scope, province_id=province.pk if province else None)
    if not allowed:
        raise PermissionDenied(reason)
    region = region if scope == ReportScope.REGION else None
    province = province if scope == ReportScope.PROVINCE else None
    with transaction.atomic():
        _same_request_lock(("report", kind, scope, region and region.pk, province and province.pk, year, quarter))
        running = (ReportRun.objects.visible_to(user)
                   .filter(kind=kind, scope=scope, region=region, province=province, year=year, quarter=quarter,
                           status__in=[RunStatus.QUEUED, RunStatus.RUNNING])
                   .order_by("-created_at"))
        for candidate in running:
            if set(formats) <= set(candidate.formats):
                candidate.reused = True
                return candidate
        wait = _rate_limit_wait(user)
        if wait:
            raise ReportRateLimited(wait)
        if not broker_available():
            raise ReportQueueUnavailable()
        run = ReportRun(kind=kind, scope=scope, region=region, province=province, year=year, quarter=quarter,
                        formats=formats, requested_by=user)
        run.full_clean()
        run.save()
        _enqueue_after_commit(run.pk)
    run.reused = False
    return run


def report_run_retry(*, user, run_id: int) -> ReportRun:
    """Queue a failed run again (the rerun replaces whatever it left behind)."""
    run = ReportRun.objects.visible_to(user).get(pk=run_id)
    allowed, reason = can_request(user, scope=run.scope, province_id=run.province_id)
    if not allowed:
        raise PermissionDenied(reason)
    if run.status != RunStatus.FAILED:
        raise DomainConflict(_("Chỉ chạy lại được báo cáo bị lỗi."))
    if not broker_available():
        raise ReportQueueUnavailable()
    with transaction.atomic():
        ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.QUEUED, progress=0, error="", finished_at=None)
        _enqueue_after_commit(run.pk)
    run.refresh_from_db()
    return run


# --- Execution (called by the task) -------------------------------------------------------------------


def _claim(run_id: int, task_id: str | None) -> ReportRun | None:
    """Take the run for this worker, or None when there is nothing to do: it is done,
    or another live worker holds it (its heartbeat is fresh). A message delivered again
    with the task id that holds the run means that execution died (Celery never runs one
    message twice at once): it is taken over at once, without waiting for staleness."""
    now = timezone.now()
    with transaction.atomic():
        run = ReportRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status == RunStatus.SUCCEEDED:
            return None
        redelivered = bool(task_id) and run.task_id == task_id
        if (run.status == RunStatus.RUNNING and run.heartbeat_at and run.heartbeat_at > now - stale_after()
                and not redelivered):
            return None
        run.task_id = task_id or ""
        run.status = RunStatus.RUNNING
        run.attempts += 1
        run.started_at = now
        run.heartbeat_at = now
        run.finished_at = None
        run.progress = 1
        run.error = ""
        run.save(update_fields=["status", "attempts", "started_at", "heartbeat_at", "finished_at", "progress",
                                "error", "task_id"])
    return run


def _progress(run: ReportRun, percent: int) -> None:
    ReportRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(progress=percent,
                                                                         heartbeat_at=timezone.now())


def _clear_outputs(run: ReportRun) -> None:
    """Remove every file of the run, recorded or not (a dead worker may have left a
    partial file behind), so the rerun produces exactly one set."""
    for report_file in ReportFile.objects.filter(run=run):
        report_file.file.delete(save=False)
    ReportFile.objects.filter(run=run).delete()
    folder = f"reports/{run.pk}"
    try:
        _dirs, files = default_storage.listdir(folder)
    except FileNotFoundError:
        files = []
    for name in files:
        default_storage.delete(f"{folder}/{name}")


def _store(run: ReportRun, fmt: str, stem: str, content: bytes) -> ReportFile:
    path = f"reports/{run.pk}/{stem}.{fmt}"
    if default_storage.exists(path):
        default_storage.delete(path)
    saved = default_storage.save(path, ContentFile(content))
    report_file, _created = ReportFile.objects.update_or_create(
        run=run, format=fmt, defaults={"file": saved, "size": len(content), "created_at": timezone.now()})
    return report_file


def report_run_execute(*, run_id: int, task_id: str | None = None) -> bool:
    """Produce the run's files. Idempotent: a finished run is left alone; a rerun
    (retry, redelivery after a worker died) replaces partial output. Returns True when
    this call produced the files."""
    # Imported here: building and rendering documents loads WeasyPrint and openpyxl, which
    # only the worker needs (web processes queue runs, they never render them).
    from . import documents
    from .renderers import RENDERERS

    run = _claim(run_id, task_id)
    if run is None:
        return False
    try:
        _clear_outputs(run)
        _progress(run, 5)
        started = time.monotonic()
        with replica_reads():  # the aggregation reads published figures: a replica may serve them
            document = documents.build(run)
        aggregation = time.monotonic() - started
        _progress(run, 40)
        started = time.monotonic()
        step = 55 // max(1, len(run.formats))
        for i, fmt in enumerate(run.formats, start=1):
            _store(run, fmt, document.file_stem, RENDERERS[fmt](document))
            _progress(run, 40 + step * i)
        render = time.monotonic() - started
        ReportRun.objects.filter(pk=run.pk).update(
            status=RunStatus.SUCCEEDED, progress=100, finished_at=timezone.now(), heartbeat_at=timezone.now(),
            aggregation_seconds=round(aggregation, 3), render_seconds=round(render, 3),
            data_as_of=document.data_as_of)
        return True
    except BaseException as exc:
        message = (_("Quá thời gian cho phép khi lập báo cáo.") if isinstance(exc, SoftTimeLimitExceeded)
                   else f"{type(exc).__name__}: {exc}")
        ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error=message[:2000],
                                                   finished_at=timezone.now())
        raise


def stale_runs():
    """Runs nobody is working on: "running" with an old heartbeat (the worker died), or
    still "queued" long after the request (the message was lost)."""
    now = timezone.now()
    return ReportRun.objects.filter(
        Q(status=RunStatus.RUNNING, heartbeat_at__lt=now - stale_after())
        | Q(status=RunStatus.QUEUED, created_at__lt=now - stale_after()))


def stale_runs_requeue() -> list[int]:
    """Queue the stale runs again; the task's claim makes a double delivery harmless."""
    report_run_task = _run_task()
    ids = list(stale_runs().values_list("pk", flat=True))
    for run_id in ids:
        report_run_task.apply_async(args=[run_id])
    return ids


def previous_quarter(today: date) -> tuple[int, int]:
    quarter = (today.month - 1) // 3 + 1
    return (today.year - 1, 4) if quarter == 1 else (today.year, quarter - 1)


def quarterly_summaries_create(*, today: date | None = None) -> ReportRun | None:
    """The national regional summary of the quarter just ended (once: a second call
    finds it and does nothing)."""
    year, quarter = previous_quarter(today or timezone.localdate())
    run, created = ReportRun.objects.get_or_create(
        kind=ReportKind.REGIONAL_SUMMARY, scope=ReportScope.NATIONAL, year=year, quarter=quarter,
        requested_by=None, defaults={"formats": list(ReportFormat.values)})
    if not created:
        return None
    _enqueue_after_commit(run.pk)
    return run
