"""Internal charges on the institute's statement: institute users' bookings are charged to their
institute under a project or cost-centre code, never paid through payments; the statement lists them as
a section of their own (`payments.statements`, registered by EquipmentConfig.ready())."""

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.core.money import format_money
from marketplace.payments import statements

from . import selectors
from .models import Overrun, RateTier


def statement_section(institute, start, end):
    """The internal charges of the period as a statement section (None when there are none)."""
    bookings = list(selectors.internal_charges(institute, start, end))
    if not bookings:
        return None
    totals = {}
    rows = []
    for b in bookings:
        key = (b.tier, b.currency)
        totals[key] = totals.get(key, Decimal("0")) + b.price_amount
        rows.append(
            [
                f"#{b.pk}",
                timezone.localtime(b.start).strftime("%Y-%m-%d"),
                b.instrument.display_title,
                b.organization.display_name,
                str(b.user),
                RateTier(b.tier).label,
                b.charge_code,
                b.hours,
                format_money(b.price_amount, b.currency),
            ]
        )
        overrun = _internal_overrun(b)
        if overrun is not None:
            # An overrun of an institute user's booking is charged under the same code (services/usage.py).
            totals[key] = totals[key] + overrun.amount
            rows.append(
                [
                    f"#{b.pk}",
                    timezone.localtime(b.checked_out_at or b.end).strftime("%Y-%m-%d"),
                    _("Overrun: %(minutes)s minutes") % {"minutes": overrun.minutes},
                    b.organization.display_name,
                    str(b.user),
                    RateTier(b.tier).label,
                    b.charge_code,
                    (Decimal(overrun.charged_minutes) / Decimal(60)).quantize(Decimal("0.01")),
                    format_money(overrun.amount, overrun.currency),
                ]
            )
    labels = {
        RateTier.INTERNAL: _("Internal use (own institute)"),
        RateTier.ACADEMIC: _("Academic use (other institutes)"),
    }
    return statements.StatementSection(
        heading=_("Internal charges"),
        columns=(
            _("Booking"),
            _("Date"),
            _("Instrument"),
            _("Charged to"),
            _("Booked by"),
            _("Rate tier"),
            _("Project or cost-centre code"),
            _("Hours"),
            _("Amount"),
        ),
        rows=rows,
        totals=[(labels[tier], amount, currency) for (tier, currency), amount in sorted(totals.items())],
        note=_(
            "Bookings by institute users, charged under their project or cost-centre codes once used (no card "
            "or invoice payment): not part of the payments above."
        ),
    )


def _internal_overrun(booking):
    try:
        overrun = booking.overrun
    except Overrun.DoesNotExist:
        return None
    return overrun if overrun.status == Overrun.Status.INTERNAL else None


def register():
    statements.register("equipment_internal_charges", statement_section, order=10)
