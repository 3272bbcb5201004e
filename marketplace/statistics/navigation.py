"""What statistics adds to shared pages (`marketplace.core.navigation`), registered by StatisticsConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from marketplace.core import navigation
from marketplace.core.navigation import Link


def register():
    navigation.register(navigation.NAV, "statistics", Link(_("Impact"), "statistics:public"), order=40)
