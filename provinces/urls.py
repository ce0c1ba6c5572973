"""URLs of the geography pages."""

from django.urls import path

from . import views

app_name = "provinces"
urlpatterns = [
    path("", views.ProvinceListView.as_view(), name="province_list"),
    path("<int:pk>/", views.ProvinceDetailView.as_view(), name="province_detail"),
]
