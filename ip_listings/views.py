"""Thin views: parse input, call one service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace.accounts import selectors as account_selectors
from marketplace.core.catalogue_cache import CachedCountPaginator
from marketplace.core.forms import apply_errors, flash_errors
from marketplace.core.ids import id_or_404
from marketplace.core.pagecache import cache_anonymous_page
from marketplace.core.pdf import pdf_response
from marketplace.core.search import pages_with_ids, search_ids
from marketplace.payments import selectors as payment_selectors
from marketplace.payments import services as payment_services

from . import selectors, services
from .filters import ResultFilter
from .forms import (
    AcceptOfferForm,
    ConfirmPaymentForm,
    ImpactReportForm,
    InquiryForm,
    MessageForm,
    RecordAgreementForm,
    StageForm,
)
from .models import TRL, AgreementStatus, InquiryStage, ResultPage

PAGE_SIZE = 20


# --- browse ------------------------------------------------------------------------------------------


def _search_ids(query):
    fields = ["title", "title_en", "abstract", "abstract_en", "advantages", "applications"]
    return search_ids(ResultPage.objects.live(), query, fields)


@cache_anonymous_page
def browse(request):
    queryset = selectors.live_results().select_related("institute", "field")
    query = (request.GET.get("q") or "").strip()[:200]
    if query:
        queryset = queryset.filter(pk__in=pages_with_ids(_search_ids(query)))
    ordered = queryset.order_by("-first_published_at", "pk")
    filterset = ResultFilter(request.GET or None, queryset=ordered, request=request)
    results = filterset.qs if filterset.is_bound and filterset.is_valid() else ordered
    page = CachedCountPaginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    selectors.annotate_availability(page.object_list)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "ip_listings/browse.html",
        {
            "filter": filterset,
            "page_obj": page,
            "query": query,
            "querystring": params.urlencode(),
            "trl_levels": TRL.choices,
        },
    )


# --- express licences ----------------------------------------------------------------------------------


@login_required
def accept_offer(request, offer_id):
    offer = selectors.offer_or_404(offer_id)
    result = offer.result
    if not result.live:
        raise Http404
    enterprises = account_selectors.enterprises_of(request.user)
    if not enterprises.exists():
        messages.error(request, _("Only buyers of a registered enterprise can license results."))
        return redirect(result.url or "/results/")
    form = AcceptOfferForm(request.POST or None, enterprises=enterprises)
    if request.method == "POST" and form.is_valid():
        try:
            agreement = services.accept_express_offer(
                offer,
                buyer=request.user,
                enterprise=form.cleaned_data["enterprise"],
                accept_terms=form.cleaned_data["accept_terms"],
            )
        except (ValidationError, PermissionDenied) as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your licence agreement is created."))
            return redirect("ip_listings:agreement", agreement.pk)
    return render(
        request,
        "ip_listings/accept_offer.html",
        {"offer": offer, "result": result, "form": form, "available": selectors.offer_is_available(offer)},
        status=400 if form.errors else 200,
    )


# --- agreements ----------------------------------------------------------------------------------------


@login_required
def agreements(request):
    as_buyer = {"buyer": True, "institute": False}.get(request.GET.get("as", ""))
    qs = selectors.agreements_for(request.user, as_buyer=as_buyer)
    status = request.GET.get("status", "")
    if status in AgreementStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "ip_listings/agreements.html",
        {"page_obj": page, "statuses": AgreementStatus.choices, "status": status},
    )


def _agreement_context(request, agreement):
    return {
        "agreement": agreement,
        "terms": agreement.terms,
        "is_tto": services.is_tto(request.user, agreement.institute_id),
        "is_licensee": services.is_buyer(request.user, agreement.enterprise_id),
    }


@login_required
def agreement_detail(request, pk):
    agreement = selectors.agreement_for_user_or_404(request.user, pk)
    context = _agreement_context(request, agreement)
    context.update(
        {
            "reports": selectors.impact_reports_of(agreement),
            "payment_form": ConfirmPaymentForm(),
            "payment": payment_selectors.payment_box(agreement, staff=context["is_tto"]),
        }
    )
    return render(request, "ip_listings/agreement_detail.html", context)


@login_required
def agreement_document(request, pk):
    """The printable agreement, rendered from its frozen terms only."""
    agreement = selectors.agreement_for_user_or_404(request.user, pk)
    return render(request, "ip_listings/agreement_document.html", {"agreement": agreement, "terms": agreement.terms})


@login_required
def agreement_download(request, pk):
    """The agreement as a PDF document, from its frozen terms, in the reader's language."""
    agreement = selectors.agreement_for_user_or_404(request.user, pk)
    return pdf_response(
        "ip_listings/agreement.pdf.html",
        {"agreement": agreement, "terms": agreement.terms},
        filename=f"agreement-{agreement.number}",
    )


@login_required
@require_POST
def confirm_payment(request, pk):
    agreement = selectors.agreement_for_user_or_404(request.user, pk)
    form = ConfirmPaymentForm(request.POST)
    form.is_valid()
    try:
        # Money received by invoice goes through the payments app: one record of every payment.
        payment_services.receive_invoice_payment(
            agreement, actor=request.user, reference=form.cleaned_data.get("reference", "")
        )
    except (ValidationError, PermissionDenied) as error:
        flash_errors(request, error)
    else:
        messages.success(request, _("Payment confirmed; the agreement is active."))
    return redirect("ip_listings:agreement", agreement.pk)


@login_required
@require_POST
def cancel_agreement(request, pk):
    agreement = selectors.agreement_for_user_or_404(request.user, pk)
    try:
        services.cancel_agreement(agreement, actor=request.user, reason=request.POST.get("reason", ""))
    except (ValidationError, PermissionDenied) as error:
        flash_errors(request, error)
    else:
        messages.success(request, _("The agreement is cancelled."))
    return redirect("ip_listings:agreement", agreement.pk)


@login_required
def report_impact(request, pk):
    agreement = selectors.agreement_for_user_or_404(request.user, pk)
    form = ImpactReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        year, quarter = data["period"]
        try:
            services.report_impact(
                agreement,
                actor=request.user,
                year=year,
                quarter=quarter,
                jobs_created=data["jobs_created"],
                revenue=data["revenue"],
                products_launched=data["products_launched"],
                company_founded=data["company_founded"],
                note=data["note"],
            )
        except (ValidationError, PermissionDenied) as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Thank you: your impact report is recorded."))
            return redirect("ip_listings:agreement", agreement.pk)
    return render(
        request,
        "ip_listings/report_impact.html",
        {"agreement": agreement, "form": form},
        status=400 if form.errors else 200,
    )


# --- inquiries -----------------------------------------------------------------------------------------


@login_required
def open_inquiry(request, result_id):
    result = selectors.result_for_inquiry_or_404(result_id)
    offer = None
    if request.GET.get("offer") or request.POST.get("offer"):
        offer = selectors.offer_or_404(id_or_404(request.POST.get("offer") or request.GET.get("offer")))
        if offer.result_id != result.pk:
            raise Http404
    enterprises = account_selectors.enterprises_of(request.user)
    if not enterprises.exists():
        messages.error(request, _("Only buyers of a registered enterprise can open an inquiry."))
        return redirect(result.url or "/results/")
    form = InquiryForm(request.POST or None, enterprises=enterprises)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            inquiry = services.open_inquiry(
                result=result,
                offer=offer,
                buyer=request.user,
                enterprise=data["enterprise"],
                subject=data["subject"],
                message=data["message"],
            )
        except (ValidationError, PermissionDenied) as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your inquiry is sent to the technology-transfer office."))
            return redirect("ip_listings:inquiry", inquiry.pk)
    return render(
        request,
        "ip_listings/open_inquiry.html",
        {"result": result, "offer": offer, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def inquiries(request):
    as_buyer = {"buyer": True, "institute": False}.get(request.GET.get("as", ""))
    qs = selectors.inquiries_for(request.user, as_buyer=as_buyer)
    stage = request.GET.get("stage", "")
    if stage in InquiryStage.values:
        qs = qs.filter(stage=stage)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "ip_listings/inquiries.html", {"page_obj": page, "stages": InquiryStage.choices, "stage": stage}
    )


@login_required
def inquiry_detail(request, pk):
    inquiry = selectors.inquiry_for_user_or_404(request.user, pk)
    side = services.side_of(request.user, inquiry)
    allowed = services.next_stages(inquiry, side)
    stage_choices = [(value, label) for value, label in InquiryStage.choices if value in allowed]
    stage_form = StageForm()
    stage_form.fields["stage"].choices = stage_choices
    agreement = getattr(inquiry, "agreement", None) if hasattr(inquiry, "agreement") else None
    return render(
        request,
        "ip_listings/inquiry_detail.html",
        {
            "inquiry": inquiry,
            "side": side,
            "thread": inquiry.messages.select_related("author"),
            "history": inquiry.stage_changes.select_related("actor"),
            "message_form": MessageForm(),
            "stage_form": stage_form if stage_choices else None,
            "agreement": agreement,
            "can_record": side == "institute" and inquiry.stage == InquiryStage.AGREED and agreement is None,
        },
    )


@login_required
@require_POST
def post_message(request, pk):
    inquiry = selectors.inquiry_for_user_or_404(request.user, pk)
    form = MessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a message."))
        return redirect("ip_listings:inquiry", inquiry.pk)
    try:
        services.post_message(inquiry, author=request.user, body=form.cleaned_data["body"])
    except (ValidationError, PermissionDenied) as error:
        flash_errors(request, error)
    else:
        messages.success(request, _("Message sent."))
    return redirect("ip_listings:inquiry", inquiry.pk)


@login_required
@require_POST
def move_inquiry(request, pk):
    inquiry = selectors.inquiry_for_user_or_404(request.user, pk)
    stage = request.POST.get("stage", "")
    try:
        services.move_inquiry(inquiry, stage, actor=request.user, note=request.POST.get("note", ""))
    except (ValidationError, PermissionDenied) as error:
        flash_errors(request, error)
    else:
        messages.success(request, _("Stage updated."))
    return redirect("ip_listings:inquiry", inquiry.pk)


@login_required
def record_agreement(request, pk):
    inquiry = selectors.inquiry_for_user_or_404(request.user, pk)
    if services.side_of(request.user, inquiry) != "institute":
        raise Http404
    form = RecordAgreementForm(request.POST or None, offer=inquiry.offer)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agreement = services.record_agreement(inquiry, actor=request.user, **data)
        except (ValidationError, PermissionDenied) as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The agreement is recorded."))
            return redirect("ip_listings:agreement", agreement.pk)
    return render(
        request,
        "ip_listings/record_agreement.html",
        {"inquiry": inquiry, "form": form},
        status=400 if form.errors else 200,
    )


# --- TTO -----------------------------------------------------------------------------------------------


@login_required
def tto_dashboard(request):
    if not selectors.is_tto(request.user):
        raise Http404
    queue = selectors.tto_queue(request.user)
    return render(
        request,
        "ip_listings/tto_dashboard.html",
        {
            "open_inquiries": queue["open_inquiries"][:50],
            "awaiting_payment": queue["awaiting_payment"][:50],
            "recent_agreements": selectors.agreements_for(request.user, as_buyer=False).filter(
                status=AgreementStatus.ACTIVE
            )[:20],
        },
    )
