"""The filter form of the budget page."""


from django import forms
from django.utils.translation import gettext_lazy as _

from programs.choices import FundSource

from .base import BootstrapMixin


class BudgetFilterForm(BootstrapMixin, forms.Form):
    """Filters of the budget page."""

    year = forms.IntegerField(label=_("Năm"), required=False, min_value=2000, max_value=2100)
    fund_source = forms.ChoiceField(label=_("Nguồn kinh phí"), required=False)
    programme = forms.TypedChoiceField(label=_("Chương trình"), required=False, coerce=int, empty_value=None)
    province = forms.TypedChoiceField(label=_("Tỉnh/thành"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, programmes, provinces, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fund_source"].choices = [("", _("Tất cả"))] + list(FundSource.choices)
        self.fields["programme"].choices = [("", _("Tất cả"))] + [(p.pk, p.name) for p in programmes]
        if provinces:
            self.fields["province"].choices = [("", _("Tất cả"))] + [(p.pk, p.name) for p in provinces]
        else:
            del self.fields["province"]
        self._style()


class AllocationForm(BootstrapMixin, forms.Form):
    """A new allocation (programme × province × year), or the change of one (amount, reason)."""

    programme = forms.ModelChoiceField(queryset=None, label=_("Chương trình"))
    province = forms.ModelChoiceField(queryset=None, label=_("Tỉnh/thành"))
    year = forms.IntegerField(label=_("Năm"), min_value=2000, max_value=2100)
    amount = forms.IntegerField(label=_("Kinh phí được giao (đồng)"), min_value=0, max_value=10**15)
    reason = forms.CharField(label=_("Lý do"), max_length=500, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
    decision_number = forms.CharField(label=_("Số quyết định giao"), max_length=60, required=False)

    def __init__(self, *args, programmes=None, provinces=None, allocation=None, **kwargs):
        super().__init__(*args, **kwargs)
        if allocation is not None:  # a change: the key is the allocation's
            for name in ("programme", "province", "year"):
                del self.fields[name]
            self.fields["amount"].initial = allocation.amount
            self.fields["decision_number"].initial = allocation.decision_number
            self.fields["reason"].required = True
        else:
            self.fields["programme"].queryset = programmes
            self.fields["province"].queryset = provinces
            self.fields["province"].label_from_instance = lambda p: p.name
        self._style()


class AllocationMoveForm(BootstrapMixin, forms.Form):
    """Move part of an allocation to another programme of the same fund and province."""

    target_programme = forms.ModelChoiceField(queryset=None, label=_("Chuyển sang chương trình"))
    amount = forms.IntegerField(label=_("Số tiền điều chuyển (đồng)"), min_value=1, max_value=10**15)
    reason = forms.CharField(label=_("Lý do"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    decision_number = forms.CharField(label=_("Số quyết định"), max_length=60, required=False)

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_programme"].queryset = targets
        self._style()
