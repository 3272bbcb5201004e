"""Read queries about people and organisations: who belongs where, who may see what."""

from django.http import Http404

from .models import ENTERPRISE_ROLES, INSTITUTE_ROLES, Membership, Organization, Role, User


def memberships_of(user):
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user, organization__is_active=True).select_related("organization")


def organizations_of(user, roles=None, kind=None):
    """Organisations the user belongs to (optionally with one of `roles`, or of one `kind`)."""
    if not user.is_authenticated:
        return Organization.objects.none()
    memberships = Membership.objects.filter(user=user)
    if roles:
        memberships = memberships.filter(role__in=list(roles))
    qs = Organization.objects.filter(is_active=True, pk__in=memberships.values("organization_id"))
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def members_with_role(organization_id, *roles):
    """The active people who hold one of `roles` in the organisation (e.g. its facility managers)."""
    memberships = Membership.objects.filter(organization_id=organization_id, role__in=list(roles))
    return User.objects.filter(is_active=True, pk__in=memberships.values("user_id"))


def has_role(user, organization, roles) -> bool:
    if not user.is_authenticated or organization is None:
        return False
    org_id = organization if isinstance(organization, int) else organization.pk
    return Membership.objects.filter(
        user=user, organization_id=org_id, organization__is_active=True, role__in=list(roles)
    ).exists()


def is_member(user, organization) -> bool:
    return has_role(user, organization, [r.value for r in Role])


def enterprises_of(user):
    return organizations_of(user, roles=ENTERPRISE_ROLES, kind=Organization.Kind.ENTERPRISE)


def institutes_of(user, roles=INSTITUTE_ROLES):
    return organizations_of(user, roles=roles, kind=Organization.Kind.INSTITUTE)


def can_invite(user, organization) -> bool:
    """Platform staff may invite to any institute; a TTO officer to their own institute only."""
    if not user.is_authenticated or not organization.is_institute:
        return False
    return user.is_staff or has_role(user, organization, [Role.TTO_OFFICER])


def opens_back_office(user) -> bool:
    """Whether the account page offers a link to the Wagtail admin (staff, or anyone in a group)."""
    return user.is_authenticated and (user.is_staff or user.groups.exists())


def can_view_members(user, organization) -> bool:
    return user.is_authenticated and (user.is_staff or is_member(user, organization))


def organization_for_member_or_404(user, pk):
    """The organisation `pk` (an id from the URL, `<id:pk>`) if the user belongs to it (or is staff); 404
    otherwise. A foreign id answers exactly like a missing one.
    """
    try:
        organization = Organization.objects.get(pk=pk)
    except Organization.DoesNotExist:
        raise Http404 from None
    if not can_view_members(user, organization):
        raise Http404
    return organization


def members_of(organization):
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__email", "role")
    )
