"""The appraisal: councils and their members, conflict-of-interest declarations, scores."""


from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from khuyencong.scoping import ScopedQuerySet
from programs.models import AppraisalCriterion, Call
from provinces.models import Province

from ..choices import CouncilLevel, CouncilRole
from .dossier import Application, ApplicationRecord, ApplicationRecordQuerySet


class CouncilQuerySet(ScopedQuerySet):
    pass


class AppraisalCouncil(models.Model):
    """An appraisal council (hội đồng thẩm định): provincial (with a province) or the
    Agency's (national level, no province); for one call or one application."""

    tenant_province_path = "province"
    tenant_null_province_visible = True

    name = models.CharField(_("tên hội đồng"), max_length=255)
    level = models.CharField(_("cấp"), max_length=12, choices=CouncilLevel.choices)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="councils", verbose_name=_("tỉnh/thành phố"))
    call = models.ForeignKey(Call, on_delete=models.PROTECT, null=True, blank=True, related_name="councils",
                             verbose_name=_("đợt tiếp nhận"))
    application = models.ForeignKey(Application, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="councils", verbose_name=_("đề án"))
    decision_number = models.CharField(_("số quyết định thành lập"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    objects = CouncilQuerySet.as_manager()

    class Meta:
        verbose_name = _("hội đồng thẩm định")
        verbose_name_plural = _("hội đồng thẩm định")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(level=CouncilLevel.NATIONAL, province__isnull=True)
                           | models.Q(level=CouncilLevel.PROVINCIAL, province__isnull=False)),
                name="council_level_matches_province",
            ),
            models.CheckConstraint(condition=models.Q(call__isnull=False) | models.Q(application__isnull=False),
                                   name="council_for_call_or_application"),
        ]

    def __str__(self) -> str:
        return self.name


class CouncilMember(models.Model):
    """A user sitting on a council, as chair, secretary or member."""

    tenant_province_path = "council__province"
    tenant_null_province_visible = True

    council = models.ForeignKey(AppraisalCouncil, on_delete=models.CASCADE, related_name="members",
                                verbose_name=_("hội đồng"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="council_seats",
                             verbose_name=_("thành viên"))
    role = models.CharField(_("vai trò trong hội đồng"), max_length=12, choices=CouncilRole.choices,
                            default=CouncilRole.MEMBER)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("thành viên hội đồng")
        verbose_name_plural = _("thành viên hội đồng")
        ordering = ["council", "role", "pk"]
        constraints = [models.UniqueConstraint(fields=["council", "user"], name="uniq_council_member")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class CouncilSeat(models.Model):
    """Who served on a council, in which role, from when to when: written when a council is
    set up and each time it is recomposed (a seat ends, never disappears), so the record
    says who sat when a dossier was appraised."""

    tenant_province_path = "council__province"
    tenant_null_province_visible = True

    council = models.ForeignKey(AppraisalCouncil, on_delete=models.PROTECT, related_name="seats",
                                verbose_name=_("hội đồng"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("thành viên"))
    role = models.CharField(_("vai trò trong hội đồng"), max_length=12, choices=CouncilRole.choices)
    served_from = models.DateTimeField(_("từ"))
    served_to = models.DateTimeField(_("đến"), null=True, blank=True)
    reason = models.CharField(_("lý do thay đổi"), max_length=500, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("người thay đổi"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("nhiệm kỳ thành viên hội đồng")
        verbose_name_plural = _("lịch sử thành phần hội đồng")
        ordering = ["council", "served_from", "pk"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class ConflictDeclaration(ApplicationRecord):
    """A member's declaration about a conflict of interest with one application. The
    dossier opens to the member only after declaring no conflict; a conflicted member
    is excluded from the appraisal of that application."""

    tenant_province_path = "application__province"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="conflict_declarations",
                                    verbose_name=_("đề án"))
    level = models.CharField(_("cấp"), max_length=12, choices=CouncilLevel.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("thành viên"))
    has_conflict = models.BooleanField(_("có xung đột lợi ích"))
    note = models.TextField(_("giải trình"), blank=True)
    declared_at = models.DateTimeField(_("khai lúc"), auto_now_add=True)

    objects = ApplicationRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("khai báo xung đột lợi ích")
        verbose_name_plural = _("khai báo xung đột lợi ích")
        constraints = [models.UniqueConstraint(fields=["application", "level", "user"], name="uniq_conflict_decl")]

    def __str__(self) -> str:
        return f"{self.user} · {self.application_id} · {'có' if self.has_conflict else 'không'}"


class Score(ApplicationRecord):
    """One member's score on one criterion for one application at one level."""

    tenant_province_path = "application__province"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="scores",
                                    verbose_name=_("đề án"))
    level = models.CharField(_("cấp"), max_length=12, choices=CouncilLevel.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("thành viên"))
    criterion = models.ForeignKey(AppraisalCriterion, on_delete=models.PROTECT, related_name="scores",
                                  verbose_name=_("tiêu chí"))
    score = models.DecimalField(_("điểm"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)])
    comment = models.TextField(_("nhận xét"), blank=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    objects = ApplicationRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("điểm thẩm định")
        verbose_name_plural = _("điểm thẩm định")
        constraints = [models.UniqueConstraint(fields=["application", "level", "user", "criterion"],
                                               name="uniq_score")]

    def __str__(self) -> str:
        return f"{self.user} · {self.criterion} · {self.score}"

    def clean(self):
        if self.criterion_id and self.score is not None and self.score > self.criterion.max_score:
            raise ValidationError({"score": _("Điểm vượt quá điểm tối đa của tiêu chí (%(max)s).")
                                   % {"max": self.criterion.max_score}})
