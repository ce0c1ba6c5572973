"""Writes of duplicate detection: an officer records that two establishments are not
the same, with the reason (kept, audited, never deleted)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..models import DistinctEstablishmentPair, Establishment
from ..permissions import require, write_in


@transaction.atomic
def establishment_pair_mark_distinct(*, user, establishment: Establishment, other_id: int,
                                     reason: str) -> DistinctEstablishmentPair:
    """``establishment`` (which the caller may edit) and ``other_id`` (which the finder
    showed them) are different establishments."""
    require(write_in(user, establishment.province_id, establishment.commune_id))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Ghi lý do hai cơ sở không phải là một.")})
    if other_id == establishment.pk or not Establishment.objects.filter(pk=other_id).exists():
        raise ValidationError({"other": _("Không tìm thấy cơ sở cần so.")})
    first, second = sorted((establishment.pk, other_id))
    pair = DistinctEstablishmentPair(first_id=first, second_id=second, province_id=establishment.province_id,
                                     reason=reason[:2000], decided_by=user)
    pair.full_clean(validate_constraints=False, validate_unique=False)
    try:
        with transaction.atomic():
            pair.save()
    except IntegrityError:
        raise ValidationError({"other": _("Cặp cơ sở này đã được ghi nhận là không trùng.")}) from None
    return pair
