"""Research results and IP: result pages, licence offers, inquiries, agreements and impact reports.

Offers are children of the result page (edited inline in Wagtail). Their primary keys stay stable across
revisions, because publishing a revision updates existing child rows by id. Whether an offer is still
available is never stored on the offer (a revision would overwrite it): it is computed from the
agreements of the result (see `ip_listings.scope`).
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page
from wagtail.search import index

from cms.blocks import RICH_TEXT_FEATURES
from cms.models import BilingualTitleMixin, TaxonomyTerm
from cms.selectors import institute_for_page
from marketplace.core.history import StateChange
from marketplace.core.i18n import pick
from marketplace.core.money import CurrencyField, MoneyField
from marketplace.statistics.models import TransferEvent

ZERO = Decimal("0")
HUNDRED = Decimal("100")


# --- taxonomies and choices ----------------------------------------------------------------------------


class TechnologyField(TaxonomyTerm):
    """An editable taxonomy of technology fields (a Wagtail snippet); also a licence's field of use."""

    class Meta(TaxonomyTerm.Meta):
        verbose_name = _("technology field")
        verbose_name_plural = _("technology fields")


class IPKind(models.TextChoices):
    INVENTION_PATENT = "invention_patent", _("Invention patent")
    UTILITY_MODEL = "utility_model", _("Utility model")
    DESIGN_PATENT = "design_patent", _("Design patent")
    SOFTWARE_COPYRIGHT = "software_copyright", _("Software copyright")
    IC_LAYOUT = "ic_layout", _("Integrated-circuit layout design")
    PLANT_VARIETY = "plant_variety", _("Plant variety right")
    KNOW_HOW = "know_how", _("Know-how / technical secret")
    RESEARCH_DATA = "research_data", _("Research data")


class TRL(models.IntegerChoices):
    """Technology readiness levels, each with its one-line description."""

    TRL1 = 1, _("TRL 1 · basic principles observed")
    TRL2 = 2, _("TRL 2 · technology concept formulated")
    TRL3 = 3, _("TRL 3 · experimental proof of concept")
    TRL4 = 4, _("TRL 4 · technology validated in the lab")
    TRL5 = 5, _("TRL 5 · technology validated in a relevant environment")
    TRL6 = 6, _("TRL 6 · technology demonstrated in a relevant environment")
    TRL7 = 7, _("TRL 7 · system prototype demonstrated in an operational environment")
    TRL8 = 8, _("TRL 8 · system complete and qualified")
    TRL9 = 9, _("TRL 9 · actual system proven in operation")


TRL_VALIDATORS = [
    MinValueValidator(1, message=_("The technology readiness level is between 1 and 9.")),
    MaxValueValidator(9, message=_("The technology readiness level is between 1 and 9.")),
]
NON_NEGATIVE = [MinValueValidator(ZERO, message=_("An amount cannot be negative."))]
PERCENT = [
    MinValueValidator(ZERO, message=_("A royalty is between 0 and 100 percent.")),
    MaxValueValidator(HUNDRED, message=_("A royalty is between 0 and 100 percent.")),
]

DealMode = TransferEvent.DealMode
# Modes that give one party the scope: they block every other offer on an overlapping scope.
BLOCKING_MODES = frozenset({DealMode.ASSIGNMENT, DealMode.EXCLUSIVE, DealMode.SOLE, DealMode.EQUITY, DealMode.OPTION})


class Territory(models.TextChoices):
    """Where a licence applies. Two territories overlap when equal or when either is worldwide."""

    WORLDWIDE = "worldwide", _("Worldwide")
    CHINA_MAINLAND = "cn", _("Mainland China")
    HK_MO_TW = "hk_mo_tw", _("Hong Kong, Macao and Taiwan")
    ASIA_PACIFIC = "apac", _("Asia-Pacific (outside China)")
    EUROPE = "europe", _("Europe")
    AMERICAS = "americas", _("The Americas")
    REST_OF_WORLD = "other", _("Rest of the world")


class RegistrationStatus(models.TextChoices):
    FILED = "filed", _("Application filed")
    PUBLISHED = "published", _("Application published")
    UNDER_EXAMINATION = "examination", _("Under examination")
    GRANTED = "granted", _("Granted / registered")
    LAPSED = "lapsed", _("Lapsed")
    EXPIRED = "expired", _("Expired")


# --- the result page -----------------------------------------------------------------------------------


class ResultKeyword(TaggedItemBase):
    content_object = ParentalKey("ip_listings.ResultPage", on_delete=models.CASCADE, related_name="keyword_items")


class ResultPage(BilingualTitleMixin, Page):
    """One transferable research result of an institute: drafted by researchers, approved by the TTO."""

    institute = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        editable=False,
        related_name="results",
        verbose_name=_("institute"),
    )
    ip_kind = models.CharField(_("kind of IP"), max_length=24, choices=IPKind.choices)
    trl = models.PositiveSmallIntegerField(
        _("technology readiness level"),
        choices=TRL.choices,
        default=TRL.TRL4,
        validators=TRL_VALIDATORS,
        db_index=True,
    )
    field = models.ForeignKey(
        TechnologyField,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="results",
        verbose_name=_("technology field"),
    )
    keywords = ClusterTaggableManager(through=ResultKeyword, blank=True, verbose_name=_("keywords"))
    abstract = RichTextField(_("abstract (Chinese)"), features=RICH_TEXT_FEATURES, blank=True)
    abstract_en = RichTextField(_("abstract (English)"), features=RICH_TEXT_FEATURES, blank=True)
    advantages = RichTextField(_("advantages"), features=RICH_TEXT_FEATURES, blank=True)
    applications = RichTextField(_("applications"), features=RICH_TEXT_FEATURES, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    # The lowest upfront fee of its offers, kept on save for price facets and sorting.
    price_from = MoneyField(_("price from"), null=True, blank=True, editable=False)

    content_panels = Page.content_panels + [
        FieldPanel("title_en"),
        FieldRowPanel([FieldPanel("ip_kind"), FieldPanel("trl"), FieldPanel("field")]),
        FieldPanel("keywords"),
        InlinePanel("inventors", heading=_("Inventors"), label=_("Inventor")),
        MultiFieldPanel([FieldPanel("abstract"), FieldPanel("abstract_en")], heading=_("Abstract")),
        FieldPanel("advantages"),
        FieldPanel("applications"),
        FieldPanel("contact_email"),
    ]
    ip_panels = [
        InlinePanel("registrations", heading=_("Registrations and applications"), label=_("Registration")),
        InlinePanel("attachments", heading=_("Attachments"), label=_("Attachment")),
    ]
    offer_panels = [InlinePanel("offers", heading=_("Licence offers"), label=_("Offer"), min_num=0)]

    edit_handler = TabbedInterface(
        [
            ObjectList(content_panels, heading=_("Content")),
            ObjectList(ip_panels, heading=_("IP rights")),
            ObjectList(offer_panels, heading=_("Licence offers")),
            ObjectList(Page.promote_panels, heading=_("Promote")),
            ObjectList(Page.settings_panels, heading=_("Settings")),
        ]
    )

    search_fields = Page.search_fields + [
        index.SearchField("title_en"),
        index.SearchField("abstract"),
        index.SearchField("abstract_en"),
        index.SearchField("advantages"),
        index.SearchField("applications"),
        index.RelatedFields("keywords", [index.SearchField("name")]),
        index.RelatedFields("inventors", [index.SearchField("name")]),
        index.AutocompleteField("title_en"),
        index.FilterField("ip_kind"),
        index.FilterField("trl"),
        index.FilterField("institute"),
        index.FilterField("field"),
    ]
    parent_page_types = ["cms.InstitutePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("research result")
        verbose_name_plural = _("research results")
        constraints = [
            models.CheckConstraint(condition=models.Q(trl__gte=1, trl__lte=9), name="ip_listings_trl_1_to_9"),
        ]
        indexes = [
            models.Index(fields=["institute", "ip_kind"], name="ip_result_inst_kind"),
            models.Index(fields=["trl"], name="ip_result_trl"),
            models.Index(fields=["price_from"], name="ip_result_price"),
        ]

    @property
    def display_abstract(self):
        return pick(self.abstract, self.abstract_en)

    @property
    def trl_description(self):
        return TRL(self.trl).label if self.trl in TRL.values else ""

    def clean(self):
        super().clean()
        errors = {}
        if self.trl is not None and not 1 <= self.trl <= 9:
            errors["trl"] = _("The technology readiness level is between 1 and 9.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        institute = institute_for_page(self)
        if institute is not None:
            self.institute = institute
        fees = [o.upfront_fee for o in self.offers.all() if o.upfront_fee is not None]
        self.price_from = min(fees) if fees else None
        return super().save(*args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        # The selectors import these models: loaded only when a page is rendered.
        from .selectors import result_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(result_page_context(self, request))
        return context


class ResultInventor(Orderable):
    """An inventor or author: a linked person of the platform, or just a name."""

    result = ParentalKey(ResultPage, on_delete=models.CASCADE, related_name="inventors")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person on the platform"),
    )
    name = models.CharField(_("name"), max_length=100, blank=True)

    panels = [FieldRowPanel([FieldPanel("user"), FieldPanel("name")])]

    class Meta(Orderable.Meta):
        verbose_name = _("inventor")
        verbose_name_plural = _("inventors")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        if self.name:
            return self.name
        return str(self.user) if self.user_id else ""

    def clean(self):
        if not self.name and not self.user_id:
            raise ValidationError({"name": _("Give a name or choose a person.")})


class ResultRegistration(Orderable):
    """A patent, copyright or other registration (or application) number with its status and dates."""

    result = ParentalKey(ResultPage, on_delete=models.CASCADE, related_name="registrations")
    number = models.CharField(_("registration or application number"), max_length=64)
    jurisdiction = models.CharField(_("office"), max_length=64, default="CNIPA", blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=RegistrationStatus.choices, default=RegistrationStatus.FILED
    )
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    granted_on = models.DateField(_("granted on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)

    panels = [
        FieldRowPanel([FieldPanel("number"), FieldPanel("jurisdiction"), FieldPanel("status")]),
        FieldRowPanel([FieldPanel("filed_on"), FieldPanel("granted_on"), FieldPanel("expires_on")]),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")

    def __str__(self):
        return self.number

    def clean(self):
        if self.filed_on and self.granted_on and self.granted_on < self.filed_on:
            raise ValidationError({"granted_on": _("A right is granted after it is filed.")})


class ResultAttachment(Orderable):
    result = ParentalKey(ResultPage, on_delete=models.CASCADE, related_name="attachments")
    document = models.ForeignKey(
        "wagtaildocs.Document", on_delete=models.CASCADE, related_name="+", verbose_name=_("document")
    )
    caption = models.CharField(_("caption"), max_length=200, blank=True)

    panels = [FieldRowPanel([FieldPanel("document"), FieldPanel("caption")])]

    class Meta(Orderable.Meta):
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.caption or str(self.document)


class LicenceOffer(Orderable):
    """One way to obtain a result, with its terms. An express offer can be accepted as it stands."""

    result = ParentalKey(ResultPage, on_delete=models.CASCADE, related_name="offers")
    mode = models.CharField(_("transfer mode"), max_length=16, choices=DealMode.choices)
    field_of_use = models.ForeignKey(
        TechnologyField,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("field of use"),
        help_text=_("Leave empty for all fields of use."),
    )
    territory = models.CharField(_("territory"), max_length=16, choices=Territory.choices, default=Territory.WORLDWIDE)
    term_months = models.PositiveIntegerField(
        _("term (months)"), null=True, blank=True, help_text=_("Leave empty for a permanent transfer.")
    )
    currency = CurrencyField()
    upfront_fee = MoneyField(_("upfront fee"), default=ZERO, validators=NON_NEGATIVE)
    royalty_percent = models.DecimalField(
        _("royalty (% of net sales)"), max_digits=5, decimal_places=2, default=ZERO, validators=PERCENT
    )
    milestones = models.TextField(_("milestones"), blank=True)
    express = models.BooleanField(
        _("express offer"), default=False, help_text=_("An enterprise can accept the standard terms and pay at once.")
    )
    standard_terms = models.TextField(_("standard terms"), blank=True)

    panels = [
        FieldRowPanel([FieldPanel("mode"), FieldPanel("field_of_use"), FieldPanel("territory")]),
        FieldRowPanel([FieldPanel("term_months"), FieldPanel("upfront_fee"), FieldPanel("royalty_percent")]),
        FieldPanel("milestones"),
        FieldRowPanel([FieldPanel("express")]),
        FieldPanel("standard_terms"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("licence offer")
        verbose_name_plural = _("licence offers")
        constraints = [
            models.CheckConstraint(condition=models.Q(upfront_fee__gte=0), name="ip_listings_offer_fee_not_negative"),
            models.CheckConstraint(
                condition=models.Q(royalty_percent__gte=0, royalty_percent__lte=100),
                name="ip_listings_offer_royalty_0_100",
            ),
            models.CheckConstraint(
                condition=models.Q(express=False) | ~models.Q(standard_terms=""),
                name="ip_listings_express_has_terms",
            ),
        ]

    def __str__(self):
        return f"{self.get_mode_display()} · {self.scope_label}"

    @property
    def field_of_use_label(self):
        return self.field_of_use.display_name if self.field_of_use_id else str(_("All fields of use"))

    @property
    def scope_label(self):
        return f"{self.field_of_use_label} · {self.get_territory_display()}"

    def clean(self):
        # scope imports these models (modes, statuses): loaded only when an offer is cleaned.
        from .scope import offer_errors

        errors = offer_errors(
            upfront_fee=self.upfront_fee,
            royalty_percent=self.royalty_percent,
            express=self.express,
            standard_terms=self.standard_terms,
            term_months=self.term_months,
        )
        if errors:
            raise ValidationError(errors)


# --- agreements ----------------------------------------------------------------------------------------


class AgreementStatus(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    ACTIVE = "active", _("Active")
    CANCELLED = "cancelled", _("Cancelled")


class AgreementSource(models.TextChoices):
    EXPRESS = "express", _("Express licence (standard terms)")
    NEGOTIATED = "negotiated", _("Negotiated and recorded by the TTO")


# Agreements in these statuses hold their scope (an unpaid express agreement reserves it).
HOLDING_STATUSES = (AgreementStatus.AWAITING_PAYMENT, AgreementStatus.ACTIVE)


class LicenceAgreement(models.Model):
    """A signed (or awaiting payment) deal. Its terms, parties and price are frozen when it is made:
    the columns for queries, `terms` (JSON) for the document. Editing the offer later changes nothing."""

    number = models.CharField(_("agreement number"), max_length=32, unique=True, editable=False)
    source = models.CharField(_("how it was made"), max_length=16, choices=AgreementSource.choices)
    status = models.CharField(_("status"), max_length=20, choices=AgreementStatus.choices)
    result = models.ForeignKey(
        ResultPage, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("research result")
    )
    offer = models.ForeignKey(
        LicenceOffer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agreements",
        verbose_name=_("offer"),
    )
    inquiry = models.OneToOneField(
        "ip_listings.Inquiry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreement",
        verbose_name=_("inquiry"),
    )
    institute = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("institute (licensor)")
    )
    enterprise = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("enterprise (licensee)")
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed by (enterprise)"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by (institute)"),
    )
    # Frozen scope and terms.
    mode = models.CharField(_("transfer mode"), max_length=16, choices=DealMode.choices)
    field_of_use = models.ForeignKey(
        TechnologyField,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("field of use"),
    )
    territory = models.CharField(_("territory"), max_length=16, choices=Territory.choices)
    term_months = models.PositiveIntegerField(_("term (months)"), null=True, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    upfront_fee = MoneyField(_("upfront fee"), default=ZERO)
    royalty_percent = models.DecimalField(_("royalty (% of net sales)"), max_digits=5, decimal_places=2, default=ZERO)
    price_amount = MoneyField(_("contract value"))
    currency = CurrencyField()
    terms = models.JSONField(_("frozen terms"), default=dict, editable=False)
    signed_at = models.DateTimeField(_("signed at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=120, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("licence agreement")
        verbose_name_plural = _("licence agreements")
        ordering = ["-signed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(upfront_fee__gte=0, price_amount__gte=0), name="ip_listings_agreement_money"
            ),
            models.CheckConstraint(
                condition=models.Q(royalty_percent__gte=0, royalty_percent__lte=100),
                name="ip_listings_agreement_royalty_0_100",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=AgreementStatus.values), name="ip_listings_agreement_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="ip_listings_agreement_dates",
            ),
        ]
        indexes = [
            models.Index(fields=["institute", "status"], name="ip_agreement_inst_status"),
            models.Index(fields=["enterprise", "status"], name="ip_agreement_ent_status"),
            models.Index(fields=["result", "status"], name="ip_agreement_result_status"),
        ]

    def __str__(self):
        return self.number

    @property
    def is_active(self):
        return self.status == AgreementStatus.ACTIVE

    @property
    def awaits_payment(self):
        return self.status == AgreementStatus.AWAITING_PAYMENT

    @property
    def field_of_use_label(self):
        return self.terms.get("field_of_use") or (
            self.field_of_use.display_name if self.field_of_use_id else str(_("All fields of use"))
        )


class InquiryStage(models.TextChoices):
    NEW = "new", _("New")
    DISCUSSION = "discussion", _("In discussion")
    NDA_SIGNED = "nda_signed", _("NDA signed")
    TERMS_PROPOSED = "terms_proposed", _("Terms proposed")
    AGREED = "agreed", _("Agreed")
    DECLINED = "declined", _("Declined")


# Stages that end an inquiry: no further message or change.
CLOSED_STAGES = (InquiryStage.DECLINED,)


class Inquiry(models.Model):
    """A negotiation between one enterprise and the institute's TTO about a result (and maybe one offer)."""

    result = models.ForeignKey(
        ResultPage, on_delete=models.PROTECT, related_name="inquiries", verbose_name=_("research result")
    )
    offer = models.ForeignKey(
        LicenceOffer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inquiries",
        verbose_name=_("offer"),
    )
    institute = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("institute")
    )
    enterprise = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("enterprise")
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("opened by"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    stage = models.CharField(_("stage"), max_length=16, choices=InquiryStage.choices, default=InquiryStage.NEW)
    created_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stage__in=InquiryStage.values), name="ip_listings_inquiry_stage_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["institute", "stage"], name="ip_inquiry_inst_stage"),
            models.Index(fields=["enterprise", "stage"], name="ip_inquiry_ent_stage"),
        ]

    def __str__(self):
        return self.subject

    @property
    def is_closed(self):
        return self.stage in CLOSED_STAGES


class InquiryMessage(models.Model):
    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="messages", verbose_name=_("inquiry"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("author")
    )
    from_institute = models.BooleanField(_("from the institute"), default=False)
    body = models.TextField(_("message"), max_length=5000)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inquiry message")
        verbose_name_plural = _("inquiry messages")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.inquiry_id} · {self.created_at:%Y-%m-%d %H:%M}"


class InquiryStageChange(StateChange):
    """Who moved an inquiry from one stage to the next, and when (append-only):
    `InquiryStageChange.move(inquiry, ...)` is the one way an inquiry changes stage."""

    subject_field = "inquiry"
    state_field = "stage"

    inquiry = models.ForeignKey(
        Inquiry, on_delete=models.CASCADE, related_name="stage_changes", verbose_name=_("inquiry")
    )
    from_stage = models.CharField(_("from"), max_length=16, choices=InquiryStage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=16, choices=InquiryStage.choices)

    class Meta(StateChange.Meta):
        verbose_name = _("inquiry stage change")
        verbose_name_plural = _("inquiry stage changes")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.from_stage} → {self.to_stage}"


# --- after the deal ------------------------------------------------------------------------------------


class ImpactReport(models.Model):
    """What a licence produced in one quarter, reported by the licensee."""

    agreement = models.ForeignKey(
        LicenceAgreement, on_delete=models.PROTECT, related_name="impact_reports", verbose_name=_("agreement")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"), choices=[(1, "Q1"), (2, "Q2"), (3, "Q3"), (4, "Q4")])
    jobs_created = models.PositiveIntegerField(_("jobs created"), default=0)
    revenue = MoneyField(_("revenue from the licensed technology"), default=ZERO, validators=NON_NEGATIVE)
    currency = CurrencyField()
    products_launched = models.PositiveIntegerField(_("products launched"), default=0)
    company_founded = models.BooleanField(_("a company was founded"), default=False)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("reported by")
    )
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("impact report")
        verbose_name_plural = _("impact reports")
        ordering = ["-year", "-quarter", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "year", "quarter"], name="ip_listings_one_report_per_quarter"),
            models.CheckConstraint(condition=models.Q(quarter__gte=1, quarter__lte=4), name="ip_listings_quarter"),
            models.CheckConstraint(condition=models.Q(revenue__gte=0), name="ip_listings_revenue_not_negative"),
        ]

    def __str__(self):
        return f"{self.agreement} · {self.year} Q{self.quarter}"

    @property
    def period_label(self):
        return f"{self.year} Q{self.quarter}"


class ImpactReminder(models.Model):
    """A quarterly reminder sent for one agreement, so that running the reminder twice sends it once."""

    agreement = models.ForeignKey(
        LicenceAgreement, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("agreement")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("impact reminder")
        verbose_name_plural = _("impact reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "year", "quarter"], name="ip_listings_one_reminder_per_quarter"
            )
        ]

    def __str__(self):
        return f"{self.agreement} · {self.year} Q{self.quarter}"
