"""The read side of the transfer statistics, one module per concern:

- `access`: who may see which institute's figures;
- `figures`: the ledger figures (totals, funnel, deals by mode, enterprises served, monthly trends);
- `instruments`: usage, utilisation, income and cost of the shared instruments;
- `sql`: the SQL building blocks both use;
- `dashboards`: what one dashboard shows, cached (`statistics.figures_cache`).

Inside statistics, import from the module itself; the names below are the read API for the rest of
the project (and bench/).
"""

from .access import can_view_dashboard, dashboard_institutes, resolve_scope
from .dashboards import DASHBOARD_INSTRUMENTS, dashboard, public_figures
from .figures import deals_by_mode, deals_total, enterprises_served, ledger_totals, listing_views, monthly_trends
from .instruments import busiest_instruments, instrument_totals, instrument_usage

__all__ = [
    "DASHBOARD_INSTRUMENTS",
    "busiest_instruments",
    "can_view_dashboard",
    "dashboard",
    "dashboard_institutes",
    "deals_by_mode",
    "deals_total",
    "enterprises_served",
    "instrument_totals",
    "instrument_usage",
    "ledger_totals",
    "listing_views",
    "monthly_trends",
    "public_figures",
    "resolve_scope",
]
