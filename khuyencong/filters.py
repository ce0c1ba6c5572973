"""Shared FilterSet pieces: the diacritic-insensitive ``q`` filter, blank parameters ignored
by every FilterSet, and the tenancy filter (``province`` by NSO code) declared once."""

import django_filters
from django.utils.translation import gettext_lazy as _

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


class ProvinceCodeFilter(django_filters.NumberFilter):
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

