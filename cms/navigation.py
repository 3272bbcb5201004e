"""What the CMS adds to shared pages (`marketplace.core.navigation`), registered by CmsConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from marketplace.core import navigation
from marketplace.core.navigation import Link


def register():
    navigation.register(navigation.NAV, "cms", Link(_("Institutes"), path="/institutes/"), order=10)
