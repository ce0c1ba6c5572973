"""Choices of the applications app. ``badge`` gives the colour the UI shows."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from programs.choices import DEFAULT_REQUIRED_DOCUMENTS


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
# Which states are editable, committed, appraised… is the workflow's (``workflow.STATES``).


class AttachmentKind(models.TextChoices):
    REQUEST_LETTER = "request_letter", _("Công văn đề nghị")
    SCHEME_DOCUMENT = "scheme_document", _("Thuyết minh đề án")
    BENEFICIARY_REQUEST = "beneficiary_request", _("Đơn đề nghị hỗ trợ của cơ sở")
    BUSINESS_REGISTRATION = "business_registration", _("Giấy chứng nhận đăng ký kinh doanh")
    QUOTATION = "quotation", _("Báo giá máy móc, thiết bị")
    CONTRACT = "contract", _("Hợp đồng")
    VOUCHER = "voucher", _("Chứng từ thanh toán")
    PROGRESS = "progress", _("Báo cáo tiến độ, hình ảnh")
    INSPECTION = "inspection", _("Biên bản kiểm tra")
    COMPLETION_REPORT = "completion_report", _("Báo cáo hoàn thành")
    ACCEPTANCE_MINUTES = "acceptance_minutes", _("Biên bản nghiệm thu")
    SETTLEMENT = "settlement", _("Hồ sơ quyết toán")
    OTHER = "other", _("Tài liệu khác")


# A dossier without a call needs these; a call names its own (``Call.required_documents``).
REQUIRED_ATTACHMENT_KINDS = tuple(AttachmentKind(str(kind)) for kind in DEFAULT_REQUIRED_DOCUMENTS)


class CouncilLevel(models.TextChoices):
    PROVINCIAL = "provincial", _("Hội đồng cấp tỉnh")
    NATIONAL = "national", _("Hội đồng của Cục")


class CouncilRole(models.TextChoices):
    CHAIR = "chair", _("Chủ tịch hội đồng")
    SECRETARY = "secretary", _("Thư ký")
    MEMBER = "member", _("Ủy viên")


# Kinds a dossier may receive after submission (records of implementation).
POST_DECISION_ATTACHMENT_KINDS = frozenset({
    AttachmentKind.CONTRACT, AttachmentKind.VOUCHER, AttachmentKind.PROGRESS, AttachmentKind.INSPECTION,
    AttachmentKind.COMPLETION_REPORT, AttachmentKind.ACCEPTANCE_MINUTES, AttachmentKind.SETTLEMENT,
    AttachmentKind.OTHER,
})


class DisbursementKind(models.TextChoices):
    ADVANCE = "advance", _("Tạm ứng")
    PAYMENT = "payment", _("Thanh toán")
    FINAL = "final", _("Thanh toán khi quyết toán")


class Milestone(models.TextChoices):
    """When an instalment of a contract's payment schedule falls due."""

    SIGNING = "signing", _("Khi ký hợp đồng")
    PROGRESS_REPORT = "progress_report", _("Sau báo cáo tiến độ")
    ACCEPTANCE = "acceptance", _("Sau nghiệm thu")


class ChangeKind(models.TextChoices):
    SCHEDULE = "schedule", _("Điều chỉnh tiến độ")
    COST_LINES = "cost_lines", _("Điều chỉnh dự toán")
    AMOUNT = "amount", _("Điều chỉnh kinh phí")


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("Chờ quyết định")
    APPROVED = "approved", _("Đã chấp thuận")
    REFUSED = "refused", _("Không chấp thuận")


class AcceptanceResult(models.TextChoices):
    PASSED = "passed", _("Đạt")
    PASSED_WITH_CONDITIONS = "passed_with_conditions", _("Đạt có điều kiện")
    FAILED = "failed", _("Không đạt")
