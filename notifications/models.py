"""Notices to users about dossiers, the dossiers users watch, and how each user wants to be told."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from applications.choices import Status
from applications.models import Application, ApplicationEvent
from khuyencong.scoping import ScopedQuerySet
from provinces.models import Province

from .choices import EmailMode, EmailStatus, Reason


class OwnRecordQuerySet(ScopedQuerySet):
    """Rows that belong to one user and point at an application: a user sees their own
    rows whose application they can still see (a notice of a dossier that left their
    scope is neither shown nor mailed)."""

    def visible_to(self, user, action: str = "view"):
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        visible = Application.objects.visible_to(user)
        return self.filter(**{self.model.owner_field: user}, application__in=visible.values("pk"))


class Notification(models.Model):
    """One notice to one user about a change of a dossier (an ``ApplicationEvent``). Written
    in the transaction of the change; mailed after it commits, per the user's preference."""

    tenant_province_path = "province"
    owner_field = "recipient"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                                  verbose_name=_("người nhận"))
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="notifications",
                                    verbose_name=_("đề án"))
    # The application's province, for row-level security (a plain column test).
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("tỉnh/thành phố"))
    event = models.ForeignKey(ApplicationEvent, on_delete=models.PROTECT, related_name="notifications",
                              verbose_name=_("sự kiện"))
    action = models.CharField(_("thao tác"), max_length=40)
    to_status = models.CharField(_("sang trạng thái"), max_length=30, choices=Status.choices, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("người thực hiện"))
    reasons = models.JSONField(_("lý do nhận"), default=list, blank=True)
    created_at = models.DateTimeField(_("lúc"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("đã đọc lúc"), null=True, blank=True)
    email_status = models.CharField(_("thư điện tử"), max_length=10, choices=EmailStatus.choices,
                                    default=EmailStatus.NONE)
    email_attempts = models.PositiveSmallIntegerField(_("số lần gửi thử"), default=0)
    email_last_attempt_at = models.DateTimeField(_("lần gửi thử cuối"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("gửi thư lúc"), null=True, blank=True)
    email_error = models.CharField(_("lỗi gửi thư"), max_length=300, blank=True)

    objects = OwnRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["recipient", "event"], name="uniq_notification_per_event")]
        indexes = [models.Index(fields=["recipient", "read_at"]), models.Index(fields=["email_status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.application_id} {self.action}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def summary(self) -> str:
        """One line in the current language: who did what to which dossier."""
        from applications import workflow

        transition = workflow.TRANSITIONS.get(self.action)
        action = str(transition.label) if transition else self.action
        actor = (self.actor.get_full_name() or self.actor.username) if self.actor else gettext("Hệ thống")
        return gettext("%(actor)s: “%(action)s” đề án %(code)s — nay %(status)s") % {
            "actor": actor, "action": action, "code": self.application.code,
            "status": self.get_to_status_display()}

    def reason_labels(self) -> list[str]:
        labels = dict(Reason.choices)
        return [str(labels[r]) for r in self.reasons if r in labels]


class Watch(models.Model):
    """A user follows a dossier: they are told of each of its transitions."""

    tenant_province_path = "province"
    owner_field = "user"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watches",
                             verbose_name=_("người theo dõi"))
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="watches",
                                    verbose_name=_("đề án"))
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("tỉnh/thành phố"))
    created_at = models.DateTimeField(_("từ lúc"), auto_now_add=True)

    objects = OwnRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("theo dõi đề án")
        verbose_name_plural = _("theo dõi đề án")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "application"], name="uniq_watch")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.application_id}"


class NotificationPreference(models.Model):
    """How one user wants to be told (absent: e-mail immediately, in Vietnamese)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notification_preference", verbose_name=_("người dùng"))
    email_mode = models.CharField(_("nhận thư điện tử"), max_length=10, choices=EmailMode.choices,
                                  default=EmailMode.IMMEDIATE)
    language = models.CharField(_("ngôn ngữ của thư"), max_length=8, choices=settings.LANGUAGES,
                                default=settings.LANGUAGE_CODE)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("cài đặt thông báo")
        verbose_name_plural = _("cài đặt thông báo")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.email_mode}"


class Reminder(models.Model):
    """The daily reminder of one user on one (local) date: at most one, so the daily job
    can run again without sending anything twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders",
                             verbose_name=_("người nhận"))
    on = models.DateField(_("ngày nhắc"))
    waiting = models.PositiveIntegerField(_("số việc chờ"), default=0)
    late = models.PositiveIntegerField(_("số việc trễ hạn"), default=0)
    escalated = models.JSONField(_("đề án báo lãnh đạo"), default=list, blank=True)
    sent_at = models.DateTimeField(_("gửi lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("nhắc việc hằng ngày")
        verbose_name_plural = _("nhắc việc hằng ngày")
        ordering = ["-on", "user"]
        constraints = [models.UniqueConstraint(fields=["user", "on"], name="uniq_reminder_per_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.on}"
