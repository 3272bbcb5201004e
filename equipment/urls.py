"""URLs of the equipment app (mounted in marketplace/urls.py)."""

app_name = "equipment"

urlpatterns = []
