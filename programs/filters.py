"""FilterSets of the programmes app (one per model, shared by the API and HTML lists)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from khuyencong.filters import IntegerFilter, PortalFilterSet, SearchFilter, TenancyFilterSet

from .choices import FundSource
from .models import ActivityType, BudgetAllocation, Call, Programme, SupportRule


class ActivityTypeFilterSet(PortalFilterSet):
    is_green = django_filters.BooleanFilter(label=_("Thuộc nhóm sản xuất xanh"))
    is_active = django_filters.BooleanFilter(label=_("Đang dùng"))

    class Meta:
        model = ActivityType
        fields = ["is_green", "is_active"]


class ProgrammeFilterSet(TenancyFilterSet):
    fund_source = django_filters.ChoiceFilter(choices=FundSource.choices, label=_("Nguồn kinh phí"))
    year = IntegerFilter(method="filter_year", label=_("Thực hiện trong năm"), min_value=0)
    is_active = django_filters.BooleanFilter(label=_("Đang thực hiện"))
    q = SearchFilter()

    class Meta:
        model = Programme
        fields = ["fund_source", "province", "is_active"]

    def filter_year(self, qs, name, value):
        if value is None:
            return qs
        return qs.filter(start_year__lte=value, end_year__gte=value)


class SupportRuleFilterSet(TenancyFilterSet):
    fund_source = django_filters.ChoiceFilter(choices=FundSource.choices, label=_("Nguồn kinh phí"))
    activity_type = django_filters.CharFilter(field_name="activity_type_id", label=_("Nội dung khuyến công (mã)"))
    valid_on = django_filters.DateFilter(method="filter_valid_on", label=_("Có hiệu lực ngày"))

    class Meta:
        model = SupportRule
        fields = ["fund_source", "province", "activity_type"]

    def filter_valid_on(self, qs, name, value):
        if value is None:
            return qs
        return qs.filter(valid_from__lte=value).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=value))


class CallFilterSet(TenancyFilterSet):
    programme = IntegerFilter(field_name="programme_id", label=_("Chương trình"), min_value=0)
    year = IntegerFilter(label=_("Năm kế hoạch"), min_value=0)
    activity_type = django_filters.CharFilter(field_name="activity_types__code", distinct=True,
                                              label=_("Nội dung khuyến công (mã)"))
    open_on = django_filters.DateFilter(method="filter_open_on", label=_("Mở nhận hồ sơ ngày"))
    q = SearchFilter()

    class Meta:
        model = Call
        fields = ["programme", "province", "year"]

    def filter_open_on(self, qs, name, value):
        if value is None:
            return qs
        return qs.filter(opens_on__lte=value, closes_on__gte=value)


class BudgetAllocationFilterSet(TenancyFilterSet):
    programme = IntegerFilter(field_name="programme_id", label=_("Chương trình"), min_value=0)
    year = IntegerFilter(label=_("Năm"), min_value=0)
    fund_source = django_filters.ChoiceFilter(field_name="programme__fund_source", choices=FundSource.choices,
                                              label=_("Nguồn kinh phí"))

    class Meta:
        model = BudgetAllocation
        fields = ["programme", "province", "year"]
