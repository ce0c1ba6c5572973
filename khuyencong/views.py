"""Project-level views: the home page and the API root."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from provinces.models import Membership

from .scoping import scope_for


@login_required
def home(request):
    memberships = (
        Membership.objects.filter(user=request.user, is_active=True)
        .select_related("organisation__province", "organisation__commune")
        .order_by("organisation__sort_key", "role")
    )
    return render(request, "home.html", {"memberships": memberships, "scope": scope_for(request.user)})


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


class ApiRootView(APIView):
    """Index of the API resources."""

    RESOURCES = ["regions", "provinces", "communes", "legacy-communes", "organisations", "programmes",
                 "activity-types", "support-rules", "calls", "budget-allocations", "establishments",
                 "applications", "reports", "audit-entries"]
    BASENAMES = {"regions": "region", "provinces": "province", "communes": "commune",
                 "legacy-communes": "legacy-commune", "organisations": "organisation", "programmes": "programme",
                 "activity-types": "activity-type", "support-rules": "support-rule", "calls": "call",
                 "budget-allocations": "budget-allocation", "establishments": "establishment",
                 "applications": "application", "reports": "report-run",
                 "audit-entries": "audit-entry"}

    # A plain APIView has no serializer to guess from; without this the schema
    # generator warns and `check --deploy` is not clean.
    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        links = {}
        for name in self.RESOURCES:
            try:
                links[name] = request.build_absolute_uri(reverse(f"{self.BASENAMES[name]}-list"))
            except NoReverseMatch:
                continue
        links["schema"] = request.build_absolute_uri(reverse("api-schema"))
        links["docs"] = request.build_absolute_uri(reverse("api-docs"))
        return Response(links)
