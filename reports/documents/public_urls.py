"""Public (anonymous) URLs of the documents: the verification page (under /xac-minh/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.verify, name="document-verify-search"),
    path("<str:code>/", views.verify, name="document-verify"),
]
