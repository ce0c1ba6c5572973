"""What every writer of the applications app shares: the row lock, the version check,
the state check of a record, the event record, input parsing helpers and the record save.
Who may write is ``applications.permissions``."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from khuyencong.errors import DomainConflict

from .. import workflow
from ..models import Application, ApplicationEvent


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


def record_event(application, user, action, *, from_status="", to_status="", reason="", payload=None,
                 stage_days=None):
    """The ``ApplicationEvent`` of a change (``stage_days``: a transition's days spent in
    the state it leaves). Callers reach it as ``base.record_event`` (a module attribute),
    so a fault-injection test can replace it in one place."""
    return ApplicationEvent.objects.create(application=application, actor=user, action=action,
                                           from_status=from_status, to_status=to_status, reason=reason or "",
                                           payload=payload or {}, stage_days=stage_days)


def _lock(application_id, user) -> Application:
    try:
        return Application.objects.visible_to(user).select_for_update().get(pk=application_id)
    except Application.DoesNotExist:
        raise Application.DoesNotExist(_("Không tìm thấy đề án.")) from None


def _check_version(application, expected_version):
    if expected_version is not None and int(expected_version) != application.version:
        raise DomainConflict(_("Đề án đã được người khác thay đổi (phiên bản %(v)s). Tải lại trang rồi thử lại.")
                             % {"v": application.version})


def _require_record(application, record: str, what: str) -> None:
    """The workflow's per-state table allows adding ``record`` in the current state."""
    if not workflow.may_record(application.status, record):
        raise DomainConflict(_("Không thể %(w)s khi đề án đang ở trạng thái “%(s)s”.")
                             % {"w": what, "s": application.get_status_display()})


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


def _save_record(obj, documents=None):
    obj.full_clean(validate_constraints=False)
    obj.save()
    if documents:
        obj.documents.set(documents)
    return obj

