"""Writes of the dossier: an application's creation and edits (cost lines, beneficiaries)
and its attachments."""

import hashlib
from decimal import Decimal

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khuyencong.errors import DomainConflict, item_errors
from khuyencong.limits import MAX_MONEY
from khuyencong.templatetags.kc import format_vnd
from programs.choices import FundSource
from provinces.choices import OrganisationKind

from .. import permissions, workflow
from ..choices import POST_DECISION_ATTACHMENT_KINDS, AttachmentKind, Status
from ..models import Application, ApplicationCodeSequence, Attachment, CostLine
from ..permissions import require
from ..workflow import Record
from . import base
from .base import _apply, _check_version, _lock, expect

# --- Applications --------------------------------------------------------------------------

APPLICATION_FIELDS = ("title", "objectives", "programme", "call", "fund_source", "activity_type",
                      "implementing_organisation", "start_date", "end_date", "requested_support",
                      "counterpart_funds", "expected_jobs", "expected_trainees", "expected_capacity", "year")


def _allocate_code(province_id: int, year: int) -> tuple[int, str]:
    """Next sequence for province × year, under a row lock: no gaps (it rolls back with
    the application) and no duplicates (concurrent callers wait on the lock)."""
    for _attempt in range(3):
        row = ApplicationCodeSequence.objects.select_for_update().filter(province_id=province_id, year=year).first()
        if row is None:
            try:
                with transaction.atomic():
                    ApplicationCodeSequence.objects.create(province_id=province_id, year=year, last=0)
            except IntegrityError:
                pass  # another transaction created it first; lock it on the next pass
            continue
        row.last += 1
        row.save(update_fields=["last"])
        return row.last, f"KC-{province_id:02d}-{year}-{row.last:04d}"
    raise RuntimeError("could not allocate an application code")


def _cost_lines(rows, field: str = "cost_lines") -> list[CostLine]:
    """Cost lines from rows a form or serializer has shaped (``item``, ``unit``: text,
    ``quantity``: Decimal, ``unit_cost`` and the optional ``amount``: int, each within its
    bounds). The rules that need the whole row: the line's amount stays within the largest
    amount the portal takes, and an amount given must equal quantity × unit cost. Errors are
    per row and column (``item_errors``)."""
    lines, errors = [], {}
    for index, row in enumerate(rows or ()):
        quantity = expect(row["quantity"], Decimal | int, f"{field}.quantity")
        unit_cost = expect(row["unit_cost"], int, f"{field}.unit_cost")
        given = expect(row.get("amount"), int, f"{field}.amount")
        amount = CostLine.compute_amount(quantity, unit_cost)
        if amount > MAX_MONEY:
            errors[index] = {"amount": _("Thành tiền không được quá %(m)s.") % {"m": format_vnd(MAX_MONEY)}}
        elif given is not None and given != amount:
            errors[index] = {"amount": _("Thành tiền phải bằng số lượng × đơn giá (%(a)s).")
                              % {"a": format_vnd(amount)}}
        else:
            lines.append(
                CostLine(
                    position=index,
                    item=row["item"],
                    quantity=Decimal(quantity).quantize(Decimal("0.01")),
                    unit=row["unit"],
                    unit_cost=unit_cost,
                    amount=amount,
                )
            )
    if errors:
        raise item_errors(field, errors)
    return lines


def _stored_cost_lines(rows) -> list[CostLine]:
    """The cost lines a change request stored as JSON (checked when it was made)."""
    return _cost_lines([{**row, "quantity": Decimal(str(row["quantity"])), "amount": None} for row in rows],
                       field="new_cost_lines")


def _validate_application(application: Application, user, establishments, lines, total_cost=None) -> None:
    errors = {}
    programme = application.programme
    if programme.province_id and programme.province_id != application.province_id:
        errors["programme"] = _("Chương trình địa phương của tỉnh/thành khác.")
    if application.fund_source and application.fund_source != programme.fund_source:
        errors["fund_source"] = _("Nguồn kinh phí phải khớp với chương trình (%(f)s).") % {
            "f": programme.get_fund_source_display()}
    if application.call_id:
        call = application.call
        if call.province_id != application.province_id or call.programme_id != programme.pk:
            errors["call"] = _("Đợt tiếp nhận không thuộc chương trình và tỉnh/thành của đề án.")
        application.year = call.year
    org = application.implementing_organisation
    if org.province_id not in (None, application.province_id) or (
            org.kind == OrganisationKind.AGENCY and programme.fund_source == FundSource.LOCAL):
        errors["implementing_organisation"] = _("Đơn vị thực hiện phải thuộc tỉnh/thành của đề án.")
    if not establishments:
        errors["establishments"] = _("Chọn ít nhất một cơ sở thụ hưởng.")
    elif any(e.province_id != application.province_id for e in establishments):
        errors["establishments"] = _("Mọi cơ sở thụ hưởng phải thuộc tỉnh/thành của đề án.")
    line_total = sum(line.amount for line in lines)
    if expect(total_cost, int, "total_cost") is not None and total_cost != line_total:
        errors["total_cost"] = (_("Tổng kinh phí phải bằng tổng các dòng dự toán (%(t)s).")
                               % {"t": format_vnd(line_total)})
    application.total_cost = line_total
    if lines and application.requested_support + application.counterpart_funds != line_total:
        errors["counterpart_funds"] = _(
            "Kinh phí khuyến công (%(r)s) + vốn đối ứng (%(c)s) phải bằng tổng kinh phí (%(t)s).") % {
            "r": format_vnd(application.requested_support), "c": format_vnd(application.counterpart_funds),
            "t": format_vnd(line_total)}
    if application.start_date and application.end_date and application.end_date < application.start_date:
        errors["end_date"] = _("Ngày kết thúc phải sau ngày bắt đầu.")
    try:
        application.full_clean(exclude=["code", "sequence", "search_text"], validate_unique=False,
                               validate_constraints=False)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, "; ".join(messages))
    if errors:
        raise ValidationError(errors)


def _refresh_search(application, establishments):
    application.refresh_search_text([e.name for e in establishments] + [e.tax_code for e in establishments])


@transaction.atomic
def application_create(*, user, province, data: dict, establishments, cost_lines) -> Application:
    """Create a draft with its cost lines and beneficiaries; allocates the code."""
    require(permissions.write_application(user, province.code, establishments))
    application = Application(province=province, created_by=user, year=data.get("year") or timezone.localdate().year)
    _apply(application, data, APPLICATION_FIELDS)
    if not application.fund_source and application.programme_id:
        application.fund_source = application.programme.fund_source
    lines = _cost_lines(cost_lines)
    establishments = list(establishments)
    _validate_application(application, user, establishments, lines, data.get("total_cost"))
    application.sequence, application.code = _allocate_code(province.code, application.year)
    _refresh_search(application, establishments)
    application.save()
    application.establishments.set(establishments)
    for line in lines:
        line.application = application
    CostLine.objects.bulk_create(lines)
    base.record_event(application, user, "create", to_status=Status.DRAFT,
                      payload={"code": application.code, "requested_support": application.requested_support})
    return application


@transaction.atomic
def application_update(*, user, application_id, data: dict, establishments=None, cost_lines=None,
                       expected_version=None) -> Application:
    """Edit a draft or a returned dossier; submitted dossiers are frozen."""
    application = _lock(application_id, user)
    _check_version(application, expected_version)
    current_establishments = list(application.establishments.all())
    new_establishments = list(establishments) if establishments is not None else current_establishments
    # A commune officer edits only dossiers whose beneficiaries are all in their commune,
    # before and after the edit (else they could drop another commune's beneficiary).
    require(permissions.write_application(user, application.province_id, current_establishments))
    require(permissions.write_application(user, application.province_id, new_establishments))
    if not workflow.STATES[application.status].editable:
        raise DomainConflict(_("Hồ sơ đã nộp không sửa được; cần được trả lại để bổ sung."))
    original_year, original_total = application.year, application.total_cost
    changes = _apply(application, data, APPLICATION_FIELDS)
    lines = _cost_lines(cost_lines) if cost_lines is not None else list(application.cost_lines.all())
    _validate_application(application, user, new_establishments, lines, data.get("total_cost"))
    if application.year != original_year:
        # The code carries the year and the sequence is per year: changing it would
        # collide with (or later block) the other year's codes.
        raise ValidationError({"year": _("Không đổi được năm kế hoạch (%(y)s) của đề án đã có mã %(c)s; hãy lập đề án "
                                         "mới cho năm %(n)s.") % {"y": original_year, "c": application.code,
                                                                  "n": application.year}})
    if establishments is not None and {e.pk for e in new_establishments} != {e.pk for e in current_establishments}:
        changes["establishments"] = [sorted(e.pk for e in current_establishments),
                                     sorted(e.pk for e in new_establishments)]
        application.establishments.set(new_establishments)
    if cost_lines is not None:
        old = [(line.item, str(line.quantity), line.unit, line.unit_cost) for line in application.cost_lines.all()]
        new = [(line.item, str(line.quantity), line.unit, line.unit_cost) for line in lines]
        if old != new:
            changes["cost_lines"] = [len(old), len(new)]
            application.cost_lines.all().delete()  # lines of an editable draft; the event keeps the change
            for line in lines:
                line.application = application
            CostLine.objects.bulk_create(lines)
    if application.total_cost != original_total:
        changes["total_cost"] = [original_total, application.total_cost]
    _refresh_search(application, new_establishments)
    if changes:
        application.version += 1
    application.save()
    if changes:
        base.record_event(application, user, "update", payload={"changes": changes})
    return application


# --- Attachments -----------------------------------------------------------------------------

ALLOWED_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}


def sniff_content_type(head: bytes) -> str | None:
    """The type told by the file's bytes, not its name. DOCX and XLSX are zip files:
    look inside for their main part."""
    kind = filetype.guess(head)
    mime = kind.mime if kind else None
    if mime in ("application/zip",) or (mime and mime.endswith(("wordprocessingml.document", "spreadsheetml.sheet"))):
        if b"word/" in head:
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if b"xl/" in head:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return mime


@transaction.atomic
def attachment_add(*, user, application_id, kind: str, uploaded_file, description: str = "") -> Attachment:
    application = _lock(application_id, user)
    require(permissions.write_application(user, application.province_id, list(application.establishments.all())))
    state = workflow.STATES[application.status]
    # Records of implementation (contract, vouchers, reports, minutes, settlement papers)
    # may be filed after the decision.
    documents_open = Record.DOCUMENT in state.records
    if not state.editable and kind != AttachmentKind.OTHER and not (
            kind in POST_DECISION_ATTACHMENT_KINDS and documents_open):
        if documents_open:
            raise DomainConflict(_("Sau khi phê duyệt chỉ bổ sung được hồ sơ thực hiện (hợp đồng, chứng từ, báo cáo, "
                                   "biên bản, hồ sơ quyết toán) hoặc tài liệu khác."))
        raise DomainConflict(_("Hồ sơ đã nộp không bổ sung tài liệu được; cần được trả lại để bổ sung."))
    return _attachment_create(application, user, kind=kind, uploaded_file=uploaded_file, description=description)


def _attachment_create(application, user, *, kind: str, uploaded_file, description: str = "",
                       field: str = "file") -> Attachment:
    """Check and store one file of a locked application (scope and state already checked)."""
    errors = {}
    if kind not in AttachmentKind.values:
        errors["kind"] = _("Loại tài liệu không hợp lệ.")
    size = uploaded_file.size or 0
    if size == 0:
        errors[field] = _("Tệp rỗng.")
    elif size > settings.KC_ATTACHMENT_MAX_BYTES:
        errors[field] = _("Tệp quá lớn: tối đa %(m)s MB.") % {"m": settings.KC_ATTACHMENT_MAX_BYTES // (1024 * 1024)}
    if not errors:
        uploaded_file.seek(0)
        head = uploaded_file.read(8192)
        uploaded_file.seek(0)
        content_type = sniff_content_type(head)
        if content_type not in ALLOWED_TYPES:
            errors[field] = _("Chỉ nhận PDF, ảnh JPEG/PNG, DOCX, XLSX (kiểm tra theo nội dung tệp, không theo tên).")
    if errors:
        raise ValidationError(errors)
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    name = (getattr(uploaded_file, "name", "") or "tep").rsplit("/", 1)[-1][:200]
    attachment = Attachment(application=application, kind=kind, original_name=name, content_type=content_type,
                            size=size, sha256=digest.hexdigest(), description=description[:255], uploaded_by=user)
    attachment.file.save(name, uploaded_file, save=False)
    attachment.save()
    base.record_event(application, user, "attachment_add",
                      payload={"attachment": attachment.pk, "kind": kind, "name": name, "size": size})
    return attachment


@transaction.atomic
def attachment_remove(*, user, attachment_id) -> Attachment:
    """Take a file out of the dossier. The file and row are kept (nothing is lost)."""
    # Scoped through the application: a commune officer sees their proposals (not the
    # province's attachment table) and must be able to take back a file they added.
    attachment = Attachment.objects.select_related("application").get(
        pk=attachment_id, application__in=Application.objects.visible_to(user))
    application = _lock(attachment.application_id, user)
    require(permissions.write_application(user, application.province_id, list(application.establishments.all())))
    if not workflow.STATES[application.status].editable:
        raise DomainConflict(_("Hồ sơ đã nộp không gỡ tài liệu được."))
    if attachment.removed_at is None:
        attachment.removed_at = timezone.now()
        attachment.save(update_fields=["removed_at"])
        base.record_event(application, user, "attachment_remove", payload={"attachment": attachment.pk,
                                                                           "name": attachment.original_name})
    return attachment
