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
