"""Everything one dashboard (or the public figures page) shows, computed once and cached
(`figures_cache`)."""

import functools

from .. import figures_cache
from .figures import deals_by_mode, deals_total, enterprises_served, funnel, ledger_totals, monthly_trends
from .instruments import busiest_instruments

# --- everything one dashboard shows -----------------------------------------------------------------


# The dashboard lists this many instruments, busiest first (the totals cover all; the export lists all).
DASHBOARD_INSTRUMENTS = 50


def dashboard(scope, period, *, cached=True) -> dict:
    """Everything one dashboard shows, cached (`figures_cache`; `cached=False` computes it afresh)
    except the funnel's listing views: a counter updated in place on every page view, so read anew
    each time (one indexed sum)."""
    compute = functools.partial(_dashboard_figures, scope, period)
    figures = figures_cache.cached("dashboard", scope, period, compute) if cached else compute()
    return {**figures, "funnel": funnel(scope, period, figures["totals"])}


def _dashboard_figures(scope, period) -> dict:
    totals = ledger_totals(scope, period)
    deals = deals_by_mode(scope, period)
    served = enterprises_served(scope, period)
    instruments, instrument_totals = busiest_instruments(scope, period, limit=DASHBOARD_INSTRUMENTS)
    return {
        "totals": totals,
        "deals": deals,
        "deals_total": deals_total(deals),
        "instruments": instruments,
        "instrument_totals": instrument_totals,
        "enterprises": served,
        "enterprises_total": sum(r["count"] for r in served),
        "trends": monthly_trends(scope, period),
    }


def public_figures(period, *, cached=True) -> dict:
    """Platform-wide aggregates only: no institute, enterprise or instrument names. Cached like the
    dashboard."""
    compute = functools.partial(_public_figures, period)
    return figures_cache.cached("public", None, period, compute) if cached else compute()


def _public_figures(period) -> dict:
    totals = ledger_totals(None, period)
    deals = deals_by_mode(None, period)
    served = enterprises_served(None, period)
    return {
        "totals": totals,
        "deals": deals,
        "deals_total": deals_total(deals),
        "enterprises_total": sum(r["count"] for r in served),
        "trends": monthly_trends(None, period),
    }
