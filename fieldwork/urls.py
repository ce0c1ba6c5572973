"""Page URLs of the commune officer's desk, in Vietnamese."""

from django.urls import path

from . import views

app_name = "fieldwork"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("thuc-dia/moi/", views.FieldVisitCreateView.as_view(), name="visit_create"),
    path("thuc-dia/anh/<int:pk>/", views.PhotoView.as_view(), name="photo"),
]
