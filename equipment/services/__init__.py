"""State changes of the equipment app, one module per concern:

- `bookings`: each booking transition is one function, in one transaction, recorded with who and when
  (BookingTransition), notified by email and, where it matters, written to the transfer ledger;
- `rules`: opening hours, qualifications and blackouts, refused while they would strand live bookings;
  calendar tokens;
- `shared`: the row locks and the facility-manager check.

This package exports what views, models, hooks, the payable adapter, demo seeding and other apps call.
"""

from .bookings import (
    approve_booking,
    buyer_may_cancel,
    cancel_booking,
    cancellation_deadline,
    complete_booking,
    confirm_booking,
    expire_bookings,
    mark_no_show,
    reject_booking,
    release_unpaid_booking,
    request_booking,
)
from .rules import (
    add_blackout,
    bookings_broken_by_change,
    calendar_token_for,
    describe_bookings,
    grant_qualification,
    page_change_blockers,
    page_has_bookings,
    remove_blackout,
    reset_calendar_token,
    revoke_qualification,
    rules_change_message,
)
from .shared import lock_booking

__all__ = [
    "add_blackout",
    "approve_booking",
    "bookings_broken_by_change",
    "buyer_may_cancel",
    "calendar_token_for",
    "cancel_booking",
    "cancellation_deadline",
    "complete_booking",
    "confirm_booking",
    "describe_bookings",
    "expire_bookings",
    "grant_qualification",
    "lock_booking",
    "mark_no_show",
    "page_change_blockers",
    "page_has_bookings",
    "reject_booking",
    "release_unpaid_booking",
    "remove_blackout",
    "request_booking",
    "reset_calendar_token",
    "revoke_qualification",
    "rules_change_message",
]
