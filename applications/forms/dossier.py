"""Forms of the dossier: the application, its cost lines, an attachment, a workflow action."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khuyencong.limits import MAX_QUANTITY
from khuyencong.money import MoneyField
from programs.models import ActivityType, Call, Programme
from provinces.models import Organisation

from ..choices import AttachmentKind
from ..models import Establishment
from .base import BootstrapMixin, DateInput

# --- Applications -----------------------------------------------------------------------------


class ApplicationForm(BootstrapMixin, forms.Form):
    """The dossier of a draft: everything but the cost lines (a formset) and attachments."""

    programme = forms.ModelChoiceField(queryset=Programme.objects.none(), label=_("Chương trình"))
    call = forms.ModelChoiceField(queryset=Call.objects.none(), label=_("Đợt tiếp nhận"), required=False)
    activity_type = forms.ModelChoiceField(queryset=ActivityType.objects.filter(is_active=True),
                                           label=_("Nội dung khuyến công"))
    implementing_organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(),
                                                       label=_("Đơn vị thực hiện"))
    establishments = forms.ModelMultipleChoiceField(
        queryset=Establishment.objects.none(), label=_("Cơ sở thụ hưởng"),
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Giữ Ctrl (Cmd trên máy Mac) để chọn nhiều cơ sở."))
    title = forms.CharField(label=_("Tên đề án"), max_length=300)
    objectives = forms.CharField(label=_("Mục tiêu"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    start_date = forms.DateField(label=_("Ngày bắt đầu"), required=False, widget=DateInput())
    end_date = forms.DateField(label=_("Ngày kết thúc"), required=False, widget=DateInput())
    requested_support = MoneyField(label=_("Kinh phí khuyến công đề nghị (đồng)"), min_value=0)
    counterpart_funds = MoneyField(label=_("Vốn đối ứng (đồng)"), min_value=0, initial=0)
    expected_jobs = forms.IntegerField(label=_("Việc làm dự kiến"), min_value=0, required=False)
    expected_trainees = forms.IntegerField(label=_("Số học viên dự kiến"), min_value=0, required=False)
    expected_capacity = forms.CharField(label=_("Năng lực sản xuất tăng thêm"), max_length=255, required=False)

    def __init__(self, *args, user, province, **kwargs):
        super().__init__(*args, **kwargs)
        self.province = province
        self.fields["programme"].queryset = (Programme.objects.visible_to(user).filter(is_active=True)
                                             .filter(Q(province=province) | Q(province__isnull=True)))
        self.fields["call"].queryset = Call.objects.visible_to(user).filter(province=province).select_related(
            "programme")
        self.fields["implementing_organisation"].queryset = Organisation.objects.filter(province=province)
        self.fields["establishments"].queryset = Establishment.objects.visible_to(user).filter(
            province=province, is_active=True)
        for name, field in self.fields.items():
            if isinstance(field, forms.ModelChoiceField):
                field.error_messages["invalid_choice"] = _(
                    "Lựa chọn không hợp lệ hoặc không thuộc tỉnh/thành của đề án.")
            if name == "establishments":
                field.error_messages["invalid_choice"] = _("Cơ sở %(value)s không thuộc danh sách được chọn.")
        self._style()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("Ngày kết thúc phải sau ngày bắt đầu."))
        programme, call = cleaned.get("programme"), cleaned.get("call")
        if programme and call and call.programme_id != programme.pk:
            self.add_error("call", _("Đợt tiếp nhận không thuộc chương trình đã chọn."))
        return cleaned

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "establishments"}
        data["fund_source"] = data["programme"].fund_source
        for key in ("objectives", "expected_capacity"):
            data[key] = data.get(key) or ""
        return data


class CostLineForm(BootstrapMixin, forms.Form):
    item = forms.CharField(label=_("Nội dung chi"), max_length=255)
    quantity = forms.DecimalField(label=_("Số lượng"), min_value=Decimal("0.01"), max_value=MAX_QUANTITY,
                                  max_digits=12, decimal_places=2)
    unit = forms.CharField(label=_("Đơn vị tính"), max_length=30)
    unit_cost = MoneyField(label=_("Đơn giá (đồng)"), min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quantity"].widget.attrs.update({"step": "0.01", "data-cost": "quantity"})
        self.fields["unit_cost"].widget.attrs.update({"data-cost": "unit_cost", "data-no-words": "1"})
        self._style()
        for field in self.fields.values():
            field.widget.attrs["class"] += " form-control-sm"
            # The table's header is the visible label; the cell's input is named for screen readers.
            field.widget.attrs.setdefault("aria-label", str(field.label))


class BaseCostLineFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        lines = [f for f in self.forms if f.cleaned_data and not self._should_delete_form(f)]
        if not lines:
            raise ValidationError(_("Nhập ít nhất một dòng dự toán kinh phí."))

    def line_forms(self) -> list:
        """The forms of the lines kept, in the order ``lines`` gives them to the service."""
        return [f for f in self.forms if f.cleaned_data and not self._should_delete_form(f)]

    def lines(self) -> list[dict]:
        return [{"item": f.cleaned_data["item"], "quantity": f.cleaned_data["quantity"], "unit": f.cleaned_data["unit"],
                 "unit_cost": f.cleaned_data["unit_cost"]} for f in self.line_forms()]


CostLineFormSet = forms.formset_factory(CostLineForm, formset=BaseCostLineFormSet, extra=0, can_delete=True,
                                        max_num=200, validate_max=True)


# --- Attachments, transitions, appraisal ----------------------------------------------------------


class AttachmentForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Loại tài liệu"), choices=AttachmentKind.choices)
    file = forms.FileField(label=_("Tệp (PDF, JPEG/PNG, DOCX, XLSX)"))
    description = forms.CharField(label=_("Mô tả"), max_length=255, required=False)

    def __init__(self, *args, only_other=False, **kwargs):
        super().__init__(*args, **kwargs)
        if only_other:
            self.fields["kind"].choices = [(AttachmentKind.OTHER, AttachmentKind.OTHER.label)]
        self._style()


class TransitionForm(BootstrapMixin, forms.Form):
    """The inputs an action needs: a reason, a decision (number and date), an amount."""

    reason = forms.CharField(label=_("Lý do / ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    decision_number = forms.CharField(label=_("Số quyết định"), max_length=60, required=False)
    decision_date = forms.DateField(label=_("Ngày quyết định"), required=False, widget=DateInput())
    approved_amount = MoneyField(label=_("Kinh phí phê duyệt (đồng)"), min_value=1, required=False)

    def __init__(self, *args, transition, **kwargs):
        super().__init__(*args, **kwargs)
        self.transition = transition
        if transition.requires_reason:
            self.fields["reason"].required = True
            self.fields["reason"].label = _("Lý do")
        if transition.requires_decision:
            self.fields["decision_number"].required = True
            self.fields["decision_date"].required = True
            self.fields["decision_date"].initial = timezone.localdate()
        else:
            del self.fields["decision_number"], self.fields["decision_date"]
        if transition.requires_amount:
            self.fields["approved_amount"].required = True
        else:
            del self.fields["approved_amount"]
        self._style()

    def clean_decision_date(self):
        value = self.cleaned_data.get("decision_date")
        if value and value > timezone.localdate():
            raise ValidationError(_("Ngày quyết định không được ở tương lai."))
        return value

    @property
    def needs_input(self) -> bool:
        t = self.transition
        return t.requires_reason or t.requires_decision or t.requires_amount
