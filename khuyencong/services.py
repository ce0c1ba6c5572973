"""Writes of the project package: API tokens, two-factor recovery codes."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .models import ApiToken


def api_token_create(*, user, read_only: bool = False, expires_at: datetime | None = None, name: str = ""):
    """Create a token; returns ``(token, key)``. The key is not stored."""
    key = ApiToken.generate_key()
    token = ApiToken(user=user, name=name, prefix=key[:10], key_hash=ApiToken.hash_key(key), read_only=read_only,
                     expires_at=expires_at)
    token.full_clean()
    token.save()
    return token, key


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


# --- Two-factor recovery codes ------------------------------------------------------------------

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def recovery_codes_generate(*, user) -> list[str]:
    """A new set of one-time codes for ``user`` (the old set stops working); returns the
    codes, which are not stored: show them once."""
    import secrets

    from .models import RecoveryCode

    codes = ["-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(5)) for _ in range(2))
             for _ in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())
        RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=RecoveryCode.hash_code(code))
                                          for code in codes])
    return codes


def recovery_code_use(*, user, code: str) -> bool:
    """Spend one unused code of ``user``: True once per code, False for anything else."""
    from .models import RecoveryCode

    with transaction.atomic():
        found = (RecoveryCode.objects.select_for_update()
                 .filter(user=user, used_at__isnull=True, code_hash=RecoveryCode.hash_code(code)).first())
        if found is None:
            return False
        found.used_at = timezone.now()
        found.save(update_fields=["used_at"])
    return True


def recovery_codes_left(*, user) -> int:
    from .models import RecoveryCode

    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
