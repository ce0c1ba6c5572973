"""The page of one workflow action: its small form, or the form of the record the step
needs first (contract, completion report, acceptance, settlement)."""


from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from khuyencong.errors import DomainConflict
from khuyencong.web import error_message
from programs.selectors import support_rule_for

from .. import selectors, services, workflow
from ..choices import Status
from ..forms import TransitionForm, add_service_errors, posted_version
from ..ledger import budget_position
from ..models import Application
from .base import ApplicationObjectMixin
from .implementation import STEP_FORMS, implementation_context


class TransitionView(ApplicationObjectMixin, TemplateView):
    """GET: the small form of an action that needs inputs. POST: perform the action."""

    template_name = "applications/transition_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.transition = workflow.TRANSITIONS.get(kwargs["action"])
        if self.transition is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, application, data=None, files=None):
        step = STEP_FORMS.get(self.transition.record_first)
        if step is not None:
            return step[0](data, files, application=application)
        form = TransitionForm(data, transition=self.transition)
        if data is None and "approved_amount" in form.fields:
            form.fields["approved_amount"].initial = application.requested_support
        return form

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = kwargs["application"]
        context["transition"] = self.transition
        if self.transition.record_first:
            context.update(implementation_context(application, self.request.user))
        if self.transition.requires_amount:
            today = timezone.localdate()
            rule = support_rule_for(province_id=application.province_id, fund_source=application.fund_source,
                                    activity_type_id=application.activity_type_id, on=today)
            context["rule"] = rule
            context["cap"] = rule.cap_for(application.total_cost, application.establishments.count()) if rule else None
            context["budget"] = budget_position(programme_id=application.programme_id,
                                                province_id=application.province_id, year=application.year)
            level = application.appraisal_level
            if level:
                context["sheet"] = selectors.score_sheet(application, level)
        return context

    def refusal(self, application):
        """Why this caller cannot take this step now (None when they can): said before the
        form is shown, not after it is filled in."""
        step = next((p for p in workflow.preview(application, self.request.user) if p.action == self.transition.action),
                    None)
        if step is None:
            return _("Bước “%(a)s” không áp dụng cho đề án ở trạng thái “%(s)s”.") % {
                "a": self.transition.label, "s": application.get_status_display()}
        if not step.allowed:
            return " ".join(str(r) for r in step.reasons) or _("Vai trò của bạn không được thực hiện bước này.")
        return None

    def get(self, request, *args, **kwargs):
        application = self.get_application()
        reason = self.refusal(application)
        if reason:
            raise PermissionDenied(_("Không thể thực hiện “%(a)s” cho đề án %(c)s: %(r)s") % {
                "a": self.transition.label, "c": application.code, "r": reason})
        return self.render_to_response(self.get_context_data(application=application,
                                                             form=self.get_form(application)))

    def post(self, request, *args, **kwargs):
        application = self.get_application()
        if self.transition.record_first:
            return self.post_step(request, application)
        form = self.get_form(application, request.POST)
        detail = redirect("applications:application_detail", application.pk)
        if not form.is_valid():
            if not form.needs_input:
                messages.error(request, _("Dữ liệu không hợp lệ."))
                return detail
            return self.render_to_response(self.get_context_data(application=application, form=form), status=400)
        data = form.cleaned_data
        try:
            services.application_transition(
                user=request.user, application_id=application.pk, action=self.transition.action,
                reason=data.get("reason") or "", decision_number=data.get("decision_number") or "",
                decision_date=data.get("decision_date"), approved_amount=data.get("approved_amount"),
                expected_version=posted_version(request.POST))
        except ValidationError as exc:
            loose = add_service_errors(form, exc)
            if not form.needs_input:
                messages.error(request, " ".join(loose) or _("Dữ liệu không hợp lệ."))
                return detail
            return self.render_to_response(self.get_context_data(application=application, form=form), status=400)
        except DomainConflict as exc:
            error_message(request, exc)
            if form.needs_input:
                return self.render_to_response(self.get_context_data(application=application, form=form),
                                               status=409)
            return detail
        except PermissionDenied as exc:
            error_message(request, exc)
            return detail
        except Application.DoesNotExist as exc:
            raise Http404 from exc
        application.refresh_from_db()
        messages.success(request, _("Đã thực hiện “%(a)s”. Trạng thái: %(s)s.")
                         % {"a": self.transition.label, "s": application.get_status_display()})
        return detail


    def post_step(self, request, application):
        """A step that records something (contract, completion report, acceptance,
        settlement) and performs the action through its service."""
        form = self.get_form(application, request.POST, request.FILES)

        def again(status):
            return self.render_to_response(self.get_context_data(application=application, form=form), status=status)

        if not form.is_valid():
            return again(400)
        service = getattr(services, STEP_FORMS[self.transition.record_first][1])
        arguments = form.service_arguments()
        if self.transition.action == "start_implementation":
            blank = not any(v for k, v in arguments.items() if k != "beneficiary")
            # With a contract already recorded, the start may add none.
            arguments = {"contracts": [] if blank and application.contracts.exists() else [arguments]}
        try:
            service(user=request.user, application_id=application.pk, **arguments)
        except ValidationError as exc:
            if self.transition.action == "start_implementation" and hasattr(exc, "error_dict"):
                # implementation_start reports a contract's problems as "#1: field: message".
                exc = _contract_errors(exc)
            add_service_errors(form, exc)
            return again(400)
        except DomainConflict as exc:
            error_message(request, exc)
            return again(409)
        except PermissionDenied as exc:
            error_message(request, exc)
            return again(403)
        except Application.DoesNotExist as exc:
            raise Http404 from exc
        application.refresh_from_db()
        if self.transition.action == "accept" and application.status != Status.ACCEPTED:
            messages.warning(request, _("Đã ghi biên bản nghiệm thu: không đạt. Đề án vẫn ở trạng thái “%(s)s”.")
                             % {"s": application.get_status_display()})
        else:
            messages.success(request, _("Đã thực hiện “%(a)s”. Trạng thái: %(s)s.")
                             % {"a": self.transition.label, "s": application.get_status_display()})
        return redirect("applications:application_detail", application.pk)


def _contract_errors(exc: ValidationError) -> ValidationError:
    """Field errors of the single contract of the start page, from implementation_start's
    ``{"contracts": ["#1: number: Cần số hợp đồng.; value: …"]}``."""
    fields = {}
    for message in exc.message_dict.get("contracts", []):
        body = message.split(": ", 1)[1] if message.startswith("#") else message
        for part in body.split("; "):
            key, _sep, text = part.partition(": ")
            if text:
                fields.setdefault(key, []).append(text)
            else:
                fields.setdefault("__all__", []).append(part)
    for key, messages_ in exc.message_dict.items():
        if key != "contracts":
            fields.setdefault(key, []).extend(messages_)
    return ValidationError(fields) if fields else exc


