"""The portal's start page (outside the ``provinces`` namespace: templates link to ``home``)."""

from django.urls import path

from . import views

urlpatterns = [path("", views.home, name="home")]
