"""Read-mostly admin: payments change only through services; payout accounts are edited here."""

from django.contrib import admin

from .models import Payment, PaymentEvent, PaymentRefund, Payout, PayoutAccount, SideEffect, StripeEvent


class PaymentEventInline(admin.TabularInline):
    model = PaymentEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "from_status", "to_status", "actor", "source", "amount", "note"]

    def has_add_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "subject_kind",
        "subject_id",
        "institute",
        "enterprise",
        "amount",
        "currency",
        "provider",
        "status",
        "created_at",
    ]
    list_filter = ["status", "provider", "currency", "subject_kind"]
    search_fields = ["stripe_payment_intent_id", "stripe_charge_id", "reference"]
    inlines = [PaymentEventInline]


@admin.register(PaymentRefund)
class PaymentRefundAdmin(ReadOnlyAdmin):
    list_display = ["payment", "amount", "stripe_refund_id", "created_at"]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "deliveries", "received_at", "processed_at", "result"]
    list_filter = ["type"]
    search_fields = ["event_id"]


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ["institute", "amount", "currency", "status", "stripe_transfer_id", "created_at"]


@admin.register(SideEffect)
class SideEffectAdmin(ReadOnlyAdmin):
    list_display = [
        "kind",
        "status",
        "payment",
        "payout",
        "amount",
        "attempts",
        "next_attempt_at",
        "last_error",
        "result",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["idempotency_key", "result"]


@admin.register(PayoutAccount)
class PayoutAccountAdmin(admin.ModelAdmin):
    list_display = ["institute", "stripe_account_id", "created_at"]
