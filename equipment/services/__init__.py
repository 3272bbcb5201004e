"""State changes of the equipment app, one module per concern:

- `bookings`: each booking transition is one function, in one transaction, recorded with who and when
  (BookingTransition), notified by email and, where it matters, written to the transfer ledger;
- `rules`: opening hours, qualifications and blackouts, refused while they would strand live bookings;
  calendar tokens;
- `training`: training requests, training sessions (bookings of kind training), pass or fail, expiry
  announcements of qualifications;
- `waitlist`: waiting for a taken slot, offers of freed slots first come first served, lapses;
- `usage`: check-in and check-out, overruns and their charge, no-shows detected after the grace period;
- `ranges`: booking resources that are not hourly (days, months, access periods with seats);
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
from .ranges import quote, request_range_booking, taken_periods
from .rules import (
    add_blackout,
    bookings_broken_by_change,
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
from .training import (
    announce_expiring_qualifications,
    record_training_result,
    request_training,
    schedule_training,
    training_rate,
)
from .usage import (
    can_check_in_now,
    can_check_out_now,
    check_in,
    check_in_opens,
    check_out,
    checks_in,
    detect_no_shows,
    may_check_in_out,
    overrun_paid,
)
from .waitlist import join as join_waitlist
from .waitlist import leave as leave_waitlist
from .waitlist import offer_waitlisted_slots, slot_freed

__all__ = [
    "add_blackout",
    "announce_expiring_qualifications",
    "approve_booking",
    "bookings_broken_by_change",
    "buyer_may_cancel",
    "cancel_booking",
    "can_check_in_now",
    "can_check_out_now",
    "cancellation_deadline",
    "check_in",
    "check_in_opens",
    "checks_in",
    "check_out",
    "complete_booking",
    "confirm_booking",
    "describe_bookings",
    "detect_no_shows",
    "expire_bookings",
    "grant_qualification",
    "join_waitlist",
    "leave_waitlist",
    "lock_booking",
    "mark_no_show",
    "may_check_in_out",
    "offer_waitlisted_slots",
    "overrun_paid",
    "page_change_blockers",
    "page_has_bookings",
    "record_training_result",
    "quote",
    "reject_booking",
    "release_unpaid_booking",
    "remove_blackout",
    "request_booking",
    "request_range_booking",
    "request_training",
    "reset_calendar_token",
    "revoke_qualification",
    "rules_change_message",
    "schedule_training",
    "slot_freed",
    "taken_periods",
    "training_rate",
]
