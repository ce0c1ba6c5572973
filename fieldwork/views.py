"""The commune officer's pages: home (/xa/), a field visit (/xa/thuc-dia/moi/) and a visit's
photo (streamed through the scope check: uploads are never served by URL)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from applications.models import Establishment
from applications.selectors.tasks import tasks_for
from khuyencong.web import PortalViewMixin

from . import selectors, services
from .forms import FieldVisitForm
from .models import FieldVisit, FieldVisitPhoto


class CommuneOfficerMixin(PortalViewMixin):
    """Commune officers only: the page is about their commune."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not self.scope.commune_ids:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class HomeView(CommuneOfficerMixin, View):
    def get(self, request):
        user = request.user
        return render(request, "fieldwork/home.html", {
            "communes": selectors.communes_of(user),
            "tasks": tasks_for(user)[:10],
            "schemes": selectors.commune_schemes(user),
            "establishments": selectors.commune_establishments(user),
            "figures": selectors.commune_figures(user),
            "visits": FieldVisit.objects.visible_to(user).select_related("establishment", "commune")
                                        .prefetch_related("photos")[:10],
        })


class FieldVisitCreateView(CommuneOfficerMixin, View):
    template_name = "fieldwork/visit_form.html"

    def _form(self, data=None, files=None):
        user = self.request.user
        establishments = Establishment.objects.visible_to(user).filter(
            commune_id__in=self.scope.commune_ids).order_by("name")[:300]
        return FieldVisitForm(data, files, communes=selectors.communes_of(user), establishments=establishments,
                              max_mb=settings.KC_FIELD_PHOTO_MAX_BYTES // (1024 * 1024))

    def get(self, request):
        return render(request, self.template_name, {"form": self._form()})

    def post(self, request):
        form = self._form(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.field_visit_create(
                    user=request.user, commune_id=data["commune"], visited_on=data["visited_on"],
                    notes=data["notes"], establishment_id=data["establishment"], latitude=data["latitude"],
                    longitude=data["longitude"], photos=request.FILES.getlist("photos"))
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Đã ghi chuyến đi thực địa."))
                return redirect("fieldwork:home")
        return render(request, self.template_name, {"form": form}, status=400)


class PhotoView(PortalViewMixin, View):
    def get(self, request, pk):
        photo = FieldVisitPhoto.objects.visible_to(request.user).filter(pk=pk).first()
        if photo is None:
            raise Http404
        response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        return response
