"""The appraisal councils of a call: set up (chair, secretary, members of the province, or
of the Agency for national appraisal) and recomposed, with the history of who served when."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from khuyencong.errors import DomainConflict
from khuyencong.web import PortalViewMixin
from programs.models import Call

from .. import permissions, services
from ..choices import CouncilLevel, CouncilRole
from ..forms import CouncilForm, add_service_errors
from ..models import AppraisalCouncil
from ..services.appraisal import eligible_council_users  # who may sit, per level


class CallCouncilsView(PortalViewMixin, TemplateView):
    template_name = "applications/call_councils.html"

    def levels(self, call):
        """The levels whose council this call has: provincial always, national for national funds."""
        levels = [CouncilLevel.PROVINCIAL]
        if call.programme.province_id is None:
            levels.append(CouncilLevel.NATIONAL)
        return levels

    def build(self, call, data=None, target=None):
        user = self.request.user
        councils = {c.level: c for c in AppraisalCouncil.objects.visible_to(user).filter(call=call)
                    .prefetch_related("members__user", "seats__user", "seats__changed_by").order_by("pk")}
        panels = []
        for level in self.levels(call):
            council = councils.get(level)
            province_id = call.province_id if level == CouncilLevel.PROVINCIAL else None
            form = None
            if permissions.set_up_council(user, level, province_id):
                eligible = eligible_council_users(level, province_id).order_by("username")
                initial = {"name": _("Hội đồng thẩm định — %(c)s") % {"c": call.name}}
                if council is not None:
                    seats = list(council.members.all())
                    initial = {"decision_number": council.decision_number,
                               "chair": next((s.user_id for s in seats if s.role == CouncilRole.CHAIR), None),
                               "secretary": next((s.user_id for s in seats if s.role == CouncilRole.SECRETARY), None),
                               "members": [s.user_id for s in seats if s.role == CouncilRole.MEMBER]}
                form = CouncilForm(data if target == level else None, eligible=eligible,
                                   recompose=council is not None, initial=initial, prefix=level)
            panels.append({"level": level, "label": CouncilLevel(level).label, "council": council, "form": form})
        return panels

    def get_call(self):
        return get_object_or_404(Call.objects.visible_to(self.request.user).select_related("programme", "province"),
                                 pk=self.kwargs["call_pk"])

    def get(self, request, *args, **kwargs):
        call = self.get_call()
        return self.render_to_response(self.get_context_data(call=call, panels=self.build(call)))

    def post(self, request, *args, **kwargs):
        call = self.get_call()
        level = request.POST.get("level")
        panels = self.build(call, request.POST, level)
        panel = next((p for p in panels if p["level"] == level), None)
        if panel is None or panel["form"] is None:
            raise PermissionDenied(_("Bạn không được lập hội đồng này."))
        form, council, status = panel["form"], panel["council"], 400
        if form.is_valid():
            members = form.composition()
            if not form.errors:
                try:
                    if council is None:
                        services.council_create(user=request.user, name=form.cleaned_data["name"], level=level,
                                                call=call, members=members,
                                                decision_number=form.cleaned_data["decision_number"])
                        messages.success(request, _("Đã thành lập hội đồng."))
                    else:
                        services.council_recompose(user=request.user, council_id=council.pk, members=members,
                                                   reason=form.cleaned_data["reason"],
                                                   decision_number=form.cleaned_data["decision_number"])
                        messages.success(request, _("Đã thay đổi thành phần hội đồng."))
                    return redirect("applications:call_councils", call.pk)
                except ValidationError as exc:
                    add_service_errors(form, exc)
                except DomainConflict as exc:
                    form.add_error(None, exc.message)
                    status = 409
        return self.render_to_response(self.get_context_data(call=call, panels=panels), status=status)
