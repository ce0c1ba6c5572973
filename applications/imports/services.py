"""Writes of imports: create a job from an upload, read it into a dry-run preview (in the
worker), confirm it, and write it all or nothing through the domain services. Nothing
here takes a request; the views, the API and the tasks call these."""

import hashlib
import logging
import os
import shutil
import tempfile
import time
from contextlib import contextmanager

from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from khuyencong import rls
from khuyencong.audit import audit_context
from khuyencong.errors import DomainConflict

from ..models import ImportJob, ImportKind, ImportRow, ImportStatus, RowOutcome
from ..permissions import can_import
from . import establishments, schemes
from .base import Layout, chunks, data_rows, format_error
from .files import ImportFileError, max_bytes, read_rows

logger = logging.getLogger(__name__)

KINDS = {
    ImportKind.ESTABLISHMENTS: establishments,
    ImportKind.SCHEMES: schemes,
}

QUEUE_DOWN = _("Không gửi được tệp vào hàng đợi xử lý (Redis không hoạt động). Chưa có gì được ghi; vui lòng thử lại "
               "sau ít phút.")
PROGRESS_KEY = "import-progress:{}"


# --- Who may import ----------------------------------------------------------------------------


def importable_provinces(user, kind: str):
    from provinces.models import Province

    return [p for p in Province.objects.order_by("sort_key") if can_import(user, kind=kind, province_id=p.pk)[0]]


# --- Upload ------------------------------------------------------------------------------------------


def import_job_create(*, user, kind: str, province, upload) -> ImportJob:
    """Store the upload and queue its reading; raises ValidationError or PermissionDenied
    (then nothing is stored)."""
    if kind not in KINDS:
        raise ValidationError({"kind": _("Loại dữ liệu nhập không hợp lệ.")})
    allowed, reason = can_import(user, kind=kind, province_id=province.pk)
    if not allowed:
        raise PermissionDenied(reason)
    if upload is None or not getattr(upload, "size", 0):
        raise ValidationError({"file": _("Chọn tệp .xlsx hoặc .csv để tải lên.")})
    if upload.size > max_bytes():
        raise ValidationError({"file": _("Tệp lớn hơn %(mb)s MB; hãy chia thành nhiều tệp.")
                                       % {"mb": max_bytes() // (1024 * 1024)}})
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    if not _broker_available():
        raise ValidationError({"file": QUEUE_DOWN})
    with transaction.atomic():
        job = ImportJob(kind=kind, province=province, created_by=user, size=upload.size,
                        language=(translation.get_language() or "vi")[:10],
                        original_name=os.path.basename(upload.name or "")[:255] or "import", sha256=digest.hexdigest())
        job.file.save("upload", upload, save=False)
        job.save()
        _enqueue_after_commit("read", job.pk)
    return job


def _celery():
    from khuyencong.celery import app

    return app


def _broker_available() -> bool:
    app = _celery()
    if app.conf.task_always_eager:
        return True
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, interval_max=0, timeout=3)
        return True
    except Exception:  # kombu raises OperationalError, socket errors, timeouts…
        logger.warning("import queue: broker unreachable", exc_info=True)
        return False


def _enqueue_after_commit(step: str, job_id: int) -> None:
    def send():
        # Found by name in Celery's registry: the tasks module imports this one.
        name = "applications.imports.read_task" if step == "read" else "applications.imports.write_task"
        task = _celery().tasks[name]
        app = _celery()
        if app.conf.task_always_eager:
            task.apply(args=[job_id])
            return
        try:
            task.apply_async(args=[job_id], retry=False)
        except Exception:
            logger.exception("import job %s could not be queued", job_id)
            failed = ImportStatus.FAILED if step == "read" else ImportStatus.PREVIEW
            ImportJob.objects.filter(pk=job_id).update(status=failed, error=QUEUE_DOWN)

    transaction.on_commit(send)


# --- Reading into a preview (worker) -------------------------------------------------------------


@contextmanager
def _as_user(user):
    """The requester's database scope and audit identity for a worker's step."""
    rls.apply_for_user(user)
    try:
        with audit_context(actor=f"import:{user.get_username()}", user=user):
            yield
    finally:
        rls.reset_scope()


@contextmanager
def _local_copy(job):
    """The stored upload as a local file (storage may be remote), removed afterwards."""
    handle, path = tempfile.mkstemp(prefix="kc-import-", suffix=".xlsx")
    try:
        with os.fdopen(handle, "wb") as out, job.file.open("rb") as source:
            shutil.copyfileobj(source, out, 1024 * 1024)
        yield path
    finally:
        os.unlink(path)


def import_job_read(*, job_id: int) -> ImportJob | None:
    """Read the file into preview rows. Idempotent: a rerun replaces the rows."""
    job = ImportJob.objects.select_related("province", "created_by").filter(pk=job_id).first()
    if job is None or job.status not in (ImportStatus.QUEUED, ImportStatus.READING):
        return job
    started = time.monotonic()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.READING, progress=0, error="")
    ImportRow.objects.filter(job=job).delete()
    module = KINDS[job.kind]
    counts = dict.fromkeys(RowOutcome.values, 0)
    total = legacy = 0
    try:
        with _as_user(job.created_by), _local_copy(job) as path, translation.override(job.language):
            rows = read_rows(path, job.original_name)
            header = next(rows, None)
            if header is None:
                raise ImportFileError(_("Tệp không có dòng nào."))
            layout = Layout(module.COLUMNS, header[1])
            checker = module.Checker(job, job.created_by, layout)
            for batch in chunks(data_rows(layout, rows)):
                legacy += sum(r.legacy_cells for r in batch)
                checked = checker.check(batch)
                ImportRow.objects.bulk_create([ImportRow(job_id=job.pk, province_id=job.province_id, **fields)
                                               for fields in checked])
                for fields in checked:
                    counts[fields["outcome"]] += 1
                total += len(checked)
                ImportJob.objects.filter(pk=job.pk).update(total_rows=total, progress=min(99, total // 1000))
            if total == 0:
                raise ImportFileError(_("Tệp chỉ có dòng tiêu đề, không có dòng dữ liệu nào."))
    except ImportFileError as exc:
        # (The message was built in the uploader's language inside the block above.)
        ImportRow.objects.filter(job=job).delete()
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED, error=exc.message, progress=100,
                                                   total_rows=0, counts={},
                                                   read_seconds=time.monotonic() - started)
        return ImportJob.objects.get(pk=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.PREVIEW, progress=100, total_rows=total,
                                               counts=counts, converted_legacy_text=legacy,
                                               read_seconds=time.monotonic() - started)
    return ImportJob.objects.get(pk=job.pk)


# --- Confirm and write ------------------------------------------------------------------------------


def import_job_confirm(*, user, job: ImportJob) -> ImportJob:
    """Queue the write of a previewed job with no error rows."""
    allowed, reason = can_import(user, kind=job.kind, province_id=job.province_id)
    if not allowed:
        raise PermissionDenied(reason)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportStatus.PREVIEW:
            raise DomainConflict(_("Lần nhập này không ở bước chờ xác nhận (trạng thái: %(s)s).")
                                 % {"s": job.get_status_display()})
        if job.error_count:
            raise DomainConflict(_("Tệp còn %(n)s dòng lỗi nên không ghi dòng nào. Tải danh sách dòng lỗi, sửa rồi tải "
                                   "tệp lên lại.") % {"n": job.error_count})
        if not _broker_available():
            raise DomainConflict(QUEUE_DOWN)
        job.status = ImportStatus.WRITING
        job.confirmed_by = user
        job.confirmed_at = timezone.now()
        job.error = ""
        job.save(update_fields=["status", "confirmed_by", "confirmed_at", "error"])
        _enqueue_after_commit("write", job.pk)
    return job


def import_job_write(*, job_id: int) -> ImportJob | None:
    """Write every created/updated row in one transaction: any failure (a rule broken,
    the registry changed since the preview) writes nothing and says which row."""
    job = ImportJob.objects.select_related("province", "confirmed_by").filter(pk=job_id).first()
    if job is None or job.status != ImportStatus.WRITING:
        return job
    module = KINDS[job.kind]
    started = time.monotonic()
    user = job.confirmed_by
    rows = ImportRow.objects.filter(job=job).exclude(outcome=RowOutcome.UNCHANGED).order_by("number")
    to_write = rows.count()
    done = 0
    current = None
    try:
        with _as_user(user), transaction.atomic(), translation.override(job.language):
            for batch in chunks(rows.iterator(chunk_size=1000)):
                for current in batch:
                    module.write_row(user=user, row=current)
                done += len(batch)
                cache.set(PROGRESS_KEY.format(job.pk), int(100 * done / max(1, to_write)), 3600)
    except (ValidationError, PermissionDenied, DomainConflict, ObjectDoesNotExist, IntegrityError, ValueError) as exc:
        message = _exception_text(exc)
        where = format_error(current.number, {"message": message}) if current is not None else message
        logger.info("import job %s not written: %s", job.pk, where)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.WRITE_FAILED, write_seconds=time.monotonic() - started,
            error=_("Không ghi dòng nào: %(w)s. Dữ liệu có thể đã thay đổi từ lúc xem trước; hãy tải tệp lên lại.")
            % {"w": where})
        return ImportJob.objects.get(pk=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE, progress=100, finished_at=timezone.now(),
                                               write_seconds=time.monotonic() - started)
    cache.delete(PROGRESS_KEY.format(job.pk))
    return ImportJob.objects.get(pk=job.pk)


def _exception_text(exc) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return " ".join(str(m) for ms in exc.message_dict.values() for m in ms)
        return " ".join(str(m) for m in exc.messages)
    if isinstance(exc, DomainConflict):
        return exc.message
    return str(exc) or exc.__class__.__name__


def write_progress(job: ImportJob) -> int:
    if job.status == ImportStatus.WRITING:
        return int(cache.get(PROGRESS_KEY.format(job.pk)) or 0)
    return job.progress
