"""Page URLs of the reports app (under /bao-cao/)."""

from django.urls import path

from . import views
from .documents import views as document_views

app_name = "reports"
urlpatterns = [
    path("", views.ReportsHomeView.as_view(), name="index"),
    path("toan-quoc/", views.NationalDashboardView.as_view(), name="national"),
    path("vung/<slug:code>/", views.RegionDashboardView.as_view(), name="region"),
    path("tinh/<int:code>/", views.ProvinceDashboardView.as_view(), name="province"),
    path("lan-lap/", views.RunListView.as_view(), name="run_list"),
    path("lan-lap/yeu-cau/", views.RunRequestView.as_view(), name="run_request"),
    path("lan-lap/<int:pk>/", views.RunDetailView.as_view(), name="run_detail"),
    path("lan-lap/<int:pk>/chay-lai/", views.RunRetryView.as_view(), name="run_retry"),
    path("lan-lap/<int:pk>/tai/<str:fmt>/", views.RunDownloadView.as_view(), name="run_download"),
    path("lan-lap/<int:pk>/ban-hanh/", document_views.RunIssueView.as_view(), name="run_issue"),
    path("van-ban/", document_views.DocumentListView.as_view(), name="document_list"),
    path("van-ban/<int:pk>/tai/", document_views.DocumentDownloadView.as_view(), name="document_download"),
    path("van-ban/so-van-ban/", document_views.RegistryView.as_view(), name="document_registry"),
    path("xuat/de-an/<str:fmt>/", views.ApplicationExportView.as_view(), name="export_applications"),
    path("xuat/co-so/<str:fmt>/", views.EstablishmentExportView.as_view(), name="export_establishments"),
    path("xuat/khoan-chi/<str:fmt>/", views.DisbursementExportView.as_view(), name="export_disbursements"),
]
