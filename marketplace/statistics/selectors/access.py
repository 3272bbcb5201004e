"""Who may see which institute's figures: platform staff every institute, a TTO officer their own."""

from django.http import Http404

from marketplace.accounts.models import Organization, Role

# --- who sees what -------------------------------------------------------------------------------


def dashboard_institutes(user):
    """Institutes whose figures the user may see: every institute for platform staff, the user's own
    institutes where they are a TTO officer otherwise."""
    qs = Organization.objects.filter(kind=Organization.Kind.INSTITUTE, is_active=True)
    if not user.is_authenticated:
        return qs.none()
    if user.is_staff:
        return qs.order_by("name")
    return qs.filter(memberships__user=user, memberships__role=Role.TTO_OFFICER).distinct().order_by("name")


def can_view_dashboard(user) -> bool:
    return user.is_authenticated and (user.is_staff or dashboard_institutes(user).exists())


def resolve_scope(user, institute_param):
    """(scope, institute) for the requested institute id or "all"; 404 for anything not visible.

    Staff default to the whole platform (scope None); a TTO officer defaults to their first institute.
    """
    visible = dashboard_institutes(user)
    if institute_param in (None, ""):
        if user.is_staff:
            return None, None
        institute = visible.first()
        if institute is None:
            raise Http404
        return [institute.pk], institute
    if institute_param == "all":
        if not user.is_staff:
            raise Http404
        return None, None
    try:
        institute = visible.get(pk=int(institute_param))
    except (ValueError, TypeError, Organization.DoesNotExist):
        raise Http404 from None
    return [institute.pk], institute
