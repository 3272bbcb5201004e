"""Editor panels of the instrument page that show rather than edit."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import Panel


class RatePreviewPanel(Panel):
    """A read-only panel in the "Cost and rates" tab: the rate the cost model gives, updated while the
    manager types (equipment/rate_preview.py)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("heading", _("Hourly rate preview"))
        super().__init__(**kwargs)

    class BoundPanel(Panel.BoundPanel):
        template_name = "equipment/admin/rate_preview_panel.html"

        def get_context_data(self, parent_context=None):
            from . import rate_preview  # the models module imports this one

            context = super().get_context_data(parent_context)
            context["preview"] = rate_preview.render_preview(rate_preview.instrument_for(self.instance))
            context["fields"] = " ".join(rate_preview.FIELDS)
            return context
