"""Thin views: parse, call one service, render."""

import csv
import json
import logging
from datetime import timedelta

import stripe
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from marketplace.accounts.models import Organization
from marketplace.core.forms import apply_errors, flash_errors
from marketplace.core.pdf import pdf_response
from marketplace.core.safe_export import write_csv_row

from . import gateway, selectors
from .forms import MarkPaidForm, PeriodForm, ProviderForm
from .models import OPEN_STATUSES, Payout, Provider
from .payables import get_payable
from .services import checkout, invoices, payouts, refunds, webhooks

logger = logging.getLogger(__name__)


def _subject_for_buyer_or_404(user, kind, pk):
    """The payable of `kind` and id `pk` if the user pays for it; 404 for an unknown kind or a foreign id."""
    try:
        payable = get_payable(kind)
    except LookupError:
        raise Http404 from None
    subject = payable.for_buyer(user, pk)
    if subject is None:
        raise Http404
    return payable, subject


@login_required
def my_payments(request):
    payments = selectors.payments_visible_to(request.user).order_by("-created_at")[:200]
    return render(request, "payments/payment_list.html", {"payments": payments})


@login_required
def pay(request, kind, pk):
    """Choose how to pay a booking, an agreement or any other payable (or go to its payment, once
    started)."""
    payable, subject = _subject_for_buyer_or_404(request.user, kind, pk)
    existing = checkout.live_payment_of(subject, kind=kind)
    if existing is not None:
        return redirect("payments:detail", existing.pk)
    form = ProviderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payment = checkout.start_payment(
                subject, actor=request.user, provider=form.cleaned_data["provider"], kind=kind
            )
        except (ValidationError, PermissionDenied) as error:
            apply_errors(form, error)
        else:
            return redirect("payments:detail", payment.pk)
    amount, currency = payable.price(subject)
    context = {
        "form": form,
        "subject": subject,
        "label": payable.label(subject),
        "description": payable.description(subject),
        "amount": amount,
        "currency": currency,
        "payee": Organization.objects.filter(pk=payable.payee_id(subject)).first(),
        "can_be_paid": payable.can_be_paid(subject),
    }
    return render(request, "payments/pay.html", context)


@login_required
def detail(request, pk):
    payment = selectors.payment_for_user_or_404(request.user, pk)
    can_pay = selectors.can_pay(request.user, payment)
    context = {
        "payment": payment,
        "can_pay": can_pay,
        "can_mark_paid": selectors.can_mark_paid(request.user, payment) and payment.provider == Provider.INVOICE,
        "events": payment.events.select_related("actor"),
        "refunds": selectors.refunds_of(payment),
        "pending_refund": refunds.pending_refunds(payment),
        "hold_minutes": settings.PAYMENT_HOLD_MINUTES,
        "stripe_enabled": gateway.stripe_enabled(),
        "mark_paid_form": MarkPaidForm(),
    }
    if can_pay and payment.provider == Provider.STRIPE and payment.status in OPEN_STATUSES and gateway.stripe_enabled():
        try:
            intent = checkout.ensure_payment_intent(payment)
        except (ValidationError, stripe.StripeError) as error:
            logger.warning("payment %s: no PaymentIntent: %s", payment.pk, error)
            messages.error(request, _("Card payment is unavailable at the moment. Try again later or pay by invoice."))
        else:
            context.update(
                client_secret=intent.get("client_secret", ""),
                publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
                return_url=request.build_absolute_uri(reverse("payments:returned", args=[payment.pk])),
            )
    return render(request, "payments/detail.html", context)


@login_required
def returned(request, pk):
    """Where Stripe sends the buyer back. It shows the payment's state; it never changes it: only the
    verified webhook confirms."""
    payment = selectors.payment_for_user_or_404(request.user, pk)
    return render(request, "payments/returned.html", {"payment": payment})


@login_required
@require_POST
def use_invoice(request, pk):
    payment = selectors.payment_for_user_or_404(request.user, pk)
    try:
        checkout.switch_to_invoice(payment, actor=request.user)
    except (ValidationError, PermissionDenied) as error:
        flash_errors(request, error)
    except stripe.StripeError:
        messages.error(request, _("Card payment is unavailable at the moment. Try again later or pay by invoice."))
    else:
        messages.success(request, _("You will pay by invoice. Print it and pay by bank transfer."))
    return redirect("payments:detail", payment.pk)


@login_required
def invoice(request, pk):
    payment = selectors.payment_for_user_or_404(request.user, pk)
    if payment.provider != Provider.INVOICE:
        raise Http404
    return render(request, "payments/invoice.html", {"payment": payment})


@login_required
def invoice_pdf(request, pk):
    """The invoice as a PDF document, in the reader's language."""
    payment = selectors.payment_for_user_or_404(request.user, pk)
    if payment.provider != Provider.INVOICE:
        raise Http404
    return pdf_response("payments/invoice.pdf.html", {"payment": payment}, filename=f"invoice-{payment.number}")


@login_required
@require_POST
def mark_paid(request, pk):
    payment = selectors.payment_for_user_or_404(request.user, pk)
    form = MarkPaidForm(request.POST)
    form.is_valid()
    try:
        invoices.mark_invoice_paid(payment, actor=request.user, reference=form.cleaned_data.get("reference", ""))
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, _("The invoice is marked paid."))
    return redirect("payments:detail", payment.pk)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's webhook endpoint: 400 (and nothing stored) unless the signature verifies."""
    signature = request.headers.get("Stripe-Signature", "")
    if _unstorable(request.body):
        # Stripe never sends one; stored, it would fail on PostgreSQL and be retried for days.
        return HttpResponseBadRequest("invalid payload: text the database cannot store")
    try:
        event = webhooks.receive_stripe_event(request.body, signature)
    except (ValueError, stripe.SignatureVerificationError):
        return HttpResponseBadRequest("invalid payload or signature")
    if webhooks.pending_side_effects_of(event):
        # Applied, but the refund it needs is not made yet: Stripe delivers the event again later,
        # which tries again (as do the task and reconcile_payments).
        return HttpResponse(f"pending {event.result}", status=503, content_type="text/plain")
    return HttpResponse(f"ok {event.result}", content_type="text/plain")


def _unstorable(body):
    """True for a JSON body with a NUL character or a lone surrogate in any key or string (PostgreSQL
    refuses both); False for any other body, readable or not (the signature check refuses the rest)."""
    try:
        data = json.loads(body)
    except ValueError:
        return False
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
            if "\x00" in value:
                return True
    return False


@login_required
def statements(request):
    institutes = selectors.statement_institutes(request.user)
    if not institutes.exists():
        raise Http404
    return render(request, "payments/statements.html", {"institutes": institutes})


@login_required
def statement(request, institute_id):
    institute = selectors.institute_for_statement_or_404(request.user, institute_id)
    form = PeriodForm(request.GET or None)
    start, end = form.period()
    result = selectors.statement(institute, start, end)
    if request.GET.get("format") == "csv":
        return _statement_csv(result)
    return render(
        request,
        "payments/statement.html",
        {
            "form": form,
            "statement": result,
            "can_pay_out": request.user.is_staff and gateway.stripe_enabled() and result.payout_account is not None,
            "csv_url": "?" + _period_query(request, format="csv"),
            "pdf_url": reverse("payments:statement_pdf", args=[institute.pk]) + "?" + _period_query(request),
        },
    )


@login_required
def statement_pdf(request, institute_id):
    """The statement of the period asked for (as on the statement page), as a PDF document."""
    institute = selectors.institute_for_statement_or_404(request.user, institute_id)
    start, end = PeriodForm(request.GET or None).period()
    result = selectors.statement(institute, start, end)
    return pdf_response(
        "payments/statement.pdf.html",
        {"statement": result, "last_day": end - timedelta(days=1)},
        filename=f"statement-{institute.slug}-{start:%Y%m%d}",
    )


def _period_query(request, **extra) -> str:
    """The period asked for (`start`, `end` as given), and `extra`, as a query string."""
    query = QueryDict(mutable=True)
    for name in ("start", "end"):
        if request.GET.get(name):
            query[name] = request.GET[name]
    query.update(extra)
    return query.urlencode()


def _statement_csv(result):
    # Enterprise names are typed by people: every cell goes through the formula-safe writer.

    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"statement-{result.institute.slug}-{result.start:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # Excel opens UTF-8 with a byte-order mark
    writer = csv.writer(response)
    write_csv_row(
        writer,
        [
            _("Payment"),
            _("Paid at"),
            _("Enterprise"),
            _("For"),
            _("Method"),
            _("Currency"),
            _("Amount"),
            _("Refunded"),
            _("Net"),
        ],
    )
    for p in result.payments:
        write_csv_row(
            writer,
            [
                p.number,
                p.paid_at.isoformat() if p.paid_at else "",
                p.enterprise.name,
                f"{p.subject_kind}:{p.subject_id}",
                p.provider,
                p.currency,
                p.amount,
                p.refunded_amount,
                p.net_amount,
            ],
        )
    writer.writerow([])
    write_csv_row(writer, [_("Currency"), _("Gross"), _("Refunds"), _("Net"), _("Paid out"), _("Outstanding")])
    for t in result.totals:
        write_csv_row(writer, [t.currency, t.gross, t.refunds, t.net, t.paid_out, t.outstanding])
    for section in result.sections:
        writer.writerow([])
        write_csv_row(writer, [section.heading])
        write_csv_row(writer, list(section.columns))
        for row in section.rows:
            write_csv_row(writer, list(row))
        for label, amount, currency in section.totals:
            write_csv_row(writer, [label, currency, amount])
    return response


@login_required
@require_POST
def pay_out(request, institute_id):
    if not request.user.is_staff:
        raise Http404
    institute = selectors.institute_for_statement_or_404(request.user, institute_id)
    currency = request.POST.get("currency") or settings.DEFAULT_CURRENCY
    try:
        payout = payouts.pay_out(institute, currency=currency, actor=request.user)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        if payout.status == Payout.Status.PAID:
            messages.success(request, _("Transfer %(id)s sent.") % {"id": payout.stripe_transfer_id})
        else:
            messages.warning(
                request,
                _("Stripe did not answer. The transfer of %(amount)s %(currency)s is retried automatically.")
                % {"amount": payout.amount, "currency": payout.currency},
            )
    return redirect("payments:statement", institute.pk)
