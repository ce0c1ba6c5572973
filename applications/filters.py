"""FilterSets of the applications app (one per model, shared by the API and the HTML lists)."""


import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from khuyencong.filters import IntegerFilter, ProvinceCodeFilter, SearchFilter, TenancyFilterSet
from programs.choices import FundSource

from . import deadlines
from .choices import CouncilLevel, DisbursementKind, LegalForm, Status
from .models import Application, AppraisalCouncil, Disbursement, Establishment


def overdue_q(now=None) -> Q:
    """Applications that stayed in their state longer than their province's target
    (``applications.deadlines``, where the rule lives)."""
    return deadlines.overdue_q(now)


class EstablishmentFilterSet(TenancyFilterSet):
    commune = IntegerFilter(field_name="commune_id", label=_("Xã/phường (mã)"), min_value=0)
    legal_form = django_filters.ChoiceFilter(choices=LegalForm.choices, label=_("Loại hình"))
    woman_owned = django_filters.BooleanFilter(label=_("Do phụ nữ làm chủ"))
    ethnic_minority = django_filters.BooleanFilter(label=_("Dân tộc thiểu số"))
    difficult_area = django_filters.BooleanFilter(label=_("Địa bàn khó khăn"))
    craft_village = django_filters.BooleanFilter(label=_("Làng nghề"))
    is_active = django_filters.BooleanFilter(label=_("Đang hoạt động"))
    tax_code = django_filters.CharFilter(label=_("Mã số thuế"), max_length=14)
    q = SearchFilter()

    class Meta:
        model = Establishment
        fields = ["province", "commune", "legal_form"]


class ApplicationFilterSet(TenancyFilterSet):
    commune = IntegerFilter(field_name="establishments__commune_id", label=_("Xã/phường (mã)"),
                                          min_value=0, distinct=True)
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, label=_("Trạng thái"))
    fund_source = django_filters.ChoiceFilter(choices=FundSource.choices, label=_("Nguồn kinh phí"))
    activity_type = django_filters.CharFilter(field_name="activity_type_id", label=_("Nội dung khuyến công (mã)"))
    programme = IntegerFilter(field_name="programme_id", label=_("Chương trình"), min_value=0)
    call = IntegerFilter(field_name="call_id", label=_("Đợt tiếp nhận"), min_value=0)
    year = IntegerFilter(field_name="year", label=_("Năm kế hoạch"), min_value=2000, max_value=2100)
    establishment = IntegerFilter(field_name="establishments__id", label=_("Cơ sở thụ hưởng"),
                                                min_value=0, distinct=True)
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Quá hạn xử lý"))
    q = SearchFilter()

    class Meta:
        model = Application
        fields = ["province", "status", "fund_source", "activity_type", "programme", "year"]

    def filter_overdue(self, qs, name, value):
        if value is None:
            return qs
        return qs.filter(overdue_q()) if value else qs.exclude(overdue_q())


class DisbursementFilterSet(TenancyFilterSet):
    """Payments across applications: the national or provincial picture of money paid out."""

    province = ProvinceCodeFilter(field_name="application__province_id")
    programme = IntegerFilter(field_name="application__programme_id", label=_("Chương trình"),
                                            min_value=0)
    year = IntegerFilter(field_name="application__year", label=_("Năm kế hoạch"), min_value=2000,
                                       max_value=2100)
    fund_source = django_filters.ChoiceFilter(field_name="application__fund_source", choices=FundSource.choices,
                                              label=_("Nguồn kinh phí"))
    kind = django_filters.ChoiceFilter(choices=DisbursementKind.choices, label=_("Loại khoản chi"))
    application = IntegerFilter(field_name="application_id", label=_("Đề án"), min_value=0)
    paid_from = django_filters.DateFilter(field_name="paid_on", lookup_expr="gte", label=_("Chi từ ngày"))
    paid_to = django_filters.DateFilter(field_name="paid_on", lookup_expr="lte", label=_("Chi đến ngày"))

    class Meta:
        model = Disbursement
        fields = ["province", "programme", "year", "kind", "application"]


class CouncilFilterSet(TenancyFilterSet):
    call = IntegerFilter(field_name="call_id", label=_("Đợt tiếp nhận"), min_value=0)
    level = django_filters.ChoiceFilter(choices=CouncilLevel.choices, label=_("Cấp"))

    class Meta:
        model = AppraisalCouncil
        fields = ["province", "call", "level"]
