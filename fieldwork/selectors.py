"""Reads of the commune officer's home: their communes, schemes, establishments, figures."""

from django.db.models import Count, Q, Sum

from applications.models import Application, Establishment
from applications.states import COMMITTED_STATES
from khuyencong.scoping import scope_for
from provinces.models import Commune


def communes_of(user):
    return Commune.objects.filter(pk__in=scope_for(user).commune_ids).order_by("name")


def commune_figures(user) -> list[dict]:
    """Schemes and money of the user's commune(s) by year and activity type (one GROUP BY)."""
    # Through the ids: the commune filter joins the beneficiaries, which would count a
    # scheme once per beneficiary in the sums.
    visible = Application.objects.visible_to(user).values("pk")
    return list(Application.objects.filter(pk__in=visible).values("year", "activity_type__name")
                .annotate(proposed=Count("pk", distinct=True),
                          approved=Count("pk", filter=Q(status__in=COMMITTED_STATES), distinct=True),
                          money=Sum("approved_amount", filter=Q(status__in=COMMITTED_STATES)))
                .order_by("-year", "activity_type__name"))


def commune_schemes(user, limit=20):
    visible = Application.objects.visible_to(user).values("pk")
    return (Application.objects.filter(pk__in=visible).select_related("activity_type")
            .order_by("-status_changed_at")[:limit])


def commune_establishments(user, limit=20):
    return Establishment.objects.visible_to(user).select_related("commune").order_by("name")[:limit]
