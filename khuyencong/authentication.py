"""``Authorization: Token <key>`` (or ``Bearer <key>``, what most HTTP clients and
generated SDKs send) authentication against hashed, expiring, revocable keys."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from . import rls
from .models import ApiToken


class HashedTokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"
    keywords = ("token", "bearer")

    def authenticate(self, request):
        auth = authentication.get_authorization_header(request).split()
        if not auth or auth[0].lower().decode(errors="replace") not in self.keywords:
            return None
        if len(auth) != 2:
            raise exceptions.AuthenticationFailed(_("Khóa API không hợp lệ."))
        try:
            key = auth[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Khóa API không hợp lệ.")) from None
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key):
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=ApiToken.hash_key(key))
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Khóa API không hợp lệ."))
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("Khóa API đã bị thu hồi."))
        now = timezone.now()
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("Khóa API đã hết hạn."))
        # Touch at most once a minute: a busy client should not write on every call.
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        # The middleware saw an anonymous request; the database scope follows the token's user.
        rls.apply_for_user(token.user)
        return token.user, token
