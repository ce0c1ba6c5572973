"""Forms of the records after the decision and of the steps that need them first."""


from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khuyencong.money import MoneyField

from ..choices import AcceptanceResult, ChangeKind, DisbursementKind
from .base import BootstrapMixin, DateInput

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
    value = MoneyField(label=_("Giá trị hợp đồng (đồng)"), required=False)
    # The payment schedule, as percentages of the contract value due at each milestone (the
    # API also takes amounts and later progress reports); all empty: the default rule.
    schedule_signing = forms.IntegerField(label=_("Tạm ứng khi ký hợp đồng (%)"), required=False)
    schedule_report_1 = forms.IntegerField(label=_("Sau báo cáo tiến độ số 1 (%)"), required=False)
    schedule_report_2 = forms.IntegerField(label=_("Sau báo cáo tiến độ số 2 (%)"), required=False)
    schedule_acceptance = forms.IntegerField(
        label=_("Sau nghiệm thu (%)"), required=False,
        help_text=_("Lịch thanh toán theo hợp đồng, tỷ lệ % giá trị hợp đồng, cộng lại không quá 100 %. Để trống: "
                    "tổng tạm ứng không quá tỷ lệ tạm ứng của nội dung cho đến báo cáo tiến độ đầu tiên hoặc "
                    "nghiệm thu."))
    document = _document_field(_("Bản hợp đồng (tùy chọn)"))
    date_fields = ("signed_on",)
    schedule_fields = (("schedule_signing", {"milestone": "signing"}),
                       ("schedule_report_1", {"milestone": "progress_report", "report": 1}),
                       ("schedule_report_2", {"milestone": "progress_report", "report": 2}),
                       ("schedule_acceptance", {"milestone": "acceptance"}))

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
        schedule = [{**milestone, "percent": data[name]} for name, milestone in self.schedule_fields
                    if data.get(name) is not None]
        return {"number": data["number"], "signed_on": data["signed_on"], "beneficiary": data["beneficiary"],
                "value": data["value"], "documents": self.documents(), "payment_schedule": schedule}


class DisbursementForm(RecordForm):
    kind = forms.ChoiceField(label=_("Loại khoản chi"), choices=[
        (DisbursementKind.ADVANCE, DisbursementKind.ADVANCE.label),
        (DisbursementKind.PAYMENT, DisbursementKind.PAYMENT.label)])
    amount = MoneyField(label=_("Số tiền (đồng)"), required=False)
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
    new_approved_amount = MoneyField(label=_("Kinh phí mới (đồng)"), required=False,
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
    settled_amount = MoneyField(label=_("Kinh phí quyết toán (đồng)"), required=False)
    final_payment_amount = MoneyField(label=_("Thanh toán cuối khi quyết toán (đồng)"), required=False,
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
