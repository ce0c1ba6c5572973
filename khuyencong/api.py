"""Base API classes: scoping, error shape, query-count discipline and the conventions an
integrator relies on live here once — conditional requests (``ETag`` on detail responses,
``If-Match`` on writes, 412) and list exports (CSV/XLSX by ``Accept`` or ``?format=``).
Viewsets added later inherit them by deriving from these classes; ``ordering`` and
``updated_since`` come with the default filter backends (``khuyencong.filters``)."""

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _
from rest_framework import exceptions, mixins, renderers, status, viewsets
from rest_framework.exceptions import NotFound

from .db.router import allow_replica_reads
from .scoping import scope_for


class PreconditionFailed(exceptions.APIException):
    """``If-Match`` names a version the object no longer has (HTTP 412)."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"


# --- List exports -------------------------------------------------------------------------

# Model label → ``exporter(queryset, fmt) -> HttpResponse``, registered by the app that
# owns the spreadsheets (reports) in its ``ready()``: the kernel imports no app.
LIST_EXPORTS = {}


def register_list_export(model, exporter) -> None:
    LIST_EXPORTS[model._meta.label] = exporter


class ExportRenderer(renderers.BaseRenderer):
    """Lets content negotiation pick a spreadsheet; the list itself answers with the file
    (``ScopedViewSetMixin.list``), so this only ever renders error bodies — as JSON."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data, cls=DjangoJSONEncoder).encode() if data is not None else b""


class CSVRenderer(ExportRenderer):
    media_type = "text/csv"
    format = "csv"


class XLSXRenderer(ExportRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"


EXPORT_FORMATS = ("csv", "xlsx")
# ``?format=`` of an exportable list (its enum in the schema: ``ListFormatEnum``).
LIST_FORMATS = ("json", *EXPORT_FORMATS)


# --- Conditional requests --------------------------------------------------------------


def etag_of(instance, representation=None) -> str:
    """A strong ETag of one object: its ``version`` when it keeps one, else its
    ``updated_at``, else the digest of what the API shows of it."""
    label = f"{instance._meta.label_lower}:{instance.pk}"
    if isinstance(getattr(instance, "version", None), int):
        token = f"{label}:v{instance.version}"
    elif getattr(instance, "updated_at", None) is not None:
        token = f"{label}:{instance.updated_at.isoformat()}"
    else:
        token = f"{label}:" + json.dumps(representation, sort_keys=True, cls=DjangoJSONEncoder)
    return '"' + hashlib.sha256(token.encode()).hexdigest()[:32] + '"'


def _if_match_tags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


class ScopedViewSetMixin:
    """Applies ``visible_to(request.user)`` to the view's queryset; every object
    outside the caller's scope is a 404. After a write, the saved object must still be
    visible (no moving rows to another province).

    Detail responses carry an ``ETag``; a write on an object (PUT, PATCH, DELETE or a
    POST action on it) with ``If-Match`` is refused with 412 when the object changed
    since (the body's ``version``, where a resource has one, stays a 409)."""

    conditional_requests = True

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Authenticated now (tokens too): safe methods may read from a replica unless the
        # caller has just written.
        allow_replica_reads(request)
        if request.method not in ("GET", "HEAD", "OPTIONS") and self.lookup_url_kwarg_or_field() in kwargs:
            self.check_if_match(request)

    def lookup_url_kwarg_or_field(self):
        return self.lookup_url_kwarg or self.lookup_field

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)

    @property
    def scope(self):
        return scope_for(self.request.user)

    def ensure_still_visible(self, instance):
        if not type(instance).objects.visible_to(self.request.user).filter(pk=instance.pk).exists():
            raise NotFound(_("Đối tượng nằm ngoài phạm vi của bạn."))

    # --- ETag / If-Match -----------------------------------------------------------------

    def current_etag(self, instance=None) -> str:
        instance = instance if instance is not None else self.get_object()
        representation = None
        if not isinstance(getattr(instance, "version", None), int) and getattr(instance, "updated_at", None) is None:
            representation = self.get_serializer(instance).data
        return etag_of(instance, representation)

    def check_if_match(self, request):
        header = request.headers.get("If-Match")
        if not header:
            return
        tags = _if_match_tags(header)
        if "*" in tags:
            self.get_object()  # 404 when not visible
            return
        if self.current_etag() not in tags:
            raise PreconditionFailed(_("Đối tượng đã thay đổi từ lần đọc trước (If-Match không khớp); hãy đọc lại. "
                                       "/ The object changed since it was read (stale If-Match); read it again."))

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if (self.conditional_requests and 200 <= response.status_code < 300 and "ETag" not in response
                and getattr(self, "action", None) in ("retrieve", "update", "partial_update")
                and self.lookup_url_kwarg_or_field() in kwargs):
            try:
                response["ETag"] = self.current_etag()
            except exceptions.APIException:
                pass
        return response

    # --- Exports of the list ----------------------------------------------------------------

    def get_renderers(self):
        result = super().get_renderers()
        if getattr(self, "action", None) == "list" and self.exporter() is not None:
            result += [CSVRenderer(), XLSXRenderer()]
        return result

    def exporter(self):
        queryset = getattr(self, "queryset", None)
        return LIST_EXPORTS.get(queryset.model._meta.label) if queryset is not None else None

    def list(self, request, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        if isinstance(renderer, ExportRenderer):
            queryset = self.filter_queryset(self.get_queryset()).prefetch_related(None)
            return self.exporter()(queryset, renderer.format)
        return super().list(request, *args, **kwargs)

    def handle_exception(self, exc):
        # Errors are JSON whatever format was asked for.
        if isinstance(getattr(self.request, "accepted_renderer", None), ExportRenderer):
            self.request.accepted_renderer = renderers.JSONRenderer()
            self.request.accepted_media_type = "application/json"
        return super().handle_exception(exc)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """List and retrieve, scoped."""


class ScopedModelViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                         viewsets.ReadOnlyModelViewSet):
    """List, retrieve, create and update, scoped. Nothing is hard-deleted through the API:
    where removal is meant, ``DELETE`` calls the service that withdraws the record and
    keeps it on file (e.g. an application's attachment)."""

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
