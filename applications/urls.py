"""Page URLs of the applications app (the officer workspace), in Vietnamese."""

from django.urls import path

from . import views
from .imports import views as import_views

app_name = "applications"
urlpatterns = [
    path("viec-can-lam/", views.TaskListView.as_view(), name="tasks"),
    path("co-so/", views.EstablishmentListView.as_view(), name="establishment_list"),
    path("co-so/moi/", views.EstablishmentCreateView.as_view(), name="establishment_create"),
    path("co-so/xa-ke-thua/", views.EstablishmentSuccessorsView.as_view(), name="establishment_successors"),
    path("co-so/<int:pk>/", views.EstablishmentDetailView.as_view(), name="establishment_detail"),
    path("co-so/<int:pk>/khong-trung/", views.EstablishmentDistinctView.as_view(), name="establishment_distinct"),
    path("co-so/<int:pk>/sua/", views.EstablishmentUpdateView.as_view(), name="establishment_update"),
    path("de-an/", views.ApplicationListView.as_view(), name="application_list"),
    path("de-an/moi/", views.ApplicationCreateView.as_view(), name="application_create"),
    path("de-an/dinh-muc/", views.ApplicationGuidanceView.as_view(), name="application_guidance"),
    path("de-an/<int:pk>/", views.ApplicationDetailView.as_view(), name="application_detail"),
    path("de-an/<int:pk>/sua/", views.ApplicationUpdateView.as_view(), name="application_update"),
    path("de-an/<int:pk>/thao-tac/<str:action>/", views.TransitionView.as_view(), name="transition"),
    path("de-an/<int:pk>/tai-lieu/them/", views.AttachmentUploadView.as_view(), name="attachment_upload"),
    path("de-an/<int:pk>/tai-lieu/<int:attachment_pk>/", views.AttachmentDownloadView.as_view(),
         name="attachment_download"),
    path("de-an/<int:pk>/tai-lieu/<int:attachment_pk>/go/", views.AttachmentRemoveView.as_view(),
         name="attachment_remove"),
    path("de-an/<int:pk>/cham-diem/", views.ScoringView.as_view(), name="scoring"),
    path("de-an/<int:pk>/ghi-nhan/<str:record>/", views.RecordView.as_view(), name="record"),
    path("de-an/<int:pk>/dieu-chinh/<int:change_pk>/quyet-dinh/", views.ChangeDecisionView.as_view(),
         name="change_decision"),
    path("ngan-sach/", views.BudgetView.as_view(), name="budget"),
    path("hoi-dong/dot/<int:call_pk>/", views.CallCouncilsView.as_view(), name="call_councils"),
    path("ngan-sach/giao/", views.AllocationCreateView.as_view(), name="allocation_create"),
    path("ngan-sach/<int:pk>/", views.AllocationDetailView.as_view(), name="allocation_detail"),
    path("nhap-du-lieu/", import_views.ImportIndexView.as_view(), name="import_index"),
    path("nhap-du-lieu/mau/<str:kind>/<int:province>/", import_views.ImportTemplateView.as_view(),
         name="import_template"),
    path("nhap-du-lieu/<int:pk>/", import_views.ImportDetailView.as_view(), name="import_detail"),
    path("nhap-du-lieu/<int:pk>/xac-nhan/", import_views.ImportConfirmView.as_view(), name="import_confirm"),
    path("nhap-du-lieu/<int:pk>/dong-loi.xlsx", import_views.ImportErrorsView.as_view(), name="import_errors"),
]
