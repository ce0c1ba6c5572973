"""What every writer of the applications app shares: the row lock, the version check,
the state check of a record, the event record, the rules of typed input and the record save.
Who may write is ``applications.permissions``."""

from datetime import date

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
    if expect(expected_version, int, "expected_version") is not None and expected_version != application.version:
        raise DomainConflict(_("Đề án đã được người khác thay đổi (phiên bản %(v)s). Tải lại trang rồi thử lại.")
                             % {"v": application.version})


def _require_record(application, record: str, what: str) -> None:
    """The workflow's per-state table allows adding ``record`` in the current state."""
    if not workflow.may_record(application.status, record):
        raise DomainConflict(_("Không thể %(w)s khi đề án đang ở trạng thái “%(s)s”.")
                             % {"w": what, "s": application.get_status_display()})


def expect(value, kind, name: str):
    """``value`` is already of ``kind`` (or None). Input is shaped and typed once, by the
    form or the serializer; a service given a raw string is a programming error, not bad
    input to report to the user."""
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise TypeError(f"{name}: expected {kind}, got {type(value).__name__} {value!r} "
                        "(shape the input in a form or serializer first)")
    return value


def _check_date(value, field: str, errors: dict, *, required: bool = True, not_future: bool = True):
    """The rules of a date the caller has typed: present when required, not in the future."""
    if expect(value, date, field) is None:
        if required:
            errors[field] = _("Cần nhập ngày.")
        return None
    if not_future and value > timezone.localdate():
        errors[field] = _("Ngày không được ở tương lai.")
    return value


def _check_money(value, field: str, errors: dict, *, required: bool = True, positive: bool = True):
    """The rules of a typed amount of đồng: present when required, positive (or at least not
    negative)."""
    if expect(value, int, field) is None:
        if required:
            errors[field] = _("Cần nhập số tiền (đồng).")
        return None
    if positive and value <= 0:
        errors[field] = _("Số tiền phải lớn hơn 0.")
    elif value < 0:
        errors[field] = _("Số tiền không được âm.")
    return value


def _check_count(value, field: str, errors: dict):
    if expect(value, int, field) is not None and value < 0:
        errors[field] = _("Phải là số nguyên không âm.")
    return value


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

