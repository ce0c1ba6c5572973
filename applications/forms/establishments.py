"""The establishment form."""


from django import forms
from django.utils.translation import gettext_lazy as _

from provinces.models import Commune, Province

from ..models import Establishment, validate_tax_code
from ..services.establishments import ESTABLISHMENT_FIELDS
from .base import BootstrapMixin

# --- Establishments -----------------------------------------------------------------------


class EstablishmentForm(BootstrapMixin, forms.ModelForm):
    """An establishment of one province: the commune list holds that province's communes."""

    province = forms.ModelChoiceField(queryset=Province.objects.none(), label=_("Tỉnh/thành phố"))

    class Meta:
        model = Establishment
        fields = [f for f in ESTABLISHMENT_FIELDS if f != "province"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, provinces, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].queryset = Province.objects.filter(pk__in=[p.pk for p in provinces])
        self.fields["province"].error_messages["invalid_choice"] = _("Chọn tỉnh/thành phố bạn được quản lý.")
        self.order_fields(["name", "legal_form", "tax_code", "representative", "province", "commune"])
        province = None
        if self.instance.pk:
            province = self.instance.province
        elif len(provinces) == 1:
            province = provinces[0]
        if province is not None and len(provinces) <= 1:
            self.fields["province"].initial = province.pk
            self.fields["province"].widget = forms.HiddenInput()
        data_province = self.data.get(self.add_prefix("province")) if self.is_bound else None
        selected = data_province or (province.pk if province else None)
        # Several provinces and none chosen yet (a superuser): offer all their communes;
        # the model's clean() rejects a commune of another province.
        communes = (Commune.objects.filter(province_id=selected) if selected
                    else Commune.objects.filter(province__in=self.fields["province"].queryset))
        self.fields["commune"].queryset = communes.order_by("sort_key")
        self.fields["commune"].error_messages["invalid_choice"] = _("Chọn một xã/phường thuộc tỉnh/thành của cơ sở.")
        # "Tên" alone is ambiguous (the owner's name? the product's?); the address holds
        # what the commune and province lists do not.
        self.fields["name"].label = _("Tên cơ sở")
        self.fields["address"].help_text = _("Số nhà, đường, thôn/ấp/khu phố; xã/phường và tỉnh/thành chọn ở ô riêng.")
        self._style()

    def clean_tax_code(self):
        value = (self.cleaned_data.get("tax_code") or "").strip()
        validate_tax_code(value)
        return value

    def _post_clean(self):
        # The service runs full_clean (and the tax-code check) when saving; the
        # ModelForm's own instance validation would report the same errors twice.
        pass

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        return {key: data[key] for key in ESTABLISHMENT_FIELDS if key in data}
