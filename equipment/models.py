"""Shared instruments: listings with a cost model, availability rules, qualifications and bookings."""

import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail import blocks
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.fields import StreamField
from wagtail.images.blocks import ImageBlock
from wagtail.models import Orderable, Page
from wagtail.search import index

from cms.blocks import SpecificationTableBlock
from cms.models import BilingualTitleMixin, TaxonomyTerm
from cms.selectors import institute_for_page
from marketplace.core.history import StateChange
from marketplace.core.i18n import pick
from marketplace.core.money import CurrencyField, MoneyField

from .availability import booking_rule_errors
from .panels import RatePreviewPanel

ZERO = Decimal("0")


class InstrumentCategory(TaxonomyTerm):
    """An editable taxonomy of instrument categories (a Wagtail snippet)."""

    class Meta(TaxonomyTerm.Meta):
        verbose_name = _("instrument category")
        verbose_name_plural = _("instrument categories")


class ResourceKind(models.TextChoices):
    INSTRUMENT = "instrument", _("Instrument or equipment")
    PILOT = "pilot", _("Pilot-scale facility")
    SIMULATION = "simulation", _("Simulation and computing")
    DATA = "data", _("Research data")
    SPACE = "space", _("Office and lab space")


class BookingUnit(models.TextChoices):
    """What one booking of the resource is counted in (equipment/units.py prices each)."""

    HOUR = "hour", _("By the hour")
    DAY = "day", _("By the day (campaigns)")
    MONTH = "month", _("By the month (lease)")
    ACCESS = "access", _("Access period with seats")


class BookingMode(models.TextChoices):
    SELF_SERVICE = "self_service", _("Self-service after training")
    ASSISTED = "assisted", _("Operator-assisted")
    SAMPLE = "sample", _("Sample service")


class OverrunPolicy(models.TextChoices):
    NONE = "none", _("Flag only, no charge")
    SLOT = "slot", _("Charge at the booking's hourly rate, rounded up to the slot")
    MULTIPLIER = "multiplier", _("Charge at the booking's hourly rate times the multiplier, rounded up to the slot")


class RateTier(models.TextChoices):
    INTERNAL = "internal", _("Internal (own institute)")
    ACADEMIC = "academic", _("Academic (other institutes and universities)")
    ENTERPRISE = "enterprise", _("Enterprise")


class SpecificationBlock(blocks.StreamBlock):
    table = SpecificationTableBlock()
    text = blocks.RichTextBlock(label=_("Text"), features=["bold", "italic", "ul", "ol", "link"])

    class Meta:
        label = _("Specifications")


class PhotoBlock(blocks.StreamBlock):
    photo = ImageBlock(label=_("Photo"))

    class Meta:
        label = _("Photos")


PERCENT_VALIDATORS = [MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))]
NON_NEGATIVE = [MinValueValidator(ZERO)]

# Bounds of the numeric booking rules and of the cost-model figures that feed loops and date arithmetic,
# checked by the form and by the database (see InstrumentPage.Meta.constraints).
SLOT_CHOICES = (15, 30, 60, 120, 240)
MAX_SERVICE_LIFE_YEARS = 100
MAX_PLANNED_HOURS_PER_YEAR = 8784  # every hour of a leap year
MIN_BOOKING_MINUTES = 15
MAX_BOOKING_MINUTES = 24 * 60  # a booking lies within one day's opening hours
MAX_NOTICE_HOURS = 30 * 24
MAX_HORIZON_DAYS = 730
MAX_CANCELLATION_WINDOW_HOURS = 30 * 24
# Bounds of the usage rules (check-in, no-show grace, overrun tolerance), in minutes.
MAX_USAGE_RULE_MINUTES = 24 * 60
MAX_OVERRUN_MULTIPLIER = Decimal("10")
# Resources booked by the day, month or access period (equipment/units.py).
MAX_BUFFER_HOURS = 7 * 24
MAX_SEATS = 1000
MAX_UNITS = 366


RULE_FIELDS = (
    "booking_mode",
    "slot_minutes",
    "min_booking_minutes",
    "max_booking_minutes",
    "min_notice_hours",
    "horizon_days",
)


class InstrumentPageForm(WagtailAdminPageForm):
    """The admin form of an instrument: refuses rules and opening hours that would leave an active
    booking outside them, naming those bookings (the facility cancels them first)."""

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        if instance.pk is None or self.errors:
            return cleaned
        unit_error = self._unit_change_error(cleaned)
        if unit_error:
            raise ValidationError(unit_error)
        proposed = _ProposedRules(pk=instance.pk)
        for name in RULE_FIELDS:
            value = cleaned.get(name, getattr(instance, name))
            try:
                instance._meta.get_field(name).run_validators(value)
            except ValidationError:
                return cleaned  # out of bounds: the field's own error says so
            setattr(proposed, name, value)
        hours = self._proposed_opening_hours()
        if hours is None:
            return cleaned
        # The services import these models: loaded only when a form is cleaned.
        from .services import bookings_broken_by_change, rules_change_message

        broken = bookings_broken_by_change(proposed, opening_hours=hours)
        if broken:
            raise ValidationError(rules_change_message(broken))
        return cleaned

    def _unit_change_error(self, cleaned):
        """The unit, buffers and seats of a resource change only while no active booking is coming: its
        bookings were made, priced and guarded under them."""
        saved = InstrumentPage.objects.filter(pk=self.instance.pk).first()
        if saved is None:
            return None
        changed = [
            name
            for name in ("booking_unit", "setup_buffer_hours", "cleanup_buffer_hours", "seats")
            if name in cleaned and cleaned[name] != getattr(saved, name)
        ]
        if not changed:
            return None
        loosening = all(
            name in ("setup_buffer_hours", "cleanup_buffer_hours")
            and cleaned[name] < getattr(saved, name)
            or name == "seats"
            and cleaned[name] > saved.seats
            for name in changed
        )
        if loosening:
            return None
        active = Booking.objects.filter(
            instrument_id=saved.pk, status__in=CANCELLABLE_STATUSES, end__gt=timezone.now()
        ).count()
        if not active:
            return None
        return _(
            "The booking unit cannot change, and buffers cannot grow nor seats shrink, while %(n)s bookings are "
            "coming. Cancel or complete them first."
        ) % {"n": active}

    def _proposed_opening_hours(self):
        formset = self.formsets.get("opening_hours")
        if formset is None:
            return list(OpeningHours.objects.filter(instrument_id=self.instance.pk))
        if not formset.is_valid():
            return None
        periods = []
        for form in formset.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if formset.can_delete and formset._should_delete_form(form):
                continue
            if data.get("weekday") is None or data.get("opens") is None or data.get("closes") is None:
                continue
            periods.append(OpeningHours(weekday=data["weekday"], opens=data["opens"], closes=data["closes"]))
        return periods


class _ProposedRules:
    def __init__(self, pk):
        self.pk = pk


class InstrumentPage(BilingualTitleMixin, Page):
    """One shared instrument, facility, data set or space of an institute, booked by its unit (units.py)."""

    institute = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        editable=False,
        related_name="instruments",
        verbose_name=_("institute"),
    )
    resource_kind = models.CharField(
        _("resource kind"), max_length=16, choices=ResourceKind.choices, default=ResourceKind.INSTRUMENT
    )
    category = models.ForeignKey(
        InstrumentCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="instruments",
        verbose_name=_("category"),
    )
    summary = models.TextField(_("summary (Chinese)"), blank=True, max_length=1000)
    summary_en = models.TextField(_("summary (English)"), blank=True, max_length=1000)
    manufacturer = models.CharField(_("manufacturer"), max_length=200, blank=True)
    model_number = models.CharField(_("model"), max_length=200, blank=True)
    specifications = StreamField(SpecificationBlock(), blank=True, verbose_name=_("specifications"))
    main_photo = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("main photo"),
    )
    photos = StreamField(PhotoBlock(), blank=True, verbose_name=_("more photos"))
    location = models.CharField(_("location"), max_length=255, blank=True, help_text=_("Building and room."))
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    booking_mode = models.CharField(
        _("booking mode"), max_length=16, choices=BookingMode.choices, default=BookingMode.ASSISTED
    )
    auto_approve = models.BooleanField(
        _("approve requests automatically"),
        default=False,
        help_text=_("Requests that follow every booking rule are approved at once."),
    )

    # Cost model (notice 001, section 五: cost compensation, non-profit).
    currency = CurrencyField()
    purchase_price = MoneyField(_("purchase price"), default=ZERO, validators=NON_NEGATIVE)
    service_life_years = models.PositiveSmallIntegerField(
        _("service life (years)"),
        default=10,
        validators=[MaxValueValidator(MAX_SERVICE_LIFE_YEARS)],
        help_text=_("Straight-line depreciation over this many years."),
    )
    annual_maintenance = MoneyField(_("annual maintenance contract"), default=ZERO, validators=NON_NEGATIVE)
    annual_staff_share = MoneyField(_("annual staff cost share"), default=ZERO, validators=NON_NEGATIVE)
    planned_hours_per_year = models.PositiveIntegerField(
        _("planned bookable hours per year"),
        default=1000,
        validators=[MaxValueValidator(MAX_PLANNED_HOURS_PER_YEAR)],
    )
    consumables_per_hour = MoneyField(_("consumables per hour"), default=ZERO, validators=NON_NEGATIVE)
    utilities_per_hour = MoneyField(_("utilities per hour"), default=ZERO, validators=NON_NEGATIVE)
    operator_per_hour = MoneyField(
        _("operator cost per hour"),
        default=ZERO,
        validators=NON_NEGATIVE,
        help_text=_("Charged for operator-assisted use and sample service only."),
    )
    internal_subsidy_percent = models.DecimalField(
        _("internal subsidy (%)"), max_digits=5, decimal_places=2, default=ZERO, validators=PERCENT_VALIDATORS
    )
    academic_subsidy_percent = models.DecimalField(
        _("academic subsidy (%)"), max_digits=5, decimal_places=2, default=ZERO, validators=PERCENT_VALIDATORS
    )
    enterprise_subsidy_percent = models.DecimalField(
        _("enterprise subsidy (%)"), max_digits=5, decimal_places=2, default=ZERO, validators=PERCENT_VALIDATORS
    )
    subsidy_basis = models.CharField(
        _("subsidy basis"),
        max_length=255,
        blank=True,
        help_text=_("The programme or decision that funds any subsidy. Required when a subsidy is given."),
    )
    # Computed from the cost model on every save; never typed in.
    hourly_rate = MoneyField(_("hourly rate (full cost)"), default=ZERO, editable=False)
    enterprise_rate = MoneyField(_("enterprise hourly rate"), default=ZERO, editable=False, db_index=True)

    # Booking rules
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot granularity (minutes)"),
        default=60,
        choices=[(n, str(n)) for n in SLOT_CHOICES],
    )
    min_booking_minutes = models.PositiveIntegerField(
        _("minimum booking length (minutes)"),
        default=60,
        validators=[MinValueValidator(MIN_BOOKING_MINUTES), MaxValueValidator(MAX_BOOKING_MINUTES)],
    )
    max_booking_minutes = models.PositiveIntegerField(
        _("maximum booking length (minutes)"),
        default=480,
        validators=[MinValueValidator(MIN_BOOKING_MINUTES), MaxValueValidator(MAX_BOOKING_MINUTES)],
    )
    min_notice_hours = models.PositiveIntegerField(
        _("minimum notice (hours)"), default=24, validators=[MaxValueValidator(MAX_NOTICE_HOURS)]
    )
    horizon_days = models.PositiveIntegerField(
        _("booking horizon (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_HORIZON_DAYS)],
    )
    cancellation_window_hours = models.PositiveIntegerField(
        _("free cancellation until (hours before start)"),
        default=48,
        validators=[MaxValueValidator(MAX_CANCELLATION_WINDOW_HOURS)],
    )
    # Training sessions (services/training.py): charged at this hourly rate; empty means the trainee's
    # tier rate, as for any other booking.
    # The booking unit (equipment/units.py): by the hour (the week calendar), or a range of days, months or
    # an access period; only an access period is shared, by `seats` bookers at once.
    booking_unit = models.CharField(
        _("booking unit"), max_length=8, choices=BookingUnit.choices, default=BookingUnit.HOUR
    )
    setup_buffer_hours = models.PositiveSmallIntegerField(
        _("set-up buffer (hours)"),
        default=0,
        validators=[MaxValueValidator(MAX_BUFFER_HOURS)],
        help_text=_("Day unit: hours before a campaign in which no other campaign may run."),
    )
    cleanup_buffer_hours = models.PositiveSmallIntegerField(
        _("cleaning buffer (hours)"),
        default=0,
        validators=[MaxValueValidator(MAX_BUFFER_HOURS)],
        help_text=_("Day unit: hours after a campaign in which no other campaign may run."),
    )
    seats = models.PositiveSmallIntegerField(
        _("seats"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SEATS)],
        help_text=_("Access unit: how many bookers may hold access at the same time."),
    )
    min_units = models.PositiveSmallIntegerField(
        _("shortest booking (days or months)"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_UNITS)],
        help_text=_("For the day, month and access units."),
    )
    max_units = models.PositiveSmallIntegerField(
        _("longest booking (days or months)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_UNITS)],
        help_text=_("For the day, month and access units."),
    )
    training_hourly_rate = MoneyField(
        _("training hourly rate"),
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
        help_text=_("Charged for training sessions. Leave empty to charge the trainee's usual tier rate."),
    )

    # Usage as it happens (services/usage.py): check-in, check-out, overruns, no-shows.
    check_in_early_minutes = models.PositiveIntegerField(
        _("check-in opens (minutes before the start)"),
        default=15,
        validators=[MaxValueValidator(MAX_USAGE_RULE_MINUTES)],
    )
    no_show_grace_minutes = models.PositiveIntegerField(
        _("no-show after (minutes without check-in)"),
        default=30,
        validators=[MaxValueValidator(MAX_USAGE_RULE_MINUTES)],
        help_text=_("A confirmed booking not checked in this long after its start is marked as a no-show."),
    )
    overrun_tolerance_minutes = models.PositiveIntegerField(
        _("overrun tolerance (minutes)"),
        default=5,
        validators=[MaxValueValidator(MAX_USAGE_RULE_MINUTES)],
        help_text=_("A check-out up to this long after the end is not an overrun."),
    )
    overrun_policy = models.CharField(
        _("overrun policy"), max_length=16, choices=OverrunPolicy.choices, default=OverrunPolicy.SLOT
    )
    overrun_multiplier = models.DecimalField(
        _("overrun multiplier"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.50"),
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(MAX_OVERRUN_MULTIPLIER)],
        help_text=_("Used by the policy that charges overruns at the hourly rate times this multiplier."),
    )

    content_panels = Page.content_panels + [
        FieldPanel("title_en"),
        FieldRowPanel([FieldPanel("resource_kind"), FieldPanel("category")]),
        MultiFieldPanel([FieldPanel("summary"), FieldPanel("summary_en")], heading=_("Summary")),
        FieldRowPanel([FieldPanel("manufacturer"), FieldPanel("model_number")]),
        FieldPanel("specifications"),
        FieldPanel("main_photo"),
        FieldPanel("photos"),
        MultiFieldPanel(
            [
                FieldPanel("location"),
                FieldPanel("contact_name"),
                FieldPanel("contact_email"),
                FieldPanel("contact_phone"),
            ],
            heading=_("Location and contact"),
        ),
    ]
    cost_panels = [
        MultiFieldPanel(
            [
                FieldPanel("currency"),
                FieldRowPanel([FieldPanel("purchase_price"), FieldPanel("service_life_years")]),
                FieldRowPanel([FieldPanel("annual_maintenance"), FieldPanel("annual_staff_share")]),
                FieldPanel("planned_hours_per_year"),
                FieldRowPanel(
                    [
                        FieldPanel("consumables_per_hour"),
                        FieldPanel("utilities_per_hour"),
                        FieldPanel("operator_per_hour"),
                    ]
                ),
            ],
            heading=_("Cost model"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [
                        FieldPanel("internal_subsidy_percent"),
                        FieldPanel("academic_subsidy_percent"),
                        FieldPanel("enterprise_subsidy_percent"),
                    ]
                ),
                FieldPanel("subsidy_basis"),
            ],
            heading=_("Subsidies by rate tier"),
        ),
        RatePreviewPanel(),
    ]
    booking_panels = [
        FieldRowPanel([FieldPanel("booking_mode"), FieldPanel("auto_approve")]),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("booking_unit"), FieldPanel("min_units"), FieldPanel("max_units")]),
                FieldRowPanel(
                    [FieldPanel("setup_buffer_hours"), FieldPanel("cleanup_buffer_hours"), FieldPanel("seats")]
                ),
            ],
            heading=_("Booking unit"),
        ),
        InlinePanel("opening_hours", heading=_("Weekly opening hours"), label=_("Opening period")),
        FieldRowPanel(
            [FieldPanel("slot_minutes"), FieldPanel("min_booking_minutes"), FieldPanel("max_booking_minutes")]
        ),
        FieldRowPanel(
            [FieldPanel("min_notice_hours"), FieldPanel("horizon_days"), FieldPanel("cancellation_window_hours")]
        ),
        FieldPanel("training_hourly_rate"),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [
                        FieldPanel("check_in_early_minutes"),
                        FieldPanel("no_show_grace_minutes"),
                        FieldPanel("overrun_tolerance_minutes"),
                    ]
                ),
                FieldRowPanel([FieldPanel("overrun_policy"), FieldPanel("overrun_multiplier")]),
            ],
            heading=_("Check-in, check-out and overruns"),
        ),
    ]

    edit_handler = TabbedInterface(
        [
            ObjectList(content_panels, heading=_("Content")),
            ObjectList(cost_panels, heading=_("Cost and rates")),
            ObjectList(booking_panels, heading=_("Booking rules")),
            ObjectList(Page.promote_panels, heading=_("Promote")),
            ObjectList(Page.settings_panels, heading=_("Settings")),
        ]
    )

    search_fields = Page.search_fields + [
        index.SearchField("title_en"),
        index.SearchField("summary"),
        index.SearchField("summary_en"),
        index.SearchField("manufacturer"),
        index.SearchField("model_number"),
        index.AutocompleteField("title_en"),
        index.FilterField("resource_kind"),
        index.FilterField("booking_mode"),
        index.FilterField("institute"),
        index.FilterField("category"),
    ]
    parent_page_types = ["cms.InstitutePage"]
    subpage_types = []
    base_form_class = InstrumentPageForm

    class Meta:
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    purchase_price__gte=0,
                    annual_maintenance__gte=0,
                    annual_staff_share__gte=0,
                    consumables_per_hour__gte=0,
                    utilities_per_hour__gte=0,
                    operator_per_hour__gte=0,
                    hourly_rate__gte=0,
                ),
                name="equipment_costs_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(planned_hours_per_year__gt=0, service_life_years__gt=0),
                name="equipment_planned_hours_and_life_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    internal_subsidy_percent__gte=0,
                    internal_subsidy_percent__lte=100,
                    academic_subsidy_percent__gte=0,
                    academic_subsidy_percent__lte=100,
                    enterprise_subsidy_percent__gte=0,
                    enterprise_subsidy_percent__lte=100,
                ),
                name="equipment_subsidy_percent_range",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    slot_minutes__gt=0,
                    min_booking_minutes__gt=0,
                    max_booking_minutes__gte=models.F("min_booking_minutes"),
                ),
                name="equipment_booking_lengths_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    slot_minutes__in=SLOT_CHOICES,
                    min_booking_minutes__gte=MIN_BOOKING_MINUTES,
                    max_booking_minutes__lte=MAX_BOOKING_MINUTES,
                    min_notice_hours__gte=0,
                    min_notice_hours__lte=MAX_NOTICE_HOURS,
                    min_notice_hours__lt=models.F("horizon_days") * 24,
                    horizon_days__gte=1,
                    horizon_days__lte=MAX_HORIZON_DAYS,
                    cancellation_window_hours__gte=0,
                    cancellation_window_hours__lte=MAX_CANCELLATION_WINDOW_HOURS,
                ),
                name="equipment_booking_rules_bounded",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    planned_hours_per_year__lte=MAX_PLANNED_HOURS_PER_YEAR,
                    service_life_years__lte=MAX_SERVICE_LIFE_YEARS,
                ),
                name="equipment_cost_model_bounded",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    check_in_early_minutes__lte=MAX_USAGE_RULE_MINUTES,
                    no_show_grace_minutes__lte=MAX_USAGE_RULE_MINUTES,
                    overrun_tolerance_minutes__lte=MAX_USAGE_RULE_MINUTES,
                    overrun_policy__in=OverrunPolicy.values,
                    overrun_multiplier__gte=1,
                    overrun_multiplier__lte=MAX_OVERRUN_MULTIPLIER,
                ),
                name="equipment_usage_rules_bounded",
            ),
            # Only an access period is shared by several seats; buffers and lengths stay bounded.
            models.CheckConstraint(
                condition=models.Q(
                    seats__gte=1,
                    seats__lte=MAX_SEATS,
                    setup_buffer_hours__lte=MAX_BUFFER_HOURS,
                    cleanup_buffer_hours__lte=MAX_BUFFER_HOURS,
                    min_units__gte=1,
                    max_units__gte=models.F("min_units"),
                    max_units__lte=MAX_UNITS,
                    booking_unit__in=BookingUnit.values,
                )
                & (models.Q(booking_unit=BookingUnit.ACCESS) | models.Q(seats=1)),
                name="equipment_booking_unit_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["institute", "resource_kind"], name="equipment_inst_kind"),
            models.Index(fields=["hourly_rate"], name="equipment_rate"),
            models.Index(fields=["enterprise_rate"], name="equipment_enterprise_rate"),
        ]

    @property
    def display_summary(self):
        return pick(self.summary, self.summary_en)

    @property
    def is_hourly(self):
        """Booked by the hour in the week calendar; otherwise by a range of days or months (units.py)."""
        return self.booking_unit == BookingUnit.HOUR

    @property
    def is_shared(self):
        """An access period: up to `seats` bookings at once, no exclusive time."""
        return self.booking_unit == BookingUnit.ACCESS

    @property
    def needs_qualification(self):
        """Self-service use: only users the facility qualified may book."""
        return self.booking_mode == BookingMode.SELF_SERVICE

    @property
    def uses_operator(self):
        return self.booking_mode in (BookingMode.ASSISTED, BookingMode.SAMPLE)

    def subsidy_percent(self, tier):
        return {
            RateTier.INTERNAL: self.internal_subsidy_percent,
            RateTier.ACADEMIC: self.academic_subsidy_percent,
            RateTier.ENTERPRISE: self.enterprise_subsidy_percent,
        }[tier]

    def clean(self):
        super().clean()
        # rates imports these models (RateTier): loaded only now.
        from .rates import cost_model_errors

        errors = cost_model_errors(self)
        errors.update(booking_rule_errors(self))
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # rates imports these models (RateTier): loaded only now.
        from .rates import compute_hourly_rate, tier_rate

        institute = institute_for_page(self)
        if institute is not None:
            self.institute = institute
        if self.planned_hours_per_year and self.service_life_years:
            self.hourly_rate = compute_hourly_rate(self).rate
            self.enterprise_rate = tier_rate(self, RateTier.ENTERPRISE)
        return super().save(*args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        # The selectors import these models: loaded only when a page is rendered.
        from .selectors import instrument_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(instrument_page_context(self, request))
        if not self.is_hourly:
            # Booked by days, months or seats (units.py): the booked periods instead of the week calendar.
            from .services import taken_periods

            context["taken"] = taken_periods(self)
        return context


class OpeningHours(Orderable):
    """One weekly opening period (local time); a day may have several."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    instrument = ParentalKey(InstrumentPage, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    panels = [FieldRowPanel([FieldPanel("weekday"), FieldPanel("opens"), FieldPanel("closes")])]

    class Meta(Orderable.Meta):
        verbose_name = _("opening period")
        verbose_name_plural = _("opening hours")
        constraints = [
            models.CheckConstraint(condition=models.Q(closes__gt=models.F("opens")), name="equipment_hours_order"),
            models.CheckConstraint(condition=models.Q(weekday__gte=0, weekday__lte=6), name="equipment_weekday"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def clean(self):
        if self.opens is not None and self.closes is not None and self.closes <= self.opens:
            raise ValidationError({"closes": _("Closing time must be after opening time.")})

    @property
    def minutes(self):
        return (self.closes.hour * 60 + self.closes.minute) - (self.opens.hour * 60 + self.opens.minute)


class Blackout(models.Model):
    """A period in which the instrument cannot be booked (maintenance, holiday)."""

    class Reason(models.TextChoices):
        MAINTENANCE = "maintenance", _("Maintenance")
        HOLIDAY = "holiday", _("Holiday")
        OTHER = "other", _("Other")

    instrument = models.ForeignKey(
        InstrumentPage, on_delete=models.CASCADE, related_name="blackouts", verbose_name=_("instrument")
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices, default=Reason.MAINTENANCE)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("blackout")
        verbose_name_plural = _("blackouts")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="equipment_blackout_order"),
        ]
        indexes = [models.Index(fields=["instrument", "start", "end"], name="equipment_blackout_range")]

    def __str__(self):
        return f"{self.get_reason_display()} {self.start:%Y-%m-%d %H:%M}–{self.end:%Y-%m-%d %H:%M}"


class Qualification(models.Model):
    """A user may use a self-service instrument unassisted until `valid_until` unless revoked."""

    instrument = models.ForeignKey(
        InstrumentPage, on_delete=models.CASCADE, related_name="qualifications", verbose_name=_("instrument")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="instrument_qualifications"
    )
    valid_until = models.DateField(_("valid until"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("granted by")
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "user"],
                condition=models.Q(revoked_at__isnull=True),
                name="equipment_one_open_qualification",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.instrument_id} · {self.valid_until}"


class BookingStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    CONFIRMED = "confirmed", _("Confirmed")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Rejected")
    NO_SHOW = "no_show", _("No-show")


# Bookings in these states hold their slot: no other such booking of the instrument may overlap.
ACTIVE_STATUSES = (
    BookingStatus.REQUESTED,
    BookingStatus.APPROVED,
    BookingStatus.CONFIRMED,
    BookingStatus.COMPLETED,
)
# Bookings that still hold a slot and have not been used: they may be cancelled (by the facility at any
# time before they end, by the enterprise up to the cancellation deadline).
CANCELLABLE_STATUSES = (BookingStatus.REQUESTED, BookingStatus.APPROVED, BookingStatus.CONFIRMED)
# Tiers of institute users, who pay by internal charge (a project or cost-centre code) rather than by card.
INTERNAL_CHARGE_TIERS = (RateTier.INTERNAL, RateTier.ACADEMIC)
# A transition note that says the booking was approved automatically: not shown to people.
AUTO_NOTE = "auto"


class BookingKind(models.TextChoices):
    USE = "use", _("Use")
    TRAINING = "training", _("Training session")


class Booking(models.Model):
    instrument = models.ForeignKey(
        InstrumentPage, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("instrument")
    )
    institute = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("institute")
    )
    # Set for enterprise bookings only (the enterprise that pays, by card or invoice); institute users
    # book without one and pay by internal charge.
    enterprise = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bookings",
        verbose_name=_("enterprise"),
    )
    # The organisation the booker books for, which decides the tier (`rates.tier_for`): the enterprise,
    # the instrument's own institute (internal) or another institute (academic).
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("booked for"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("booked by")
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    # The unit the booking was made in (the instrument's when it was requested), the seats it holds (access
    # periods only) and the time it keeps the resource from others: start less the set-up buffer to end
    # plus the cleaning buffer. Active bookings of every unit but access may not overlap in that range.
    unit = models.CharField(_("booking unit"), max_length=8, choices=BookingUnit.choices, default=BookingUnit.HOUR)
    seats = models.PositiveSmallIntegerField(_("seats"), default=1)
    blocked_start = models.DateTimeField(_("blocked from"))
    blocked_end = models.DateTimeField(_("blocked until"))
    status = models.CharField(
        _("status"), max_length=16, choices=BookingStatus.choices, default=BookingStatus.REQUESTED
    )
    kind = models.CharField(_("kind"), max_length=16, choices=BookingKind.choices, default=BookingKind.USE)
    purpose = models.TextField(_("purpose and samples"), blank=True, max_length=2000)
    # Price snapshot, frozen when the booking is requested.
    tier = models.CharField(_("rate tier"), max_length=16, choices=RateTier.choices)
    hourly_rate = MoneyField(_("hourly rate"))
    subsidy_percent = models.DecimalField(_("subsidy (%)"), max_digits=5, decimal_places=2, default=ZERO)
    hours = models.DecimalField(_("hours"), max_digits=8, decimal_places=2)
    price_amount = MoneyField(_("price"))
    currency = CurrencyField()
    confirmation_reference = models.CharField(_("payment or invoice reference"), max_length=120, blank=True)
    # Institute users pay by internal charge: the project or cost-centre code charged to their institute.
    charge_code = models.CharField(_("project or cost-centre code"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # Usage as it happens (services/usage.py): when the instrument was really taken and given back.
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked in by"),
    )
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    checked_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked out by"),
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="equipment_booking_order"),
            models.CheckConstraint(
                condition=models.Q(status__in=BookingStatus.values), name="equipment_booking_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(price_amount__gte=0, hourly_rate__gte=0, hours__gt=0),
                name="equipment_booking_price_valid",
            ),
            # The tier follows the organisation booked for: an enterprise (which pays) at the enterprise
            # tier; the instrument's own institute at the internal tier, another at the academic tier,
            # both with the code their institute is charged under.
            models.CheckConstraint(
                condition=models.Q(
                    tier=RateTier.ENTERPRISE, enterprise__isnull=False, organization=models.F("enterprise")
                )
                | (
                    models.Q(tier=RateTier.INTERNAL, enterprise__isnull=True, organization=models.F("institute"))
                    & ~models.Q(charge_code="")
                )
                | (
                    models.Q(tier=RateTier.ACADEMIC, enterprise__isnull=True)
                    & ~models.Q(organization=models.F("institute"))
                    & ~models.Q(charge_code="")
                ),
                name="equipment_booking_tier_follows_organization",
            ),
            # A check-out follows a check-in.
            models.CheckConstraint(
                condition=models.Q(checked_out_at__isnull=True)
                | models.Q(checked_in_at__isnull=False, checked_out_at__gt=models.F("checked_in_at")),
                name="equipment_booking_checkout_after_checkin",
            ),
            models.CheckConstraint(
                condition=models.Q(blocked_start__lte=models.F("start"), blocked_end__gte=models.F("end"), seats__gte=1)
                & (models.Q(unit=BookingUnit.ACCESS) | models.Q(seats=1))
                & models.Q(unit__in=BookingUnit.values),
                name="equipment_booking_blocked_and_seats",
            ),
        ]
        indexes = [
            models.Index(fields=["instrument", "start", "end"], name="equipment_booking_range"),
            models.Index(fields=["enterprise", "status"], name="equipment_booking_ent"),
            models.Index(fields=["institute", "status", "start"], name="equipment_booking_inst"),
        ]

    def __str__(self):
        return f"#{self.pk} · {self.start:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        # An enterprise booking is booked for its enterprise: code that names only the enterprise (as
        # before institute users booked) stays right.
        if self.organization_id is None and self.enterprise_id is not None:
            self.organization_id = self.enterprise_id
        # Code that gives only start and end (hourly bookings) blocks exactly that time.
        if self.blocked_start is None:
            self.blocked_start = self.start
        if self.blocked_end is None:
            self.blocked_end = self.end
        return super().save(*args, **kwargs)

    @property
    def is_hourly(self):
        return self.unit == BookingUnit.HOUR

    @property
    def first_day(self):
        return timezone.localtime(self.start).date()

    @property
    def last_day(self):
        """The last day booked (a range ends at midnight after it; an hourly booking on its day)."""
        end = timezone.localtime(self.end)
        if self.unit != BookingUnit.HOUR and end.time() == end.time().min:
            return end.date() - timedelta(days=1)
        return end.date()

    @property
    def when(self):
        """When, as people read it: times for an hourly booking; dates for days and access periods (with the
        seats); the lease dates and months for a month."""
        # units imports these models: loaded only now.
        from .units import describe_when

        return describe_when(self)

    @property
    def is_active(self):
        return self.status in ACTIVE_STATUSES

    @property
    def by_internal_charge(self):
        """Booked by an institute user, paid by internal charge (no card, no invoice): confirmed on approval."""
        return self.tier in INTERNAL_CHARGE_TIERS

    # What may happen next (the services check the same states; these tell the pages which actions to show).
    @property
    def can_be_approved(self):
        """Approved or rejected by the facility."""
        return self.status == BookingStatus.REQUESTED

    @property
    def can_be_confirmed(self):
        """Confirmed once paid or invoiced."""
        return self.status == BookingStatus.APPROVED

    @property
    def can_be_cancelled(self):
        return self.status in CANCELLABLE_STATUSES

    @property
    def has_started(self):
        return self.start <= timezone.now()

    @property
    def can_be_completed(self):
        """Usage recorded: confirmed and started."""
        return self.status == BookingStatus.CONFIRMED and self.has_started

    @property
    def can_be_marked_no_show(self):
        return (
            self.status in (BookingStatus.APPROVED, BookingStatus.CONFIRMED)
            and self.has_started
            and self.checked_in_at is None
        )

    @property
    def is_checked_in(self):
        """Checked in and not yet checked out: the instrument is in use."""
        return self.checked_in_at is not None and self.checked_out_at is None

    @property
    def has_confirmation(self):
        """Confirmed (or since completed): its confirmation can be printed."""
        return self.status in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)


class BookingTransition(StateChange):
    """Who moved a booking from one state to another, and when: `BookingTransition.move(booking, ...)`
    is the one way a booking changes state."""

    subject_field = "booking"
    state_field = "status"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(_("from"), max_length=16, choices=BookingStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=BookingStatus.choices)

    class Meta(StateChange.Meta):
        verbose_name = _("booking transition")
        verbose_name_plural = _("booking transitions")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.booking_id}: {self.from_status} → {self.to_status}"

    @property
    def shown_note(self):
        """The note as people see it (none for an automatic approval)."""
        return "" if self.note == AUTO_NOTE else self.note


class UsageRecord(models.Model):
    """Actual hours of use, recorded by the facility when a booking is completed."""

    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="usage", verbose_name=_("booking"))
    hours = models.DecimalField(_("actual hours"), max_digits=8, decimal_places=2)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # The real start and end, from the check-in and check-out (empty when the hours were typed in).
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("usage record")
        verbose_name_plural = _("usage records")
        constraints = [
            models.CheckConstraint(condition=models.Q(hours__gte=0), name="equipment_usage_hours_not_negative"),
            models.CheckConstraint(
                condition=models.Q(started_at__isnull=True, ended_at__isnull=True)
                | models.Q(started_at__isnull=False, ended_at__gt=models.F("started_at")),
                name="equipment_usage_real_times_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.booking_id}: {self.hours} h"


class Overrun(models.Model):
    """A check-out later than the booking's end plus the instrument's tolerance: flagged, and charged as
    the instrument's overrun policy says (services/usage.py). An enterprise pays the charge through the
    payments app (payable kind `booking_overrun`); an institute user's is added to the internal charge
    under the booking's code."""

    class Status(models.TextChoices):
        NOT_CHARGED = "not_charged", _("Flagged, not charged")
        DUE = "due", _("To be paid")
        PAID = "paid", _("Paid")
        INTERNAL = "internal", _("Added to the internal charge")

    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="overrun", verbose_name=_("booking"))
    minutes = models.PositiveIntegerField(_("overrun (minutes)"))
    charged_minutes = models.PositiveIntegerField(_("charged minutes"), default=0)
    policy = models.CharField(_("overrun policy"), max_length=16, choices=OverrunPolicy.choices)
    hourly_rate = MoneyField(_("hourly rate"))
    multiplier = models.DecimalField(_("multiplier"), max_digits=4, decimal_places=2, default=Decimal("1"))
    amount = MoneyField(_("overrun charge"), default=ZERO)
    currency = CurrencyField()
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    payment_reference = models.CharField(_("payment reference"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("overrun")
        verbose_name_plural = _("overruns")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minutes__gt=0, amount__gte=0, hourly_rate__gte=0, multiplier__gte=1),
                name="equipment_overrun_valid",
            ),
            # Nothing to pay when not charged; something when charged.
            models.CheckConstraint(
                condition=models.Q(status="not_charged", amount=0)
                | (~models.Q(status="not_charged") & models.Q(amount__gt=0)),
                name="equipment_overrun_charge_matches_status",
            ),
        ]

    def __str__(self):
        return f"{self.booking_id}: +{self.minutes} min"


def _new_calendar_token():
    return secrets.token_urlsafe(24)


class CalendarToken(models.Model):
    """The secret in a user's personal iCal feed URL; replacing it revokes the old URL."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token")
    token = models.CharField(max_length=64, unique=True, default=_new_calendar_token)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("calendar token")
        verbose_name_plural = _("calendar tokens")

    def __str__(self):
        return f"{self.user}"


class TrainingRequest(models.Model):
    """A user asks the facility for training on a self-service instrument (services/training.py)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        SCHEDULED = "scheduled", _("Session scheduled")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    instrument = models.ForeignKey(
        InstrumentPage, on_delete=models.CASCADE, related_name="training_requests", verbose_name=_("instrument")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_requests", verbose_name=_("user")
    )
    enterprise = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("enterprise"),
        help_text=_("The enterprise the session is booked and charged for."),
    )
    preferred_dates = models.CharField(_("preferred dates"), max_length=255, blank=True)
    note = models.CharField(_("note"), max_length=1000, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    session = models.OneToOneField(
        Booking,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="training_request",
        verbose_name=_("training session"),
    )
    qualification = models.ForeignKey(Qualification, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    result_note = models.CharField(_("result note"), max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("training request")
        verbose_name_plural = _("training requests")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "user"],
                condition=models.Q(status__in=["open", "scheduled"]),
                name="equipment_one_open_training_request",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.instrument_id} · {self.status}"

    @property
    def is_open(self):
        return self.status in (self.Status.OPEN, self.Status.SCHEDULED)


class QualificationAnnouncement(models.Model):
    """A qualification's coming expiry was announced (once per qualification and expiry date)."""

    qualification = models.ForeignKey(Qualification, on_delete=models.CASCADE, related_name="announcements")
    valid_until = models.DateField()
    announced_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("qualification expiry announcement")
        verbose_name_plural = _("qualification expiry announcements")
        constraints = [
            models.UniqueConstraint(fields=["qualification", "valid_until"], name="equipment_announce_once"),
        ]


class WaitlistEntry(models.Model):
    """A user waits for a taken slot (services/waitlist.py): offered it, first come first served, when
    the booking holding it is cancelled, rejected or expires."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        OFFERED = "offered", _("Offered")
        BOOKED = "booked", _("Booked")
        LAPSED = "lapsed", _("Offer lapsed")
        LEFT = "left", _("Left the waitlist")
        CLOSED = "closed", _("Slot no longer bookable")

    instrument = models.ForeignKey(
        InstrumentPage, on_delete=models.CASCADE, related_name="waitlist", verbose_name=_("instrument")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries", verbose_name=_("user")
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.WAITING)
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer valid until"), null=True, blank=True)
    booking = models.ForeignKey(Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="equipment_waitlist_order"),
            models.UniqueConstraint(
                fields=["instrument", "user", "start", "end"],
                condition=models.Q(status__in=["waiting", "offered"]),
                name="equipment_waitlist_once",
            ),
        ]
        indexes = [models.Index(fields=["instrument", "status", "start"], name="equipment_waitlist_slot")]

    def __str__(self):
        return f"{self.user} · {self.instrument_id} · {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_live(self):
        return self.status in (self.Status.WAITING, self.Status.OFFERED)
