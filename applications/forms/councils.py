"""The form of an appraisal council: who chairs, who takes the minutes, who else sits."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..choices import CouncilRole
from .base import BootstrapMixin


class CouncilForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Tên hội đồng"), max_length=255)
    decision_number = forms.CharField(label=_("Số quyết định thành lập"), max_length=60, required=False)
    chair = forms.ModelChoiceField(queryset=None, label=_("Chủ tịch hội đồng"), required=False)
    secretary = forms.ModelChoiceField(queryset=None, label=_("Thư ký"), required=False)
    members = forms.ModelMultipleChoiceField(queryset=None, label=_("Ủy viên"), required=False,
                                             widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(label=_("Lý do thay đổi thành phần"), max_length=500, required=False)

    def __init__(self, *args, eligible, recompose: bool, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("chair", "secretary", "members"):
            self.fields[name].queryset = eligible
            self.fields[name].label_from_instance = lambda u: u.get_full_name() or u.username
        if recompose:
            self.fields["reason"].required = True
            del self.fields["name"]
        else:
            del self.fields["reason"]
        self._style()

    def composition(self) -> list:
        """``[(user, role)]``; one person is counted once (the first role given wins)."""
        data, seen, members = self.cleaned_data, set(), []
        for user, role in ([(data.get("chair"), CouncilRole.CHAIR), (data.get("secretary"), CouncilRole.SECRETARY)]
                           + [(m, CouncilRole.MEMBER) for m in data.get("members") or ()]):
            if user is None:
                continue
            if user.pk in seen:
                self.add_error("members", _("Một người chỉ giữ một vai trò trong hội đồng."))
                continue
            seen.add(user.pk)
            members.append((user, role))
        return members
