"""The field-visit form (phone first: the photo input opens the camera)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    widget = MultiplePhotoInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class FieldVisitForm(forms.Form):
    commune = forms.TypedChoiceField(label=_("Xã/phường"), coerce=int)
    visited_on = forms.DateField(label=_("Ngày đi thực địa"), widget=forms.DateInput(attrs={"type": "date"}))
    establishment = forms.TypedChoiceField(label=_("Cơ sở (nếu có)"), coerce=int, required=False, empty_value=None)
    notes = forms.CharField(label=_("Ghi chép"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000,
                            error_messages={"required": _("Cần ghi chép nội dung chuyến đi.")})
    photos = MultiplePhotoField(
        label=_("Ảnh chụp"), required=False,
        widget=MultiplePhotoInput(attrs={"accept": "image/*", "capture": "environment", "multiple": True}),
        help_text=_("Chụp bằng camera điện thoại hoặc chọn ảnh có sẵn; mỗi ảnh tối đa %(m)s MB."))
    latitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6, min_value=-90, max_value=90,
                                  widget=forms.HiddenInput)
    longitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6, min_value=-180, max_value=180,
                                   widget=forms.HiddenInput)

    def __init__(self, *args, communes=(), establishments=(), max_mb=8, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].choices = [(c.pk, c.name) for c in communes]
        self.fields["establishment"].choices = [("", "—")] + [(e.pk, e.name) for e in establishments]
        self.fields["photos"].help_text = self.fields["photos"].help_text % {"m": max_mb}
        self.initial.setdefault("visited_on", timezone.localdate())
        for name, field in self.fields.items():
            if not field.widget.is_hidden:
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs["class"] = f"{css} form-control-lg" if name == "notes" else css
        if len(self.fields["commune"].choices) == 1:
            self.initial.setdefault("commune", self.fields["commune"].choices[0][0])
