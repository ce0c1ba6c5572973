"""Writes of the project package: API tokens."""

from datetime import datetime

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
