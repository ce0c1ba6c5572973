"""Pages of establishments: list, detail, create and edit."""


from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from khuyencong.scoping import scope_for
from khuyencong.web import PortalViewMixin, ScopedDetailView, error_message
from provinces.models import Commune, Province

from .. import permissions, selectors, services
from ..duplicates.finder import candidates_for
from ..duplicates.services import establishment_pair_mark_distinct
from ..filters import EstablishmentFilterSet
from ..forms import EstablishmentForm, add_service_errors
from ..models import Establishment
from ..permissions import writable_provinces
from .base import FilterFormListView

# --- Establishments --------------------------------------------------------------------------------


class EstablishmentListView(FilterFormListView):
    model = Establishment
    filterset_class = EstablishmentFilterSet
    template_name = "applications/establishment_list.html"
    partial_template_name = "applications/_establishment_table.html"
    paginate_by = 25

    def get_base_queryset(self):
        return Establishment.objects.select_related("province", "commune")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = writable_provinces(self.request.user).exists()
        scope = scope_for(self.request.user)
        if len(scope.province_ids) == 1 and not scope.national:
            context["communes"] = Commune.objects.filter(province_id__in=scope.province_ids).order_by("sort_key")
        return context


class EstablishmentDetailView(ScopedDetailView):
    model = Establishment
    template_name = "applications/establishment_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("province", "commune", "created_by", "legacy_commune__district",
                                                    "legacy_commune__province")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        est = self.object
        context["location_problem"] = selectors.location_problem(est)
        context["history"] = selectors.establishment_history(est, self.request.user)
        context["can_edit"] = bool(permissions.write_in(self.request.user, est.province_id, est.commune_id))
        candidates = candidates_for(est)
        visible = set(Establishment.objects.visible_to(self.request.user)
                      .filter(pk__in=[c.establishment.pk for c in candidates]).values_list("pk", flat=True))
        # Records never cross a province boundary: other provinces' matches are only counted.
        context["candidates"] = [c for c in candidates if c.establishment.pk in visible]
        context["hidden_candidates"] = len(candidates) - len(context["candidates"])
        return context


class EstablishmentDistinctView(PortalViewMixin, View):
    """Mark a proposed duplicate as "not the same", with the reason."""

    def post(self, request, pk):
        est = get_object_or_404(Establishment.objects.visible_to(request.user), pk=pk)
        other = request.POST.get("other", "")
        try:
            establishment_pair_mark_distinct(user=request.user, establishment=est,
                                             other_id=int(other) if other.isdigit() else 0,
                                             reason=request.POST.get("reason", ""))
            messages.success(request, _("Đã ghi nhận: hai cơ sở không phải là một."))
        except (ValidationError, PermissionDenied) as exc:
            error_message(request, exc)
        return redirect("applications:establishment_detail", est.pk)


class EstablishmentFormView(PortalViewMixin, TemplateView):
    template_name = "applications/establishment_form.html"
    object = None

    def get_object(self):
        return None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_provinces(self):
        provinces = writable_provinces(self.request.user)
        if self.object is not None:
            provinces = Province.objects.filter(pk=self.object.province_id)
        return list(provinces)

    def get_form(self):
        provinces = self.get_provinces()
        if not provinces:
            raise PermissionDenied(_("Bạn không có quyền ghi dữ liệu cơ sở."))
        data = self.request.POST if self.request.method == "POST" else None
        form = EstablishmentForm(data, instance=self.object, provinces=provinces)
        scope = scope_for(self.request.user)
        if scope.commune_ids and not scope.province_ids and not scope.superuser:
            field = form.fields["commune"]
            field.queryset = field.queryset.filter(code__in=scope.commune_ids)
        return form

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.get_form()))

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if form.is_valid():
            try:
                if self.object is None:
                    est = services.establishment_create(user=request.user, data=form.service_data())
                    messages.success(request, _("Đã thêm cơ sở “%(n)s”.") % {"n": est.name})
                else:
                    est = services.establishment_update(user=request.user, establishment=self.object,
                                                        data=form.service_data())
                    messages.success(request, _("Đã lưu cơ sở “%(n)s”.") % {"n": est.name})
                return redirect("applications:establishment_detail", est.pk)
            except ValidationError as exc:
                add_service_errors(form, exc)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class EstablishmentSuccessorsView(PortalViewMixin, TemplateView):
    """The commune choices proposed for an old (pre-2025) commune: its successors in the
    province, the only one (or the one already chosen among them) selected."""

    template_name = "applications/_commune_select.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        province = self.request.GET.get("province", "")
        legacy = self.request.GET.get("legacy_commune", "")
        communes = Commune.objects.filter(province_id=int(province)) if province.isdigit() else Commune.objects.none()
        proposed = []
        if legacy.isdigit():
            proposed = list(communes.filter(predecessors__legacy_commune_id=int(legacy)).order_by("sort_key"))
        chosen = self.request.GET.get("commune", "")
        selected = next((c.pk for c in proposed if str(c.pk) == chosen), proposed[0].pk if len(proposed) == 1 else None)
        context.update(communes=proposed or list(communes.order_by("sort_key")), proposed=bool(proposed),
                       selected=selected)
        return context


class EstablishmentCreateView(EstablishmentFormView):
    pass


class EstablishmentUpdateView(EstablishmentFormView):
    def get_object(self):
        obj = get_object_or_404(Establishment.objects.visible_to(self.request.user), pk=self.kwargs["pk"])
        if not permissions.write_in(self.request.user, obj.province_id, obj.commune_id):
            raise PermissionDenied(_("Bạn không có quyền sửa cơ sở này."))
        return obj


