from marketplace.accounts.models import Organization

from .models import InstituteIndexPage, InstitutePage


def home_page_context(home):
    institutes = InstitutePage.objects.live().public().select_related("organization").order_by("title")
    return {
        "institute_index": InstituteIndexPage.objects.live().first(),
        "institutes": institutes[:12],
        "institute_count": institutes.count(),
        "enterprise_count": Organization.objects.filter(kind=Organization.Kind.ENTERPRISE, is_active=True).count(),
    }


def institute_for_page(page):
    """The organisation of the InstitutePage above `page` (None before the page is in the tree)."""
    if not page.path:
        return None
    ancestor = (
        InstitutePage.objects.filter(path__in=[page.path[: n * page.steplen] for n in range(1, page.depth)])
        .select_related("organization")
        .first()
    )
    return ancestor.organization if ancestor else None
