"""Root URL configuration."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import audit_views, views

audit_router = DefaultRouter(trailing_slash=True)
audit_router.include_root_view = False
audit_router.register("audit-entries", audit_views.AuditEntryViewSet, basename="audit-entry")

api_v1 = [
    path("", views.ApiRootView.as_view(), name="api-root"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include("provinces.api.urls")),
    path("", include("programs.api.urls")),
    path("", include("applications.api.urls")),
    path("", include("reports.api.urls")),
    path("", include(audit_router.urls)),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("dang-nhap/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("doi-mat-khau/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("doi-mat-khau/xong/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("dia-ban/", include("provinces.urls")),
    path("chuong-trinh/", include("programs.urls")),
    path("", include("applications.urls")),
    path("bao-cao/", include("reports.urls")),
    path("nhat-ky/", audit_views.AuditEntryListView.as_view(), name="audit_list"),
    path("nhat-ky/xuat-csv/", audit_views.AuditEntryCsvView.as_view(), name="audit_csv"),
    path("quan-tri/", admin.site.urls),
    path("api/v1/", include(api_v1)),
]

handler404 = "khuyencong.views.page_not_found"
