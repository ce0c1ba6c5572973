"""Choices of the programmes app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FundSource(models.TextChoices):
    NATIONAL = "national", _("Khuyến công quốc gia")
    LOCAL = "local", _("Khuyến công địa phương")


class DossierDocument(models.TextChoices):
    """Documents a call may require in a dossier before it is submitted (the same codes as
    the applications app's attachment kinds, which add the records filed later)."""

    REQUEST_LETTER = "request_letter", _("Công văn đề nghị")
    SCHEME_DOCUMENT = "scheme_document", _("Thuyết minh đề án")
    BENEFICIARY_REQUEST = "beneficiary_request", _("Đơn đề nghị hỗ trợ của cơ sở")
    BUSINESS_REGISTRATION = "business_registration", _("Giấy chứng nhận đăng ký kinh doanh")
    QUOTATION = "quotation", _("Báo giá máy móc, thiết bị")


# What every call required before calls chose their own documents.
DEFAULT_REQUIRED_DOCUMENTS = (DossierDocument.REQUEST_LETTER, DossierDocument.SCHEME_DOCUMENT,
                              DossierDocument.BENEFICIARY_REQUEST)


def default_required_documents() -> list:
    return [str(kind) for kind in DEFAULT_REQUIRED_DOCUMENTS]


class AllocationChange(models.TextChoices):
    """What one entry of an allocation's ledger did."""

    ALLOCATE = "allocate", _("Giao kinh phí")
    RAISE = "raise", _("Bổ sung")
    LOWER = "lower", _("Giảm")
    MOVE_IN = "move_in", _("Nhận điều chuyển")
    MOVE_OUT = "move_out", _("Điều chuyển đi")
