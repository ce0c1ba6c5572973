"""Forms of the council member: the conflict-of-interest declaration and the scores."""


from django import forms
from django.utils.translation import gettext_lazy as _

from .base import BootstrapMixin


class ConflictForm(BootstrapMixin, forms.Form):
    has_conflict = forms.TypedChoiceField(
        label=_("Khai báo xung đột lợi ích"), widget=forms.RadioSelect,
        choices=[("0", _("Tôi không có xung đột lợi ích với đề án này")),
                 ("1", _("Tôi có xung đột lợi ích (sẽ không chấm điểm đề án này)"))],
        coerce=lambda v: v == "1")
    note = forms.CharField(label=_("Giải trình (bắt buộc khi có xung đột)"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("has_conflict") and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("Nêu ngắn gọn nội dung xung đột lợi ích."))
        return cleaned


class ScoreForm(BootstrapMixin, forms.Form):
    """One score and comment per criterion of the call."""

    def __init__(self, *args, criteria, existing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        existing = existing or {}
        for criterion in self.criteria:
            old = existing.get(criterion.pk)
            self.fields[f"score_{criterion.pk}"] = forms.DecimalField(
                label=criterion.name,
                min_value=0,
                max_value=criterion.max_score,
                max_digits=5,
                decimal_places=2,
                # Shown as the sheet and the totals show scores ("9,00"); "9,5" and "9.5" both accepted.
                initial=old.score if old else None,
                localize=True,
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                error_messages={
                    "max_value": _("Điểm tối đa của tiêu chí này là %(limit_value)s."),
                    "min_value": _("Điểm không được âm."),
                },
            )
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label=_("Nhận xét"), required=False, initial=old.comment if old else "",
                widget=forms.Textarea(attrs={"rows": 1, "aria-label": _("Nhận xét: %(criterion)s")
                                             % {"criterion": criterion.name}}))
        self._style()

    def rows(self):
        for criterion in self.criteria:
            yield criterion, self[f"score_{criterion.pk}"], self[f"comment_{criterion.pk}"]

    def scores(self) -> dict:
        return {c.pk: {"score": self.cleaned_data[f"score_{c.pk}"], "comment": self.cleaned_data[f"comment_{c.pk}"]}
                for c in self.criteria}
