"""Pairs of establishments an officer decided are not the same, with the reason: the
duplicate finder stops proposing them."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khuyencong.scoping import ScopedQuerySet
from provinces.models import Province

from .establishments import Establishment


class DistinctEstablishmentPair(models.Model):
    """Two establishments that look alike but are different (recorded, never deleted).
    ``first`` has the smaller id; ``province`` is the deciding officer's (first's) province."""

    tenant_province_path = "province"

    first = models.ForeignKey(Establishment, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("cơ sở thứ nhất"))
    second = models.ForeignKey(Establishment, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("cơ sở thứ hai"))
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("tỉnh/thành phố"))
    reason = models.TextField(_("lý do"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("người xác định"))
    decided_at = models.DateTimeField(_("lúc"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("cặp cơ sở không trùng")
        verbose_name_plural = _("cặp cơ sở không trùng")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="uniq_distinct_establishment_pair"),
            models.CheckConstraint(condition=models.Q(first__lt=models.F("second")), name="distinct_pair_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} ≠ {self.second_id}"
