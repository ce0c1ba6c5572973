"""Writes of establishments (cơ sở công nghiệp nông thôn)."""


from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .. import permissions
from ..models import Establishment
from ..permissions import require
from .base import _apply

# --- Establishments ------------------------------------------------------------------------

ESTABLISHMENT_FIELDS = ("name", "legal_form", "tax_code", "representative", "province", "commune", "legacy_commune",
                        "address",
                        "industry", "woman_owned", "ethnic_minority", "difficult_area", "craft_village",
                        "craft_village_name", "phone", "email", "employees", "founded_year", "note", "is_active")


def _tax_code_taken() -> ValidationError:
    # One answer wherever the other establishment is: the caller learns that the code is
    # registered (the register is national), never in which province. Under row-level
    # security the other province's row is invisible and only the database's unique
    # constraint sees it, so both paths must say the same.
    return ValidationError({"tax_code": _("Mã số thuế này đã có trong sổ đăng ký cơ sở. Nếu cơ sở thuộc phạm vi của "
                                          "bạn, hãy tìm và cập nhật cơ sở đó; nếu không, liên hệ Cục để được hỗ trợ.")})


def _check_tax_code_unique(establishment: Establishment) -> None:
    if establishment.tax_code:
        clash = Establishment.objects.filter(tax_code=establishment.tax_code).exclude(pk=establishment.pk)
        if clash.exists():
            raise _tax_code_taken()


def _save_unique(establishment: Establishment) -> None:
    """Save; the national unique constraint on the tax code answers like the check above."""
    try:
        with transaction.atomic():
            establishment.save()
    except IntegrityError as exc:
        if "tax_code" in str(exc):
            raise _tax_code_taken() from exc
        raise


@transaction.atomic
def establishment_create(*, user, data: dict) -> Establishment:
    establishment = Establishment(created_by=user)
    _apply(establishment, data, ESTABLISHMENT_FIELDS)
    if establishment.commune_id and not establishment.province_id:
        establishment.province_id = establishment.commune.province_id
    require(permissions.write_in(user, establishment.province_id, establishment.commune_id))
    establishment.tax_code = (establishment.tax_code or "").strip()
    establishment.full_clean(validate_unique=False, validate_constraints=False)
    _check_tax_code_unique(establishment)
    _save_unique(establishment)
    return establishment


@transaction.atomic
def establishment_update(*, user, establishment: Establishment, data: dict) -> Establishment:
    require(permissions.write_in(user, establishment.province_id, establishment.commune_id))
    establishment = Establishment.objects.select_for_update().get(pk=establishment.pk)
    _apply(establishment, data, ESTABLISHMENT_FIELDS)
    establishment.tax_code = (establishment.tax_code or "").strip()
    # No moving an establishment out of the caller's scope.
    require(permissions.write_in(user, establishment.province_id, establishment.commune_id))
    establishment.full_clean(validate_unique=False, validate_constraints=False)
    _check_tax_code_unique(establishment)
    _save_unique(establishment)
    return establishment
