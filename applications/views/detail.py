"""The application page: the dossier, its timeline, score sheets and the action buttons."""

from dataclasses import dataclass

from django.shortcuts import redirect

from khuyencong.web import ScopedDetailView

from .. import deadlines, permissions, selectors, workflow
from ..choices import CouncilLevel, Status
from ..forms import AttachmentForm
from ..models import Application
from ..models.dossier import EVENT_LABELS
from .implementation import implementation_context

# --- Applications: the page --------------------------------------------------------------------------


@dataclass
class ActionButton:
    transition: workflow.Transition
    enabled: bool
    reasons: list
    needs_input: bool

    @property
    def action(self):
        return self.transition.action


def action_buttons(application, user) -> list[ActionButton]:
    """The actions of the table that apply in the current state, each enabled or with why
    not (``workflow.preview`` with the guards that need no input)."""
    buttons = []
    for item in workflow.preview(application, user, guards=True):
        if item.action == "cancel" and not item.allowed:
            continue  # not offered to those who cannot cancel: it is not a step they wait for
        transition = item.transition
        needs_input = bool(transition.requires_reason or transition.requires_decision or transition.requires_amount
                           or transition.record_first)
        buttons.append(ActionButton(transition=transition, enabled=item.allowed and not item.reasons,
                                    reasons=list(item.reasons), needs_input=needs_input))
    return buttons


class ApplicationDetailView(ScopedDetailView):
    model = Application
    template_name = "applications/application_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related(
            "province", "programme", "call", "activity_type", "implementing_organisation", "created_by")

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not permissions.open_dossier(request.user, self.object):
            return redirect("applications:scoring", self.object.pk)
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(application_context(self.object, self.request.user))
        context["attachment_form"] = AttachmentForm(only_other=context["can_add_other"])
        return context


def application_context(application, user) -> dict:
    state = workflow.STATES[application.status]
    context = {
        "application": application,
        "establishments": list(application.establishments.select_related("commune", "province")),
        "cost_lines": list(application.cost_lines.all()),
        "attachments": list(application.attachments.filter(removed_at__isnull=True).select_related("uploaded_by")),
        "removed_attachments": list(application.attachments.filter(removed_at__isnull=False)),
        "events": _labelled(application.events.select_related("actor").order_by("-created_at", "-pk")),
        "editable": state.editable and bool(permissions.write_in(user, application.province_id)),
        "deadlines": deadlines.deadlines_for(application),
    }
    context["can_edit"] = context["editable"] or (
        state.editable and permissions.commune_writer(user, context["establishments"]))
    # After submission only "other" documents may be added (minutes, corrections…).
    context["can_add_other"] = (not context["can_edit"] and not state.terminal
                                and bool(permissions.write_in(user, application.province_id)))
    if state.editable:
        context["eligibility_problems"] = selectors.eligibility_problems(application)
        context["eligibility_checked"] = True
    if application.status != Status.DRAFT or application.created_by_id != user.pk:
        context["duplicates"] = list(selectors.duplicates_for(application))
        context["show_duplicates"] = True
    # Score sheets of every appraisal the dossier has been through, the current one first.
    started = {e.action for e in context["events"]}
    levels = []
    if application.appraisal_level:
        levels.append(application.appraisal_level)
    if "start_national_appraisal" in started and CouncilLevel.NATIONAL not in levels:
        levels.append(CouncilLevel.NATIONAL)
    if "start_appraisal" in started and CouncilLevel.PROVINCIAL not in levels:
        levels.append(CouncilLevel.PROVINCIAL)
    context["sheets"] = []
    for level in levels:
        if not permissions.open_dossier(user, application, level):
            continue  # a council member who has not declared, or declared a conflict, at that level
        level_sheet = selectors.score_sheet(application, level)
        if not permissions.see_others_scores(user, level_sheet):
            level_sheet = level_sheet.blind_for(user.pk)
        context["sheets"].append({
            "level": level, "label": CouncilLevel(level).label, "sheet": level_sheet,
            "rows": [(m, [m.scores.get(c.pk) for c in level_sheet.criteria]) for m in level_sheet.members]})
    if application.appraisal_level and selectors.council_seat(application, user, application.appraisal_level):
        context["my_seat"] = True
    context["actions"] = action_buttons(application, user)
    context["version"] = application.version
    context.update(implementation_context(application, user))
    return context




def _labelled(events) -> list:
    events = list(events)
    for event in events:
        transition = workflow.TRANSITIONS.get(event.action)
        event.label = transition.label if transition else EVENT_LABELS.get(event.action, event.action)
    return events


