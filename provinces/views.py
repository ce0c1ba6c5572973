"""Pages of the geography app: the provinces and a province with its communes."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render

from khuyencong.scoping import scope_for
from khuyencong.web import ScopedDetailView, ScopedListView, wants_partial

from .choices import CommuneKind
from .filters import CommuneFilterSet, ProvinceFilterSet
from .models import Commune, LegacyProvince, Membership, Province


class ProvinceListView(ScopedListView):
    model = Province
    filterset_class = ProvinceFilterSet
    template_name = "provinces/province_list.html"
    paginate_by = None

    def get_base_queryset(self):
        return Province.objects.annotate(
            commune_count=Count("communes"),
            xa_count=Count("communes", filter=Q(communes__kind=CommuneKind.COMMUNE)),
            phuong_count=Count("communes", filter=Q(communes__kind=CommuneKind.WARD)),
            dac_khu_count=Count("communes", filter=Q(communes__kind=CommuneKind.SPECIAL_ZONE)),
        ).prefetch_related("regions").order_by("sort_key")  # aggregates drop Meta.ordering


class ProvinceDetailView(ScopedDetailView):
    model = Province
    template_name = "provinces/province_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        communes = Commune.objects.visible_to(self.request.user).filter(province=self.object)
        filterset = CommuneFilterSet(self.request.GET or None, queryset=communes, request=self.request)
        context["filter"] = filterset
        context["communes"] = communes.none() if filterset.is_bound and not filterset.is_valid() else filterset.qs
        context["predecessor_provinces"] = LegacyProvince.objects.filter(
            communes__lineage__commune__province=self.object
        ).distinct()
        return context

    def get_template_names(self):
        if wants_partial(self.request):
            return ["provinces/_commune_table.html"]
        return [self.template_name]


@login_required
def home(request):
    """The signed-in user's start page: their memberships (where and as what they work)."""
    memberships = (
        Membership.objects.filter(user=request.user, is_active=True)
        .select_related("organisation__province", "organisation__commune")
        .order_by("organisation__sort_key", "role")
    )
    return render(request, "home.html", {"memberships": memberships, "scope": scope_for(request.user)})
