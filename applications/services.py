"""Writes of the applications app. Every function takes keyword arguments, checks scope
and input, saves with ``full_clean`` and records an ``ApplicationEvent`` for every
change to an application. No request, no messages: views, the API, commands and
tasks all call these."""

import hashlib
import logging
from datetime import date
from decimal import Decimal, InvalidOperation

import filetype
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khuyencong.errors import DomainConflict
from khuyencong.scoping import scope_for
from khuyencong.templatetags.kc import format_vnd
from programs.choices import FundSource
from programs.models import AppraisalCriterion
from programs.selectors import budget_position, support_rule_for
from provinces.choices import AGENCY_ROLES, OrganisationKind, Role
from provinces.models import Membership

from . import selectors, workflow
from .choices import (
    EDITABLE_STATES,
    POST_DECISION_ATTACHMENT_KINDS,
    AcceptanceResult,
    AttachmentKind,
    ChangeKind,
    ChangeStatus,
    CouncilLevel,
    CouncilRole,
    DisbursementKind,
    Status,
)
from .models import (
    Acceptance,
    Application,
    ApplicationCodeSequence,
    ApplicationEvent,
    AppraisalCouncil,
    Attachment,
    ChangeRequest,
    ConflictDeclaration,
    Contract,
    CostLine,
    CouncilMember,
    Disbursement,
    Establishment,
    Inspection,
    ProgressReport,
    Score,
    Settlement,
)

log = logging.getLogger(__name__)

WRITER_ROLES = (Role.PROVINCE_OFFICER, Role.PROVINCE_APPROVER)


# --- Scope checks ------------------------------------------------------------------------


def _can_write_in(user, province_id, commune_id=None) -> bool:
    scope = scope_for(user)
    if scope.read_only:
        return False
    if scope.superuser:
        return True
    if scope.roles_by_province.get(province_id, set()) & set(WRITER_ROLES):
        return True
    return commune_id is not None and commune_id in scope.commune_ids


def _require_write(user, province_id, commune_id=None) -> None:
    if not _can_write_in(user, province_id, commune_id):
        raise PermissionDenied(_("Bạn không có quyền ghi dữ liệu của tỉnh/thành này."))


# --- Establishments ------------------------------------------------------------------------

ESTABLISHMENT_FIELDS = ("name", "legal_form", "tax_code", "representative", "province", "commune", "address",
                        "industry", "woman_owned", "ethnic_minority", "difficult_area", "craft_village",
                        "craft_village_name", "phone", "email", "employees", "founded_year", "note", "is_active")


def _apply(obj, data: dict, allowed) -> dict:
    changes = {}
    for key, value in data.items():
        if key not in allowed:
            continue
        old = getattr(obj, key, None)
        if old != value:
            changes[key] = [_jsonable(old), _jsonable(value)]
            setattr(obj, key, value)
    return changes


def _jsonable(value):
    if value is None or isinstance(value, (str, int, bool, float)):
        return value
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


def _check_tax_code_unique(establishment: Establishment) -> None:
    if establishment.tax_code:
        clash = Establishment.objects.filter(tax_code=establishment.tax_code).exclude(pk=establishment.pk)
        if clash.exists():
            # The clash may be in another province: say so without revealing its details.
            raise ValidationError({"tax_code": _("Mã số thuế này đã được đăng ký cho một cơ sở khác trong cả nước.")})


@transaction.atomic
def establishment_create(*, user, data: dict) -> Establishment:
    establishment = Establishment(created_by=user)
    _apply(establishment, data, ESTABLISHMENT_FIELDS)
    if establishment.commune_id and not establishment.province_id:
        establishment.province_id = establishment.commune.province_id
    _require_write(user, establishment.province_id, establishment.commune_id)
    establishment.tax_code = (establishment.tax_code or "").strip()
    establishment.full_clean(validate_unique=False, validate_constraints=False)
    _check_tax_code_unique(establishment)
    try:
        with transaction.atomic():
            establishment.save()
    except IntegrityError as exc:
        raise ValidationError({"tax_code": _("Mã số thuế này đã được đăng ký cho một cơ sở khác.")}) from exc
    return establishment


@transaction.atomic
def establishment_update(*, user, establishment: Establishment, data: dict) -> Establishment:
    _require_write(user, establishment.province_id, establishment.commune_id)
    establishment = Establishment.objects.select_for_update().get(pk=establishment.pk)
    _apply(establishment, data, ESTABLISHMENT_FIELDS)
    establishment.tax_code = (establishment.tax_code or "").strip()
    # No moving an establishment out of the caller's scope.
    _require_write(user, establishment.province_id, establishment.commune_id)
    establishment.full_clean(validate_unique=False, validate_constraints=False)
    _check_tax_code_unique(establishment)
    establishment.save()
    return establishment


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


def _clean_cost_lines(raw_lines) -> list[CostLine]:
    lines, errors = [], {}
    for index, raw in enumerate(raw_lines or []):
        line_errors = {}
        item = str(raw.get("item") or "").strip()
        unit = str(raw.get("unit") or "").strip()
        try:
            quantity = Decimal(str(raw.get("quantity"))).quantize(Decimal("0.01"))
            if quantity <= 0:
                line_errors["quantity"] = _("Số lượng phải lớn hơn 0.")
        except (InvalidOperation, TypeError, ValueError):
            quantity = None
            line_errors["quantity"] = _("Số lượng không hợp lệ.")
        try:
            unit_cost = int(raw.get("unit_cost"))
            if unit_cost < 0:
                line_errors["unit_cost"] = _("Đơn giá không được âm.")
        except (TypeError, ValueError):
            unit_cost = None
            line_errors["unit_cost"] = _("Đơn giá phải là số nguyên (đồng).")
        if not item:
            line_errors["item"] = _("Nhập nội dung chi.")
        if not unit:
            line_errors["unit"] = _("Nhập đơn vị tính.")
        if line_errors:
            errors[str(index)] = line_errors
            continue
        amount = CostLine.compute_amount(quantity, unit_cost)
        if "amount" in raw and raw["amount"] not in (None, "") and int(raw["amount"]) != amount:
            errors[str(index)] = {"amount": _("Thành tiền phải bằng số lượng × đơn giá (%(a)s).")
                                  % {"a": format_vnd(amount)}}
            continue
        lines.append(CostLine(position=index, item=item[:255], quantity=quantity, unit=unit[:30], unit_cost=unit_cost,
                              amount=amount))
    if errors:
        raise ValidationError({"cost_lines": [f"#{int(i) + 1}: " + "; ".join(f"{v}" for v in e.values())
                                              for i, e in errors.items()]})
    return lines


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
    if total_cost not in (None, "") and int(total_cost) != line_total:
        errors["total_cost"] = _("Tổng kinh phí phải bằng tổng các dòng dự toán (%(t)s).") % {"t": format_vnd(line_total)}
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


def _record(application, user, action, *, from_status="", to_status="", reason="", payload=None):
    return ApplicationEvent.objects.create(application=application, actor=user, action=action,
                                           from_status=from_status, to_status=to_status, reason=reason or "",
                                           payload=payload or {})


def _refresh_search(application, establishments):
    application.refresh_search_text([e.name for e in establishments] + [e.tax_code for e in establishments])


@transaction.atomic
def application_create(*, user, province, data: dict, establishments, cost_lines) -> Application:
    """Create a draft with its cost lines and beneficiaries; allocates the code."""
    _require_write_application(user, province.code, establishments)
    application = Application(province=province, created_by=user, year=data.get("year") or timezone.localdate().year)
    _apply(application, data, APPLICATION_FIELDS)
    if not application.fund_source and application.programme_id:
        application.fund_source = application.programme.fund_source
    lines = _clean_cost_lines(cost_lines)
    establishments = list(establishments)
    _validate_application(application, user, establishments, lines, data.get("total_cost"))
    application.sequence, application.code = _allocate_code(province.code, application.year)
    _refresh_search(application, establishments)
    application.save()
    application.establishments.set(establishments)
    for line in lines:
        line.application = application
    CostLine.objects.bulk_create(lines)
    _record(application, user, "create", to_status=Status.DRAFT,
            payload={"code": application.code, "requested_support": application.requested_support})
    return application


def _require_write_application(user, province_id, establishments=()) -> None:
    scope = scope_for(user)
    if _can_write_in(user, province_id):
        return
    # A commune officer proposes schemes for establishments of their commune.
    if establishments and not scope.read_only and all(e.commune_id in scope.commune_ids for e in establishments):
        return
    raise PermissionDenied(_("Bạn không có quyền lập hoặc sửa đề án của tỉnh/thành này."))


def _lock(application_id, user) -> Application:
    try:
        return Application.objects.visible_to(user).select_for_update().get(pk=application_id)
    except Application.DoesNotExist:
        raise Application.DoesNotExist(_("Không tìm thấy đề án.")) from None


def _check_version(application, expected_version):
    if expected_version is not None and int(expected_version) != application.version:
        raise DomainConflict(_("Đề án đã được người khác thay đổi (phiên bản %(v)s). Tải lại trang rồi thử lại.")
                             % {"v": application.version})


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
    _require_write_application(user, application.province_id, current_establishments)
    _require_write_application(user, application.province_id, new_establishments)
    if application.status not in EDITABLE_STATES:
        raise DomainConflict(_("Hồ sơ đã nộp không sửa được; cần được trả lại để bổ sung."))
    original_year, original_total = application.year, application.total_cost
    changes = _apply(application, data, APPLICATION_FIELDS)
    lines = _clean_cost_lines(cost_lines) if cost_lines is not None else list(application.cost_lines.all())
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
        _record(application, user, "update", payload={"changes": changes})
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


# States in which the records of implementation (contract, vouchers, reports, minutes,
# settlement papers) may be added to the dossier.
POST_DECISION_STATES = frozenset({Status.APPROVED, Status.IN_PROGRESS, Status.SUSPENDED, Status.COMPLETED,
                                  Status.ACCEPTED})


@transaction.atomic
def attachment_add(*, user, application_id, kind: str, uploaded_file, description: str = "") -> Attachment:
    application = _lock(application_id, user)
    _require_write_application(user, application.province_id, list(application.establishments.all()))
    if application.status not in EDITABLE_STATES and kind != AttachmentKind.OTHER and not (
            kind in POST_DECISION_ATTACHMENT_KINDS and application.status in POST_DECISION_STATES):
        if application.status in POST_DECISION_STATES:
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
    _record(application, user, "attachment_add",
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
    _require_write_application(user, application.province_id, list(application.establishments.all()))
    if application.status not in EDITABLE_STATES:
        raise DomainConflict(_("Hồ sơ đã nộp không gỡ tài liệu được."))
    if attachment.removed_at is None:
        attachment.removed_at = timezone.now()
        attachment.save(update_fields=["removed_at"])
        _record(application, user, "attachment_remove", payload={"attachment": attachment.pk,
                                                                 "name": attachment.original_name})
    return attachment


# --- Transitions ----------------------------------------------------------------------------


def _guard_eligibility(application, user, inputs) -> list[str]:
    return selectors.eligibility_problems(application)


def _guard_council_ready(application, user, inputs) -> list[str]:
    level = CouncilLevel.NATIONAL if application.status == Status.ENDORSED else CouncilLevel.PROVINCIAL
    council = selectors.council_for(application, level)
    if council is None or not council.members.exists():
        return [_("Chưa thành lập hội đồng thẩm định có thành viên cho đề án này.")]
    if not application.call_id or not application.call.criteria.exists():
        return [_("Đợt tiếp nhận chưa có tiêu chí chấm điểm.")]
    return []


def _guard_appraisal_passed(application, user, inputs) -> list[str]:
    level = application.appraisal_level
    sheet = selectors.score_sheet(application, level)
    return [] if sheet.passed else sheet.problems()


def _guard_amount_within_caps(application, user, inputs) -> list[str]:
    # Field errors: raised as ValidationError so the caller sees them on approved_amount.
    amount = inputs["approved_amount"]
    errors = []
    if amount <= 0:
        errors.append(_("Kinh phí phê duyệt phải lớn hơn 0."))
    if amount > application.requested_support:
        errors.append(_("Kinh phí phê duyệt %(a)s vượt kinh phí đề nghị %(r)s.")
                      % {"a": format_vnd(amount), "r": format_vnd(application.requested_support)})
    rule = support_rule_for(province_id=application.province_id, fund_source=application.fund_source,
                            activity_type_id=application.activity_type_id, on=inputs["decision_date"])
    if rule is None:
        errors.append(_("Không có định mức hỗ trợ áp dụng tại ngày quyết định."))
    else:
        cap = rule.cap_for(application.total_cost)
        if cap is not None and max(amount, application.requested_support) > cap:
            errors.append(_("Vượt mức hỗ trợ tối đa %(c)s theo định mức hiệu lực ngày %(d)s (%(rule)s).")
                          % {"c": format_vnd(cap), "d": inputs["decision_date"].strftime("%d/%m/%Y"), "rule": rule})
    if errors:
        raise ValidationError({"approved_amount": errors})
    return []


def _guard_budget(application, user, inputs) -> list[str]:
    position = budget_position(programme_id=application.programme_id, province_id=application.province_id,
                               year=application.year, lock=True)
    if position.allocation is None:
        return [_("Chưa có kinh phí được giao cho chương trình này tại tỉnh/thành năm %(y)s.") % {"y": application.year}]
    if inputs["approved_amount"] > position.remaining:
        return [_("Kinh phí còn lại %(r)s không đủ cho %(a)s (đã cam kết %(c)s trên %(t)s được giao).")
                % {"r": format_vnd(position.remaining), "a": format_vnd(inputs["approved_amount"]),
                   "c": format_vnd(position.committed), "t": format_vnd(position.allocated)}]
    return []


GUARDS = {
    "eligibility": _guard_eligibility,
    "council_ready": _guard_council_ready,
    "appraisal_passed": _guard_appraisal_passed,
    "amount_within_caps": _guard_amount_within_caps,
    "budget": _guard_budget,
    "contract_recorded": lambda application, user, inputs: _guard_contract_recorded(application),
    "completion_report": lambda application, user, inputs: _guard_completion_report(application),
    "acceptance_passed": lambda application, user, inputs: _guard_acceptance_passed(application),
    "settlement_recorded": lambda application, user, inputs: _guard_settlement_recorded(application),
}


def _transition_inputs(transition, *, reason, decision_number, decision_date, approved_amount) -> dict:
    errors = {}
    reason = (reason or "").strip()
    decision_number = (decision_number or "").strip()
    if transition.requires_reason and not reason:
        errors["reason"] = _("Cần ghi lý do.")
    if transition.requires_decision:
        if not decision_number:
            errors["decision_number"] = _("Cần số quyết định.")
        if isinstance(decision_date, str) and decision_date:
            try:
                decision_date = date.fromisoformat(decision_date)
            except ValueError:
                errors["decision_date"] = _("Ngày quyết định không hợp lệ (YYYY-MM-DD).")
        if not decision_date and "decision_date" not in errors:
            errors["decision_date"] = _("Cần ngày quyết định.")
        elif isinstance(decision_date, date) and decision_date > timezone.localdate():
            errors["decision_date"] = _("Ngày quyết định không được ở tương lai.")
    if transition.requires_amount:
        if approved_amount in (None, ""):
            errors["approved_amount"] = _("Cần kinh phí phê duyệt.")
        else:
            try:
                approved_amount = int(approved_amount)
            except (TypeError, ValueError):
                errors["approved_amount"] = _("Kinh phí phê duyệt phải là số nguyên (đồng).")
    if errors:
        raise ValidationError(errors)
    return {"reason": reason, "decision_number": decision_number, "decision_date": decision_date,
            "approved_amount": approved_amount}


def application_transition(*, user, application_id, action: str, reason: str = "", decision_number: str = "",
                           decision_date=None, approved_amount=None, expected_version=None) -> Application:
    """Perform one workflow action: lock, check state, role, scope, inputs and guards,
    save, record the event and queue notifications after commit.

    Raises Application.DoesNotExist (not visible), ValidationError (bad input),
    PermissionDenied (visible but not this caller's to do), DomainConflict (wrong
    state, stale version or failed guard, with every reason).
    """
    transition = workflow.TRANSITIONS.get(action)
    if transition is None:
        raise ValidationError({"action": _("Thao tác không hợp lệ. Chọn một trong: %(a)s.")
                               % {"a": ", ".join(workflow.ACTIONS)}})
    with transaction.atomic():
        application = _lock(application_id, user)
        _check_version(application, expected_version)
        step = transition.step_for(application.status, application.fund_source)
        if step is None:
            raise DomainConflict(_("Không thể “%(a)s” khi đề án đang ở trạng thái “%(s)s”.")
                                 % {"a": transition.label, "s": application.get_status_display()})
        scope = scope_for(user)
        if scope.read_only or not workflow.role_allows(scope, transition, application.status,
                                                       application.fund_source, application.province_id):
            raise PermissionDenied(_("Vai trò của bạn không được thực hiện “%(a)s” ở bước này.")
                                   % {"a": transition.label})
        inputs = _transition_inputs(transition, reason=reason, decision_number=decision_number,
                                    decision_date=decision_date, approved_amount=approved_amount)
        problems = []
        for name in transition.guards:
            problems.extend(GUARDS[name](application, user, inputs))
        if problems:
            raise DomainConflict(_("Chưa thể “%(a)s”:") % {"a": transition.label}, problems)
        from_status = application.status
        payload = {}
        if transition.requires_amount:
            application.approved_amount = inputs["approved_amount"]
            payload["approved_amount"] = inputs["approved_amount"]
        if transition.requires_decision:
            if action == "approve":
                application.decision_number = inputs["decision_number"]
                application.decision_date = inputs["decision_date"]
            payload["decision_number"] = inputs["decision_number"]
            payload["decision_date"] = inputs["decision_date"].isoformat()
        if action == "submit":
            application.submitted_at = timezone.now()
        application.status = transition.target
        application.status_changed_at = timezone.now()
        application.version += 1
        application.save()
        event = _record(application, user, action, from_status=from_status, to_status=transition.target,
                        reason=inputs["reason"], payload=payload)
        transaction.on_commit(lambda: notify_next_actors(event_id=event.pk))
    return application


def recipients_for(application: Application) -> list[str]:
    """E-mail addresses of the people who must act next on ``application``."""
    roles = workflow.roles_to_act(application.status, application.fund_source)
    if not roles:
        return []
    memberships = Membership.objects.filter(is_active=True, role__in=roles, user__is_active=True)
    agency_roles = roles & AGENCY_ROLES
    province_roles = roles - AGENCY_ROLES
    from django.db.models import Q

    q = Q(pk__in=[])
    if province_roles:
        q |= Q(role__in=province_roles, organisation__province_id=application.province_id,
               organisation__commune__isnull=True)
    if Role.COMMUNE_OFFICER in roles:
        q |= Q(role=Role.COMMUNE_OFFICER,
               organisation__commune__in=application.establishments.values("commune_id"))
    if agency_roles:
        q |= Q(role__in=agency_roles, organisation__province__isnull=True)
    emails = set(memberships.filter(q).exclude(user__email="").values_list("user__email", flat=True))
    if application.appraisal_level:
        # During an appraisal the council members act next: they declare and score.
        council = selectors.council_for(application, application.appraisal_level)
        if council is not None:
            emails |= set(council.members.filter(user__is_active=True).exclude(user__email="")
                          .values_list("user__email", flat=True))
    return sorted(emails)


def notify_next_actors(*, event_id: int) -> int:
    """Send the e-mail about an event to whoever must act next. Failures are logged,
    never raised: the transition has already committed."""
    event = ApplicationEvent.objects.select_related("application", "actor").filter(pk=event_id).first()
    if event is None:
        return 0
    application = event.application
    to = recipients_for(application)
    if not to:
        return 0
    subject = _("[Khuyến công] %(code)s: %(status)s") % {"code": application.code,
                                                          "status": application.get_status_display()}
    body = _("Đề án %(code)s — %(title)s\nTrạng thái mới: %(status)s\nNgười thực hiện: %(actor)s\n%(reason)s\n"
             "Vui lòng đăng nhập Cổng Khuyến công để xử lý.") % {
        "code": application.code, "title": application.title, "status": application.get_status_display(),
        "actor": event.actor.get_full_name() or event.actor.username if event.actor else "—",
        "reason": (_("Lý do: %s") % event.reason) if event.reason else ""}
    try:
        return send_mail(subject, body, None, to)
    except Exception:  # noqa: BLE001 - mail is best effort after commit
        log.exception("notification for event %s failed", event_id)
        return 0


# --- Councils, conflicts of interest and scores ------------------------------------------------


@transaction.atomic
def council_create(*, user, name: str, level: str, province=None, call=None, application=None,
                   members=(), decision_number: str = "") -> AppraisalCouncil:
    """Set up a council for a call or one application. ``members`` is a list of
    ``(user, council role)``: provincial members need the council_member role in
    that province; national members are Agency staff."""
    scope = scope_for(user)
    errors = {}
    if level == CouncilLevel.PROVINCIAL:
        province_id = province.code if province else (call.province_id if call else application.province_id)
        if not _can_write_in(user, province_id):
            raise PermissionDenied(_("Bạn không được lập hội đồng của tỉnh/thành này."))
    else:
        province_id = None
        if not (scope.superuser or scope.roles & AGENCY_ROLES) or scope.read_only:
            raise PermissionDenied(_("Chỉ Cục lập hội đồng thẩm định cấp Cục."))
    if call is None and application is None:
        errors["call"] = _("Hội đồng phải gắn với một đợt tiếp nhận hoặc một đề án.")
    if not members:
        errors["members"] = _("Hội đồng cần ít nhất một thành viên.")
    chairs = [m for m, role in members if role == CouncilRole.CHAIR]
    if len(chairs) > 1:
        errors["members"] = _("Hội đồng chỉ có một chủ tịch.")
    eligible_ids = set(_eligible_council_users(level, province_id).values_list("pk", flat=True))
    bad = [m.username for m, _role in members if m.pk not in eligible_ids]
    if bad:
        errors["members"] = _("Không đủ điều kiện làm thành viên hội đồng: %(u)s.") % {"u": ", ".join(bad)}
    if errors:
        raise ValidationError(errors)
    council = AppraisalCouncil(name=name, level=level, province_id=province_id, call=call, application=application,
                               decision_number=decision_number)
    council.full_clean()
    council.save()
    for member_user, role in members:
        CouncilMember.objects.create(council=council, user=member_user, role=role)
    if application is not None:
        _record(application, user, "council_create",
                payload={"council": council.pk, "members": [m.pk for m, _r in members], "level": level})
    return council


def _eligible_council_users(level, province_id):
    User = get_user_model()
    if level == CouncilLevel.NATIONAL:
        return User.objects.filter(memberships__is_active=True, memberships__organisation__province__isnull=True,
                                   memberships__role__in=[Role.COUNCIL_MEMBER, *AGENCY_ROLES]).distinct()
    return User.objects.filter(memberships__is_active=True, memberships__role=Role.COUNCIL_MEMBER,
                               memberships__organisation__province_id=province_id).distinct()


def _seat_or_404(application, user):
    level = application.appraisal_level
    if level is None:
        raise DomainConflict(_("Đề án không ở bước thẩm định."))
    seat = selectors.council_seat(application, user, level)
    if seat is None:
        raise PermissionDenied(_("Bạn không phải thành viên hội đồng thẩm định đề án này."))
    return level, seat


@transaction.atomic
def conflict_declare(*, user, application_id, has_conflict: bool, note: str = "") -> ConflictDeclaration:
    """Declare (once) whether the member has a conflict of interest with the application."""
    application = _lock(application_id, user)
    level, _seat = _seat_or_404(application, user)
    if has_conflict and not (note or "").strip():
        raise ValidationError({"note": _("Nêu ngắn gọn nội dung xung đột lợi ích.")})
    existing = ConflictDeclaration.objects.filter(application=application, level=level, user=user).first()
    if existing is not None:
        raise DomainConflict(_("Bạn đã khai báo xung đột lợi ích cho đề án này."))
    declaration = ConflictDeclaration.objects.create(application=application, level=level, user=user,
                                                     has_conflict=bool(has_conflict), note=(note or "").strip())
    _record(application, user, "conflict_declared", reason=declaration.note,
            payload={"level": level, "has_conflict": declaration.has_conflict})
    return declaration


@transaction.atomic
def scores_submit(*, user, application_id, scores: dict) -> list[Score]:
    """Save a member's scores: ``{criterion id: {"score": n, "comment": ""}}``."""
    application = _lock(application_id, user)
    level, _seat = _seat_or_404(application, user)
    declaration = ConflictDeclaration.objects.filter(application=application, level=level, user=user).first()
    if declaration is None:
        raise DomainConflict(_("Khai báo xung đột lợi ích trước khi xem hồ sơ và chấm điểm."))
    if declaration.has_conflict:
        raise PermissionDenied(_("Bạn đã khai báo có xung đột lợi ích nên không chấm điểm đề án này."))
    criteria = {c.pk: c for c in AppraisalCriterion.objects.filter(call_id=application.call_id)}
    errors, saved = {}, []
    for key, entry in (scores or {}).items():
        try:
            criterion = criteria[int(key)]
        except (KeyError, TypeError, ValueError):
            errors[str(key)] = _("Tiêu chí không thuộc đợt tiếp nhận của đề án.")
            continue
        raw = entry.get("score") if isinstance(entry, dict) else entry
        try:
            value = Decimal(str(raw)).quantize(Decimal("0.01"))
        except (InvalidOperation, TypeError, ValueError):
            errors[str(key)] = _("Điểm không hợp lệ.")
            continue
        if value < 0 or value > criterion.max_score:
            errors[str(key)] = _("Điểm của “%(c)s” phải từ 0 đến %(m)s.") % {"c": criterion.name, "m": criterion.max_score}
            continue
        comment = (entry.get("comment") or "") if isinstance(entry, dict) else ""
        saved.append((criterion, value, comment.strip()))
    if not saved and not errors:
        errors["scores"] = _("Chưa nhập điểm nào.")
    if errors:
        raise ValidationError({"scores": [f"{k}: {v}" if k != "scores" else v for k, v in errors.items()]})
    results = []
    for criterion, value, comment in saved:
        score, _created = Score.objects.update_or_create(
            application=application, level=level, user=user, criterion=criterion,
            defaults={"score": value, "comment": comment})
        results.append(score)
    _record(application, user, "scores_submitted",
            payload={"level": level, "scores": {str(c.pk): str(v) for c, v, _cm in saved}})
    return results


# --- After the decision: contracts, disbursements, monitoring, acceptance, settlement -----------
#
# Every function locks the application row (``_lock`` scopes it with ``visible_to``: another
# province's application is Application.DoesNotExist), then checks the caller's role
# (PermissionDenied) and the state (DomainConflict) — in the order application_transition
# uses (state first) for the services that end in a transition — the input
# (ValidationError, every field at once) and the rules (DomainConflict with every reason),
# saves and records an event. Files arrive only after every other check has passed.

RECORDING_ROLES = (Role.PROVINCE_OFFICER, Role.PROVINCE_APPROVER)
PASSED_RESULTS = frozenset({AcceptanceResult.PASSED, AcceptanceResult.PASSED_WITH_CONDITIONS})


def _guard_contract_recorded(application) -> list[str]:
    if not application.contracts.exists():
        return [_("Chưa ghi nhận hợp đồng thực hiện đề án.")]
    return []


def _guard_completion_report(application) -> list[str]:
    if not application.attachments.filter(kind=AttachmentKind.COMPLETION_REPORT, removed_at__isnull=True).exists():
        return [_("Chưa có báo cáo hoàn thành của đơn vị thực hiện.")]
    return []


def _guard_acceptance_passed(application) -> list[str]:
    acceptance = Acceptance.objects.filter(application=application).first()
    if acceptance is None:
        return [_("Chưa có biên bản nghiệm thu.")]
    if acceptance.result not in PASSED_RESULTS:
        return [_("Kết quả nghiệm thu: %(r)s.") % {"r": acceptance.get_result_display()}]
    return []


def _guard_settlement_recorded(application) -> list[str]:
    if not Settlement.objects.filter(application=application).exists():
        return [_("Chưa ghi nhận quyết toán.")]
    return []


def _require_recorder(user, application) -> None:
    """Province staff of the application's province record what happens on the ground."""
    scope = scope_for(user)
    if scope.superuser:
        return
    if scope.read_only or not (scope.roles_by_province.get(application.province_id, set()) & set(RECORDING_ROLES)):
        raise PermissionDenied(_("Chỉ cán bộ Sở Công Thương của tỉnh/thành có đề án được ghi nhận việc thực hiện."))


def _require_decider(user, application) -> None:
    """The province approver decides on local funds, the Agency approver on national funds."""
    scope = scope_for(user)
    if scope.superuser:
        return
    if application.fund_source == FundSource.NATIONAL:
        allowed = not scope.read_only and Role.AGENCY_APPROVER in scope.roles_by_province.get(None, set())
        message = _("Đề án dùng kinh phí khuyến công quốc gia: Cục (lãnh đạo phê duyệt) quyết định.")
    else:
        allowed = not scope.read_only and Role.PROVINCE_APPROVER in scope.roles_by_province.get(
            application.province_id, set())
        message = _("Đề án dùng kinh phí địa phương: lãnh đạo Sở Công Thương của tỉnh/thành quyết định.")
    if not allowed:
        raise PermissionDenied(message)


def _require_state(application, states, what: str) -> None:
    if application.status not in states:
        raise DomainConflict(_("Không thể %(w)s khi đề án đang ở trạng thái “%(s)s”.")
                             % {"w": what, "s": application.get_status_display()})


def _check_step(application, user, action: str) -> None:
    """The state and role checks of ``application_transition``, made before a service
    stores records (and files) that the transition then needs."""
    transition = workflow.TRANSITIONS[action]
    if transition.step_for(application.status, application.fund_source) is None:
        raise DomainConflict(_("Không thể “%(a)s” khi đề án đang ở trạng thái “%(s)s”.")
                             % {"a": transition.label, "s": application.get_status_display()})
    scope = scope_for(user)
    if scope.read_only or not workflow.role_allows(scope, transition, application.status, application.fund_source,
                                                   application.province_id):
        raise PermissionDenied(_("Vai trò của bạn không được thực hiện “%(a)s” ở bước này.") % {"a": transition.label})


def _parse_date(value, field: str, errors: dict, *, required: bool = True, not_future: bool = True):
    if value in (None, ""):
        if required:
            errors[field] = _("Cần nhập ngày.")
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            errors[field] = _("Ngày không hợp lệ (YYYY-MM-DD).")
            return None
    if not isinstance(value, date):
        errors[field] = _("Ngày không hợp lệ (YYYY-MM-DD).")
        return None
    if not_future and value > timezone.localdate():
        errors[field] = _("Ngày không được ở tương lai.")
    return value


def _parse_money(value, field: str, errors: dict, *, required: bool = True, positive: bool = True):
    if value in (None, ""):
        if required:
            errors[field] = _("Cần nhập số tiền (đồng).")
        return None
    if isinstance(value, bool):
        errors[field] = _("Số tiền phải là số nguyên (đồng).")
        return None
    try:
        amount = int(value)
        if isinstance(value, (float, Decimal)) and amount != value:
            raise ValueError
    except (TypeError, ValueError, InvalidOperation):
        errors[field] = _("Số tiền phải là số nguyên (đồng).")
        return None
    if positive and amount <= 0:
        errors[field] = _("Số tiền phải lớn hơn 0.")
    elif amount < 0:
        errors[field] = _("Số tiền không được âm.")
    return amount


def _parse_count(value, field: str, errors: dict):
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[field] = _("Phải là số nguyên không âm.")
        return None
    if number < 0:
        errors[field] = _("Phải là số nguyên không âm.")
    return number


def _text(value) -> str:
    return str(value or "").strip()


def _is_upload(value) -> bool:
    return hasattr(value, "read") and hasattr(value, "size")


def _documents(application, user, documents, kind: str, errors: dict) -> list:
    """Attachments for a record: existing attachments of the application (objects or ids)
    and/or files uploaded in the same call (stored as ``kind``). Uploads happen only when
    every other check passed (``errors`` empty), so a refused call leaves no file behind."""
    existing, uploads, bad = [], [], []
    for document in documents or ():
        if _is_upload(document):
            uploads.append(document)
            continue
        pk = document.pk if isinstance(document, Attachment) else document
        try:
            existing.append(int(pk))
        except (TypeError, ValueError):
            bad.append(str(pk))
    found = {a.pk: a for a in Attachment.objects.filter(application=application, pk__in=existing,
                                                        removed_at__isnull=True)}
    bad += [str(pk) for pk in existing if pk not in found]
    if bad:
        errors["documents"] = _("Tài liệu không thuộc hồ sơ đề án: %(d)s.") % {"d": ", ".join(bad)}
    if errors:
        return []
    attachments = [found[pk] for pk in existing]
    for upload in uploads:
        attachments.append(_attachment_create(application, user, kind=kind, uploaded_file=upload, field="documents"))
    return attachments


def _save_record(obj, documents=None):
    obj.full_clean(validate_constraints=False)
    obj.save()
    if documents:
        obj.documents.set(documents)
    return obj


def disbursed_total(application) -> int:
    """Σ of every disbursement of ``application`` (advances, payments, final payment)."""
    from django.db.models import Sum

    return Disbursement.objects.filter(application=application).aggregate(t=Sum("amount"))["t"] or 0


# Contracts and the start of implementation ----------------------------------------------------


def _contract_create(application, user, *, number, signed_on, beneficiary, value, documents=()) -> Contract:
    errors = {}
    number = _text(number)
    if not number:
        errors["number"] = _("Cần số hợp đồng.")
    elif len(number) > 60:
        errors["number"] = _("Số hợp đồng tối đa 60 ký tự.")
    signed_on = _parse_date(signed_on, "signed_on", errors)
    if signed_on and application.decision_date and signed_on < application.decision_date:
        errors["signed_on"] = _("Hợp đồng ký trước ngày quyết định phê duyệt (%(d)s).") % {
            "d": application.decision_date.strftime("%d/%m/%Y")}
    value = _parse_money(value, "value", errors)
    beneficiary_id = getattr(beneficiary, "pk", beneficiary)
    establishment = None
    if beneficiary_id in (None, ""):
        errors["beneficiary"] = _("Chọn cơ sở thụ hưởng.")
    else:
        try:
            establishment = application.establishments.filter(pk=int(beneficiary_id)).first()
        except (TypeError, ValueError):
            establishment = None
        if establishment is None:
            errors["beneficiary"] = _("Bên thụ hưởng phải là một cơ sở thụ hưởng của đề án.")
    attachments = _documents(application, user, documents, AttachmentKind.CONTRACT, errors)
    if errors:
        raise ValidationError(errors)
    contract = _save_record(Contract(application=application, number=number, signed_on=signed_on,
                                     implementing_organisation_id=application.implementing_organisation_id,
                                     beneficiary=establishment, value=value, created_by=user), attachments)
    _record(application, user, "contract_add",
            payload={"contract": contract.pk, "number": number, "signed_on": signed_on.isoformat(),
                     "beneficiary": establishment.pk, "value": value, "documents": [a.pk for a in attachments]})
    return contract


@transaction.atomic
def contract_add(*, user, application_id, number: str, signed_on, beneficiary, value: int,
                 documents=()) -> Contract:
    """Record a contract (implementing organisation × one beneficiary of the scheme) of an
    approved or ongoing scheme. ``documents``: attachments of the application (or ids) and/or
    uploaded files (stored as contract attachments)."""
    application = _lock(application_id, user)
    _require_recorder(user, application)
    _require_state(application, {Status.APPROVED, Status.IN_PROGRESS}, _("ghi nhận hợp đồng"))
    return _contract_create(application, user, number=number, signed_on=signed_on, beneficiary=beneficiary,
                            value=value, documents=documents)


@transaction.atomic
def implementation_start(*, user, application_id, contracts: list[dict]) -> Application:
    """Record the contract(s) (``[{"number", "signed_on", "beneficiary", "value",
    "documents"}]``; may be empty when a contract is already recorded) and move the
    approved application to ``in_progress``, in one transaction."""
    application = _lock(application_id, user)
    _check_step(application, user, "start_implementation")
    _require_recorder(user, application)
    errors = []
    for index, data in enumerate(contracts or []):
        if not isinstance(data, dict):
            errors.append(f"#{index + 1}: " + _("Hợp đồng không hợp lệ."))
            continue
        try:
            with transaction.atomic():
                _contract_create(application, user, number=data.get("number"), signed_on=data.get("signed_on"),
                                 beneficiary=data.get("beneficiary"), value=data.get("value"),
                                 documents=data.get("documents") or ())
        except ValidationError as exc:
            errors.append(f"#{index + 1}: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()))
    if errors:
        raise ValidationError({"contracts": errors})
    return application_transition(user=user, application_id=application.pk, action="start_implementation")


# Disbursements ----------------------------------------------------------------------------------

DISBURSEMENT_STATES = {
    DisbursementKind.ADVANCE: frozenset({Status.IN_PROGRESS}),
    DisbursementKind.PAYMENT: frozenset({Status.IN_PROGRESS, Status.COMPLETED, Status.ACCEPTED}),
}


def _disbursement_problems(application, kind: str, amount: int) -> list[str]:
    """The money rules, read under the application row lock (so concurrent disbursements
    of the same scheme are serialised and see each other's rows)."""
    problems = []
    approved = application.approved_amount or 0
    already = disbursed_total(application)
    if already + amount > approved:
        problems.append(_("Tổng đã chi %(d)s + %(a)s vượt kinh phí được phê duyệt %(p)s (còn chi được %(r)s).")
                        % {"d": format_vnd(already), "a": format_vnd(amount), "p": format_vnd(approved),
                           "r": format_vnd(max(approved - already, 0))})
    if kind == DisbursementKind.ADVANCE and not application.disbursements.filter(
            kind=DisbursementKind.ADVANCE).exists():
        percent = application.activity_type.first_advance_percent
        limit = approved * percent // 100
        if amount > limit:
            problems.append(_("Tạm ứng lần đầu tối đa %(p)s%% kinh phí được phê duyệt (%(l)s) cho nội dung “%(t)s”.")
                            % {"p": percent, "l": format_vnd(limit), "t": application.activity_type.name})
    return problems


def _disbursement_create(application, user, *, kind, amount, paid_on, reference, note="", documents=()) -> Disbursement:
    errors = {}
    amount = _parse_money(amount, "amount", errors)
    paid_on = _parse_date(paid_on, "paid_on", errors)
    if paid_on and application.decision_date and paid_on < application.decision_date:
        errors["paid_on"] = _("Ngày chi trước ngày quyết định phê duyệt (%(d)s).") % {
            "d": application.decision_date.strftime("%d/%m/%Y")}
    reference = _text(reference)
    if not reference:
        errors["reference"] = _("Cần số chứng từ.")
    elif len(reference) > 60:
        errors["reference"] = _("Số chứng từ tối đa 60 ký tự.")
    note = _text(note)
    if len(note) > 255:
        errors["note"] = _("Ghi chú tối đa 255 ký tự.")
    if errors:
        raise ValidationError(errors)
    problems = _disbursement_problems(application, kind, amount)
    if problems:
        raise DomainConflict(_("Không thể ghi khoản chi:"), problems)
    attachments = _documents(application, user, documents, AttachmentKind.VOUCHER, errors)
    if errors:
        raise ValidationError(errors)
    disbursement = _save_record(Disbursement(application=application, kind=kind, amount=amount, paid_on=paid_on,
                                             reference=reference, note=note, created_by=user), attachments)
    _record(application, user, "disbursement_add",
            payload={"disbursement": disbursement.pk, "kind": kind, "amount": amount, "paid_on": paid_on.isoformat(),
                     "reference": reference, "disbursed_total": disbursed_total(application),
                     "documents": [a.pk for a in attachments]})
    return disbursement


@transaction.atomic
def disbursement_add(*, user, application_id, kind: str, amount: int, paid_on, reference: str, note: str = "",
                     documents=()) -> Disbursement:
    """Record an advance (tạm ứng, while in progress) or a payment (in progress, completed or
    accepted). The first advance is limited to the activity type's share of the approved
    amount; the total disbursed never exceeds the approved amount. The final payment is
    made only through ``application_settle``."""
    application = _lock(application_id, user)
    _require_recorder(user, application)
    if kind == DisbursementKind.FINAL:
        raise ValidationError({"kind": _("Khoản thanh toán cuối chỉ được ghi khi quyết toán.")})
    if kind not in DISBURSEMENT_STATES:
        raise ValidationError({"kind": _("Loại khoản chi không hợp lệ (tạm ứng hoặc thanh toán).")})
    what = _("tạm ứng") if kind == DisbursementKind.ADVANCE else _("ghi khoản thanh toán")
    _require_state(application, DISBURSEMENT_STATES[kind], what)
    return _disbursement_create(application, user, kind=kind, amount=amount, paid_on=paid_on, reference=reference,
                                note=note, documents=documents)


# Monitoring ---------------------------------------------------------------------------------------


@transaction.atomic
def progress_report_add(*, user, application_id, period_start, period_end, percent_done: int, narrative: str,
                        documents=()) -> ProgressReport:
    """A progress report of an ongoing (or suspended) scheme."""
    application = _lock(application_id, user)
    _require_recorder(user, application)
    _require_state(application, {Status.IN_PROGRESS, Status.SUSPENDED}, _("báo cáo tiến độ"))
    errors = {}
    period_start = _parse_date(period_start, "period_start", errors)
    period_end = _parse_date(period_end, "period_end", errors, not_future=False)
    if period_start and period_end and period_end < period_start:
        errors["period_end"] = _("Ngày cuối kỳ phải sau ngày đầu kỳ.")
    try:
        percent = int(percent_done)
        if not 0 <= percent <= 100:
            errors["percent_done"] = _("Khối lượng hoàn thành từ 0 đến 100 %.")
    except (TypeError, ValueError):
        percent = None
        errors["percent_done"] = _("Khối lượng hoàn thành phải là số nguyên từ 0 đến 100.")
    narrative = _text(narrative)
    if not narrative:
        errors["narrative"] = _("Cần nội dung báo cáo.")
    attachments = _documents(application, user, documents, AttachmentKind.PROGRESS, errors)
    if errors:
        raise ValidationError(errors)
    report = _save_record(ProgressReport(application=application, period_start=period_start, period_end=period_end,
                                         percent_done=percent, narrative=narrative, reported_by=user), attachments)
    _record(application, user, "progress_report_add",
            payload={"progress_report": report.pk, "period_start": period_start.isoformat(),
                     "period_end": period_end.isoformat(), "percent_done": percent,
                     "documents": [a.pk for a in attachments]})
    return report


@transaction.atomic
def inspection_add(*, user, application_id, inspected_on, inspectors: str, findings: str,
                   documents=()) -> Inspection:
    """A field inspection of an ongoing, suspended or completed scheme."""
    application = _lock(application_id, user)
    _require_recorder(user, application)
    _require_state(application, {Status.IN_PROGRESS, Status.SUSPENDED, Status.COMPLETED}, _("ghi kiểm tra thực địa"))
    errors = {}
    inspected_on = _parse_date(inspected_on, "inspected_on", errors)
    inspectors = _text(inspectors)
    if not inspectors:
        errors["inspectors"] = _("Cần thành phần đoàn kiểm tra.")
    elif len(inspectors) > 500:
        errors["inspectors"] = _("Thành phần đoàn kiểm tra tối đa 500 ký tự.")
    findings = _text(findings)
    if not findings:
        errors["findings"] = _("Cần kết quả kiểm tra.")
    attachments = _documents(application, user, documents, AttachmentKind.INSPECTION, errors)
    if errors:
        raise ValidationError(errors)
    inspection = _save_record(Inspection(application=application, inspected_on=inspected_on, inspectors=inspectors,
                                         findings=findings, created_by=user), attachments)
    _record(application, user, "inspection_add",
            payload={"inspection": inspection.pk, "inspected_on": inspected_on.isoformat(),
                     "documents": [a.pk for a in attachments]})
    return inspection


# Change requests ----------------------------------------------------------------------------------

CHANGE_STATES = frozenset({Status.APPROVED, Status.IN_PROGRESS, Status.SUSPENDED})


def _cost_lines_json(lines) -> list[dict]:
    return [{"item": line.item, "quantity": str(line.quantity), "unit": line.unit, "unit_cost": line.unit_cost,
             "amount": line.amount} for line in lines]


def _change_problems(application, change: ChangeRequest, *, lock: bool) -> list[str]:
    """Whether the change can be applied now (caps, approved ≤ requested, remaining
    allocation, money already paid). ``lock`` takes the allocation row lock."""
    problems = []
    approved = application.approved_amount or 0
    today = timezone.localdate()
    if change.kind == ChangeKind.SCHEDULE:
        start = change.new_start_date or application.start_date
        end = change.new_end_date or application.end_date
        if start and end and end < start:
            problems.append(_("Ngày kết thúc mới phải sau ngày bắt đầu."))
    elif change.kind == ChangeKind.AMOUNT:
        new = change.new_approved_amount
        paid = disbursed_total(application)
        if new < paid:
            problems.append(_("Kinh phí mới %(n)s thấp hơn số đã chi %(p)s.") % {"n": format_vnd(new),
                                                                             "p": format_vnd(paid)})
        if new > approved:
            if new > application.total_cost:
                problems.append(_("Kinh phí mới %(n)s vượt tổng kinh phí đề án %(t)s.")
                                % {"n": format_vnd(new), "t": format_vnd(application.total_cost)})
            rule = support_rule_for(province_id=application.province_id, fund_source=application.fund_source,
                                    activity_type_id=application.activity_type_id, on=today)
            if rule is None:
                problems.append(_("Không có định mức hỗ trợ áp dụng tại ngày %(d)s.") % {"d": today.strftime("%d/%m/%Y")})
            else:
                cap = rule.cap_for(application.total_cost)
                if cap is not None and new > cap:
                    problems.append(_("Vượt mức hỗ trợ tối đa %(c)s theo định mức hiệu lực ngày %(d)s (%(rule)s).")
                                    % {"c": format_vnd(cap), "d": today.strftime("%d/%m/%Y"), "rule": rule})
            position = budget_position(programme_id=application.programme_id, province_id=application.province_id,
                                       year=application.year, lock=lock)
            if position.allocation is None:
                problems.append(_("Chưa có kinh phí được giao cho chương trình này tại tỉnh/thành năm %(y)s.")
                                % {"y": application.year})
            elif new - approved > position.remaining:
                problems.append(_("Kinh phí còn lại %(r)s không đủ cho phần tăng thêm %(a)s.")
                                % {"r": format_vnd(position.remaining), "a": format_vnd(new - approved)})
    elif change.kind == ChangeKind.COST_LINES:
        total = sum(int(line["amount"]) for line in change.new_cost_lines or [])
        if total < application.requested_support:
            problems.append(_("Tổng kinh phí mới %(t)s thấp hơn kinh phí khuyến công đề nghị %(r)s (vốn đối ứng âm).")
                            % {"t": format_vnd(total), "r": format_vnd(application.requested_support)})
        rule = support_rule_for(province_id=application.province_id, fund_source=application.fund_source,
                                activity_type_id=application.activity_type_id, on=today)
        cap = rule.cap_for(total) if rule is not None else None
        if cap is not None and approved > cap:
            problems.append(_("Với tổng kinh phí mới, mức hỗ trợ tối đa là %(c)s, thấp hơn kinh phí được phê duyệt "
                              "%(a)s.") % {"c": format_vnd(cap), "a": format_vnd(approved)})
    return problems


@transaction.atomic
def change_request_create(*, user, application_id, kind: str, description: str, new_start_date=None,
                          new_end_date=None, new_approved_amount=None, new_cost_lines=None) -> ChangeRequest:
    """Ask to adjust the schedule (new dates), the amount (new approved amount) or the
    cost lines (``[{"item", "quantity", "unit", "unit_cost"}]``) of an approved, ongoing or
    suspended scheme. It is checked now and again, under locks, when decided."""
    application = _lock(application_id, user)
    _require_recorder(user, application)
    _require_state(application, CHANGE_STATES, _("đề nghị điều chỉnh"))
    errors = {}
    if kind not in ChangeKind.values:
        raise ValidationError({"kind": _("Loại điều chỉnh không hợp lệ.")})
    description = _text(description)
    if not description:
        errors["description"] = _("Cần nội dung và lý do điều chỉnh.")
    change = ChangeRequest(application=application, kind=kind, description=description, requested_by=user)
    before, proposed = {}, {}
    if kind == ChangeKind.SCHEDULE:
        change.new_start_date = _parse_date(new_start_date, "new_start_date", errors, required=False, not_future=False)
        change.new_end_date = _parse_date(new_end_date, "new_end_date", errors, required=False, not_future=False)
        if new_start_date in (None, "") and new_end_date in (None, ""):
            errors["new_end_date"] = _("Nhập ngày bắt đầu mới và/hoặc ngày kết thúc mới.")
        before = {"start_date": _jsonable(application.start_date), "end_date": _jsonable(application.end_date)}
        proposed = {"start_date": _jsonable(change.new_start_date), "end_date": _jsonable(change.new_end_date)}
    elif kind == ChangeKind.AMOUNT:
        change.new_approved_amount = _parse_money(new_approved_amount, "new_approved_amount", errors)
        if change.new_approved_amount is not None and change.new_approved_amount == application.approved_amount:
            errors["new_approved_amount"] = _("Kinh phí mới bằng kinh phí đang được phê duyệt.")
        before = {"approved_amount": application.approved_amount, "requested_support": application.requested_support}
        proposed = {"approved_amount": change.new_approved_amount}
    else:
        if not new_cost_lines:
            errors["new_cost_lines"] = _("Nhập dự toán mới (ít nhất một dòng).")
        else:
            try:
                lines = _clean_cost_lines(new_cost_lines)
            except ValidationError as exc:
                errors["new_cost_lines"] = exc.message_dict["cost_lines"]
            else:
                change.new_cost_lines = _cost_lines_json(lines)
                proposed = {"total_cost": sum(line.amount for line in lines), "lines": len(lines)}
        before = {"total_cost": application.total_cost, "lines": application.cost_lines.count()}
    if errors:
        raise ValidationError(errors)
    problems = _change_problems(application, change, lock=False)
    if problems:
        raise DomainConflict(_("Đề nghị điều chỉnh không thể chấp thuận:"), problems)
    change.full_clean()
    change.save()
    _record(application, user, "change_request_create", reason=description,
            payload={"change_request": change.pk, "kind": kind, "before": before, "proposed": proposed})
    return change


def _change_apply(application, change: ChangeRequest) -> tuple[dict, dict]:
    before, after = {}, {}
    if change.kind == ChangeKind.SCHEDULE:
        before = {"start_date": _jsonable(application.start_date), "end_date": _jsonable(application.end_date)}
        if change.new_start_date:
            application.start_date = change.new_start_date
        if change.new_end_date:
            application.end_date = change.new_end_date
        after = {"start_date": _jsonable(application.start_date), "end_date": _jsonable(application.end_date)}
    elif change.kind == ChangeKind.AMOUNT:
        before = {"approved_amount": application.approved_amount, "requested_support": application.requested_support,
                  "counterpart_funds": application.counterpart_funds}
        application.approved_amount = change.new_approved_amount
        if application.approved_amount > application.requested_support:
            # Approved ≤ requested: the request rises with it (within the cap, checked above);
            # the beneficiary's counterpart capital shrinks by as much.
            application.requested_support = application.approved_amount
            application.counterpart_funds = application.total_cost - application.requested_support
        after = {"approved_amount": application.approved_amount, "requested_support": application.requested_support,
                 "counterpart_funds": application.counterpart_funds}
    else:
        before = {"total_cost": application.total_cost, "counterpart_funds": application.counterpart_funds,
                  "cost_lines": _cost_lines_json(application.cost_lines.all())}
        lines = _clean_cost_lines(change.new_cost_lines)
        application.cost_lines.all().delete()  # the event keeps the previous lines
        for line in lines:
            line.application = application
        CostLine.objects.bulk_create(lines)
        application.total_cost = sum(line.amount for line in lines)
        application.counterpart_funds = application.total_cost - application.requested_support
        after = {"total_cost": application.total_cost, "counterpart_funds": application.counterpart_funds,
                 "cost_lines": change.new_cost_lines}
    return before, after


@transaction.atomic
def change_request_decide(*, user, change_request_id, approve: bool, note: str = "") -> ChangeRequest:
    """Approve (and apply) or refuse a pending change request. Local funds: the province
    approver; national funds: the Agency approver. An approval that no longer fits (cap,
    remaining allocation under its row lock, money already paid) is a conflict and the
    request stays pending."""
    try:
        application_id = ChangeRequest.objects.visible_to(user).values_list("application_id", flat=True).get(
            pk=change_request_id)
    except (ChangeRequest.DoesNotExist, TypeError, ValueError):
        raise ChangeRequest.DoesNotExist(_("Không tìm thấy đề nghị điều chỉnh.")) from None
    application = _lock(application_id, user)
    change = ChangeRequest.objects.select_for_update().get(pk=change_request_id)
    _require_decider(user, application)
    if change.status != ChangeStatus.PENDING:
        raise DomainConflict(_("Đề nghị điều chỉnh đã được quyết định (%(s)s).") % {"s": change.get_status_display()})
    _require_state(application, CHANGE_STATES, _("quyết định điều chỉnh"))
    note = _text(note)
    if not approve and not note:
        raise ValidationError({"note": _("Cần ghi lý do không chấp thuận.")})
    before = after = {}
    if approve:
        problems = _change_problems(application, change, lock=True)
        if problems:
            raise DomainConflict(_("Không thể chấp thuận điều chỉnh:"), problems)
        before, after = _change_apply(application, change)
        application.full_clean(exclude=["code", "sequence", "search_text"], validate_unique=False,
                               validate_constraints=False)
        application.version += 1
        application.save()
    change.status = ChangeStatus.APPROVED if approve else ChangeStatus.REFUSED
    change.decided_by = user
    change.decided_at = timezone.now()
    change.decision_note = note
    change.full_clean()
    change.save()
    _record(application, user, "change_request_decide", reason=note,
            payload={"change_request": change.pk, "kind": change.kind, "approve": bool(approve),
                     "before": before, "after": after})
    return change


# Completion, acceptance and settlement ------------------------------------------------------------


@transaction.atomic
def application_complete(*, user, application_id, report_file=None, narrative: str = "") -> Application:
    """The implementer's completion report (uploaded now, or already attached as a
    completion report) and the ``complete`` transition."""
    application = _lock(application_id, user)
    _check_step(application, user, "complete")
    if report_file is not None:
        _attachment_create(application, user, kind=AttachmentKind.COMPLETION_REPORT, uploaded_file=report_file,
                           description=_text(narrative)[:255], field="report_file")
    elif _guard_completion_report(application):
        raise ValidationError({"report_file": _("Cần tải lên báo cáo hoàn thành.")})
    return application_transition(user=user, application_id=application.pk, action="complete",
                                  reason=_text(narrative))


@transaction.atomic
def acceptance_record(*, user, application_id, accepted_on, committee_members: str, result: str,
                      conditions: str = "", achieved_jobs=None, achieved_trainees=None, machinery_installed: str = "",
                      minutes_file=None) -> Acceptance:
    """Record the acceptance (nghiệm thu) of a completed scheme, with its minutes. A pass
    (with or without conditions) performs ``accept``; a failure is recorded and the
    scheme stays completed; a later acceptance replaces the failed one (both are in the
    events)."""
    application = _lock(application_id, user)
    _check_step(application, user, "accept")
    errors = {}
    accepted_on = _parse_date(accepted_on, "accepted_on", errors)
    committee_members = _text(committee_members)
    if not committee_members:
        errors["committee_members"] = _("Cần thành phần hội đồng nghiệm thu.")
    if result not in AcceptanceResult.values:
        errors["result"] = _("Kết quả nghiệm thu: đạt, đạt có điều kiện hoặc không đạt.")
    conditions = _text(conditions)
    if result == AcceptanceResult.PASSED_WITH_CONDITIONS and not conditions:
        errors["conditions"] = _("Ghi các điều kiện kèm theo.")
    achieved_jobs = _parse_count(achieved_jobs, "achieved_jobs", errors)
    achieved_trainees = _parse_count(achieved_trainees, "achieved_trainees", errors)
    machinery_installed = _text(machinery_installed)
    if len(machinery_installed) > 500:
        errors["machinery_installed"] = _("Tối đa 500 ký tự.")
    existing_minutes = (application.attachments.filter(kind=AttachmentKind.ACCEPTANCE_MINUTES, removed_at__isnull=True)
                        .order_by("-pk").first())
    if minutes_file is None and existing_minutes is None:
        errors["minutes_file"] = _("Cần biên bản nghiệm thu.")
    if errors:
        raise ValidationError(errors)
    minutes = existing_minutes
    if minutes_file is not None:
        minutes = _attachment_create(application, user, kind=AttachmentKind.ACCEPTANCE_MINUTES,
                                     uploaded_file=minutes_file, field="minutes_file")
    acceptance = Acceptance.objects.select_for_update().filter(application=application).first()
    replaced = None
    if acceptance is not None:
        # Only a failed acceptance can exist here (a pass moved the scheme on).
        replaced = {"result": acceptance.result, "accepted_on": acceptance.accepted_on.isoformat(),
                    "minutes": acceptance.minutes_id}
    else:
        acceptance = Acceptance(application=application, created_by=user)
    acceptance.accepted_on = accepted_on
    acceptance.committee_members = committee_members
    acceptance.result = result
    acceptance.conditions = conditions
    acceptance.achieved_jobs = achieved_jobs
    acceptance.achieved_trainees = achieved_trainees
    acceptance.machinery_installed = machinery_installed
    acceptance.minutes = minutes
    acceptance.created_by = user
    acceptance.full_clean(validate_unique=False, validate_constraints=False)
    acceptance.save()
    _record(application, user, "acceptance_record", reason=conditions,
            payload={"acceptance": acceptance.pk, "result": result, "accepted_on": accepted_on.isoformat(),
                     "minutes": minutes.pk, "achieved_jobs": achieved_jobs, "achieved_trainees": achieved_trainees,
                     "replaced": replaced})
    if result in PASSED_RESULTS:
        application_transition(user=user, application_id=application.pk, action="accept")
    return acceptance


@transaction.atomic
def application_settle(*, user, application_id, settled_amount: int, decision_number: str, decision_date,
                       final_payment_amount: int = 0, final_payment_reference: str = "") -> Application:
    """Settle (quyết toán) an accepted scheme: the final payment (if any, as a disbursement
    of kind final), the settlement (≤ approved and equal to everything disbursed including
    the final payment — more would be unpaid, less would need a recovery this portal does
    not record), then ``settle``. National funds: the Agency approver; local: the province
    approver. What was approved and not settled goes back to the allocation."""
    application = _lock(application_id, user)
    _check_step(application, user, "settle")
    errors = {}
    settled = _parse_money(settled_amount, "settled_amount", errors, positive=False)
    final = _parse_money(final_payment_amount or 0, "final_payment_amount", errors, positive=False)
    decision_number = _text(decision_number)
    if not decision_number:
        errors["decision_number"] = _("Cần số quyết định quyết toán.")
    elif len(decision_number) > 60:
        errors["decision_number"] = _("Số quyết định tối đa 60 ký tự.")
    decision_date = _parse_date(decision_date, "decision_date", errors)
    reference = _text(final_payment_reference)
    if final and not reference:
        errors["final_payment_reference"] = _("Cần số chứng từ của khoản thanh toán cuối.")
    if errors:
        raise ValidationError(errors)
    approved = application.approved_amount or 0
    paid = disbursed_total(application)
    problems = []
    if paid + final > approved:
        problems.append(_("Tổng đã chi %(d)s + thanh toán cuối %(f)s vượt kinh phí được phê duyệt %(a)s.")
                        % {"d": format_vnd(paid), "f": format_vnd(final), "a": format_vnd(approved)})
    if settled > approved:
        problems.append(_("Kinh phí quyết toán %(s)s vượt kinh phí được phê duyệt %(a)s.")
                        % {"s": format_vnd(settled), "a": format_vnd(approved)})
    if settled > paid + final:
        problems.append(_("Kinh phí quyết toán %(s)s vượt số đã chi (kể cả thanh toán cuối) %(d)s.")
                        % {"s": format_vnd(settled), "d": format_vnd(paid + final)})
    elif settled < paid + final:
        # Paid out more than is settled: the difference must be recovered from the
        # beneficiary first (no refunds are recorded here), else the ledger would show
        # more disbursed than committed.
        problems.append(_("Đã chi %(d)s nhiều hơn kinh phí quyết toán %(s)s: cần thu hồi phần chênh lệch %(x)s "
                          "trước khi quyết toán.") % {"d": format_vnd(paid + final), "s": format_vnd(settled),
                                                       "x": format_vnd(paid + final - settled)})
    if Settlement.objects.filter(application=application).exists():
        problems.append(_("Đề án đã có quyết toán."))
    if problems:
        raise DomainConflict(_("Không thể quyết toán:"), problems)
    final_payment = None
    if final:
        final_payment = _save_record(Disbursement(
            application=application, kind=DisbursementKind.FINAL, amount=final, paid_on=timezone.localdate(),
            reference=reference, note=_("Thanh toán khi quyết toán %(n)s") % {"n": decision_number}, created_by=user))
        _record(application, user, "disbursement_add",
                payload={"disbursement": final_payment.pk, "kind": DisbursementKind.FINAL, "amount": final,
                         "paid_on": final_payment.paid_on.isoformat(), "reference": reference,
                         "disbursed_total": paid + final})
    settlement = Settlement(application=application, settled_amount=settled, decision_number=decision_number,
                            decision_date=decision_date, final_payment=final_payment, created_by=user)
    settlement.full_clean(validate_unique=False, validate_constraints=False)
    settlement.save()
    _record(application, user, "settlement_record",
            payload={"settlement": settlement.pk, "settled_amount": settled, "approved_amount": approved,
                     "disbursed_total": paid + final, "released": approved - settled,
                     "decision_number": decision_number, "decision_date": decision_date.isoformat()})
    return application_transition(user=user, application_id=application.pk, action="settle",
                                  decision_number=decision_number, decision_date=decision_date)
