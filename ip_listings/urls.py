"""URLs of the ip_listings app (mounted in marketplace/urls.py)."""

app_name = "ip_listings"

urlpatterns = []
