"""Facets of the result browse page (/results/)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from marketplace.accounts.models import Organization

from . import selectors
from .models import TRL, DealMode, IPKind, ResultPage, TechnologyField

ANY_TRL = [("", "---------")]


class ResultFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(field_name="ip_kind", choices=IPKind.choices, label=_("Kind of IP"))
    field = django_filters.ModelChoiceFilter(
        queryset=TechnologyField.objects.all(), label=_("Technology field"), to_field_name="slug"
    )
    # A blank first choice: without it the browser submits TRL 1 as the maximum with every search.
    trl_min = django_filters.TypedChoiceFilter(
        field_name="trl", lookup_expr="gte", choices=ANY_TRL + TRL.choices, coerce=int, label=_("TRL at least")
    )
    trl_max = django_filters.TypedChoiceFilter(
        field_name="trl", lookup_expr="lte", choices=ANY_TRL + TRL.choices, coerce=int, label=_("TRL at most")
    )
    institute = django_filters.ModelChoiceFilter(
        queryset=Organization.objects.filter(kind=Organization.Kind.INSTITUTE, is_active=True),
        label=_("Institute"),
        to_field_name="slug",
    )
    mode = django_filters.ChoiceFilter(choices=DealMode.choices, label=_("Transfer mode"), method="filter_offers")
    express = django_filters.BooleanFilter(
        label=_("Express licence only"),
        method="filter_offers",
        widget=django_filters.widgets.forms.CheckboxInput,
    )
    min_price = django_filters.NumberFilter(label=_("Upfront fee from (CNY)"), min_value=0, method="filter_offers")
    max_price = django_filters.NumberFilter(label=_("Upfront fee up to (CNY)"), min_value=0, method="filter_offers")
    sort = django_filters.OrderingFilter(
        fields=(("first_published_at", "published"), ("title", "name"), ("trl", "trl"), ("price_from", "price")),
        # Explicit choices: each label says which way it sorts, in the reader's language.
        choices=(
            ("-published", _("Newest first")),
            ("published", _("Oldest first")),
            ("name", _("Listing name: A to Z")),
            ("-name", _("Listing name: Z to A")),
            ("-trl", _("Readiness (TRL): highest first")),
            ("trl", _("Readiness (TRL): lowest first")),
            ("price", _("Upfront fee: lowest first")),
            ("-price", _("Upfront fee: highest first")),
        ),
        label=_("Sort by"),
    )

    class Meta:
        model = ResultPage
        fields = []

    def filter_offers(self, queryset, name, value):
        # The offer facets are combined into one EXISTS in `filter_queryset`.
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        offer_facets = {
            "mode": data.get("mode") or None,
            "express": bool(data.get("express")),
            "min_price": data.get("min_price"),
            "max_price": data.get("max_price"),
        }
        if any(v not in (None, False) for v in offer_facets.values()):
            queryset = queryset.filter(selectors.offers_filter(**offer_facets))
        return queryset
