"""The task list page (``selectors.tasks_for``)."""


from django.views.generic import TemplateView

from khuyencong.web import PortalViewMixin, wants_partial

from ..selectors.tasks import tasks_for


class TaskListView(PortalViewMixin, TemplateView):
    template_name = "applications/task_list.html"

    def get_template_names(self):
        if wants_partial(self.request) and self.request.GET.get("panel"):
            return ["applications/_task_panel.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tasks = tasks_for(self.request.user)
        context["tasks"] = tasks
        context["overdue_count"] = sum(1 for t in tasks if t.late)
        return context


