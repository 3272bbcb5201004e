"""State changes of research results, one module per concern:

- `express`: an enterprise accepts an express offer; the agreement's payment is confirmed or it is cancelled;
- `inquiries`: threads between a buyer and the TTO, and their stage changes;
- `agreements`: the frozen terms of an agreement, and the agreement a TTO records for an inquiry;
- `impact`: quarterly impact reports of licensees and the reminders to send them;
- `shared`: who speaks for which side, amount and date parsing, scope checks under the result's row lock.

Every function runs in one transaction, checks who may act, and raises ValidationError (bad input,
a clear message, nothing changed) or PermissionDenied. Taking a scope (accepting an offer, recording an
agreement) locks the result's row first, so two buyers can never both obtain conflicting scopes.

This package exports what views, the payable adapter, demo seeding and other apps call.
"""

from .agreements import lock_agreement, record_agreement
from .express import accept_express_offer, cancel_agreement, confirm_agreement_payment
from .impact import quarter_of, report_impact, send_impact_reminders
from .inquiries import InvalidTransitionError, move_inquiry, next_stages, open_inquiry, post_message, side_of
from .shared import is_buyer, is_tto

__all__ = [
    "InvalidTransitionError",
    "accept_express_offer",
    "cancel_agreement",
    "confirm_agreement_payment",
    "is_buyer",
    "is_tto",
    "lock_agreement",
    "move_inquiry",
    "next_stages",
    "open_inquiry",
    "post_message",
    "quarter_of",
    "record_agreement",
    "report_impact",
    "send_impact_reminders",
    "side_of",
]
