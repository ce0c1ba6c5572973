"""The establishment form."""


from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from provinces.models import Commune, LegacyCommune, Province

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
        self.order_fields(["name", "legal_form", "tax_code", "representative", "province", "legacy_commune",
                           "commune"])
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
        self._old_address(selected)
        # "Tên" alone is ambiguous (the owner's name? the product's?); the address holds
        # what the commune and province lists do not.
        self.fields["name"].label = _("Tên cơ sở")
        self.fields["address"].help_text = _("Số nhà, đường, thôn/ấp/khu phố; xã/phường và tỉnh/thành chọn ở ô riêng.")
        self._style()

    def clean_tax_code(self):
        value = (self.cleaned_data.get("tax_code") or "").strip()
        validate_tax_code(value)
        return value

    def _old_address(self, province_id) -> None:
        """The pre-2025 commune: those whose successors lie in the province; choosing one
        asks the portal for its successors (htmx), which become the commune's choices."""
        field = self.fields["legacy_commune"]
        legacy = (LegacyCommune.objects.filter(lineage__commune__province_id=province_id) if province_id
                  else LegacyCommune.objects.filter(lineage__commune__province__in=self.fields["province"].queryset))
        field.queryset = legacy.distinct().select_related("district").order_by("district__sort_key", "sort_key")
        field.label_from_instance = lambda lc: f"{lc.name} — {lc.district.name} ({lc.code:05d})"
        field.error_messages["invalid_choice"] = _("Chọn một xã/phường cũ nay thuộc tỉnh/thành của cơ sở.")
        field.help_text = _("Nếu cơ sở chỉ biết địa chỉ trước 01/7/2025: chọn xã/phường cũ, cổng đề xuất xã/phường "
                            "mới kế thừa để bạn xác nhận.")
        field.widget.attrs.update({
            "hx-get": reverse("applications:establishment_successors"), "hx-trigger": "change",
            "hx-target": "#id_commune", "hx-swap": "outerHTML", "hx-include": "[name=province],[name=commune]"})
        self.fields["commune"].required = False

    def clean(self):
        cleaned = super().clean()
        legacy, commune = cleaned.get("legacy_commune"), cleaned.get("commune")
        if legacy is not None and commune is None:
            successors = [line.commune for line in legacy.lineage.select_related("commune")
                          if line.commune.province_id == getattr(cleaned.get("province"), "pk", None)]
            if len(successors) == 1:
                cleaned["commune"] = successors[0]
            else:
                self.add_error("commune", _("Xã/phường cũ này nay thuộc nhiều xã/phường: %(n)s. Chọn một.")
                               % {"n": ", ".join(c.name for c in successors)})
        elif commune is None and "commune" not in self.errors:
            self.add_error("commune", _("Chọn xã/phường (hoặc xã/phường cũ để cổng đề xuất)."))
        return cleaned

    def _post_clean(self):
        # The service runs full_clean (and the tax-code check) when saving; the
        # ModelForm's own instance validation would report the same errors twice.
        pass

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        return {key: data[key] for key in ESTABLISHMENT_FIELDS if key in data}
