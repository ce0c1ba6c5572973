"""The council member's page: declare a conflict of interest, then score."""


from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from khuyencong.errors import DomainConflict
from khuyencong.web import error_message

from .. import selectors, services
from ..choices import CouncilLevel
from ..forms import ConflictForm, ScoreForm, add_service_errors
from ..models import ConflictDeclaration
from .base import ApplicationObjectMixin, _Redirect
from .detail import application_context

# --- Council member's scoring -----------------------------------------------------------------------------


class ScoringView(ApplicationObjectMixin, TemplateView):
    """Declare a conflict of interest first; the dossier and the score form open after
    declaring no conflict."""

    template_name = "applications/scoring.html"

    def setup_state(self):
        application = self.get_application()
        level = application.appraisal_level
        if level is None:
            messages.info(self.request, _("Đề án không ở bước thẩm định."))
            raise _Redirect(reverse("applications:application_detail", args=[application.pk]))
        seat = selectors.council_seat(application, self.request.user, level)
        if seat is None:
            raise PermissionDenied(_("Bạn không phải thành viên hội đồng thẩm định đề án này."))
        declaration = ConflictDeclaration.objects.filter(application=application, level=level,
                                                         user=self.request.user).first()
        return application, level, seat, declaration

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except _Redirect as r:
            return HttpResponseRedirect(r.url)

    def build(self, application, level, seat, declaration, *, conflict_form=None, score_form=None):
        context = {"application": application, "level_label": CouncilLevel(level).label, "seat": seat,
                   "declaration": declaration}
        if declaration is None:
            context["conflict_form"] = conflict_form or ConflictForm()
            return context
        if declaration.has_conflict:
            return context
        sheet = selectors.score_sheet(application, level)
        mine = next((m for m in sheet.members if m.member.user_id == self.request.user.pk), None)
        context["mine"] = mine
        context["score_form"] = score_form or ScoreForm(criteria=sheet.criteria, existing=mine.scores if mine else {})
        context["dossier"] = application_context(application, self.request.user)
        return context

    def get(self, request, *args, **kwargs):
        state = self.setup_state()
        return self.render_to_response(self.build(*state))

    def post(self, request, *args, **kwargs):
        application, level, seat, declaration = self.setup_state()
        url = reverse("applications:scoring", args=[application.pk])
        if "declare" in request.POST:
            form = ConflictForm(request.POST)
            if form.is_valid():
                try:
                    services.conflict_declare(user=request.user, application_id=application.pk,
                                              has_conflict=form.cleaned_data["has_conflict"],
                                              note=form.cleaned_data["note"])
                except ValidationError as exc:
                    add_service_errors(form, exc)
                except DomainConflict as exc:
                    error_message(request, exc)
                    return HttpResponseRedirect(url)
                else:
                    messages.success(request, _("Đã ghi nhận khai báo xung đột lợi ích."))
                    return HttpResponseRedirect(url)
            return self.render_to_response(self.build(application, level, seat, declaration, conflict_form=form),
                                           status=400)
        if declaration is None or declaration.has_conflict:
            return HttpResponseRedirect(url)
        sheet = selectors.score_sheet(application, level)
        form = ScoreForm(request.POST, criteria=sheet.criteria)
        if form.is_valid():
            try:
                services.scores_submit(user=request.user, application_id=application.pk, scores=form.scores())
            except ValidationError as exc:
                add_service_errors(form, exc)
            except (DomainConflict, PermissionDenied) as exc:
                error_message(request, exc)
                return HttpResponseRedirect(url)
            else:
                messages.success(request, _("Đã lưu điểm thẩm định."))
                return HttpResponseRedirect(url)
        return self.render_to_response(self.build(application, level, seat, declaration, score_form=form),
                                       status=400)


