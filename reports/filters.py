"""FilterSet of report runs (API and pages)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from khuyencong.filters import IntegerFilter, TenancyFilterSet

from .choices import ReportKind, ReportScope, RunStatus
from .models import ReportRun


class ReportRunFilterSet(TenancyFilterSet):
    kind = django_filters.ChoiceFilter(choices=ReportKind.choices, label=_("Loại báo cáo"))
    scope = django_filters.ChoiceFilter(choices=ReportScope.choices, label=_("Phạm vi"))
    status = django_filters.ChoiceFilter(choices=RunStatus.choices, label=_("Trạng thái"))
    region = django_filters.CharFilter(field_name="region__code", label=_("Vùng (mã)"))
    year = IntegerFilter(field_name="year", label=_("Năm"), min_value=2000, max_value=2100)
    quarter = IntegerFilter(field_name="quarter", label=_("Quý"), min_value=1, max_value=4)

    class Meta:
        model = ReportRun
        fields = ["kind", "scope", "status", "province", "year", "quarter"]
