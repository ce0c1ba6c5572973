"""Choices of the applications app. ``badge`` gives the colour the UI shows."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LegalForm(models.TextChoices):
    SME = "sme", _("Doanh nghiệp nhỏ và vừa")
    COOPERATIVE = "cooperative", _("Hợp tác xã")
    COOPERATIVE_UNION = "cooperative_union", _("Liên hiệp hợp tác xã")
    COOPERATIVE_GROUP = "cooperative_group", _("Tổ hợp tác")
    HOUSEHOLD = "household", _("Hộ kinh doanh")


class Status(models.TextChoices):
    DRAFT = "draft", _("Nháp")
    SUBMITTED = "submitted", _("Đã nộp")
    RETURNED = "returned", _("Trả lại bổ sung")
    UNDER_APPRAISAL = "under_appraisal", _("Đang thẩm định")
    ENDORSED = "endorsed", _("Đã đề xuất lên Cục")
    UNDER_NATIONAL_APPRAISAL = "under_national_appraisal", _("Cục đang thẩm định")
    APPROVED = "approved", _("Đã phê duyệt")
    REJECTED = "rejected", _("Không phê duyệt")
    IN_PROGRESS = "in_progress", _("Đang thực hiện")
    SUSPENDED = "suspended", _("Tạm dừng")
    COMPLETED = "completed", _("Hoàn thành thực hiện")
    ACCEPTED = "accepted", _("Đã nghiệm thu")
    SETTLED = "settled", _("Đã quyết toán")
    CANCELLED = "cancelled", _("Đã hủy")


STATUS_BADGE = {
    Status.DRAFT: "secondary", Status.SUBMITTED: "info", Status.RETURNED: "warning",
    Status.UNDER_APPRAISAL: "primary", Status.ENDORSED: "info", Status.UNDER_NATIONAL_APPRAISAL: "primary",
    Status.APPROVED: "success", Status.REJECTED: "danger", Status.IN_PROGRESS: "success",
    Status.SUSPENDED: "warning", Status.COMPLETED: "success", Status.ACCEPTED: "success",
    Status.SETTLED: "dark", Status.CANCELLED: "dark",
}
# States in which an approved amount is committed against the budget allocation.
COMMITTED_STATES = frozenset({Status.APPROVED, Status.IN_PROGRESS, Status.SUSPENDED, Status.COMPLETED,
                              Status.ACCEPTED, Status.SETTLED})
EDITABLE_STATES = frozenset({Status.DRAFT, Status.RETURNED})
# States a reviewer works in: duplicate-support warnings matter here.
REVIEW_STATES = frozenset({Status.SUBMITTED, Status.UNDER_APPRAISAL, Status.ENDORSED, Status.UNDER_NATIONAL_APPRAISAL})


class AttachmentKind(models.TextChoices):
    REQUEST_LETTER = "request_letter", _("Công văn đề nghị")
    SCHEME_DOCUMENT = "scheme_document", _("Thuyết minh đề án")
    BENEFICIARY_REQUEST = "beneficiary_request", _("Đơn đề nghị hỗ trợ của cơ sở")
    BUSINESS_REGISTRATION = "business_registration", _("Giấy chứng nhận đăng ký kinh doanh")
    QUOTATION = "quotation", _("Báo giá máy móc, thiết bị")
    OTHER = "other", _("Tài liệu khác")


REQUIRED_ATTACHMENT_KINDS = (AttachmentKind.REQUEST_LETTER, AttachmentKind.SCHEME_DOCUMENT,
                             AttachmentKind.BENEFICIARY_REQUEST)


class CouncilLevel(models.TextChoices):
    PROVINCIAL = "provincial", _("Hội đồng cấp tỉnh")
    NATIONAL = "national", _("Hội đồng của Cục")


class CouncilRole(models.TextChoices):
    CHAIR = "chair", _("Chủ tịch hội đồng")
    SECRETARY = "secretary", _("Thư ký")
    MEMBER = "member", _("Ủy viên")
