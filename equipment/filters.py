"""Facets of the instrument browse page."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from marketplace.accounts.models import Organization
from marketplace.core import catalogue_cache

from . import selectors
from .models import BookingMode, InstrumentCategory, InstrumentPage, ResourceKind


def _cities(request=None):
    """Cities of active institutes with at least one instrument (an EXISTS per institute, not a join with
    every instrument), cached with the catalogue."""

    def compute():
        cities = (
            Organization.objects.filter(kind=Organization.Kind.INSTITUTE, is_active=True)
            .filter(Exists(InstrumentPage.objects.filter(institute_id=OuterRef("pk"))))
            .exclude(city="")
            .values_list("city", flat=True)
            .distinct()
            .order_by("city")
        )
        return [(c, c) for c in cities]

    return catalogue_cache.cached("cities", compute)


class InstrumentFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(field_name="resource_kind", choices=ResourceKind.choices, label=_("Kind"))
    category = django_filters.ModelChoiceFilter(
        queryset=InstrumentCategory.objects.all(), label=_("Category"), to_field_name="slug"
    )
    institute = django_filters.ModelChoiceFilter(
        queryset=Organization.objects.filter(kind=Organization.Kind.INSTITUTE, is_active=True),
        label=_("Institute"),
        to_field_name="slug",
    )
    city = django_filters.ChoiceFilter(field_name="institute__city", choices=_cities, label=_("City"))
    mode = django_filters.ChoiceFilter(field_name="booking_mode", choices=BookingMode.choices, label=_("Booking mode"))
    max_rate = django_filters.NumberFilter(
        field_name="enterprise_rate", lookup_expr="lte", label=_("Maximum hourly rate (CNY)"), min_value=0
    )
    free_on = django_filters.DateFilter(
        method="filter_free_on", label=_("Free on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    # Explicit choices: each label says which way it sorts, in the reader's language (django-filter's own
    # "(descending)" suffix has no Simplified Chinese translation and reads backwards for dates).
    sort = django_filters.OrderingFilter(
        fields=(("enterprise_rate", "rate"), ("title", "name"), ("first_published_at", "published")),
        choices=(
            ("rate", _("Hourly rate: lowest first")),
            ("-rate", _("Hourly rate: highest first")),
            ("name", _("Listing name: A to Z")),
            ("-name", _("Listing name: Z to A")),
            ("-published", _("Newest first")),
            ("published", _("Oldest first")),
        ),
        label=_("Sort by"),
    )

    class Meta:
        model = InstrumentPage
        fields = []

    def filter_free_on(self, queryset, name, value):
        return queryset.filter(selectors.free_on_date_filter(value))
