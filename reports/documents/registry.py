"""Writes and reads of the register of outgoing documents (sổ văn bản đi) and of the
signers: who may configure them (the organisation's approvers), the symbols, the default
registers."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from provinces.choices import OrganisationKind, Role
from provinces.models import Membership, Organisation

from .models import DOC_TYPE_PREFIX, Delegation, DocType, DocumentRegister, RegisterMode, Signer

APPROVER_ROLES = (Role.PROVINCE_APPROVER, Role.AGENCY_APPROVER)
# The part of a symbol after the document type's abbreviation, per kind of organisation.
ISSUER_SUFFIX = {OrganisationKind.AGENCY: "KC", OrganisationKind.DEPARTMENT: "SCT", OrganisationKind.CENTRE: "TTKC"}


def default_symbol(organisation: Organisation, doc_type: str) -> str:
    return f"{DOC_TYPE_PREFIX[doc_type]}-{ISSUER_SUFFIX.get(organisation.kind, 'KC')}"


def report_symbol(organisation: Organisation) -> str:
    """The symbol a draft report of ``organisation`` prints (its register's, or the default)."""
    symbol = (DocumentRegister.objects.filter(organisation=organisation, doc_type=DocType.REPORT)
              .values_list("symbol", flat=True).first())
    return symbol or default_symbol(organisation, DocType.REPORT)


def managed_organisations(user):
    """The organisations whose registers and signers ``user`` configures and whose
    documents they issue: those where they are an active approver (superusers: all)."""
    if getattr(user, "is_superuser", False):
        return Organisation.objects.filter(kind__in=list(ISSUER_SUFFIX))
    ids = Membership.objects.filter(user=user, is_active=True, role__in=APPROVER_ROLES).values("organisation_id")
    return Organisation.objects.filter(pk__in=ids)


def can_manage(user, organisation: Organisation) -> tuple[bool, str]:
    if managed_organisations(user).filter(pk=organisation.pk).exists():
        return True, ""
    return False, _("Chỉ lãnh đạo của %(org)s được ban hành văn bản và cấu hình sổ văn bản, người ký.") % {
        "org": organisation.name}


def _require(user, organisation) -> None:
    allowed, reason = can_manage(user, organisation)
    if not allowed:
        raise PermissionDenied(reason)


def register_get_or_create(*, organisation: Organisation, doc_type: str) -> DocumentRegister:
    """The organisation's register of ``doc_type`` (created with the default symbol)."""
    register = DocumentRegister.objects.filter(organisation=organisation, doc_type=doc_type).first()
    if register:
        return register
    try:
        with transaction.atomic():
            return DocumentRegister.objects.create(organisation=organisation, province=organisation.province,
                                                   doc_type=doc_type, symbol=default_symbol(organisation, doc_type))
    except IntegrityError:  # created meanwhile by a parallel issue
        return DocumentRegister.objects.get(organisation=organisation, doc_type=doc_type)


def _clean_symbol(symbol: str) -> str:
    symbol = " ".join((symbol or "").split()).upper()
    if not symbol:
        raise ValidationError({"symbol": _("Nhập ký hiệu văn bản, ví dụ BC-SCT.")})
    if "/" in symbol or len(symbol) > 30:
        raise ValidationError({"symbol": _("Ký hiệu không chứa dấu “/” và dài tối đa 30 ký tự.")})
    return symbol


def register_save(*, user, organisation: Organisation, doc_type: str, symbol: str,
                  mode: str = RegisterMode.PORTAL) -> DocumentRegister:
    """Set the symbol and numbering mode of an organisation's register of ``doc_type``
    (creating it). A symbol another register of the organisation uses is refused."""
    _require(user, organisation)
    if doc_type not in DocType.values:
        raise ValidationError({"doc_type": _("Loại văn bản không hợp lệ.")})
    if mode not in RegisterMode.values:
        raise ValidationError({"mode": _("Cách cấp số không hợp lệ.")})
    symbol = _clean_symbol(symbol)
    with transaction.atomic():
        register = (DocumentRegister.objects.select_for_update()
                    .filter(organisation=organisation, doc_type=doc_type).first())
        if DocumentRegister.objects.filter(organisation=organisation, symbol=symbol).exclude(
                pk=register.pk if register else None).exists():
            raise ValidationError({"symbol": _("Ký hiệu %(symbol)s đã được dùng cho một sổ văn bản khác của cơ "
                                               "quan.") % {"symbol": symbol}})
        register = register or DocumentRegister(organisation=organisation, province=organisation.province,
                                                doc_type=doc_type)
        register.symbol, register.mode = symbol, mode
        register.full_clean(validate_constraints=False)
        register.save()
    return register


def signer_save(*, user, organisation: Organisation, full_name: str, title: str = "", delegation: str = "",
                authority: str = "", is_active: bool = True, signer: Signer | None = None) -> Signer:
    """Add (or, with ``signer``, change) a signer of ``organisation``."""
    _require(user, organisation)
    if signer is not None and signer.organisation_id != organisation.pk:
        raise ValidationError({"organisation": _("Người ký thuộc cơ quan khác.")})
    delegation = delegation or ""
    errors = {}
    if not (full_name or "").strip():
        errors["full_name"] = _("Nhập họ và tên người ký.")
    if delegation not in Delegation.values:
        errors["delegation"] = _("Hình thức ký không hợp lệ.")
    elif delegation and not (authority or "").strip():
        errors["authority"] = _("Ghi chức vụ người đứng đầu (hoặc tập thể) mà người này ký thay, ví dụ GIÁM ĐỐC.")
    if delegation != Delegation.Q and not (title or "").strip():
        errors["title"] = _("Nhập chức vụ của người ký, ví dụ GIÁM ĐỐC hoặc PHÓ GIÁM ĐỐC.")
    if errors:
        raise ValidationError(errors)
    signer = signer or Signer(organisation=organisation, province=organisation.province)
    signer.full_name, signer.title = " ".join(full_name.split()), " ".join((title or "").split()).upper()
    signer.delegation, signer.authority = delegation, " ".join((authority or "").split()).upper()
    signer.is_active = bool(is_active)
    signer.full_clean()
    signer.save()
    return signer
