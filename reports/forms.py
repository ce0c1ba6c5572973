"""Forms of the reports app: the dashboard filter and the report request."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programs.choices import FundSource
from provinces.models import Province, Region

from .choices import ReportFormat, ReportKind, ReportScope


def year_choices():
    this_year = timezone.localdate().year
    return [(y, str(y)) for y in range(this_year + 1, 2019, -1)]


class DashboardFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Năm kế hoạch"), coerce=int, required=False, empty_value=None)
    fund_source = forms.ChoiceField(label=_("Nguồn kinh phí"), required=False,
                                    choices=[("", _("Mọi nguồn kinh phí")), *FundSource.choices])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("Mọi năm")), *year_choices()]


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Loại báo cáo"), choices=ReportKind.choices)
    scope = forms.ChoiceField(label=_("Phạm vi"), choices=ReportScope.choices)
    region = forms.ModelChoiceField(label=_("Vùng"), queryset=Region.objects.all(), required=False,
                                    to_field_name="code")
    province = forms.ModelChoiceField(label=_("Tỉnh/thành phố"), queryset=Province.objects.all(), required=False)
    year = forms.TypedChoiceField(label=_("Năm"), coerce=int)
    quarter = forms.TypedChoiceField(label=_("Quý"), coerce=int, required=False, empty_value=None,
                                     choices=[("", _("Cả năm")), (1, "I"), (2, "II"), (3, "III"), (4, "IV")])
    formats = forms.MultipleChoiceField(label=_("Định dạng"), choices=ReportFormat.choices,
                                        widget=forms.CheckboxSelectMultiple, initial=list(ReportFormat.values))

    def __init__(self, *args, provinces=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = year_choices()
        self.fields["year"].initial = timezone.localdate().year
        if provinces is not None:
            self.fields["province"].queryset = provinces
