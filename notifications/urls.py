"""Page URLs of the notifications app, in Vietnamese."""

from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.NotificationListView.as_view(), name="list"),
    path("chuong/", views.BellView.as_view(), name="bell"),
    path("da-doc/", views.MarkReadView.as_view(), name="mark_read"),
    path("cai-dat/", views.PreferenceView.as_view(), name="preferences"),
    path("<int:pk>/mo/", views.NotificationOpenView.as_view(), name="open"),
    path("theo-doi/<int:pk>/", views.WatchView.as_view(), name="watch"),
]
