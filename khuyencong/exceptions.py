"""One JSON error shape for the whole API.

``{"status": 400, "code": "invalid", "detail": "...", "errors": {"field": ["..."]}}``
400 field errors · 401 no credentials · 403 visible but not allowed · 404 not
visible · 409 invalid transition or stale version. Every service exception is translated
here, once: an object the service cannot see (``DoesNotExist``) is a 404, a refusal keeps
the service's reason, and every 409 lists its reasons (``errors.reasons``).
"""

import logging

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from .errors import DomainConflict, is_keyed, row_errors


class Conflict(exceptions.APIException):
    """The request is valid but the object is not in a state that allows it."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("Thao tác không hợp lệ ở trạng thái hiện tại.")
    default_code = "conflict"


def _flatten(detail):
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [str(item) for item in detail]
        return [_flatten(item) for item in detail]
    return [str(detail)]


def _validation_detail(exc: DjangoValidationError) -> dict:
    """A service's ValidationError as DRF would word it: field → messages, and the errors of
    a list field's rows aligned with the input (``[{}, {"amount": [...]}]``)."""
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": exc.messages}
    detail = {}
    for field, errors in exc.error_dict.items():
        rows = row_errors(errors)
        if rows is None:
            detail[field] = [message for error in errors for message in error.messages]
        elif is_keyed(errors):
            detail[field] = {str(key): columns for key, columns in rows.items()}
        else:
            detail[field] = [rows.get(index, {}) for index in range(max(rows) + 1)]
    return detail


logger = logging.getLogger(__name__)

# Seconds a client is told to wait before retrying when the database is unavailable.
DATABASE_RETRY_AFTER = "30"


def is_database_unavailable(exc) -> bool:
    """The database went away (restart, failover, network, unreachable)."""
    return isinstance(exc, (OperationalError, InterfaceError))


def database_unavailable_body() -> dict:
    return {"status": 503, "code": "service_unavailable",
            "detail": _("Cơ sở dữ liệu tạm thời không phản hồi; chưa có thay đổi nào được lưu. Vui lòng thử "
                        "lại sau. / The database is temporarily unavailable; nothing was saved. Please retry.")}


def api_exception_handler(exc, context):
    if is_database_unavailable(exc):
        # The atomic block of the service has rolled back; tell the client to retry
        # instead of a bare 500. (Failures before the view — the row-level-security
        # middleware's first query — are answered the same by error_pages.server_error.)
        logger.error("Database unavailable during %s", context.get("request") and context["request"].path,
                     exc_info=exc)
        try:
            set_rollback()
        except Exception:  # noqa: BLE001 — the connection may be gone altogether
            pass
        return Response(database_unavailable_body(), status=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": DATABASE_RETRY_AFTER})
    if isinstance(exc, DomainConflict):
        # Clients read ``errors.reasons`` on every 409; a single-cause conflict lists its message.
        body = {"status": 409, "code": "conflict", "detail": exc.message,
                "errors": {"reasons": exc.reasons or [exc.message]}}
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_validation_detail(exc))
    elif isinstance(exc, (Http404, ObjectDoesNotExist)):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = exception_handler(exc, context)
    if response is None:
        return None
    code = getattr(exc, "default_code", "error")
    body = {"status": response.status_code, "code": code}
    if isinstance(exc, exceptions.ValidationError):
        body["code"] = "invalid"
        body["detail"] = _("Dữ liệu không hợp lệ. / Invalid input.")
        detail = exc.detail
        body["errors"] = _flatten(detail if isinstance(detail, dict) else {"non_field_errors": detail})
    else:
        detail = exc.detail
        if isinstance(detail, dict):
            body["detail"] = str(detail.get("detail", ""))
            body["errors"] = _flatten({k: v for k, v in detail.items() if k != "detail"})
        elif isinstance(detail, list):
            body["detail"] = "; ".join(str(d) for d in detail)
        else:
            body["detail"] = str(detail)
        if isinstance(exc, exceptions.NotFound):
            body["detail"] = _("Không tìm thấy. / Not found.")
        elif isinstance(exc, exceptions.NotAuthenticated):
            body["detail"] = _("Chưa đăng nhập hoặc thiếu khóa API. / Authentication credentials were not provided.")
        code = getattr(detail, "code", None) or code
        body["code"] = code
    return Response(body, status=response.status_code, headers=dict(response.items()))
