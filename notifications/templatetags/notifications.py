"""Template tags for pages of other apps: the watch button on a dossier page."""

from django import template

from ..models import Watch

register = template.Library()


@register.inclusion_tag("notifications/_watch_button.html", takes_context=True)
def watch_button(context, application):
    user = context["request"].user
    watching = Watch.objects.filter(user=user, application=application).exists()
    return {"application": application, "watching": watching, "csrf_token": context.get("csrf_token")}
