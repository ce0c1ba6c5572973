"""Forms of the officer workspace. They only parse and check input; the services write."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programs.choices import FundSource
from programs.models import ActivityType, Call, Programme
from provinces.models import Commune, Organisation, Province

from .choices import AcceptanceResult, AttachmentKind, ChangeKind, DisbursementKind
from .models import Establishment, validate_tax_code
from .services import ESTABLISHMENT_FIELDS


def add_service_errors(form, exc: ValidationError, *, aliases=None) -> list[str]:
    """Put a service's ValidationError on the form's fields; keys the form has no field
    for become non-field errors. Returns the messages that were not attached to a field."""
    aliases = aliases or {}
    loose = []
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            key = aliases.get(key, key)
            if key in form.fields:
                for message in errors:
                    form.add_error(key, message)
            else:
                loose.extend(errors)
    else:
        loose.extend(exc.messages)
    for message in loose:
        form.add_error(None, message)
    return loose


class BootstrapMixin:
    """Bootstrap classes on every widget (the templates render fields as they are)."""

    def _style(self):
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
                continue
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


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
    requested_support = forms.IntegerField(label=_("Kinh phí khuyến công đề nghị (đồng)"), min_value=0)
    counterpart_funds = forms.IntegerField(label=_("Vốn đối ứng (đồng)"), min_value=0, initial=0)
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
                field.error_messages["invalid_choice"] = _("Lựa chọn không hợp lệ hoặc không thuộc tỉnh/thành của đề án.")
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
    quantity = forms.DecimalField(label=_("Số lượng"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2)
    unit = forms.CharField(label=_("Đơn vị tính"), max_length=30)
    unit_cost = forms.IntegerField(label=_("Đơn giá (đồng)"), min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quantity"].widget.attrs.update({"step": "0.01", "data-cost": "quantity"})
        self.fields["unit_cost"].widget.attrs.update({"step": "1", "data-cost": "unit_cost"})
        self._style()
        for field in self.fields.values():
            field.widget.attrs["class"] += " form-control-sm"


class BaseCostLineFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        lines = [f for f in self.forms if f.cleaned_data and not self._should_delete_form(f)]
        if not lines:
            raise ValidationError(_("Nhập ít nhất một dòng dự toán kinh phí."))

    def lines(self) -> list[dict]:
        return [{"item": f.cleaned_data["item"], "quantity": f.cleaned_data["quantity"], "unit": f.cleaned_data["unit"],
                 "unit_cost": f.cleaned_data["unit_cost"]}
                for f in self.forms if f.cleaned_data and not self._should_delete_form(f)]


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
    approved_amount = forms.IntegerField(label=_("Kinh phí phê duyệt (đồng)"), min_value=1, required=False)

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
                label=criterion.name, min_value=0, max_value=criterion.max_score, max_digits=5, decimal_places=2,
                initial=old.score if old else None,
                error_messages={"max_value": _("Điểm tối đa của tiêu chí này là %(limit_value)s."),
                                "min_value": _("Điểm không được âm.")})
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label=_("Nhận xét"), required=False, initial=old.comment if old else "",
                widget=forms.Textarea(attrs={"rows": 1}))
        self._style()

    def rows(self):
        for criterion in self.criteria:
            yield criterion, self[f"score_{criterion.pk}"], self[f"comment_{criterion.pk}"]

    def scores(self) -> dict:
        return {c.pk: {"score": self.cleaned_data[f"score_{c.pk}"], "comment": self.cleaned_data[f"comment_{c.pk}"]}
                for c in self.criteria}



# --- After the decision: records of implementation --------------------------------------------
# Fields are optional here: the services check every rule (and say what is missing) in one
# pass, so the page lists every problem at once. Form fields only parse the values.


def _document_field(label):
    return forms.FileField(label=label, required=False, help_text=_("PDF, ảnh JPEG/PNG, DOCX, XLSX."))


class RecordForm(BootstrapMixin, forms.Form):
    """Base of the record forms: Bootstrap widgets and today's date as the default."""

    date_fields: tuple = ()

    def __init__(self, *args, application=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.application = application
        for name in self.date_fields:
            self.fields[name].initial = timezone.localdate()
        self._style()

    def documents(self) -> list:
        upload = self.cleaned_data.get("document")
        return [upload] if upload else []


class ContractForm(RecordForm):
    number = forms.CharField(label=_("Số hợp đồng"), max_length=60, required=False)
    signed_on = forms.DateField(label=_("Ngày ký"), required=False, widget=DateInput())
    beneficiary = forms.TypedChoiceField(label=_("Bên thụ hưởng"), coerce=int, required=False, empty_value=None)
    value = forms.IntegerField(label=_("Giá trị hợp đồng (đồng)"), required=False)
    document = _document_field(_("Bản hợp đồng (tùy chọn)"))
    date_fields = ("signed_on",)

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, application=application, **kwargs)
        choices = [(e.pk, e.name) for e in application.establishments.order_by("name")]
        self.fields["beneficiary"].choices = [("", _("— Chọn cơ sở thụ hưởng —")), *choices]
        if len(choices) == 1:
            self.fields["beneficiary"].initial = choices[0][0]
        if application.approved_amount:
            self.fields["value"].initial = application.approved_amount
        self.fields["beneficiary"].widget.attrs["class"] = "form-select"

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"number": data["number"], "signed_on": data["signed_on"], "beneficiary": data["beneficiary"],
                "value": data["value"], "documents": self.documents()}


class DisbursementForm(RecordForm):
    kind = forms.ChoiceField(label=_("Loại khoản chi"), choices=[
        (DisbursementKind.ADVANCE, DisbursementKind.ADVANCE.label),
        (DisbursementKind.PAYMENT, DisbursementKind.PAYMENT.label)])
    amount = forms.IntegerField(label=_("Số tiền (đồng)"), required=False)
    paid_on = forms.DateField(label=_("Ngày chi"), required=False, widget=DateInput())
    reference = forms.CharField(label=_("Số chứng từ"), max_length=60, required=False)
    note = forms.CharField(label=_("Ghi chú"), max_length=255, required=False)
    document = _document_field(_("Chứng từ (tùy chọn)"))
    date_fields = ("paid_on",)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"kind": data["kind"], "amount": data["amount"], "paid_on": data["paid_on"],
                "reference": data["reference"], "note": data["note"], "documents": self.documents()}


class ProgressReportForm(RecordForm):
    period_start = forms.DateField(label=_("Từ ngày"), required=False, widget=DateInput())
    period_end = forms.DateField(label=_("Đến ngày"), required=False, widget=DateInput())
    percent_done = forms.IntegerField(label=_("Khối lượng hoàn thành (%)"), required=False)
    narrative = forms.CharField(label=_("Nội dung báo cáo"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    document = _document_field(_("Tài liệu, hình ảnh (tùy chọn)"))
    date_fields = ("period_end",)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"period_start": data["period_start"], "period_end": data["period_end"],
                "percent_done": data["percent_done"], "narrative": data["narrative"], "documents": self.documents()}


class InspectionForm(RecordForm):
    inspected_on = forms.DateField(label=_("Ngày kiểm tra"), required=False, widget=DateInput())
    inspectors = forms.CharField(label=_("Thành phần đoàn kiểm tra"), max_length=500, required=False)
    findings = forms.CharField(label=_("Kết quả kiểm tra"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    document = _document_field(_("Biên bản kiểm tra (tùy chọn)"))
    date_fields = ("inspected_on",)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"inspected_on": data["inspected_on"], "inspectors": data["inspectors"],
                "findings": data["findings"], "documents": self.documents()}


class ChangeRequestForm(RecordForm):
    kind = forms.ChoiceField(label=_("Loại điều chỉnh"),
                             choices=[(ChangeKind.SCHEDULE, ChangeKind.SCHEDULE.label),
                                      (ChangeKind.AMOUNT, ChangeKind.AMOUNT.label)],
                             help_text=_("Điều chỉnh dự toán chi tiết: qua API."))
    description = forms.CharField(label=_("Nội dung, lý do"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    new_start_date = forms.DateField(label=_("Ngày bắt đầu mới"), required=False, widget=DateInput())
    new_end_date = forms.DateField(label=_("Ngày kết thúc mới"), required=False, widget=DateInput())
    new_approved_amount = forms.IntegerField(label=_("Kinh phí mới (đồng)"), required=False,
                                             help_text=_("Chỉ với điều chỉnh kinh phí."))

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"kind": data["kind"], "description": data["description"], "new_start_date": data["new_start_date"],
                "new_end_date": data["new_end_date"], "new_approved_amount": data["new_approved_amount"]}


class ChangeDecisionForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("Ý kiến"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class StartImplementationForm(ContractForm):
    """The start of implementation records its contract (one here; more through the API)."""


class CompletionForm(RecordForm):
    report_file = forms.FileField(label=_("Báo cáo hoàn thành"), required=False,
                                  help_text=_("PDF, ảnh JPEG/PNG, DOCX, XLSX."))
    narrative = forms.CharField(label=_("Tóm tắt kết quả"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def service_arguments(self) -> dict:
        return {"report_file": self.cleaned_data["report_file"], "narrative": self.cleaned_data["narrative"]}


class AcceptanceForm(RecordForm):
    accepted_on = forms.DateField(label=_("Ngày nghiệm thu"), required=False, widget=DateInput())
    committee_members = forms.CharField(label=_("Thành phần hội đồng nghiệm thu"), required=False,
                                        widget=forms.Textarea(attrs={"rows": 2}))
    result = forms.ChoiceField(label=_("Kết quả"), choices=AcceptanceResult.choices)
    conditions = forms.CharField(label=_("Điều kiện kèm theo"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    achieved_jobs = forms.IntegerField(label=_("Việc làm tạo ra"), required=False)
    achieved_trainees = forms.IntegerField(label=_("Số học viên"), required=False)
    machinery_installed = forms.CharField(label=_("Máy móc, thiết bị đã lắp đặt"), required=False)
    minutes_file = forms.FileField(label=_("Biên bản nghiệm thu"), required=False,
                                   help_text=_("Không cần nếu hồ sơ đã có biên bản nghiệm thu."))
    date_fields = ("accepted_on",)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {name: data[name] for name in ("accepted_on", "committee_members", "result", "conditions",
                                              "achieved_jobs", "achieved_trainees", "machinery_installed",
                                              "minutes_file")}


class SettlementForm(RecordForm):
    settled_amount = forms.IntegerField(label=_("Kinh phí quyết toán (đồng)"), required=False)
    final_payment_amount = forms.IntegerField(label=_("Thanh toán cuối khi quyết toán (đồng)"), required=False,
                                              help_text=_("Để trống nếu đã chi đủ."))
    final_payment_reference = forms.CharField(label=_("Số chứng từ thanh toán cuối"), max_length=60, required=False)
    decision_number = forms.CharField(label=_("Số quyết định quyết toán"), max_length=60, required=False)
    decision_date = forms.DateField(label=_("Ngày quyết định"), required=False, widget=DateInput())
    date_fields = ("decision_date",)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"settled_amount": data["settled_amount"], "final_payment_amount": data["final_payment_amount"] or 0,
                "final_payment_reference": data["final_payment_reference"],
                "decision_number": data["decision_number"], "decision_date": data["decision_date"]}


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
