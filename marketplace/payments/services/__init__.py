"""State changes of payments, one module per concern. Every change happens in a transaction, under a
row lock on the payment, and leaves a PaymentEvent behind (who or what, when, old → new status).

- `checkout`: starting a payment (card or invoice), its PaymentIntent, switching to invoice, cancelling
  the open payments of a cancelled subject;
- `invoices`: staff record an invoice paid;
- `webhooks`: Stripe events, stored once and applied once;
- `refunds`: returning money (cancellation policy, money no longer needed);
- `holds`: card payments that hold their subject, released when the hold expires;
- `payouts`: transfers to institutes;
- `side_effects`: the outbox of calls to Stripe made after the commit, and its task;
- `bookkeeping` (money received and returned, with its ledger fact), `records` (lock and history),
  `subjects` (the payable asked about the thing paid for), `notifications` (the buyer's emails).

Rules that keep money safe:
- What is paid for (a booking, an agreement: a "payable", see payables.py) is confirmed only by a
  verified Stripe success event or by institute staff marking an invoice paid; never by the browser.
- Each Stripe event is stored once (unique event id) and applied once (processed_at, under a lock).
- State only moves forward (STATUS_RANK): a late "failed" never undoes "succeeded", a late "succeeded"
  never undoes "refunded".
- Money that arrives for something that can no longer be delivered (a released slot, a second payment)
  is refunded in full.
- Every call to Stripe that a committed change needs (refund, PaymentIntent cancellation, transfer) is
  a SideEffect row written in the same transaction, carried out after the commit with an idempotency
  key and retried until Stripe answers.

This package re-exports only what other apps call (the domain apps, with their subjects); inside
payments, import from the module itself.
"""

from .checkout import cancel_open_payments, start_payment
from .holds import held_subject_ids
from .invoices import receive_invoice_payment
from .refunds import refund_for_cancelled

__all__ = [
    "cancel_open_payments",
    "held_subject_ids",
    "receive_invoice_payment",
    "refund_for_cancelled",
    "start_payment",
]
