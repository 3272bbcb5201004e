"""URLs of the statistics app (mounted in marketplace/urls.py)."""

app_name = "statistics"

urlpatterns = []
