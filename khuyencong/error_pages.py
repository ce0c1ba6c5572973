"""Error handlers of the whole site: under /api/ the API's JSON error shape (clients and
the OpenAPI schema expect JSON there, also for URLs that match no route), elsewhere the
HTML pages."""

from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse({"status": 404, "code": "not_found", "detail": _("Không tìm thấy. / Not found.")},
                            status=404)
    return render(request, "404.html", status=404)


def server_error(request):
    if _is_api(request):
        return JsonResponse({"status": 500, "code": "server_error",
                             "detail": _("Lỗi hệ thống; chưa có thay đổi nào được lưu. / Server error; nothing was "
                                         "saved.")}, status=500)
    # No request context: the failure may be the database itself.
    return HttpResponseServerError(loader.get_template("500.html").render())
