"""URLs of the statistics app (mounted at /stats/ in marketplace/urls.py)."""

from django.urls import path

from . import views

app_name = "statistics"

urlpatterns = [
    path("", views.public_stats, name="public"),
]
