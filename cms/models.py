from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from marketplace.core import navigation
from marketplace.core.i18n import pick

from .blocks import RICH_TEXT_FEATURES, BodyBlock


class TaxonomyTerm(models.Model):
    """A term of an editable bilingual taxonomy (instrument categories, technology fields)."""

    name = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    panels = [FieldPanel("name"), FieldPanel("name_en"), FieldPanel("slug"), FieldPanel("sort_order")]

    class Meta:
        abstract = True
        ordering = ["sort_order", "name_en"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        return pick(self.name, self.name_en)


class BilingualTitleMixin(models.Model):
    """Pages carry a Chinese title (Wagtail's `title`) and an optional English one."""

    title_en = models.CharField(_("title (English)"), max_length=255, blank=True)

    class Meta:
        abstract = True

    @property
    def display_title(self):
        return pick(self.title, self.title_en)


class HomePage(BilingualTitleMixin, Page):
    intro = models.TextField(_("introduction (Chinese)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))

    content_panels = Page.content_panels + [
        FieldPanel("title_en"),
        MultiFieldPanel([FieldPanel("intro"), FieldPanel("intro_en")], heading=_("Introduction")),
        FieldPanel("body"),
    ]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")
        verbose_name_plural = _("home pages")

    @property
    def display_intro(self):
        return pick(self.intro, self.intro_en)

    def get_context(self, request, *args, **kwargs):
        from .selectors import home_page_context  # cms.selectors imports these models

        context = super().get_context(request, *args, **kwargs)
        context.update(home_page_context(self))
        context["sections"] = navigation.sections(navigation.HOME, request, self)
        return context


class InstituteIndexPage(BilingualTitleMixin, Page):
    intro = RichTextField(_("introduction"), blank=True, features=RICH_TEXT_FEATURES)

    content_panels = Page.content_panels + [FieldPanel("title_en"), FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.InstitutePage"]
    max_count = 1

    class Meta:
        verbose_name = _("institutes index")
        verbose_name_plural = _("institutes indexes")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["institutes"] = (
            InstitutePage.objects.child_of(self).live().select_related("organization").order_by("title")
        )
        return context


class InstitutePage(BilingualTitleMixin, Page):
    """One per research institute; its staff edit this page and everything under it."""

    organization = models.OneToOneField(
        "accounts.Organization",
        on_delete=models.PROTECT,
        related_name="institute_page",
        verbose_name=_("organisation"),
        limit_choices_to={"kind": "institute"},
    )
    summary = models.TextField(_("summary (Chinese)"), blank=True, max_length=500)
    summary_en = models.TextField(_("summary (English)"), blank=True, max_length=500)
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))
    logo = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("logo"),
    )

    content_panels = Page.content_panels + [
        FieldPanel("title_en"),
        FieldPanel("organization", read_only=True),
        MultiFieldPanel([FieldPanel("summary"), FieldPanel("summary_en")], heading=_("Summary")),
        FieldPanel("logo"),
        FieldPanel("body"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("title_en"),
        index.SearchField("summary"),
        index.SearchField("summary_en"),
    ]
    parent_page_types = ["cms.InstituteIndexPage"]
    # Institutes are created with their organisation (see cms.services.provision_institute).
    is_creatable = False

    class Meta:
        verbose_name = _("institute page")
        verbose_name_plural = _("institute pages")

    @property
    def display_summary(self):
        return pick(self.summary, self.summary_en)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["sections"] = navigation.sections(navigation.INSTITUTE, request, self)
        return context


class StandardPage(BilingualTitleMixin, Page):
    """A plain content page (about, policy, help)."""

    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))

    content_panels = Page.content_panels + [FieldPanel("title_en"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("body")]

    class Meta:
        verbose_name = _("content page")
        verbose_name_plural = _("content pages")


class InstituteAccess(models.Model):
    """The Wagtail groups, collection and workflow that give one institute its own corner of the admin."""

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="cms_access", verbose_name=_("organisation")
    )
    staff_group = models.OneToOneField(
        "auth.Group", on_delete=models.PROTECT, related_name="+", verbose_name=_("staff group")
    )
    tto_group = models.OneToOneField(
        "auth.Group", on_delete=models.PROTECT, related_name="+", verbose_name=_("TTO group")
    )
    collection = models.OneToOneField(
        "wagtailcore.Collection", on_delete=models.PROTECT, related_name="+", verbose_name=_("media collection")
    )
    workflow = models.OneToOneField(
        "wagtailcore.Workflow", on_delete=models.PROTECT, related_name="+", verbose_name=_("approval workflow")
    )

    class Meta:
        verbose_name = _("institute access")
        verbose_name_plural = _("institute access")

    def __str__(self):
        return str(self.organization)
