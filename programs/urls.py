"""Page URLs of the programmes app, in Vietnamese."""

from django.urls import path

from . import views

app_name = "programs"
urlpatterns = [
    path("", views.ProgrammeListView.as_view(), name="programme_list"),
    path("dinh-muc/", views.SupportRuleListView.as_view(), name="support_rule_list"),
    path("dinh-muc/moi/", views.SupportRuleCreateView.as_view(), name="support_rule_create"),
    path("<int:pk>/", views.ProgrammeDetailView.as_view(), name="programme_detail"),
    path("<int:programme_pk>/dot/moi/", views.CallCreateView.as_view(), name="call_create"),
    path("dot/<int:pk>/sua/", views.CallUpdateView.as_view(), name="call_update"),
    path("dot/<int:pk>/sao-chep/", views.CallCopyView.as_view(), name="call_copy"),
]
