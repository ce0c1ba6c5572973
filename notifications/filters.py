"""The FilterSet of notices, shared by the API and the page /thong-bao/."""

import django_filters
from django.utils.translation import gettext_lazy as _

from applications import workflow
from applications.choices import Status
from khuyencong.filters import IntegerFilter

from .models import Notification


class NotificationFilterSet(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label=_("Chưa đọc"))
    action = django_filters.ChoiceFilter(
        choices=[(a, t.label) for a, t in workflow.TRANSITIONS.items()], label=_("Thao tác"))
    status = django_filters.ChoiceFilter(field_name="to_status", choices=Status.choices, label=_("Trạng thái mới"))
    application = IntegerFilter(field_name="application_id", label=_("Đề án (mã số)"), min_value=1)
    date_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label=_("Từ ngày"))
    date_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label=_("Đến ngày"))

    class Meta:
        model = Notification
        fields = []
