"""Field visits of commune officers and their photos."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from applications.models import Application, Establishment
from khuyencong.scoping import ScopedQuerySet
from provinces.models import Commune, Province


class FieldVisit(models.Model):
    """A visit by a commune officer to an establishment or a scheme of their commune:
    when, what they saw, photos, and where (when the phone gave a location)."""

    tenant_province_path = "province"
    tenant_commune_path = "commune"

    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("tỉnh/thành phố"))
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="field_visits",
                                verbose_name=_("xã/phường"))
    establishment = models.ForeignKey(Establishment, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="field_visits", verbose_name=_("cơ sở"))
    application = models.ForeignKey(Application, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="field_visits", verbose_name=_("đề án"))
    visited_on = models.DateField(_("ngày đi thực địa"))
    notes = models.TextField(_("ghi chép"))
    latitude = models.DecimalField(_("vĩ độ"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("kinh độ"), max_digits=9, decimal_places=6, null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("người ghi"))
    created_at = models.DateTimeField(_("ghi lúc"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("chuyến đi thực địa")
        verbose_name_plural = _("chuyến đi thực địa")
        ordering = ["-visited_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.commune_id} {self.visited_on}"


def photo_path(instance, filename):
    # Random, unguessable name; never served by URL (a scoped view streams it).
    return f"field-visits/{instance.visit.province_id}/{instance.visit_id}/{uuid.uuid4().hex}"


class FieldVisitPhoto(models.Model):
    """A photo of a field visit, stored through the portal's file storage."""

    tenant_province_path = "province"
    tenant_commune_path = "visit__commune"

    visit = models.ForeignKey(FieldVisit, on_delete=models.PROTECT, related_name="photos",
                              verbose_name=_("chuyến đi thực địa"))
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("tỉnh/thành phố"))
    file = models.FileField(_("ảnh"), upload_to=photo_path, max_length=255)
    original_name = models.CharField(_("tên tệp"), max_length=255)
    content_type = models.CharField(_("kiểu nội dung"), max_length=40)
    size = models.PositiveIntegerField(_("dung lượng (byte)"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("ảnh thực địa")
        verbose_name_plural = _("ảnh thực địa")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name
