"""Thin views: the TTO dashboard and exports (Wagtail admin) and the public impact page (/stats/)."""

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from marketplace.core.money import format_money

from . import charts, exports
from .forms import PeriodForm, year_choices
from .periods import Period
from .selectors import access, dashboards

PUBLIC_CACHE_SECONDS = 300


def _chosen(request):
    """(form, period, scope, institute) from the query string, permission-checked (404 otherwise)."""
    if not access.can_view_dashboard(request.user):
        raise PermissionDenied
    form = PeriodForm(request.GET or None)
    if form.is_bound:
        form.is_valid()
    scope, institute = access.resolve_scope(request.user, form.institute_param() if form.is_bound else None)
    period = form.period() if form.is_bound else Period.year(timezone.localdate().year)
    return form, period, scope, institute


def _month_label(month):
    return f"{month:%Y-%m}"


def trend_charts(figures):
    trends = figures["trends"]
    return {
        "deals": charts.bar_chart(
            [(r["label"], r["value"]) for r in figures["deals"] if not r["indent"]],
            title=_("Contract value by mode"),
            unit=_("CNY"),
            value_format=format_money,
        ),
        "trend_value": charts.line_chart(
            [(_month_label(r["month"]), r["contract_value"]) for r in trends],
            title=_("Contract value per month"),
            unit=_("CNY"),
            value_format=format_money,
        ),
        "trend_hours": charts.line_chart(
            [(_month_label(r["month"]), r["used_hours"]) for r in trends],
            title=_("Instrument hours per month"),
            unit=_("hours"),
        ),
        "trend_jobs": charts.line_chart(
            [(_month_label(r["month"]), r["jobs"]) for r in trends], title=_("Jobs created per month"), unit=_("jobs")
        ),
    }


def dashboard_charts(figures):
    return {
        **trend_charts(figures),
        "funnel": charts.bar_chart(
            [(r["label"], r["value"]) for r in figures["funnel"]], title=_("Conversion funnel"), unit=_("count")
        ),
        "enterprises": charts.bar_chart(
            [(r["label"], r["count"]) for r in figures["enterprises"]],
            title=_("Enterprises served by size class"),
            unit=_("enterprises"),
        ),
        "hours": charts.bar_chart(
            [(r.title, r.booked_hours) for r in figures["instruments"][:15]],
            title=_("Booked hours by instrument"),
            unit=_("hours"),
        ),
    }


class DashboardView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "statistics/admin/dashboard.html"
    page_title = gettext_lazy("Transfer statistics")
    header_icon = "table"

    def get(self, request, *args, **kwargs):
        self.form, self.period, self.scope, self.institute = _chosen(request)
        return super().get(request, *args, **kwargs)

    def get_page_subtitle(self):
        who = self.institute.display_name if self.institute else _("All institutes")
        return f"{who} · {self.period.label}"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def _institute_options(self):
        """(value, name, chosen) of each choice of the institute menu: all institutes (platform staff) and
        each institute the user may see."""
        options = [("all", _("All institutes"), self.institute is None)] if self.request.user.is_staff else []
        for item in access.dashboard_institutes(self.request.user):
            options.append(
                (str(item.pk), item.display_name, self.institute is not None and item.pk == self.institute.pk)
            )
        return options

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        figures = dashboards.dashboard(self.scope, self.period)
        query = self.request.GET.urlencode()
        context.update(
            figures=figures,
            charts=dashboard_charts(figures),
            form=self.form,
            period=self.period,
            institute=self.institute,
            institute_options=self._institute_options(),
            year_options=[
                (y, self.period.is_calendar_year and self.period.first_day.year == y) for y in year_choices()
            ],
            some_instruments_unlisted=figures["instrument_totals"]["instruments"] > len(figures["instruments"]),
            export_links=[
                (_("Annual transfer report (XLSX)"), reverse("statistics_export", args=["annual", "xlsx"]), query),
                (_("Annual transfer report (CSV)"), reverse("statistics_export", args=["annual", "csv"]), query),
                (_("Instrument usage (XLSX)"), reverse("statistics_export", args=["instruments", "xlsx"]), query),
                (_("Instrument usage (CSV)"), reverse("statistics_export", args=["instruments", "csv"]), query),
            ],
        )
        return context


EXPORT_TABLES = {
    "annual": (exports.annual_report_table, gettext_lazy("Annual transfer report")),
    "instruments": (exports.instrument_usage_table, gettext_lazy("Instrument usage")),
}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export_view(request, table, fmt):
    _form, period, scope, institute = _chosen(request)
    build, title = EXPORT_TABLES[table]
    headers, rows = build(scope, period)
    preamble = exports.heading_lines(institute, period)
    if fmt == "csv":
        content = exports.to_csv(headers, rows, preamble)
    else:
        content = exports.to_xlsx(str(title), headers, rows, preamble)
    who = institute.slug if institute else "all"
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{table}-{who}-{period.slug}.{fmt}"'
    return response


def public_stats(request):
    """Platform-wide totals and monthly trends: aggregates only, no names."""
    year = timezone.localdate().year
    try:
        year = int(request.GET.get("year", year))
    except ValueError:
        pass
    year = min(max(year, 2000), 2100)
    period = Period.year(year)
    # The figures (not the page, which carries the visitor's CSRF token) are cached briefly.
    figures = cache.get_or_set(
        f"statistics:public:{year}", lambda: dashboards.public_figures(period), PUBLIC_CACHE_SECONDS
    )
    context = {
        "figures": figures,
        "charts": trend_charts(figures),
        "period": period,
        "year_options": [(y, y == year) for y in year_choices()],
        "language": get_language(),
    }
    return render(request, "statistics/public.html", context)
