"""Read queries of the ip_listings app: who sees which inquiries and agreements, browse, result pages."""

from collections import defaultdict

from django.db.models import Exists, OuterRef, Q
from django.db.models.lookups import Exact, In, IsNull
from django.http import Http404

from marketplace.accounts import selectors as account_selectors
from marketplace.accounts.models import Organization, Role

from . import scope
from .models import (
    BLOCKING_MODES,
    CLOSED_STAGES,
    AgreementStatus,
    ImpactReport,
    Inquiry,
    LicenceAgreement,
    LicenceOffer,
    ResultPage,
    Territory,
)

# --- rights --------------------------------------------------------------------------------------------


def tto_institutes(user):
    """Institutes whose inquiries and agreements the user handles (all of them for platform staff)."""
    if not user.is_authenticated:
        return Organization.objects.none()
    if user.is_staff:
        return Organization.objects.filter(kind=Organization.Kind.INSTITUTE)
    return account_selectors.institutes_of(user, roles=[Role.TTO_OFFICER])


def is_tto(user) -> bool:
    return user.is_authenticated and (user.is_staff or tto_institutes(user).exists())


def is_buyer(user) -> bool:
    return user.is_authenticated and account_selectors.enterprises_of(user).exists()


def _visible(qs, user, *, as_buyer=None):
    """Rows of the user's enterprises (as buyer) or institutes (as TTO officer); all for staff."""
    if not user.is_authenticated:
        return qs.none()
    enterprise_q = Q(enterprise__in=account_selectors.enterprises_of(user))
    institute_q = Q(institute__in=tto_institutes(user))
    if as_buyer is True:
        return qs.filter(enterprise_q)
    if as_buyer is False:
        return qs if user.is_staff else qs.filter(institute_q)
    if user.is_staff:
        return qs
    return qs.filter(enterprise_q | institute_q)


def agreements_for(user, *, as_buyer=None):
    qs = LicenceAgreement.objects.select_related("result", "institute", "enterprise", "field_of_use")
    return _visible(qs, user, as_buyer=as_buyer)


def inquiries_for(user, *, as_buyer=None):
    qs = Inquiry.objects.select_related("result", "institute", "enterprise", "offer", "opened_by")
    return _visible(qs, user, as_buyer=as_buyer)


def agreement_for_user_or_404(user, pk):
    agreement = agreements_for(user).filter(pk=pk).first()
    if agreement is None:
        raise Http404
    return agreement


def inquiry_for_user_or_404(user, pk):
    inquiry = inquiries_for(user).filter(pk=pk).first()
    if inquiry is None:
        raise Http404
    return inquiry


def tto_queue(user):
    """What waits for the TTO: open inquiries, express agreements awaiting payment."""
    inquiries = inquiries_for(user, as_buyer=False)
    return {
        "open_inquiries": inquiries.exclude(stage__in=CLOSED_STAGES).filter(agreement__isnull=True),
        "awaiting_payment": agreements_for(user, as_buyer=False).filter(status=AgreementStatus.AWAITING_PAYMENT),
    }


def impact_reports_of(agreement):
    return ImpactReport.objects.filter(agreement=agreement).select_related("reported_by")


# --- results and offers --------------------------------------------------------------------------------


def live_results():
    return ResultPage.objects.live().public().filter(institute__isnull=False)


def result_for_inquiry_or_404(pk):
    result = live_results().select_related("institute").filter(pk=pk).first()
    if result is None:
        raise Http404
    return result


def offer_or_404(pk):
    offer = LicenceOffer.objects.select_related("result", "field_of_use", "result__institute").filter(pk=pk).first()
    if offer is None:
        raise Http404
    return offer


def annotate_availability(results, today=None):
    """Set `.offer_rows` (offer, blocking agreement or None) and `.available_offers` on each result of a
    page of results: two queries in all, however many results."""
    results = list(results)
    ids = [r.pk for r in results]
    if not ids:
        return results
    offers, holding = defaultdict(list), defaultdict(list)
    for offer in (
        LicenceOffer.objects.filter(result_id__in=ids)
        .select_related("field_of_use")
        .order_by("result_id", "sort_order", "pk")
    ):
        offers[offer.result_id].append(offer)
    for agreement in LicenceAgreement.objects.filter(
        scope.holding_agreements_q(today), result_id__in=ids
    ).select_related("field_of_use"):
        holding[agreement.result_id].append(agreement)
    for result in results:
        rows = [(o, scope.blocking_agreement(o, holding[result.pk])) for o in offers[result.pk]]
        result.offer_rows = rows
        result.available_offers = [o for o, blocker in rows if blocker is None]
        result.holding_agreements = holding[result.pk]
    return results


def offer_is_available(offer, today=None) -> bool:
    agreements = LicenceAgreement.objects.filter(scope.holding_agreements_q(today), result_id=offer.result_id)
    return scope.blocking_agreement(offer, agreements) is None


def offers_filter(*, mode=None, express=None, min_price=None, max_price=None, today=None):
    """Q on result pages having an *available* offer with these properties (an EXISTS, so no duplicate
    rows): an offer that a holding agreement blocks under the scope rule (ip_listings/scope.py) does not
    count, so an exclusive licence already signed takes its result out of the "exclusive" facet."""
    offers = LicenceOffer.objects.filter(result_id=OuterRef("pk")).filter(~Exists(blocking_agreements(today)))
    if mode:
        offers = offers.filter(mode=mode)
    if express:
        offers = offers.filter(express=True)
    if min_price is not None:
        offers = offers.filter(upfront_fee__gte=min_price)
    if max_price is not None:
        offers = offers.filter(upfront_fee__lte=max_price)
    return Q(Exists(offers))


def blocking_agreements(today=None):
    """Holding agreements that block the offer of the enclosing query (`OuterRef` to a LicenceOffer row):
    `scope.conflicts` in SQL. Same result; fields equal or either is all fields; territories equal or
    either is worldwide; the offer or the agreement exclusive-type."""
    blocking = sorted(BLOCKING_MODES)
    worldwide = Territory.WORLDWIDE
    return LicenceAgreement.objects.filter(
        scope.holding_agreements_q(today),
        Q(field_of_use__isnull=True)
        | Q(field_of_use_id=OuterRef("field_of_use_id"))
        | Q(IsNull(OuterRef("field_of_use_id"), True)),
        Q(territory=OuterRef("territory")) | Q(territory=worldwide) | Q(Exact(OuterRef("territory"), worldwide)),
        Q(mode__in=blocking) | Q(In(OuterRef("mode"), blocking)),
        result_id=OuterRef("result_id"),
    )


def result_page_context(result, request):
    user = getattr(request, "user", None)
    [result] = annotate_availability([result])
    can_see_deals = bool(
        user
        and user.is_authenticated
        and (user.is_staff or result.institute_id in set(tto_institutes(user).values_list("pk", flat=True)))
    )
    return {
        "offer_rows": result.offer_rows,
        "registrations": list(result.registrations.all()),
        "inventors": list(result.inventors.select_related("user")),
        "attachments": list(result.attachments.select_related("document")),
        "keywords": list(result.keywords.all()),
        "is_buyer": bool(user and is_buyer(user)),
        "can_see_deals": can_see_deals,
        "holding_agreements": result.holding_agreements if can_see_deals else [],
    }


def results_of_institute(institute, limit=6):
    return (
        live_results()
        .filter(institute=institute)
        .select_related("institute", "field")
        .order_by("-first_published_at")[:limit]
    )


def latest_results(limit=6):
    return live_results().select_related("institute", "field").order_by("-first_published_at")[:limit]


# --- sections on shared pages (home page, institute page; registered in navigation.py) ------------------


def institute_results(organization, limit=6):
    """The latest live results of an institute, with their available offers (for the institute page)."""
    if organization is None:
        return []
    return annotate_availability(results_of_institute(organization, limit))


def home_results(limit=6):
    """The latest live results of every institute, with their available offers (for the home page)."""
    return annotate_availability(latest_results(limit))
