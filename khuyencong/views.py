"""Project-level views: the home page, the API root, two-factor sign-in and one's own API tokens."""

from base64 import b32encode
from datetime import timedelta
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .forms import (
    ApiTokenCreateForm,
    OneTimeCodeForm,
    PasswordChangeForm,
    PasswordResetForm,
    RecoveryCodeForm,
)
from .models import ApiToken
from .security import client_ip, count_hit, two_factor_required_for
from .services import (
    api_token_create,
    api_token_revoke,
    recovery_code_use,
    recovery_codes_generate,
    recovery_codes_left,
)
from .source import source_url


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


class ApiRootSerializer(serializers.Serializer):
    """Where each resource list is (keys as ``ApiRootView.RESOURCES``; a resource this
    portal does not serve is left out), the schema, the docs and the source code."""

    def get_fields(self):
        fields = {name: serializers.URLField(required=False) for name in ApiRootView.RESOURCES}
        fields.update(schema=serializers.URLField(), docs=serializers.URLField(),
                      source_code=serializers.URLField())
        return fields


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

    @extend_schema(responses={200: ApiRootSerializer}, operation_id="api_root")
    def get(self, request):
        links = {}
        for name in self.RESOURCES:
            try:
                links[name] = request.build_absolute_uri(reverse(f"{self.BASENAMES[name]}-list"))
            except NoReverseMatch:
                continue
        links["schema"] = request.build_absolute_uri(reverse("api-schema"))
        links["docs"] = request.build_absolute_uri(reverse("api-docs"))
        # The AGPL's source offer.
        links["source_code"] = source_url(request)
        return Response(links)


# --- Password change ------------------------------------------------------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view with a form whose wrong current passwords count toward the lockout."""

    form_class = PasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordResetView(auth_views.PasswordResetView):
    """Reset by e-mail, at most ``KC_PASSWORD_RESET_PER_ADDRESS`` requests per address and
    hour (429), and a limited number of mails per account (``PasswordResetForm``)."""

    form_class = PasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def post(self, request, *args, **kwargs):
        if count_hit(f"password-reset:address:{client_ip(request)}", settings.KC_PASSWORD_RESET_PER_ADDRESS, 3600):
            response = render(request, "too_many_requests.html", {
                "message": _("Có quá nhiều yêu cầu đặt lại mật khẩu từ địa chỉ mạng này. Vui lòng thử lại sau một "
                             "giờ hoặc liên hệ quản trị viên của đơn vị.")}, status=429)
            response["Retry-After"] = "3600"
            return response
        return super().post(request, *args, **kwargs)


# --- Two-factor authentication -----------------------------------------------------------

def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("home")


def _confirmed_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def _locked_message(device) -> str | None:
    """After wrong codes the device waits 1, 2, 4… seconds: say how long, not "a moment"."""
    allowed, data = device.verify_is_allowed()
    if allowed:
        return None
    until = (data or {}).get("locked_until")
    if until is None:
        return _("Đã nhập sai quá nhiều lần. Xin thử lại sau.")
    seconds = max(1, int((until - timezone.now()).total_seconds() + 0.999))
    return _("Đã nhập sai %(n)s lần. Xin chờ %(s)s giây (đến %(t)s) rồi nhập mã mới.") % {
        "n": data.get("failure_count", 1), "s": seconds, "t": timezone.localtime(until).strftime("%H:%M:%S")}


@login_required
def two_factor(request):
    """Second step of sign-in: a code from the user's authenticator app, or one of the
    one-time recovery codes when the phone is lost."""
    next_url = _next_url(request)
    device = _confirmed_device(request.user)
    if device is None:
        return redirect(f"{reverse('two_factor_setup')}?{urlencode({'next': next_url})}")
    if request.user.is_verified():
        return redirect(next_url)
    use_recovery = request.method == "POST" and "recovery_code" in request.POST
    form = OneTimeCodeForm(request.POST if request.method == "POST" and not use_recovery else None)
    recovery_form = RecoveryCodeForm(request.POST if use_recovery else None)
    bound = recovery_form if use_recovery else form
    if request.method == "POST" and bound.is_valid():
        locked = _locked_message(device)
        field = "recovery_code" if use_recovery else "code"
        if locked:
            bound.add_error(field, locked)
        elif use_recovery:
            if recovery_code_use(user=request.user, code=recovery_form.cleaned_data["recovery_code"]):
                device.throttle_reset()
                otp_login(request, device)
                left = recovery_codes_left(user=request.user)
                messages.warning(request, _("Đã dùng một mã dự phòng; còn %(n)s mã. Tạo bộ mã mới ở trang Xác thực "
                                            "hai lớp khi sắp hết.") % {"n": left})
                return redirect(next_url)
            device.throttle_increment()
            bound.add_error(field, _("Mã dự phòng không đúng hoặc đã được dùng.") + " "
                            + (_locked_message(device) or ""))
        else:
            # verify_token throttles repeated failures and refuses a code already used.
            if device.verify_token(form.cleaned_data["code"]):
                otp_login(request, device)
                return redirect(next_url)
            bound.add_error(field, _("Mã không đúng hoặc đã hết hạn.") + " " + (_locked_message(device) or ""))
    return render(request, "registration/two_factor.html", {
        "form": form, "recovery_form": recovery_form, "next": next_url, "use_recovery": use_recovery,
        "has_recovery_codes": recovery_codes_left(user=request.user) > 0})


def _show_recovery_codes(request, codes):
    response = render(request, "registration/recovery_codes.html", {"codes": codes,
                                                                     "next": _next_url(request)})
    response["Cache-Control"] = "no-store"
    return response


@login_required
def two_factor_setup(request):
    """Enrolment: a new TOTP secret shown as text and QR code, confirmed with a first code;
    then the recovery codes, shown once."""
    next_url = _next_url(request)
    confirmed = _confirmed_device(request.user)
    if confirmed is not None:
        if not request.user.is_verified():
            return redirect(f"{reverse('two_factor')}?{urlencode({'next': next_url})}")
        if request.method == "POST" and "new_recovery_codes" in request.POST:
            return _show_recovery_codes(request, recovery_codes_generate(user=request.user))
        return render(request, "registration/two_factor_setup.html", {
            "device": confirmed, "enabled": True, "codes_left": recovery_codes_left(user=request.user)})
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name=_("Ứng dụng xác thực"), confirmed=False)
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
            otp_login(request, device)
            messages.success(request, _("Đã bật xác thực hai lớp."))
            return _show_recovery_codes(request, recovery_codes_generate(user=request.user))
        form.add_error("code", _("Mã không đúng. Kiểm tra giờ của điện thoại và thử lại."))
    secret = b32encode(device.bin_key).decode()
    response = render(request, "registration/two_factor_setup.html", {
        "form": form, "next": next_url, "enabled": False, "required": two_factor_required_for(request.user),
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        # An SVG data: URI: no external service sees the secret, and CSP's img-src allows data:.
        "qr_data_uri": segno.make(device.config_url, error="m").svg_data_uri(scale=4),
    })
    response["Cache-Control"] = "no-store"
    return response


# --- Personal API tokens --------------------------------------------------------------------

@login_required
def api_tokens(request):
    """"Khóa API của tôi": the user's own tokens; a new key is shown once, in this response only."""
    form = ApiTokenCreateForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        _token, new_key = api_token_create(user=request.user, read_only=data["read_only"], name=data["name"],
                                           expires_at=timezone.now() + timedelta(days=data["days"]))
        form = ApiTokenCreateForm()
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    response = render(request, "khuyencong/api_tokens.html", {"form": form, "tokens": tokens, "new_key": new_key})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_token_revoke_view(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    api_token_revoke(token=token)
    messages.success(request, _("Đã thu hồi khóa %(prefix)s…") % {"prefix": token.prefix})
    return redirect("api_tokens")
