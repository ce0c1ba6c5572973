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
