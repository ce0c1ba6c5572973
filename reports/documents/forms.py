"""Forms of the documents: issue a report, configure a register, add or change a signer."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Delegation, DocType, OfficialDocument, RegisterMode, Signer


class IssueForm(forms.Form):
    signer = forms.ModelChoiceField(label=_("Người ký"), queryset=Signer.objects.none(), required=False,
                                    empty_label=_("— Chọn người ký —"),
                                    widget=forms.Select(attrs={"class": "form-select"}))
    number = forms.IntegerField(label=_("Số do văn thư cấp"), min_value=1, required=False,
                                help_text=_("Chỉ khi sổ văn bản ghi số do văn thư cấp."),
                                widget=forms.NumberInput(attrs={"class": "form-control"}))
    replaces = forms.ModelChoiceField(label=_("Thay thế văn bản (đính chính)"), required=False,
                                      queryset=OfficialDocument.objects.none(), empty_label=_("— Không —"),
                                      widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, organisation=None, clerical=False, **kwargs):
        super().__init__(*args, **kwargs)
        if organisation is not None:
            self.fields["signer"].queryset = Signer.objects.filter(organisation=organisation, is_active=True)
            self.fields["replaces"].queryset = OfficialDocument.objects.filter(
                organisation=organisation, replaced_by__isnull=True)
        if not clerical:
            del self.fields["number"]


class RegisterForm(forms.Form):
    doc_type = forms.ChoiceField(label=_("Loại văn bản"), choices=DocType.choices)
    symbol = forms.CharField(label=_("Ký hiệu"), max_length=30)
    mode = forms.ChoiceField(label=_("Cách cấp số"), choices=RegisterMode.choices)


class SignerForm(forms.Form):
    full_name = forms.CharField(label=_("Họ và tên"), max_length=120,
                                widget=forms.TextInput(attrs={"class": "form-control"}))
    title = forms.CharField(label=_("Chức vụ"), max_length=120, required=False,
                            widget=forms.TextInput(attrs={"class": "form-control"}))
    delegation = forms.ChoiceField(label=_("Hình thức ký"), choices=Delegation.choices, required=False,
                                   widget=forms.Select(attrs={"class": "form-select"}))
    authority = forms.CharField(label=_("Ký thay / thay mặt cho"), max_length=120, required=False,
                                widget=forms.TextInput(attrs={"class": "form-control"}))
    is_active = forms.BooleanField(label=_("Đang ký"), required=False, initial=True,
                                   widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
