"""Shared FilterSet pieces: the diacritic-insensitive ``q`` filter, blank parameters ignored
by every FilterSet, the tenancy filter (``province`` by NSO code) declared once, whole-number
filters, and the two filter backends every API list has for incremental sync
(``ordering``, ``updated_since``; ``REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"]``)."""

from datetime import UTC, datetime, time

import django_filters
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, filters

from .models import AuditAction, AuditEntry


class SearchFilter(django_filters.CharFilter):
    """``q``: every word must appear in the stored ``search_text`` (diacritics and
    case ignored, NFC or NFD input alike)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("Tìm kiếm"))
        kwargs.setdefault("max_length", 200)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.search(value)


class PortalFilterSet(django_filters.FilterSet):
    """A FilterSet that ignores empty parameters (``?status=`` from a form left blank
    means "any", not an invalid choice), for the API and the HTML lists alike."""

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and hasattr(data, "getlist"):
            cleaned = data.copy()
            for key in list(cleaned.keys()):
                values = [value for value in data.getlist(key) if value not in ("", None)]
                if values:
                    cleaned.setlist(key, values)
                else:
                    del cleaned[key]
            data = cleaned
        super().__init__(data, *args, **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(django_filters.NumberFilter):
    """A whole number (ids, codes, years): ``80.5`` is a 400, not a silent match on 80."""

    field_class = forms.IntegerField


class ProvinceCodeFilter(IntegerFilter):
    """A province by its NSO code (the natural key clients use)."""

    def __init__(self, field_name="province_id", **kwargs):
        kwargs.setdefault("label", _("Tỉnh/thành (mã)"))
        kwargs.setdefault("min_value", 0)
        super().__init__(field_name=field_name, **kwargs)


class TenancyFilterSet(PortalFilterSet):
    """A FilterSet of province-owned rows: ``?province=<NSO code>``. A model whose province
    sits elsewhere redeclares ``province`` with its path."""

    province = ProvinceCodeFilter()


class AuditEntryFilter(PortalFilterSet):
    """The audit trail: by table, action, user (name or id), date range and record id."""

    model = django_filters.CharFilter(field_name="model_label", label=_("Bảng dữ liệu"), max_length=100)
    action = django_filters.ChoiceFilter(field_name="action", label=_("Thao tác"), choices=AuditAction.choices)
    user = django_filters.CharFilter(method="filter_user", label=_("Người dùng (tên hoặc mã)"), max_length=150)
    date_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label=_("Từ ngày"))
    date_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label=_("Đến ngày"))
    object_id = django_filters.CharFilter(field_name="object_id", label=_("Mã bản ghi"), max_length=64)
    request_id = django_filters.CharFilter(field_name="request_id", label=_("Mã yêu cầu"), max_length=64)
    dossier = django_filters.CharFilter(method="filter_dossier", label=_("Đề án (mã)"), max_length=32)

    class Meta:
        model = AuditEntry
        fields = []

    def filter_user(self, qs, name, value):
        if not value:
            return qs
        if value.isdigit():
            return qs.filter(user_id=int(value))
        return qs.filter(actor=value)

    def filter_dossier(self, qs, name, value):
        """The entries of one dossier (by its code, among those the reader may see): its
        own and those of its cost lines, files, events, scores, payments…"""
        from django.apps import apps

        from .audit_display import entries_for_application

        user = getattr(self.request, "user", None)
        application = (apps.get_model("applications", "Application").objects.visible_to(user)
                       .filter(code__iexact=value.strip()).values_list("pk", flat=True).first())
        if application is None:
            return qs.none()
        return entries_for_application(qs, application)


# --- Incremental sync: ordering and updated_since ---------------------------------------


def _concrete_field(model, path):
    """The model field ``path`` names when it is a plain column of ``model``, else None."""
    try:
        field = model._meta.get_field(path)
    except FieldDoesNotExist:
        return None
    return field if field.concrete and not field.many_to_many else None


class PortalOrderingFilter(filters.OrderingFilter):
    """``?ordering=field,-other``: any field the list shows that is a column of its model
    (unknown names are ignored); the primary key always breaks ties so paging is stable."""

    def get_valid_fields(self, queryset, view, context=None):
        declared = getattr(view, "ordering_fields", None)
        if declared is not None:
            return [(name, name) for name in declared]
        serializer_class = view.get_serializer_class() if hasattr(view, "get_serializer_class") else None
        model = queryset.model
        valid = []
        if serializer_class is not None:
            for name, field in serializer_class().fields.items():
                if getattr(field, "write_only", False):
                    continue
                source = field.source if field.source not in (None, "*") else name
                if _concrete_field(model, source) is not None:
                    valid.append((name, source))
        return valid

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = dict(self.get_valid_fields(queryset, view, {"request": request}))
        result = []
        for term in fields:
            descending = term.startswith("-")
            source = valid.get(term.lstrip("-"))
            if source is not None:
                result.append(("-" if descending else "") + source)
        return result

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if ordering:
            return queryset.order_by(*ordering, "pk")
        return queryset

    def get_default_ordering(self, view):
        return None  # the viewset's queryset keeps its own order

    def get_schema_operation_parameters(self, view):
        # The class's queryset, never get_queryset(): building the schema must not query.
        queryset = getattr(view, "queryset", None)
        names = [name for name, _source in self.get_valid_fields(queryset, view)] if queryset is not None else []
        return [{
            "name": self.ordering_param, "required": False, "in": "query",
            "description": ("Sắp xếp theo trường (thêm '-' để giảm dần, nhiều trường cách nhau bằng dấu phẩy) / "
                            "order by fields, '-' for descending, comma-separated: " + ", ".join(names)),
            "schema": {"type": "string"},
        }]


def updated_field(view, model) -> str | None:
    """The column ``updated_since`` compares: the view's ``updated_field``, else the
    model's ``updated_at``, else its ``created_at`` (rows that never change)."""
    name = getattr(view, "updated_field", None)
    if name:
        return name
    for candidate in ("updated_at", "created_at"):
        if _concrete_field(model, candidate) is not None:
            return candidate
    return None


class UpdatedSinceFilter(filters.BaseFilterBackend):
    """``?updated_since=<ISO date or date-time>``: only what changed at or after it (an
    integrator's incremental sync; pair it with ``ordering=updated_at``)."""

    param = "updated_since"

    def filter_queryset(self, request, queryset, view):
        raw = request.query_params.get(self.param)
        if raw in (None, ""):
            return queryset
        field = updated_field(view, queryset.model)
        if field is None:
            return queryset
        try:
            value = parse_datetime(raw)
            if value is None:
                day = parse_date(raw)
                value = datetime.combine(day, time.min) if day is not None else None
            if value is not None:
                if timezone.is_naive(value):
                    value = timezone.make_aware(value)
                # In UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts.
                value = value.astimezone(UTC)
        except (ValueError, OverflowError):
            value = None
        if value is None:
            raise exceptions.ValidationError({self.param: [gettext_now(
                "Cần ngày (YYYY-MM-DD) hoặc ngày giờ ISO 8601. / An ISO 8601 date or date-time is required.")]})
        return queryset.filter(**{f"{field}__gte": value})

    def get_schema_operation_parameters(self, view):
        model = getattr(getattr(view, "queryset", None), "model", None)
        if model is None or updated_field(view, model) is None:
            return []
        return [{"name": self.param, "required": False, "in": "query",
                 "description": "Chỉ các bản ghi thay đổi từ thời điểm này / only rows changed at or after this "
                                "ISO 8601 date or date-time",
                 "schema": {"type": "string", "format": "date-time"}}]
