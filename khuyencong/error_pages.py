"""Error handlers of the whole site: under /api/ the API's JSON error shape (clients and
the OpenAPI schema expect JSON there, also for URLs that match no route), elsewhere the
HTML pages."""

import sys

from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

from .exceptions import DATABASE_RETRY_AFTER, database_unavailable_body, is_database_unavailable


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse({"status": 404, "code": "not_found", "detail": _("Không tìm thấy. / Not found.")},
                            status=404)
    return render(request, "404.html", status=404)


def server_error(request):
    # Django calls this inside its ``except`` block: the exception is the current one.
    # It may have been raised before any view ran (the row-level-security middleware's
    # first query on an unreachable database), where the API's own handler never sees it.

    database_down = is_database_unavailable(sys.exc_info()[1])
    if _is_api(request) and database_down:
        return JsonResponse(database_unavailable_body(), status=503, headers={"Retry-After": DATABASE_RETRY_AFTER})
    if _is_api(request):
        return JsonResponse({"status": 500, "code": "server_error",
                             "detail": _("Lỗi hệ thống; chưa có thay đổi nào được lưu. / Server error; nothing was "
                                         "saved.")}, status=500)
    # No request context: the failure may be the database itself.
    response = HttpResponseServerError(loader.get_template("500.html").render())
    if database_down:
        response["Retry-After"] = DATABASE_RETRY_AFTER
    return response
