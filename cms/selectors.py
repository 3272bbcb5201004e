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
