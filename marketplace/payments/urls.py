"""URLs of the payments app (mounted in marketplace/urls.py)."""

app_name = "payments"

urlpatterns = []
