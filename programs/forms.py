"""Forms of the programmes app: a call with its criteria. They parse and type the input;
the services hold the rules (weights adding up to 100, frozen once dossiers arrive)."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from khuyencong.forms import BootstrapMixin, DateInput
from provinces.models import Province

from .choices import DossierDocument, FundSource, default_required_documents
from .models import ActivityType


class CallForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Tên đợt tiếp nhận"), max_length=255)
    province = forms.ModelChoiceField(queryset=Province.objects.none(), label=_("Tỉnh/thành phố"))
    year = forms.IntegerField(label=_("Năm kế hoạch"), min_value=2000, max_value=2100)
    opens_on = forms.DateField(label=_("Mở từ ngày"), widget=DateInput())
    closes_on = forms.DateField(label=_("Đóng ngày"), widget=DateInput())
    pass_mark = forms.DecimalField(label=_("Điểm đạt (thang 100)"), min_value=Decimal("0"), max_value=Decimal("100"),
                                   max_digits=5, decimal_places=2, initial=Decimal("70"))
    activity_types = forms.ModelMultipleChoiceField(
        queryset=ActivityType.objects.filter(is_active=True), label=_("Nội dung được nhận"),
        widget=forms.CheckboxSelectMultiple)
    required_documents = forms.MultipleChoiceField(
        choices=DossierDocument.choices, label=_("Tài liệu bắt buộc trong hồ sơ"), required=False,
        widget=forms.CheckboxSelectMultiple, initial=default_required_documents)
    description = forms.CharField(label=_("Mô tả"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.programme = programme
        if programme.province_id:
            # A local programme's calls are its province's.
            del self.fields["province"]
        else:
            self.fields["province"].queryset = Province.objects.order_by("sort_key")
            self.fields["province"].label_from_instance = lambda p: p.name
        self.fields["activity_types"].label_from_instance = lambda a: a.name
        self._style()

    def clean(self):
        cleaned = super().clean()
        opens, closes = cleaned.get("opens_on"), cleaned.get("closes_on")
        if opens and closes and closes < opens:
            self.add_error("closes_on", _("Ngày đóng phải sau ngày mở."))
        return cleaned

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("activity_types")
        data["required_documents"] = list(data["required_documents"])
        data["programme"] = self.programme
        if self.programme.province_id:
            data["province"] = self.programme.province
        return data


class CriterionForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Tiêu chí"), max_length=255)
    weight = forms.DecimalField(label=_("Trọng số"), min_value=Decimal("0.01"), max_value=Decimal("100"),
                                max_digits=5, decimal_places=2)
    max_score = forms.IntegerField(label=_("Điểm tối đa"), min_value=1, max_value=1000, initial=10)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()
        for field in self.fields.values():
            field.widget.attrs["class"] += " form-control-sm"


class BaseCriterionFormSet(forms.BaseFormSet):
    def criteria(self) -> list[dict]:
        return [{"name": f.cleaned_data["name"], "weight": f.cleaned_data["weight"],
                 "max_score": f.cleaned_data["max_score"]}
                for f in self.forms if f.cleaned_data and not self._should_delete_form(f)]


CriterionFormSet = forms.formset_factory(CriterionForm, formset=BaseCriterionFormSet, extra=0, can_delete=True,
                                         max_num=30, validate_max=True)


class SupportRuleForm(BootstrapMixin, forms.Form):
    """A new version of a cap from a date (a rule is never edited in place)."""

    province = forms.ModelChoiceField(queryset=Province.objects.none(), label=_("Áp dụng tại"), required=False,
                                      empty_label=_("Toàn quốc"))
    fund_source = forms.ChoiceField(choices=FundSource.choices, label=_("Nguồn kinh phí"))
    activity_type = forms.ModelChoiceField(queryset=ActivityType.objects.filter(is_active=True),
                                           label=_("Nội dung khuyến công"))
    max_percent = forms.DecimalField(label=_("Tỷ lệ tối đa trên tổng chi phí (%)"), required=False,
                                     min_value=Decimal("0"), max_value=Decimal("100"), max_digits=5, decimal_places=2)
    max_amount = forms.IntegerField(label=_("Mức tối đa (đồng)"), required=False, min_value=0, max_value=10**15)
    per_establishment = forms.BooleanField(label=_("Mức tối đa tính cho mỗi cơ sở thụ hưởng"), required=False)
    valid_from = forms.DateField(label=_("Hiệu lực từ"), widget=DateInput())
    valid_to = forms.DateField(label=_("Hiệu lực đến (để trống: đến khi có phiên bản mới)"), required=False,
                               widget=DateInput())
    legal_basis = forms.CharField(label=_("Căn cứ pháp lý"), max_length=255,
                                  help_text=_("Ví dụ: Nghị quyết số 12/2025/NQ-HĐND ngày 10/7/2025 của HĐND tỉnh."))
    note = forms.CharField(label=_("Ghi chú"), max_length=255, required=False)

    def __init__(self, *args, provinces, national: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].queryset = provinces
        self.fields["province"].label_from_instance = lambda p: p.name
        self.fields["province"].required = not national
        self.fields["activity_type"].label_from_instance = lambda a: a.name
        self._style()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("max_percent") is None and cleaned.get("max_amount") is None:
            self.add_error("max_amount", _("Cần ít nhất một mức trần: tỷ lệ hoặc số tiền."))
        return cleaned
