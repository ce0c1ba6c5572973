"""Root URL configuration."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import audit_views, money, source, views
from .security import slowed_down

audit_router = DefaultRouter(trailing_slash=True)
audit_router.include_root_view = False
audit_router.register("audit-entries", audit_views.AuditEntryViewSet, basename="audit-entry")

api_v1 = [
    path("", views.ApiRootView.as_view(), name="api-root"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI's start-up script is inline, with the CSP nonce (templates/drf_spectacular/swagger_ui.html).
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # Redoc styles itself with injected <style> elements (styled-components) that carry no nonce:
    # this one page allows inline styles; scripts stay strict.
    path("redoc/", csp_override({**settings.SECURE_CSP, "style-src": [CSP.SELF, CSP.UNSAFE_INLINE]})(
        SpectacularRedocView.as_view(url_name="api-schema")), name="api-redoc"),
    path("", include("provinces.api.urls")),
    path("", include("programs.api.urls")),
    path("", include("applications.api.urls")),
    path("", include("reports.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include(audit_router.urls)),
]

urlpatterns = [
    path("", include("provinces.home_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("ma-nguon/", source.source_archive, name="source_archive"),
    path("dang-nhap/", slowed_down(auth_views.LoginView.as_view(redirect_authenticated_user=True)), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("doi-mat-khau/", slowed_down(views.PasswordChangeView.as_view()), name="password_change"),
    path("doi-mat-khau/xong/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    # Password reset by e-mail (Django's views; templates under templates/registration/).
    path("quen-mat-khau/", views.PasswordResetView.as_view(), name="password_reset"),
    path("quen-mat-khau/da-gui/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("dat-lai-mat-khau/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("dat-lai-mat-khau/xong/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("xac-thuc-hai-lop/", views.two_factor, name="two_factor"),
    path("xac-thuc-hai-lop/dang-ky/", views.two_factor_setup, name="two_factor_setup"),
    path("khoa-api/", views.api_tokens, name="api_tokens"),
    path("khoa-api/<int:pk>/thu-hoi/", views.api_token_revoke_view, name="api_token_revoke"),
    path("dia-ban/", include("provinces.urls")),
    path("chuong-trinh/", include("programs.urls")),
    path("", include("applications.urls")),
    path("bao-cao/", include("reports.urls")),
    path("thong-bao/", include("notifications.urls")),
    path("xa/", include("fieldwork.urls")),
    path("xac-minh/", include("reports.documents.public_urls")),
    path("so-tien-bang-chu/", money.money_words, name="money_words"),
    path("nhat-ky/", audit_views.AuditEntryListView.as_view(), name="audit_list"),
    path("nhat-ky/xuat-csv/", audit_views.AuditEntryCsvView.as_view(), name="audit_csv"),
    # The admin's sign-in is slowed down per address like the portal's own.
    path("quan-tri/login/", slowed_down(admin.site.login), name="admin_login_slowed"),
    path("quan-tri/", admin.site.urls),
    path("api/v1/", include(api_v1)),
]

handler404 = "khuyencong.error_pages.page_not_found"
handler500 = "khuyencong.error_pages.server_error"
