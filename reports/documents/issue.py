"""Issuing a document: the next number of the issuer's register for the year (under a row
lock: consecutive, no gap, no duplicate), the issue date and the named signer fixed, the
file rendered once and frozen with its SHA-256. Nothing is written when any step fails."""

import hashlib
import secrets
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khuyencong.errors import DomainConflict

from ..choices import RunStatus
from ..models import ReportRun
from .layout import SignatureBlock
from .models import DocType, DocumentKind, OfficialDocument, RegisterMode, RegisterYear, Signer
from .registry import can_manage, register_get_or_create

# Crockford's base32 without look-alikes: a code read aloud or typed from paper.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(10))


def _locked_year(register, year: int) -> RegisterYear:
    """The register's counter for ``year``, locked until the transaction ends (created at
    the first issue of the year: numbering restarts on 1 January)."""
    RegisterYear.objects.bulk_create([RegisterYear(register=register, year=year)], ignore_conflicts=True)
    return RegisterYear.objects.select_for_update().get(register=register, year=year)


def _signer(organisation, signer_id) -> Signer:
    if not signer_id:
        raise ValidationError({"signer": _("Chọn người ký trước khi ban hành.")})
    signer = Signer.objects.filter(pk=signer_id, organisation=organisation, is_active=True).first()
    if signer is None:
        raise ValidationError({"signer": _("Người ký không thuộc danh sách người ký đang hoạt động của cơ quan.")})
    return signer


def _replaced(organisation, replaces_id):
    if not replaces_id:
        return None
    old = OfficialDocument.objects.filter(pk=replaces_id, organisation=organisation).first()
    if old is None:
        raise ValidationError({"replaces": _("Văn bản bị thay thế không phải văn bản đã ban hành của cơ quan.")})
    if OfficialDocument.objects.filter(replaces=old).exists():
        raise ValidationError({"replaces": _("Văn bản %(number)s đã được thay thế bởi một văn bản khác.") % {
            "number": old.number_text}})
    return old


def _take_number(register, counter: RegisterYear, number) -> int:
    if register.mode == RegisterMode.PORTAL:
        return counter.last_number + 1
    # The clerical office gave the number: record it, refuse one already taken this year.
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise ValidationError({"number": _(
            "Sổ này ghi số do văn thư cấp: nhập số văn bản (số nguyên dương).")}) from None
    if number <= 0:
        raise ValidationError({"number": _("Số văn bản phải là số nguyên dương.")})
    if OfficialDocument.objects.filter(register=register, year=counter.year, number=number).exists():
        raise ValidationError({"number": _("Số %(number)s/%(symbol)s năm %(year)s đã được dùng.") % {
            "number": number, "symbol": register.symbol, "year": counter.year}})
    return number


def report_issue(*, user, run_id: int, signer_id, number=None, replaces_id=None,
                 today: date | None = None) -> OfficialDocument:
    """Issue the report of a finished run. Raises ObjectDoesNotExist (not visible),
    PermissionDenied (not an approver of the issuer), DomainConflict (not finished, already
    issued) or ValidationError (signer, number, replaced document); then nothing changes."""
    from ..renderers.pdf import render_pdf
    from .report import IssueFacts, build, issuer_of

    run = ReportRun.objects.visible_to(user).select_related("province", "region").get(pk=run_id)
    organisation = issuer_of(run)
    allowed, reason = can_manage(user, organisation)
    if not allowed:
        raise PermissionDenied(reason)
    if run.status != RunStatus.SUCCEEDED:
        raise DomainConflict(_("Chỉ ban hành được báo cáo đã lập xong."))
    signer = _signer(organisation, signer_id)
    old = _replaced(organisation, replaces_id)
    register = register_get_or_create(organisation=organisation, doc_type=DocType.REPORT)
    issued_on = today or timezone.localdate()
    stored = None
    try:
        with transaction.atomic():
            counter = _locked_year(register, issued_on.year)
            existing = OfficialDocument.objects.filter(report_run=run).first()
            if existing is not None:
                raise DomainConflict(_("Báo cáo này đã được ban hành (số %(number)s ngày %(date)s); văn bản đã "
                                       "ban hành không thay đổi được, muốn đính chính hãy lập báo cáo mới thay thế "
                                       "nó.") % {"number": existing.number_text,
                                                 "date": existing.issued_on.strftime("%d/%m/%Y")})
            taken = _take_number(register, counter, number)
            code = new_verification_code()
            facts = IssueFacts(symbol=register.symbol, number=taken, issued_on=issued_on,
                               signature=SignatureBlock(lines=signer.block_lines(), name=signer.full_name),
                               replaces=(f"số {old.number_text} ngày {old.issued_on.strftime('%d/%m/%Y')}"
                                         if old else ""),
                               verification=verification_facts(code))
            document = build(run, issue=facts)
            content = render_pdf(document)
            doc = OfficialDocument(
                organisation=organisation, province=organisation.province, register=register,
                kind=DocumentKind.REPORT, report_run=run, year=issued_on.year, number=taken, symbol=register.symbol,
                subject=document.subject[:500], issued_on=issued_on, issued_by=user, signer=signer,
                signer_name=signer.full_name, signer_lines=signer.block_lines(), replaces=old,
                size=len(content), sha256=hashlib.sha256(content).hexdigest(), verification_code=code)
            stored = default_storage.save(
                f"documents/{organisation.pk}/{issued_on.year}/{taken:04d}-{register.symbol.replace(' ', '')}-"
                f"{document.file_stem}.pdf", ContentFile(content))
            doc.file = stored
            doc.save()
            counter.last_number = max(counter.last_number, taken)
            counter.save(update_fields=["last_number"])
    except BaseException:
        if stored:
            default_storage.delete(stored)
        raise
    return doc


def verification_facts(code: str) -> dict:
    """The short code printed on an issued document, with the path of its public page."""
    from django.urls import reverse

    return {"code": code, "path": reverse("document-verify", kwargs={"code": code})}
