"""Writes of the fieldwork app: recording a field visit with its photos."""

from datetime import date
from decimal import Decimal

import filetype
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Application, Establishment
from applications.services import base as app_base
from khuyencong.scoping import scope_for

from .models import FieldVisit, FieldVisitPhoto

PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"}


def photo_problem(uploaded) -> str | None:
    """Why a file is refused as a photo (not an image by its bytes, empty, too large), or None."""
    size = uploaded.size or 0
    if size == 0:
        return _("“%(n)s”: tệp rỗng.") % {"n": uploaded.name}
    if size > settings.KC_FIELD_PHOTO_MAX_BYTES:
        return _("“%(n)s”: ảnh quá lớn, tối đa %(m)s MB.") % {
            "n": uploaded.name, "m": settings.KC_FIELD_PHOTO_MAX_BYTES // (1024 * 1024)}
    uploaded.seek(0)
    kind = filetype.guess(uploaded.read(8192))
    uploaded.seek(0)
    if kind is None or kind.mime not in PHOTO_TYPES:
        return _("“%(n)s” không phải ảnh (JPEG, PNG, WebP, HEIC).") % {"n": uploaded.name}
    return None


def field_visit_create(*, user, commune_id: int, visited_on: date, notes: str, establishment_id: int | None = None,
                       application_id: int | None = None, latitude: Decimal | None = None,
                       longitude: Decimal | None = None, photos=()) -> FieldVisit:
    """Record a visit in one of the user's communes (a commune officer's) with its photos.
    Every bad photo is named in the error and nothing is stored."""
    scope = scope_for(user)
    if scope.read_only or commune_id not in scope.commune_ids:
        raise PermissionDenied(_("Chỉ cán bộ xã ghi chuyến đi thực địa trong xã của mình."))
    errors = {}
    notes = (notes or "").strip()
    if not notes:
        errors["notes"] = _("Cần ghi chép nội dung chuyến đi.")
    if visited_on > timezone.localdate():
        errors["visited_on"] = _("Ngày đi thực địa không được sau hôm nay.")
    if (latitude is None) != (longitude is None):
        errors["latitude"] = _("Vị trí cần đủ vĩ độ và kinh độ.")
    establishment = application = None
    if establishment_id:
        establishment = Establishment.objects.visible_to(user).filter(pk=establishment_id,
                                                                      commune_id=commune_id).first()
        if establishment is None:
            errors["establishment"] = _("Cơ sở không thuộc xã của bạn.")
    if application_id:
        application = Application.objects.visible_to(user).filter(pk=application_id).first()
        if application is None:
            errors["application"] = _("Không tìm thấy đề án.")
    photos = list(photos)
    if len(photos) > settings.KC_FIELD_PHOTOS_PER_VISIT:
        errors["photos"] = _("Tối đa %(n)s ảnh mỗi chuyến.") % {"n": settings.KC_FIELD_PHOTOS_PER_VISIT}
    else:
        problems = [p for p in (photo_problem(f) for f in photos) if p]
        if problems:
            errors["photos"] = problems
    if errors:
        raise ValidationError(errors)
    province_id = establishment.province_id if establishment else _province_of(commune_id)
    with transaction.atomic():
        visit = FieldVisit(province_id=province_id, commune_id=commune_id, establishment=establishment,
                           application=application, visited_on=visited_on, notes=notes, latitude=latitude,
                           longitude=longitude, created_by=user)
        visit.full_clean()
        visit.save()
        for uploaded in photos:
            kind = filetype.guess(uploaded.read(8192))
            uploaded.seek(0)
            photo = FieldVisitPhoto(visit=visit, province_id=province_id, original_name=uploaded.name[:255],
                                    content_type=kind.mime, size=uploaded.size)
            photo.file.save(uploaded.name, uploaded, save=False)
            photo.save()
        if application is not None:
            app_base.record_event(application, user, "field_visit", payload={
                "field_visit": visit.pk, "visited_on": visited_on.isoformat(), "photos": len(photos)})
    return visit


def _province_of(commune_id: int) -> int:
    from provinces.models import Commune

    return Commune.objects.values_list("province_id", flat=True).get(pk=commune_id)
