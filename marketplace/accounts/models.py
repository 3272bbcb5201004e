import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.core.i18n import person_name, pick

from .validators import name_key, validate_visible_text


class User(AbstractUser):
    """A person. Logs in with their email address (the username mirrors it for self sign-ups)."""

    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True, validators=[validate_visible_text])
    last_name = models.CharField(_("last name"), max_length=150, blank=True, validators=[validate_visible_text])
    email_verified_at = models.DateTimeField(_("email verified at"), null=True, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"), condition=~models.Q(email=""), name="accounts_user_unique_email_ci"
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.email or self.username

    def get_full_name(self):
        """李明 for a Chinese name, Ann Lee for a name in Latin letters, in either interface language."""
        return person_name(self.first_name, self.last_name)


class Organization(models.Model):
    class Kind(models.TextChoices):
        INSTITUTE = "institute", _("Research institute or university")
        ENTERPRISE = "enterprise", _("Enterprise")

    class SizeClass(models.TextChoices):
        MICRO = "micro", _("Micro enterprise")
        SMALL = "small", _("Small enterprise")
        MEDIUM = "medium", _("Medium enterprise")
        LARGE = "large", _("Large enterprise")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name (Chinese)"), max_length=200, validators=[validate_visible_text])
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True, validators=[validate_visible_text])
    # Comparison keys of both names (validators.name_key), kept by save(): lookalike names share a key.
    name_key = models.CharField(max_length=200, blank=True, editable=False, db_index=True)
    name_en_key = models.CharField(max_length=200, blank=True, editable=False, db_index=True)
    name_flagged = models.BooleanField(
        _("name looks like another organisation's"),
        default=False,
        help_text=_("Set when the name resembles an existing organisation's; clear it once checked."),
    )
    resembles = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resembles"),
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True, allow_unicode=False)
    size_class = models.CharField(_("size class"), max_length=8, choices=SizeClass.choices, blank=True)
    specialised_innovative = models.BooleanField(_("specialised and innovative (专精特新)"), default=False)
    little_giant = models.BooleanField(_("“little giant” (小巨人)"), default=False)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        help_text=_("The 18-character code on the business licence."),
    )
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    website = models.URLField(_("website"), blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    bank_details = models.TextField(_("bank details for invoices"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["institute", "enterprise"]), name="accounts_org_kind_valid"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="enterprise", size_class__in=["micro", "small", "medium", "large"])
                    | models.Q(kind="institute", size_class="")
                ),
                name="accounts_org_size_class_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["credit_code"], condition=~models.Q(credit_code=""), name="accounts_org_unique_credit_code"
            ),
        ]
        indexes = [models.Index(fields=["kind", "is_active"])]

    def __str__(self):
        return self.display_name

    def save(self, *args, **kwargs):
        self.name_key = name_key(self.name)
        self.name_en_key = name_key(self.name_en)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"name", "name_en"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "name_key", "name_en_key"}
        super().save(*args, **kwargs)

    @property
    def display_name(self):
        return pick(self.name, self.name_en)

    @property
    def is_institute(self):
        return self.kind == self.Kind.INSTITUTE

    @property
    def is_enterprise(self):
        return self.kind == self.Kind.ENTERPRISE


class Role(models.TextChoices):
    RESEARCHER = "researcher", _("Researcher")
    FACILITY_MANAGER = "facility_manager", _("Facility manager")
    TTO_OFFICER = "tto_officer", _("Technology-transfer officer")
    BUYER = "buyer", _("Enterprise buyer")


INSTITUTE_ROLES = frozenset({Role.RESEARCHER, Role.FACILITY_MANAGER, Role.TTO_OFFICER})
ENTERPRISE_ROLES = frozenset({Role.BUYER})


def roles_for_kind(kind):
    return INSTITUTE_ROLES if kind == Organization.Kind.INSTITUTE else ENTERPRISE_ROLES


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("organisation")
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organization__name", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "role"], name="accounts_membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="accounts_membership_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.organization} · {self.get_role_display()}"


def _new_token():
    return secrets.token_urlsafe(32)


class Invitation(models.Model):
    """An invitation for a person to join an institute with a role."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("organisation")
    )
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    token = models.CharField(max_length=64, unique=True, default=_new_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            # At most one open invitation per address, organisation and role.
            models.UniqueConstraint(
                Lower("email"),
                "organization",
                "role",
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="accounts_invitation_one_open",
            ),
        ]

    def __str__(self):
        return f"{self.email} → {self.organization} ({self.get_role_display()})"

    @property
    def is_open(self):
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()
