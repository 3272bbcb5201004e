"""State changes for people and organisations. Each runs in one transaction."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.text import slugify
from django.utils.translation import gettext as _

from marketplace.core.emails import display, notify
from marketplace.core.links import absolute_url
from marketplace.core.locking import lock, locked

from . import selectors
from .models import Invitation, Membership, Organization, Role, roles_for_kind
from .signals import institute_created, memberships_changed
from .tokens import email_verification_token
from .validators import validate_visible_text

User = get_user_model()


def normalize_email(email: str) -> str:
    return User.objects.normalize_email((email or "").strip()).lower()


def unique_slug(base: str, model=Organization, field="slug", max_length=80) -> str:
    root = (slugify(base) or "org")[: max_length - 6]
    slug, n = root, 1
    while model.objects.filter(**{field: slug}).exists():
        n += 1
        slug = f"{root}-{n}"
    return slug


def verification_url(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = email_verification_token.make_token(user)
    return absolute_url("accounts:verify", uid, token)


@transaction.atomic
def register_enterprise(
    *,
    email,
    password,
    first_name="",
    last_name="",
    organization_name,
    organization_name_en="",
    size_class,
    credit_code="",
    province="",
    city="",
    specialised_innovative=False,
    little_giant=False,
    language=None,
):
    """Create an inactive user, their enterprise and a buyer membership; email a verification link.

    Returns (user, organization), or (None, None) when the address is already registered: then nothing is
    created and the address's owner is told by email that someone tried to sign up with it, so the
    answer on screen is the same whether the address is known or not.
    """
    email = normalize_email(email)
    for field, value in (
        ("first_name", first_name),
        ("last_name", last_name),
        ("organization_name", organization_name),
        ("organization_name_en", organization_name_en),
    ):
        try:
            validate_visible_text(value)
        except ValidationError as error:
            raise ValidationError({field: error.messages}) from None
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        notify(
            existing,
            "accounts/email/signup_attempt",
            {
                "name": str(existing),
                "login_url": absolute_url("accounts:login"),
                "reset_url": absolute_url("accounts:password_reset"),
                "verified": existing.email_verified_at is not None or existing.is_active,
            },
        )
        return None, None
    if size_class not in Organization.SizeClass.values:
        raise ValidationError({"size_class": _("Choose a valid size class.")})
    credit_code = (credit_code or "").strip().upper()
    if credit_code and Organization.objects.filter(credit_code=credit_code).exists():
        raise ValidationError({"credit_code": _("An enterprise with this credit code is already registered.")})
    user = User(
        username=email,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_active=False,
        preferred_language=language or settings.LANGUAGE_CODE,
    )
    user.set_password(password)
    organization = Organization(
        kind=Organization.Kind.ENTERPRISE,
        name=organization_name.strip(),
        name_en=organization_name_en.strip(),
        slug=unique_slug(organization_name_en or organization_name),
        size_class=size_class,
        credit_code=credit_code,
        province=province,
        city=city,
        specialised_innovative=specialised_innovative,
        little_giant=little_giant,
        contact_email=email,
    )
    try:
        with transaction.atomic():
            user.save()
            organization.save()
    except IntegrityError as exc:  # a concurrent sign-up with the same address or code
        raise ValidationError(_("This email address or credit code is already registered.")) from exc
    Membership.objects.create(user=user, organization=organization, role=Role.BUYER)
    flag_if_lookalike(organization)
    send_verification(user)
    return user, organization


def send_verification(user):
    notify(user, "accounts/email/verify", {"name": str(user), "url": verification_url(user)})


def hit_limit(key: str, limit: int, seconds: int) -> bool:
    """Count one attempt under `key`; True once more than `limit` were made within `seconds`."""
    cache.add(key, 0, seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, seconds)
        count = 1
    return count > limit


def is_claimable(user) -> bool:
    """An account nobody has proved the address of: inactive and never verified."""
    return user is not None and not user.is_active and user.email_verified_at is None


def resend_verification(user) -> bool:
    """Send the verification link again, at most VERIFICATION_RESEND_LIMIT times an hour; True if sent."""
    if not is_claimable(user):
        return False
    if hit_limit(f"accounts:resend:{user.pk}", settings.VERIFICATION_RESEND_LIMIT, 3600):
        return False
    send_verification(user)
    return True


def lookalike_of(organization):
    """Another organisation whose Chinese or English name has the same comparison key, or None."""
    keys = {key for key in (organization.name_key, organization.name_en_key) if key}
    if not keys:
        return None
    return (
        Organization.objects.exclude(pk=organization.pk)
        .filter(Q(name_key__in=keys) | Q(name_en_key__in=keys))
        .order_by("pk")
        .first()
    )


@transaction.atomic
def flag_if_lookalike(organization):
    """Flag an organisation whose name looks like an existing one's, and tell platform staff by email.

    Nothing is refused: two real organisations may share a name; staff check and clear the flag.
    """
    other = lookalike_of(organization)
    if other is None or (organization.name_flagged and organization.resembles_id == other.pk):
        return other
    organization.name_flagged = True
    organization.resembles = other
    organization.save(update_fields=["name_flagged", "resembles"])
    context = {
        "organization": both_names(organization),
        "other": both_names(other),
        "url": absolute_url("organization:edit", organization.pk),
    }
    for person in User.objects.filter(is_staff=True, is_active=True).exclude(email=""):
        notify(person, "accounts/email/lookalike_organisation", context)
    return other


def both_names(organization) -> str:
    """Both names of an organisation, for platform staff comparing them: "名称 (Name)", or the one it has."""
    return " ".join(filter(None, [organization.name, f"({organization.name_en})" if organization.name_en else ""]))


def user_for_verification(uidb64: str, token: str):
    """The account a verification link is for, or None if the link is bad, used or expired."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
        user = User.objects.get(pk=pk)
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError, User.DoesNotExist):
        return None
    if not email_verification_token.check_token(user, token):
        return None
    return user


@transaction.atomic
def verify_email(uidb64: str, token: str, *, password=None, same_browser=False):
    """Activate the account behind a verification link; return the user, or None if it was refused.

    The link proves the mailbox; the password (or the browser that signed up, which chose it) proves the
    person who set the password is the one reading it. A link opened elsewhere by someone who does not
    know the password (an address used by someone else) verifies nothing: the address's owner can claim
    it later (an invitation's link does). Wrong passwords: at most 5 in 15 minutes per account.
    """
    user = user_for_verification(uidb64, token)
    if user is None:
        return None
    user = lock(User.objects, pk=user.pk)
    if not same_browser:
        if hit_limit(f"accounts:verify-password:{user.pk}", 5, 15 * 60):
            return None
        if not password or not user.check_password(password):
            return None
    user.is_active = True
    user.email_verified_at = timezone.now()
    user.save(update_fields=["is_active", "email_verified_at"])
    return user


@transaction.atomic
def add_membership(user, organization, role):
    """Give a person a role in an organisation and the Wagtail groups that go with it."""
    if role not in roles_for_kind(organization.kind):
        raise ValidationError({"role": _("This role does not exist for this kind of organisation.")})
    membership, _created = Membership.objects.get_or_create(user=user, organization=organization, role=role)
    sync_admin_groups(user)
    return membership


def sync_admin_groups(user):
    """Announce that the user's memberships changed: the CMS puts them in exactly the institute groups
    their memberships call for (`signals.memberships_changed`)."""
    memberships_changed.send(sender=Membership, user=user)


@transaction.atomic
def create_institute(*, name, name_en="", slug=None, city="", province="", **fields) -> Organization:
    """Create an institute organisation; the apps that serve institutes (the CMS) provision it."""
    organization = Organization.objects.create(
        kind=Organization.Kind.INSTITUTE,
        name=name,
        name_en=name_en,
        slug=slug or unique_slug(name_en or name),
        city=city,
        province=province,
        **fields,
    )
    announce_institute(organization)
    return organization


def announce_institute(organization):
    """Tell the apps that serve institutes that `organization` exists (idempotent receivers)."""
    institute_created.send(sender=Organization, organization=organization)


@transaction.atomic
def invite(*, inviter, organization, email, role):
    """Invite a person to an institute. Platform staff, or the institute's own TTO, may invite."""
    if not selectors.can_invite(inviter, organization):
        raise PermissionDenied(_("You may not invite people to this organisation."))
    email = normalize_email(email)
    if role not in roles_for_kind(organization.kind):
        raise ValidationError({"role": _("This role does not exist for this kind of organisation.")})
    if Membership.objects.filter(organization=organization, role=role, user__email__iexact=email).exists():
        raise ValidationError({"email": _("This person already holds this role in the organisation.")})
    if Invitation.objects.filter(
        organization=organization, role=role, email__iexact=email, accepted_at=None, revoked_at=None
    ).exists():
        raise ValidationError({"email": _("An invitation for this person and role is already open.")})
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        invited_by=inviter,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS),
    )
    existing = User.objects.filter(email__iexact=email).first()
    notify(
        existing or email,
        "accounts/email/invitation",
        {
            "organization": display(organization),
            "role": role,
            "inviter": str(inviter),
            "url": absolute_url("accounts:invitation", invitation.token),
        },
        language=None if existing else (inviter.preferred_language or settings.LANGUAGE_CODE),
    )
    return invitation


def open_invitation_or_none(token):
    invitation = Invitation.objects.select_related("organization").filter(token=token).first()
    if invitation is None or not invitation.is_open:
        return None
    return invitation


@transaction.atomic
def accept_invitation(invitation, *, user=None, password=None, first_name="", last_name="", language=None):
    """Accept an open invitation, as the signed-in user or by creating the invited account."""
    invitation = lock(Invitation.objects, pk=invitation.pk)
    if not invitation.is_open:
        raise ValidationError(_("This invitation has expired or was already used."))
    validate_visible_text(first_name)
    validate_visible_text(last_name)
    existing = None
    if user is None:
        existing = locked(User.objects.filter(email__iexact=invitation.email)).order_by("pk").first()
        if existing is not None and not is_claimable(existing):
            raise ValidationError(_("An account with this email address exists: sign in to accept."))
    if user is None and existing is not None:
        # An unverified account with the invitee's address, created by whoever typed it. The invitation's link
        # proves the address, so its holder claims the account: their password and name, verified now, and
        # none of the roles the account was given before (they came with someone else's sign-up).
        user = existing
        user.first_name = first_name
        user.last_name = last_name
        user.is_active = True
        user.email_verified_at = timezone.now()
        user.preferred_language = language or settings.LANGUAGE_CODE
        user.set_password(password)
        user.save()
        Membership.objects.filter(user=user).delete()
        sync_admin_groups(user)
    elif user is None:
        user = User(
            username=invitation.email,
            email=invitation.email,
            first_name=first_name,
            last_name=last_name,
            email_verified_at=timezone.now(),  # the link itself proves the address
            preferred_language=language or settings.LANGUAGE_CODE,
        )
        user.set_password(password)
        user.save()
    elif normalize_email(user.email) != normalize_email(invitation.email):
        raise ValidationError(_("This invitation was sent to another email address."))
    elif user.email_verified_at is None:
        user.email_verified_at = timezone.now()  # the link itself proves the address
        user.save(update_fields=["email_verified_at"])
    membership = add_membership(user, invitation.organization, invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return user, membership


@transaction.atomic
def revoke_invitation(actor, invitation):
    if not selectors.can_invite(actor, invitation.organization):
        raise PermissionDenied
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])


def set_language(user, language):
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Unknown language."))
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
