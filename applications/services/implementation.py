"""Writes after the decision: contracts (and the start of implementation), disbursements,
progress reports and inspections."""


from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from khuyencong.errors import DomainConflict
from khuyencong.templatetags.kc import format_vnd

from .. import permissions, selectors
from ..choices import AttachmentKind, DisbursementKind, Milestone
from ..ledger import disbursed_total
from ..models import (
    Application,
    Attachment,
    Contract,
    Disbursement,
    Inspection,
    ProgressReport,
)
from ..permissions import require
from ..workflow import Record
from . import base
from .base import (
    _check_date,
    _check_money,
    _is_upload,
    _lock,
    _require_record,
    _save_record,
    _text,
    expect,
)
from .dossier import _attachment_create
from .transitions import _check_step, application_transition

# After the decision: contracts, disbursements, monitoring, acceptance, settlement.
#
# Every function locks the application row (``_lock`` scopes it with ``visible_to``: another
# province's application is Application.DoesNotExist), then checks the caller's role
# (PermissionDenied) and the state (DomainConflict) — in the order application_transition
# uses (state first) for the services that end in a transition — the input
# (ValidationError, every field at once) and the rules (DomainConflict with every reason),
# saves and records an event. Files arrive only after every other check has passed.


def _documents(application, user, documents, kind: str, errors: dict) -> list:
    """Attachments for a record: existing attachments of the application (objects or ids)
    and/or files uploaded in the same call (stored as ``kind``). Uploads happen only when
    every other check passed (``errors`` empty), so a refused call leaves no file behind."""
    existing, uploads, bad = [], [], []
    for document in documents or ():
        if _is_upload(document):
            uploads.append(document)
            continue
        existing.append(document.pk if isinstance(document, Attachment) else expect(document, int, "documents"))
    found = {a.pk: a for a in Attachment.objects.filter(application=application, pk__in=existing,
                                                        removed_at__isnull=True)}
    bad += [str(pk) for pk in existing if pk not in found]
    if bad:
        errors["documents"] = _("Tài liệu không thuộc hồ sơ đề án: %(d)s.") % {"d": ", ".join(bad)}
    if errors:
        return []
    attachments = [found[pk] for pk in existing]
    for upload in uploads:
        attachments.append(_attachment_create(application, user, kind=kind, uploaded_file=upload, field="documents"))
    return attachments


# Contracts and the start of implementation ----------------------------------------------------


def _check_schedule(schedule, value, approved: int, errors: dict) -> list[dict]:
    """The payment schedule of a contract: instalments ``{"milestone", "report" (progress
    reports only), "percent" | "amount"}``; percentages add up to at most 100 % and the
    instalments together stay within the approved amount."""
    cleaned, problems = [], []
    for index, raw in enumerate(schedule or (), start=1):
        raw = {k: v for k, v in raw.items() if v is not None}  # the API sends absent fields as null
        instalment = {"milestone": raw.get("milestone")}
        if instalment["milestone"] not in Milestone.values:
            problems.append(_("Đợt %(n)s: mốc thanh toán không hợp lệ (ký hợp đồng, sau báo cáo tiến độ, "
                              "sau nghiệm thu).") % {"n": index})
        if instalment["milestone"] == Milestone.PROGRESS_REPORT:
            instalment["report"] = expect(raw.get("report"), int, "payment_schedule.report") or 1
            if not 1 <= instalment["report"] <= 100:
                problems.append(_("Đợt %(n)s: số thứ tự báo cáo tiến độ từ 1 đến 100.") % {"n": index})
        percent = expect(raw.get("percent"), int, "payment_schedule.percent")
        amount = expect(raw.get("amount"), int, "payment_schedule.amount")
        if (percent is None) == (amount is None):
            problems.append(_("Đợt %(n)s: ghi tỷ lệ phần trăm hoặc số tiền (một trong hai).") % {"n": index})
            continue
        key, number = ("percent", percent) if percent is not None else ("amount", amount)
        if number <= 0 or (key == "percent" and number > 100):
            problems.append(_("Đợt %(n)s: tỷ lệ phải là số nguyên từ 1 đến 100.") % {"n": index} if key == "percent"
                            else _("Đợt %(n)s: số tiền phải là số nguyên dương (đồng).") % {"n": index})
            continue
        instalment[key] = number
        cleaned.append(instalment)
    percent_total = sum(i.get("percent", 0) for i in cleaned)
    if percent_total > 100:
        problems.append(_("Tổng tỷ lệ các đợt %(p)s%% vượt 100%% giá trị hợp đồng.") % {"p": percent_total})
    if value is not None and not problems:
        total = sum(selectors.instalment_amount(i, value) for i in cleaned)
        if total > approved:
            problems.append(_("Tổng các đợt thanh toán %(t)s vượt kinh phí được phê duyệt %(a)s.")
                            % {"t": format_vnd(total), "a": format_vnd(approved)})
    if problems:
        errors["payment_schedule"] = problems
    return cleaned


def _contract_create(application, user, *, number, signed_on, beneficiary, value, documents=(),
                     payment_schedule=()) -> Contract:
    errors = {}
    number = _text(number)
    if not number:
        errors["number"] = _("Cần số hợp đồng.")
    elif len(number) > 60:
        errors["number"] = _("Số hợp đồng tối đa 60 ký tự.")
    signed_on = _check_date(signed_on, "signed_on", errors)
    if signed_on and application.decision_date and signed_on < application.decision_date:
        errors["signed_on"] = _("Hợp đồng ký trước ngày quyết định phê duyệt (%(d)s).") % {
            "d": application.decision_date.strftime("%d/%m/%Y")}
    value = _check_money(value, "value", errors)
    schedule = _check_schedule(payment_schedule, value, application.approved_amount or 0, errors)
    beneficiary_id = getattr(beneficiary, "pk", beneficiary)
    establishment = None
    if beneficiary_id is None:
        errors["beneficiary"] = _("Chọn cơ sở thụ hưởng.")
    else:
        establishment = application.establishments.filter(pk=expect(beneficiary_id, int, "beneficiary")).first()
        if establishment is None:
            errors["beneficiary"] = _("Bên thụ hưởng phải là một cơ sở thụ hưởng của đề án.")
    attachments = _documents(application, user, documents, AttachmentKind.CONTRACT, errors)
    if errors:
        raise ValidationError(errors)
    contract = _save_record(Contract(application=application, number=number, signed_on=signed_on,
                                     implementing_organisation_id=application.implementing_organisation_id,
                                     beneficiary=establishment, value=value, payment_schedule=schedule,
                                     created_by=user), attachments)
    base.record_event(application, user, "contract_add",
                      payload={"contract": contract.pk, "number": number, "signed_on": signed_on.isoformat(),
                               "beneficiary": establishment.pk, "value": value, "payment_schedule": schedule,
                               "documents": [a.pk for a in attachments]})
    return contract


@transaction.atomic
def contract_add(*, user, application_id, number: str, signed_on, beneficiary, value: int,
                 documents=(), payment_schedule=()) -> Contract:
    """Record a contract (implementing organisation × one beneficiary of the scheme) of an
    approved or ongoing scheme. ``documents``: attachments of the application (or ids) and/or
    uploaded files (stored as contract attachments); ``payment_schedule``: the instalments it
    states (see ``Contract.payment_schedule``), or none for the default rule."""
    application = _lock(application_id, user)
    require(permissions.record(user, application))
    _require_record(application, Record.CONTRACT, _("ghi nhận hợp đồng"))
    return _contract_create(application, user, number=number, signed_on=signed_on, beneficiary=beneficiary,
                            value=value, documents=documents, payment_schedule=payment_schedule)


@transaction.atomic
def implementation_start(*, user, application_id, contracts: list[dict]) -> Application:
    """Record the contract(s) (``[{"number", "signed_on", "beneficiary", "value",
    "documents", "payment_schedule"}]``; may be empty when a contract is already recorded) and move the
    approved application to ``in_progress``, in one transaction."""
    application = _lock(application_id, user)
    _check_step(application, user, "start_implementation")
    require(permissions.record(user, application))
    errors = []
    for index, data in enumerate(contracts or []):
        if not isinstance(data, dict):
            errors.append(f"#{index + 1}: " + _("Hợp đồng không hợp lệ."))
            continue
        try:
            with transaction.atomic():
                _contract_create(application, user, number=data.get("number"), signed_on=data.get("signed_on"),
                                 beneficiary=data.get("beneficiary"), value=data.get("value"),
                                 documents=data.get("documents") or (),
                                 payment_schedule=data.get("payment_schedule") or ())
        except ValidationError as exc:
            errors.append(f"#{index + 1}: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()))
    if errors:
        raise ValidationError({"contracts": errors})
    return application_transition(user=user, application_id=application.pk, action="start_implementation")


# Disbursements ----------------------------------------------------------------------------------

def _disbursement_problems(application, kind: str, amount: int) -> list[str]:
    """The money rules, read under the application row lock (so concurrent disbursements
    of the same scheme are serialised and see each other's rows). Advances and payments
    alike: the total paid stays within what the schedule allows now (``payable_now``)."""
    problems = []
    approved = application.approved_amount or 0
    already = disbursed_total(application)
    if already + amount > approved:
        problems.append(_("Tổng đã chi %(d)s + %(a)s vượt kinh phí được phê duyệt %(p)s (còn chi được %(r)s).")
                        % {"d": format_vnd(already), "a": format_vnd(amount), "p": format_vnd(approved),
                           "r": format_vnd(max(approved - already, 0))})
    payable = selectors.payable_now(application)
    if payable.limit < approved and already + amount > payable.limit:
        problems.append(_("Đến thời điểm này chỉ được chi tổng cộng tối đa %(l)s (%(why)s); đã chi %(d)s, "
                          "còn chi được %(r)s.")
                        % {"l": format_vnd(payable.limit), "why": payable.reason, "d": format_vnd(already),
                           "r": format_vnd(payable.available)})
    return problems


def _disbursement_create(application, user, *, kind, amount, paid_on, reference, note="", documents=()) -> Disbursement:
    errors = {}
    amount = _check_money(amount, "amount", errors)
    paid_on = _check_date(paid_on, "paid_on", errors)
    if paid_on and application.decision_date and paid_on < application.decision_date:
        errors["paid_on"] = _("Ngày chi trước ngày quyết định phê duyệt (%(d)s).") % {
            "d": application.decision_date.strftime("%d/%m/%Y")}
    reference = _text(reference)
    if not reference:
        errors["reference"] = _("Cần số chứng từ.")
    elif len(reference) > 60:
        errors["reference"] = _("Số chứng từ tối đa 60 ký tự.")
    note = _text(note)
    if len(note) > 255:
        errors["note"] = _("Ghi chú tối đa 255 ký tự.")
    if errors:
        raise ValidationError(errors)
    problems = _disbursement_problems(application, kind, amount)
    if problems:
        raise DomainConflict(_("Không thể ghi khoản chi:"), problems)
    attachments = _documents(application, user, documents, AttachmentKind.VOUCHER, errors)
    if errors:
        raise ValidationError(errors)
    disbursement = _save_record(Disbursement(application=application, kind=kind, amount=amount, paid_on=paid_on,
                                             reference=reference, note=note, created_by=user), attachments)
    base.record_event(
        application,
        user,
        "disbursement_add",
        payload={
            "disbursement": disbursement.pk,
            "kind": kind,
            "amount": amount,
            "paid_on": paid_on.isoformat(),
            "reference": reference,
            "disbursed_total": disbursed_total(application),
            "documents": [a.pk for a in attachments],
        },
    )
    return disbursement


@transaction.atomic
def disbursement_add(*, user, application_id, kind: str, amount: int, paid_on, reference: str, note: str = "",
                     documents=()) -> Disbursement:
    """Record an advance (tạm ứng, while in progress) or a payment (in progress, completed or
    accepted). Before the first milestone (a progress report, or the acceptance) the total
    paid is limited to the activity type's share of the approved amount, however it is split;
    a contract's payment schedule limits it to the instalments due; the total disbursed never
    exceeds the approved amount. The final payment is
    made only through ``application_settle``."""
    application = _lock(application_id, user)
    require(permissions.record(user, application))
    if kind == DisbursementKind.FINAL:
        raise ValidationError({"kind": _("Khoản thanh toán cuối chỉ được ghi khi quyết toán.")})
    if kind not in (DisbursementKind.ADVANCE, DisbursementKind.PAYMENT):
        raise ValidationError({"kind": _("Loại khoản chi không hợp lệ (tạm ứng hoặc thanh toán).")})
    what = _("tạm ứng") if kind == DisbursementKind.ADVANCE else _("ghi khoản thanh toán")
    _require_record(application, kind, what)  # the disbursement kinds are records of the workflow
    return _disbursement_create(application, user, kind=kind, amount=amount, paid_on=paid_on, reference=reference,
                                note=note, documents=documents)


# Monitoring ---------------------------------------------------------------------------------------


@transaction.atomic
def progress_report_add(*, user, application_id, period_start, period_end, percent_done: int, narrative: str,
                        documents=()) -> ProgressReport:
    """A progress report of an ongoing (or suspended) scheme."""
    application = _lock(application_id, user)
    require(permissions.record(user, application))
    _require_record(application, Record.PROGRESS_REPORT, _("báo cáo tiến độ"))
    errors = {}
    period_start = _check_date(period_start, "period_start", errors)
    period_end = _check_date(period_end, "period_end", errors, not_future=False)
    if period_start and period_end and period_end < period_start:
        errors["period_end"] = _("Ngày cuối kỳ phải sau ngày đầu kỳ.")
    percent = expect(percent_done, int, "percent_done")
    if percent is None:
        errors["percent_done"] = _("Khối lượng hoàn thành phải là số nguyên từ 0 đến 100.")
    elif not 0 <= percent <= 100:
        errors["percent_done"] = _("Khối lượng hoàn thành từ 0 đến 100 %.")
    narrative = _text(narrative)
    if not narrative:
        errors["narrative"] = _("Cần nội dung báo cáo.")
    attachments = _documents(application, user, documents, AttachmentKind.PROGRESS, errors)
    if errors:
        raise ValidationError(errors)
    report = _save_record(ProgressReport(application=application, period_start=period_start, period_end=period_end,
                                         percent_done=percent, narrative=narrative, reported_by=user), attachments)
    base.record_event(application, user, "progress_report_add",
                      payload={"progress_report": report.pk, "period_start": period_start.isoformat(),
                               "period_end": period_end.isoformat(), "percent_done": percent,
                               "documents": [a.pk for a in attachments]})
    return report


@transaction.atomic
def inspection_add(*, user, application_id, inspected_on, inspectors: str, findings: str,
                   documents=()) -> Inspection:
    """A field inspection of an ongoing, suspended or completed scheme."""
    application = _lock(application_id, user)
    require(permissions.record(user, application))
    _require_record(application, Record.INSPECTION, _("ghi kiểm tra thực địa"))
    errors = {}
    inspected_on = _check_date(inspected_on, "inspected_on", errors)
    inspectors = _text(inspectors)
    if not inspectors:
        errors["inspectors"] = _("Cần thành phần đoàn kiểm tra.")
    elif len(inspectors) > 500:
        errors["inspectors"] = _("Thành phần đoàn kiểm tra tối đa 500 ký tự.")
    findings = _text(findings)
    if not findings:
        errors["findings"] = _("Cần kết quả kiểm tra.")
    attachments = _documents(application, user, documents, AttachmentKind.INSPECTION, errors)
    if errors:
        raise ValidationError(errors)
    inspection = _save_record(Inspection(application=application, inspected_on=inspected_on, inspectors=inspectors,
                                         findings=findings, created_by=user), attachments)
    base.record_event(application, user, "inspection_add",
                      payload={"inspection": inspection.pk, "inspected_on": inspected_on.isoformat(),
                               "documents": [a.pk for a in attachments]})
    return inspection
