"""Shared FilterSet pieces: the diacritic-insensitive ``q`` filter."""

import django_filters
from django.utils.translation import gettext_lazy as _


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
