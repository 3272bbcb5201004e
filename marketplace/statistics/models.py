from django.db import models
from django.utils.translation import gettext_lazy as _

from marketplace.core.money import CurrencyField


class TransferEvent(models.Model):
    """One append-only line of the transfer ledger. Written only by domain services.

    Each domain fact is recorded once: (kind, source_type, source_id) is unique, so replaying or
    rebuilding the ledger never double counts.
    """

    class Kind(models.TextChoices):
        LISTING_PUBLISHED = "listing_published", _("Listing published")
        BOOKING_CONFIRMED = "booking_confirmed", _("Booking confirmed")
        BOOKING_COMPLETED = "booking_completed", _("Booking completed")
        USAGE_RECORDED = "usage_recorded", _("Usage recorded")
        PAYMENT_RECEIVED = "payment_received", _("Payment received")
        PAYMENT_REFUNDED = "payment_refunded", _("Payment refunded")
        INQUIRY_OPENED = "inquiry_opened", _("Inquiry opened")
        AGREEMENT_SIGNED = "agreement_signed", _("Agreement signed")
        IMPACT_REPORTED = "impact_reported", _("Impact reported")

    class DealMode(models.TextChoices):
        ASSIGNMENT = "assignment", _("Assignment (转让)")
        EXCLUSIVE = "exclusive", _("Exclusive licence (独占许可)")
        SOLE = "sole", _("Sole licence (排他许可)")
        NON_EXCLUSIVE = "non_exclusive", _("Non-exclusive licence (普通许可)")
        OPTION = "option", _("Option")
        EQUITY = "equity", _("Equity investment (作价投资)")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, db_index=True)
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    institute = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("institute"),
    )
    enterprise = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enterprise"),
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=0)
    currency = CurrencyField()
    hours = models.DecimalField(_("hours"), max_digits=10, decimal_places=2, default=0)
    jobs = models.IntegerField(_("jobs created"), default=0)
    deal_mode = models.CharField(_("deal mode"), max_length=16, choices=DealMode.choices, blank=True)
    startup_formed = models.BooleanField(_("startup formed"), default=False)
    # The instrument or result page the event concerns (per-instrument figures), when there is one.
    listing_id = models.PositiveBigIntegerField(_("listing page"), null=True, blank=True)
    # The same page as a relation, so that the instrument figures can join pages to their events in one
    # query (`selectors.instrument_rows`). No column of its own (it reads `listing_id`) and no database
    # constraint: the ledger keeps its rows whatever happens to the page.
    listing_page = models.ForeignObject(
        "wagtailcore.Page",
        on_delete=models.DO_NOTHING,
        from_fields=["listing_id"],
        to_fields=["id"],
        related_name="transfer_events",
        null=True,
        editable=False,
        verbose_name=_("listing page"),
    )
    # The domain object money or hours are about, as "app_label.model:pk" (a booking, an agreement):
    # a refund subtracts from the income of the same subject.
    subject = models.CharField(_("subject"), max_length=96, blank=True)
    source_type = models.CharField(_("source type"), max_length=64)
    source_id = models.CharField(_("source id"), max_length=64)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("transfer event")
        verbose_name_plural = _("transfer events")
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "source_type", "source_id"], name="statistics_event_once"),
        ]
        indexes = [
            models.Index(fields=["institute", "kind", "occurred_at"], name="statistics_inst_kind_time"),
            models.Index(fields=["kind", "occurred_at"], name="statistics_kind_time"),
            models.Index(fields=["institute", "occurred_at"], name="statistics_inst_time"),
            models.Index(fields=["kind", "listing_id", "occurred_at"], name="statistics_kind_listing"),
            models.Index(fields=["subject"], name="statistics_subject"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.occurred_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("The transfer ledger is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The transfer ledger is append-only.")


class ListingView(models.Model):
    """How often an instrument or result page was served on one local day (a funnel's first stage)."""

    page_id = models.PositiveBigIntegerField(_("page"))
    institute = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+", verbose_name=_("institute")
    )
    date = models.DateField(_("date"))
    count = models.PositiveIntegerField(_("views"), default=0)

    class Meta:
        verbose_name = _("listing views")
        verbose_name_plural = _("listing views")
        constraints = [models.UniqueConstraint(fields=["page_id", "date"], name="statistics_view_day_once")]
        indexes = [models.Index(fields=["institute", "date"], name="statistics_view_inst_date")]

    def __str__(self):
        return f"{self.page_id} · {self.date} · {self.count}"
