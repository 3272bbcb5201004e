"""What equipment adds to shared pages (`marketplace.core.navigation`), registered by EquipmentConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from marketplace.core import navigation
from marketplace.core.navigation import Link, LinkGroup, Section

from . import selectors


def home_instruments(request, page):
    """A few recently published instruments for the home page."""
    instruments = selectors.featured_instruments(6)
    return {"instruments": instruments} if instruments else None


def institute_instruments(request, page):
    """Live instruments of the page's institute, cheapest first."""
    instruments = selectors.instruments_of(page.organization, 12)
    return {"instruments": instruments} if instruments else None


def register():
    navigation.register(navigation.NAV, "equipment", Link(_("Instruments"), "instruments"), order=20)
    navigation.register(
        navigation.DASHBOARD,
        "equipment",
        LinkGroup(
            _("Shared instruments"),
            (
                Link(_("My bookings"), "equipment:my_bookings"),
                Link(
                    _("Instrument bookings to approve, today's schedule and usage"),
                    "equipment:manage",
                    shown=selectors.is_manager,
                ),
                Link(_("Find an instrument"), "instruments"),
            ),
        ),
        order=10,
    )
    navigation.register(
        navigation.HOME, "equipment", Section("equipment/includes/home_instruments.html", home_instruments), order=10
    )
    navigation.register(
        navigation.INSTITUTE,
        "equipment",
        Section("equipment/includes/institute_instruments.html", institute_instruments),
        order=10,
    )
