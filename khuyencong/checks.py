"""System checks of deployment settings that Django's own checks do not know about."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def trusted_proxies(app_configs, **kwargs):
    if settings.KC_TRUSTED_PROXY_COUNT > 0 and not settings.KC_TRUSTED_PROXIES:
        return [Warning(
            "KC_TRUSTED_PROXY_COUNT is set but KC_TRUSTED_PROXIES is empty: X-Forwarded-For and "
            "X-Forwarded-Proto are dropped, so every client appears with the proxy's address.",
            hint="Set KC_TRUSTED_PROXIES to the address or network of the reverse proxy.",
            id="khuyencong.W001")]
    return []
