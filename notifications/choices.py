"""Named constants of the notifications app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EmailMode(models.TextChoices):
    """How a user wants their notices by e-mail. In-app notices are always kept."""

    IN_APP = "in_app", _("Chỉ trên cổng (không gửi e-mail)")
    IMMEDIATE = "immediate", _("Gửi e-mail ngay")
    DIGEST = "digest", _("Gửi e-mail tổng hợp hằng ngày")


class EmailStatus(models.TextChoices):
    """Where the e-mail of one notice stands."""

    NONE = "none", _("Không gửi e-mail")
    PENDING = "pending", _("Chờ gửi")
    DIGEST = "digest", _("Chờ bản tổng hợp")
    SENT = "sent", _("Đã gửi")
    SKIPPED = "skipped", _("Không gửi (không còn quyền xem hoặc không có địa chỉ)")
    FAILED = "failed", _("Máy chủ thư từ chối địa chỉ")


class Reason(models.TextChoices):
    """Why someone receives a notice."""

    NEXT_ACTOR = "next_actor", _("Bạn xử lý bước tiếp theo")
    PROPOSER = "proposer", _("Bạn lập đề án")
    WATCHER = "watcher", _("Bạn theo dõi đề án")
