"""Access control matrix: every URL of the site, for every role, says who may read and change what.

The world (tests/security/conftest.py) has institutes X and Y, enterprises A and B, a person in every
role of each, and platform staff. Each MATRIX entry names a URL pattern, builds its kwargs for an object
that X (institute) or A (enterprise) owns, and gives, per method and per role, the expected outcome:

    OK     allowed: 2xx, or 3xx to somewhere other than a login page; a POST changes the database
    BLIND  allowed to open, 200, but nothing of X or A shows (an outsider's own list, a public page)
    NOOP   no 5xx/login/404: the view answers (a page or a redirect with a message) and changes nothing
    DENIED the Wagtail admin's refusal: 403, or a redirect elsewhere (the admin's home, the user's own
           part of the page tree) with a message
    LOGIN  redirected to a login page, nothing changed
    E400 / E403 / E404 / E405   that status, nothing changed

For every outcome but OK the database rows of every watched model are compared before and after the
request, and for every role that is not a party of X or A the response must not contain X's or A's
private texts (names, emails, typed messages, numbers).

Adding a URL: `test_every_url_pattern_is_in_the_matrix` fails until the new pattern's name has an entry
here (or, for a framework's own view, its path prefix is listed in SKIPPED_PREFIXES with a reason).
"""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.equipment.conftest import slot
from tests.security.conftest import OUTSIDERS, ROLES

OK, BLIND, NOOP, DENIED, LOGIN = "ok", "blind", "noop", "denied", "login"
E400, E403, E404, E405 = 400, 403, 404, 405

# Paths served by the frameworks' own views, with their own permission checks (each listed, with why).
SKIPPED_PREFIXES = {
    "django-admin/": "Django admin: superusers only, Django's own checks",
    "admin/": "Wagtail admin internals (pages, images, documents, snippets, users): Wagtail's permissions; "
    "the project's own admin views under admin/ are NOT skipped (see test_every_url_pattern_is_in_the_matrix)",
    "documents/": "Wagtail document serving: collection privacy enforced by Wagtail",
    "i18n/": "language switch (set_language): no data",
    "jsi18n/": "JavaScript translation catalogue: no data",
    "_util/": "Wagtail page privacy (password/login) forms: Wagtail's own",
    "static/": "static files (DEBUG only)",
    "media/": "uploaded files (DEBUG only)",
}
FRAMEWORK_MODULES = ("wagtail", "django", "taggit", "modelsearch", "laces")

# Every row of these models is compared before and after each request that must change nothing.
WATCHED_MODELS = [
    "accounts.User",
    "accounts.Organization",
    "accounts.Membership",
    "accounts.Invitation",
    "equipment.Booking",
    "equipment.BookingTransition",
    "equipment.UsageRecord",
    "equipment.Qualification",
    "equipment.Blackout",
    "equipment.CalendarToken",
    "equipment.TrainingRequest",
    "equipment.WaitlistEntry",
    "equipment.Overrun",
    "ip_listings.LicenceAgreement",
    "ip_listings.Inquiry",
    "ip_listings.InquiryMessage",
    "ip_listings.InquiryStageChange",
    "ip_listings.ImpactReport",
    "payments.Payment",
    "payments.PaymentEvent",
    "payments.PaymentRefund",
    "payments.StripeEvent",
    "payments.Payout",
    "statistics.TransferEvent",
    "wagtailcore.Page",
    "wagtailcore.Revision",
]


def snapshot():
    rows = {}
    for label in WATCHED_MODELS:
        model = apps.get_model(label)
        values = model.objects.order_by("pk").values()
        if label == "accounts.User":
            values = values.values("pk", "username", "email", "is_active", "is_staff", "password")
        rows[label] = list(values)
    return rows


def expect(default, **roles):
    """Expected outcome per role: `default` for every role not named; anonymous is LOGIN unless named."""
    table = dict.fromkeys(ROLES, default)
    table["anon"] = LOGIN
    for role, outcome in roles.items():
        table[role] = outcome
    return table


def only(allowed, *roles, refused=E404, anon=LOGIN, **more):
    """`allowed` for the named roles, `refused` for every other signed-in role."""
    return expect(refused, anon=anon, **{**dict.fromkeys(roles, allowed), **more})


PUBLIC = {role: (BLIND if role in OUTSIDERS else OK) for role in ROLES}
SIGNED_IN_LIST = {**PUBLIC, "anon": LOGIN}
X_SIDE = ("researcher_x", "manager_x", "tto_x")
MANAGERS_X = ("manager_x", "tto_x", "staff")


@dataclass
class Entry:
    name: str
    kwargs: object = None  # world → kwargs of reverse() (an object of X or A)
    get: dict | None = None
    post: dict | None = None
    payload: object = None  # (world, role) → POST data
    query: str = ""
    label: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def id(self):
        return self.label or self.name


def _enterprise_of(world, role):
    return world.y.enterprise if role == "buyer_b" else world.x.enterprise


def _range_booking_payload(world, role):
    first = timezone.localdate() + timedelta(days=6)
    return {
        "enterprise": _enterprise_of(world, role).pk,
        "first_day": first.isoformat(),
        "last_day": (first + timedelta(days=1)).isoformat(),
        "seats": "1",
        "purpose": "matrix booking",
        "charge_code": "MATRIX-1",
    }


def _booking_payload(world, role):
    start, end = slot(days_ahead=6, hour=15)
    return {
        "enterprise": _enterprise_of(world, role).pk,
        "date": start.date().isoformat(),
        "start_time": "15:00",
        "end_time": "16:00",
        "purpose": "matrix booking",
        # Institute users pay by internal charge (tier: the organisation booked for, never a field).
        "charge_code": "MATRIX-1",
        "tier": "enterprise",
    }


def _waitlist_payload(world, role):
    start = timezone.localtime(world.x.booking_requested.start)
    end = timezone.localtime(world.x.booking_requested.end)
    return {"date": start.date().isoformat(), "start_time": f"{start:%H:%M}", "end_time": f"{end:%H:%M}"}


def _blackout_payload(world, role):
    start = timezone.localtime() + timedelta(days=40)
    return {
        "blackout": "1",
        "b-start": start.strftime("%Y-%m-%d 08:00"),
        "b-end": start.strftime("%Y-%m-%d 12:00"),
        "b-reason": "maintenance",
        "b-note": "matrix",
    }


def _impact_payload(world, role):
    from ip_listings.services import quarter_of

    year, quarter = quarter_of(timezone.localdate())
    return {"period": f"{year}-{quarter}", "jobs_created": "2", "revenue": "0", "products_launched": "0"}


def _record_payload(world, role):
    return {
        "mode": "non_exclusive",
        "territory": "worldwide",
        "value": "12345.00",
        "starts_on": timezone.localdate().isoformat(),
        "term_months": "12",
    }


X = "x"  # kwargs builders read world.x


MATRIX = [
    # --- accounts -------------------------------------------------------------------------------------
    Entry(
        "accounts:signup",
        get=expect(NOOP, anon=OK),
        post=expect(NOOP, anon=OK),
        payload=lambda w, r: {
            "email": "new-enterprise@ent.test",
            "first_name": "Nova",
            "last_name": "Owner",
            "password1": "a-long-unusual-passphrase-42",
            "password2": "a-long-unusual-passphrase-42",
            "organization_name": "新星有限公司",
            "organization_name_en": "Nova Ltd",
            "credit_code": "91320500MA1XXXXX0A",
            "size_class": "small",
        },
    ),
    Entry("accounts:verify", kwargs=lambda w: {"uidb64": "MQ", "token": "forged-token"}, get=expect(E400, anon=E400)),
    Entry("accounts:login", get=expect(BLIND, anon=BLIND, **dict.fromkeys(("buyer_a", *X_SIDE, "staff"), OK))),
    Entry("accounts:logout", get=expect(E405, anon=E405), post=expect(NOOP, anon=NOOP), payload=lambda w, r: {}),
    Entry(
        "accounts:password_reset",
        get=expect(BLIND, anon=BLIND, **dict.fromkeys(("buyer_a", *X_SIDE, "staff"), OK)),
    ),
    Entry("accounts:password_reset_done", get=expect(BLIND, anon=BLIND, **dict.fromkeys(("buyer_a", *X_SIDE), OK))),
    Entry(
        "accounts:password_reset_confirm",
        kwargs=lambda w: {"uidb64": "MQ", "token": "forged-token"},
        get=expect(BLIND, anon=BLIND, **dict.fromkeys(("buyer_a", *X_SIDE, "staff"), OK)),
    ),
    Entry("accounts:dashboard", get=SIGNED_IN_LIST),
    Entry(
        "accounts:members",
        kwargs=lambda w: {"pk": w.x.institute.pk},
        get=only(OK, *X_SIDE, "staff"),
        post=only(OK, "tto_x", "staff", researcher_x=E403, manager_x=E403),
        payload=lambda w, r: {"email": "newcomer@inst.test", "role": "researcher"},
    ),
    Entry(
        "accounts:revoke_invitation",
        kwargs=lambda w: {"pk": w.x.invitation.pk},
        get=expect(E405),
        post=only(OK, "tto_x", "staff", researcher_x=E403, manager_x=E403),
        payload=lambda w, r: {},
    ),
    Entry(
        "accounts:invitation",
        kwargs=lambda w: {"token": w.x.invitation.token},
        # The token is the invitee's credential: whoever holds it sees the invitation it opens.
        get=expect(OK, anon=OK),
        post=expect(NOOP, anon=OK),
        payload=lambda w, r: {
            "first_name": "Iris",
            "last_name": "Invitee",
            "password1": "a-long-unusual-passphrase-42",
            "password2": "a-long-unusual-passphrase-42",
        },
    ),
    Entry(
        "accounts:invitation",
        label="accounts:invitation (forged token)",
        kwargs=lambda w: {"token": "forged-token"},
        get=expect(E404, anon=E404),
        post=expect(E404, anon=E404),
        payload=lambda w, r: {"first_name": "Eve", "last_name": "E", "password1": "x" * 20, "password2": "x" * 20},
    ),
    # Sends the link again only to the unverified account whose password this session just gave; everyone
    # else is sent back to the sign-in page with a message.
    Entry(
        "accounts:resend_verification",
        get=expect(E405, anon=E405),
        post=expect(LOGIN),
        payload=lambda w, r: {},
    ),
    # Two-factor sign-in: each person's own device only (nobody has one in this world).
    Entry(
        "accounts:otp_setup",
        get=SIGNED_IN_LIST,
        post=expect(NOOP),
        payload=lambda w, r: {"token": "12345x"},
    ),
    Entry("accounts:otp_verify", get=expect(NOOP), post=expect(NOOP), payload=lambda w, r: {"token": "123456"}),
    Entry("accounts:otp_disable", get=expect(NOOP), post=expect(NOOP), payload=lambda w, r: {"token": "123456"}),
    # --- site-wide ------------------------------------------------------------------------------------
    Entry(
        "switch_language",
        kwargs=lambda w: {"code": "en"},
        get=dict.fromkeys(ROLES, NOOP),
        post=dict.fromkeys(ROLES, E405),
    ),
    Entry("favicon", get=dict.fromkeys(ROLES, NOOP), post=dict.fromkeys(ROLES, E405)),
    # --- equipment ------------------------------------------------------------------------------------
    Entry("instruments", get=PUBLIC),
    Entry(
        "equipment:book",
        kwargs=lambda w: {"instrument_id": w.x.instrument.pk},
        # tier: buyers at the enterprise tier, researchers and facility managers of X at the internal
        # tier, researchers of Y at the academic tier; TTO officers alone, Y's manager and staff book nothing.
        get=expect(NOOP, buyer_a=OK, buyer_b=BLIND, researcher_x=OK, manager_x=OK, researcher_y=BLIND),
        post=expect(NOOP, buyer_a=OK, buyer_b=OK, researcher_x=OK, manager_x=OK, researcher_y=OK),
        payload=_booking_payload,
    ),
    Entry(
        "equipment:book",
        label="equipment:book (draft instrument)",
        kwargs=lambda w: {"instrument_id": w.x.draft_instrument.pk},
        get=expect(E404),
        post=expect(E404),
        payload=_booking_payload,
    ),
    # units: a resource booked by access period (days and seats), with the same bookers as an instrument.
    Entry(
        "equipment:book_range",
        kwargs=lambda w: {"instrument_id": w.x.access_resource.pk},
        get=expect(NOOP, buyer_a=OK, buyer_b=BLIND, researcher_x=OK, manager_x=OK, researcher_y=BLIND),
        post=expect(NOOP, buyer_a=OK, buyer_b=OK, researcher_x=OK, manager_x=OK, researcher_y=OK),
        payload=_range_booking_payload,
    ),
    Entry(
        "equipment:book_range",
        label="equipment:book_range (draft instrument)",
        kwargs=lambda w: {"instrument_id": w.x.draft_instrument.pk},
        get=expect(E404),
        post=expect(E404),
        payload=_range_booking_payload,
    ),
    Entry("equipment:my_bookings", get=SIGNED_IN_LIST),
    Entry("equipment:booking", kwargs=lambda w: {"pk": w.x.booking_requested.pk}, get=only(OK, "buyer_a")),
    # tier: an internal booking is seen and cancelled by its booker alone (and managed by X's managers),
    # and is never paid through payments.
    Entry(
        "equipment:booking",
        label="equipment:booking (internal charge)",
        kwargs=lambda w: {"pk": w.x.booking_internal.pk},
        get=only(OK, "researcher_x"),
    ),
    Entry(
        "equipment:cancel",
        label="equipment:cancel (internal charge)",
        kwargs=lambda w: {"pk": w.x.booking_internal.pk},
        get=expect(E405),
        post=only(OK, "researcher_x"),
        payload=lambda w, r: {"reason": "matrix"},
    ),
    Entry(
        "equipment:manage_booking",
        label="equipment:manage_booking (internal charge)",
        kwargs=lambda w: {"pk": w.x.booking_internal.pk},
        get=only(OK, *MANAGERS_X),
    ),
    Entry(
        "payments:pay",
        label="payments:pay (internal charge)",
        kwargs=lambda w: {"kind": "booking", "pk": w.x.booking_internal.pk},
        get=only(E404),
        post=only(E404),
        payload=lambda w, r: {"provider": "invoice"},
    ),
    # The confirmation (PDF) exists once a booking is confirmed, for its buyer and the facility's managers.
    Entry(
        "equipment:booking_confirmation",
        kwargs=lambda w: {"pk": w.x.booking_confirmed.pk},
        get=only(OK, "buyer_a", *MANAGERS_X),
    ),
    Entry(
        "equipment:booking_confirmation",
        label="equipment:booking_confirmation (not yet confirmed)",
        kwargs=lambda w: {"pk": w.x.booking_approved.pk},
        get=expect(E404),
    ),
    Entry(
        "equipment:cancel",
        kwargs=lambda w: {"pk": w.x.booking_requested.pk},
        get=expect(E405),
        post=only(OK, "buyer_a"),
        payload=lambda w, r: {"reason": "matrix"},
    ),
    # Usage as it happens: the booker checks in and out on a self-service instrument (a buyer of the same
    # enterprise who did not book gets a message); the facility through its own actions, on any instrument.
    Entry(
        "equipment:check_in",
        kwargs=lambda w: {"pk": w.x.booking_now_self.pk},
        get=expect(E405),
        post=only(OK, "buyer_a"),
        payload=lambda w, r: {},
    ),
    Entry(
        "equipment:check_out",
        kwargs=lambda w: {"pk": w.x.booking_checked_in.pk},
        get=expect(E405),
        post=only(OK, "buyer_a"),
        payload=lambda w, r: {},
    ),
    Entry(
        "equipment:check_in",
        label="equipment:check_in (operator-run instrument)",
        kwargs=lambda w: {"pk": w.x.booking_now_operated.pk},
        get=expect(E405),
        post=only(NOOP, "buyer_a"),
        payload=lambda w, r: {},
    ),
    Entry(
        "equipment:check_out",
        label="equipment:check_out (not checked in)",
        kwargs=lambda w: {"pk": w.x.booking_now_self.pk},
        get=expect(E405),
        post=only(NOOP, "buyer_a"),
        payload=lambda w, r: {},
    ),
    Entry(
        "equipment:manage_action",
        label="equipment:manage_action (check in)",
        kwargs=lambda w: {"pk": w.x.booking_now_operated.pk, "action": "check-in"},
        get=expect(E405),
        post=only(OK, *MANAGERS_X),
        payload=lambda w, r: {},
    ),
    Entry(
        "equipment:manage_action",
        label="equipment:manage_action (check out)",
        kwargs=lambda w: {"pk": w.x.booking_checked_in.pk, "action": "check-out"},
        get=expect(E405),
        post=only(OK, *MANAGERS_X),
        payload=lambda w, r: {},
    ),
    Entry(
        "equipment:manage_booking",
        label="equipment:manage_booking (checked in)",
        kwargs=lambda w: {"pk": w.x.booking_checked_in.pk},
        get=only(OK, *MANAGERS_X),
    ),
    Entry(
        "equipment:booking",
        label="equipment:booking (checked in)",
        kwargs=lambda w: {"pk": w.x.booking_checked_in.pk},
        get=only(OK, "buyer_a"),
    ),
    Entry("equipment:reset_calendar", get=expect(E405), post=expect(OK), payload=lambda w, r: {}),
    Entry("equipment:instrument_ical", kwargs=lambda w: {"pk": w.x.instrument.pk}, get=PUBLIC),
    Entry(
        "equipment:instrument_ical",
        label="equipment:instrument_ical (draft instrument)",
        kwargs=lambda w: {"pk": w.x.draft_instrument.pk},
        get=expect(E404, anon=E404),
    ),
    # The secret address is the credential: whoever holds it reads that person's bookings.
    Entry("equipment:my_ical", kwargs=lambda w: {"token": w.x.calendar_token.token}, get=expect(OK, anon=OK)),
    Entry(
        "equipment:my_ical",
        label="equipment:my_ical (forged token)",
        kwargs=lambda w: {"token": "forged-token"},
        get=expect(E404, anon=E404),
    ),
    Entry(
        "equipment:manage",
        get=only(OK, *MANAGERS_X, manager_y=BLIND, tto_y=BLIND),
    ),
    Entry("equipment:manage_booking", kwargs=lambda w: {"pk": w.x.booking_requested.pk}, get=only(OK, *MANAGERS_X)),
    Entry(
        "equipment:manage_action",
        kwargs=lambda w: {"pk": w.x.booking_requested.pk, "action": "approve"},
        get=expect(E405),
        post=only(OK, *MANAGERS_X),
        payload=lambda w, r: {},
    ),
    Entry(
        "equipment:manage_action",
        label="equipment:manage_action (confirm by invoice)",
        kwargs=lambda w: {"pk": w.x.booking_approved.pk, "action": "confirm"},
        get=expect(E405),
        # Booking invoices are the facility manager's: the TTO officer gets a message.
        post=only(OK, *MANAGERS_X, tto_x=NOOP),
        payload=lambda w, r: {"reference": "INV-M"},
    ),
    Entry(
        "equipment:manage_instrument",
        kwargs=lambda w: {"pk": w.x.instrument.pk},
        get=only(OK, *MANAGERS_X),
        post=only(OK, *MANAGERS_X),
        payload=_blackout_payload,
    ),
    Entry(
        "equipment:revoke_qualification",
        kwargs=lambda w: {"pk": w.x.qualification.pk},
        get=expect(E405),
        post=only(OK, *MANAGERS_X),
        payload=lambda w, r: {},
    ),
    Entry(
        "equipment:remove_blackout",
        kwargs=lambda w: {"pk": w.x.blackout.pk},
        get=expect(E405),
        post=only(OK, *MANAGERS_X),
        payload=lambda w, r: {},
    ),
    # --- equipment: training and waitlist (issue 13, part train) --------------------------------------
    # Buyer A already asked for training on X's self-service instrument: asking again is refused with a
    # message; buyer B may ask; people without an enterprise cannot.
    Entry(
        "equipment:request_training",
        kwargs=lambda w: {"instrument_id": w.x.self_service.pk},
        get=expect(NOOP, buyer_b=OK),
        post=expect(NOOP, buyer_b=OK),
        payload=lambda w, r: {"preferred_dates": "matrix", "note": "matrix"},
    ),
    Entry(
        "equipment:request_training",
        label="equipment:request_training (draft instrument)",
        kwargs=lambda w: {"instrument_id": w.x.draft_instrument.pk},
        get=expect(E404),
        post=expect(E404),
        payload=lambda w, r: {},
    ),
    Entry(
        "equipment:manage_training",
        kwargs=lambda w: {"pk": w.x.training_request.pk},
        get=only(OK, *MANAGERS_X),
        post=only(OK, *MANAGERS_X),
        payload=lambda w, r: {"result": "1", "r-result": "failed", "r-note": "matrix"},
    ),
    # Any buyer may wait for a taken slot of a live instrument.
    Entry(
        "equipment:join_waitlist",
        kwargs=lambda w: {"instrument_id": w.x.instrument.pk},
        get=expect(NOOP, buyer_a=OK, buyer_b=OK),
        post=expect(NOOP, buyer_b=OK),
        payload=_waitlist_payload,
    ),
    Entry(
        "equipment:join_waitlist",
        label="equipment:join_waitlist (draft instrument)",
        kwargs=lambda w: {"instrument_id": w.x.draft_instrument.pk},
        get=expect(E404),
        post=expect(E404),
        payload=_waitlist_payload,
    ),
    Entry(
        "equipment:leave_waitlist",
        kwargs=lambda w: {"pk": w.x.waitlist_entry.pk},
        get=expect(E405),
        post=only(OK, "buyer_a"),
        payload=lambda w, r: {},
    ),
    # --- ip_listings ----------------------------------------------------------------------------------
    Entry("results", get=PUBLIC),
    Entry(
        "ip_listings:accept_offer",
        kwargs=lambda w: {"offer_id": w.x.express_offer.pk},
        get=expect(NOOP, buyer_a=OK, buyer_b=BLIND),
        post=expect(NOOP, buyer_a=OK, buyer_b=OK),
        payload=lambda w, r: {"enterprise": _enterprise_of(w, r).pk, "accept_terms": "on"},
    ),
    Entry(
        "ip_listings:accept_offer",
        label="ip_listings:accept_offer (draft result)",
        kwargs=lambda w: {"offer_id": w.x.draft_result.offers.first().pk},
        get=expect(E404),
        post=expect(E404),
        payload=lambda w, r: {"enterprise": _enterprise_of(w, r).pk, "accept_terms": "on"},
    ),
    Entry(
        "ip_listings:open_inquiry",
        kwargs=lambda w: {"result_id": w.x.result.pk},
        get=expect(NOOP, buyer_a=OK, buyer_b=BLIND),
        post=expect(NOOP, buyer_a=OK, buyer_b=OK),
        payload=lambda w, r: {"enterprise": _enterprise_of(w, r).pk, "subject": "Matrix", "message": "Hello"},
    ),
    Entry(
        "ip_listings:open_inquiry",
        label="ip_listings:open_inquiry (draft result)",
        kwargs=lambda w: {"result_id": w.x.draft_result.pk},
        get=expect(E404),
        post=expect(E404),
        payload=lambda w, r: {"enterprise": _enterprise_of(w, r).pk, "subject": "Matrix", "message": "Hello"},
    ),
    Entry("ip_listings:agreements", get=SIGNED_IN_LIST),
    Entry(
        "ip_listings:agreement",
        kwargs=lambda w: {"pk": w.x.agreement_active.pk},
        get=only(OK, "buyer_a", "tto_x", "staff"),
    ),
    Entry(
        "ip_listings:agreement_document",
        kwargs=lambda w: {"pk": w.x.agreement_active.pk},
        get=only(OK, "buyer_a", "tto_x", "staff"),
    ),
    Entry(
        "ip_listings:agreement_download",
        kwargs=lambda w: {"pk": w.x.agreement_active.pk},
        get=only(OK, "buyer_a", "tto_x", "staff"),
    ),
    Entry(
        "ip_listings:confirm_payment",
        kwargs=lambda w: {"pk": w.x.agreement_awaiting.pk},
        get=expect(E405),
        post=only(OK, "tto_x", "staff", buyer_a=NOOP),
        payload=lambda w, r: {"reference": "BANK-1"},
    ),
    Entry(
        "ip_listings:cancel_agreement",
        kwargs=lambda w: {"pk": w.x.agreement_awaiting.pk},
        get=expect(E405),
        post=only(OK, "buyer_a", "tto_x", "staff"),
        payload=lambda w, r: {"reason": "matrix"},
    ),
    Entry(
        "ip_listings:report_impact",
        kwargs=lambda w: {"pk": w.x.agreement_reportable.pk},
        get=only(OK, "buyer_a", "tto_x", "staff"),
        post=only(OK, "buyer_a", tto_x=E400, staff=E400),
        payload=_impact_payload,
    ),
    Entry("ip_listings:inquiries", get=SIGNED_IN_LIST),
    Entry("ip_listings:inquiry", kwargs=lambda w: {"pk": w.x.inquiry.pk}, get=only(OK, "buyer_a", "tto_x", "staff")),
    Entry(
        "ip_listings:post_message",
        kwargs=lambda w: {"pk": w.x.inquiry.pk},
        get=expect(E405),
        post=only(OK, "buyer_a", "tto_x", "staff"),
        payload=lambda w, r: {"body": "A reply"},
    ),
    Entry(
        "ip_listings:move_inquiry",
        kwargs=lambda w: {"pk": w.x.inquiry.pk},
        get=expect(E405),
        post=only(OK, "tto_x", "staff", buyer_a=NOOP),
        payload=lambda w, r: {"stage": "discussion"},
    ),
    Entry(
        "ip_listings:record_agreement",
        kwargs=lambda w: {"pk": w.x.inquiry_agreed.pk},
        get=only(OK, "tto_x", "staff"),
        post=only(OK, "tto_x", "staff"),
        payload=_record_payload,
    ),
    Entry("ip_listings:tto", get=only(OK, "tto_x", "staff", tto_y=BLIND)),
    # --- payments -------------------------------------------------------------------------------------
    Entry("payments:list", get=SIGNED_IN_LIST),
    Entry(
        "payments:stripe_webhook",
        get=expect(E405, anon=E405),
        post=expect(E400, anon=E400),
        payload=lambda w, r: {"id": "evt_forged", "type": "payment_intent.succeeded"},
    ),
    Entry(
        "payments:pay",
        kwargs=lambda w: {"kind": "booking", "pk": w.x.booking_approved.pk},
        label="payments:pay booking",
        get=only(OK, "buyer_a"),
        post=only(OK, "buyer_a"),
        payload=lambda w, r: {"provider": "invoice"},
    ),
    Entry(
        "payments:pay",
        kwargs=lambda w: {"kind": "booking_overrun", "pk": w.x.overrun.pk},
        label="payments:pay booking_overrun",
        get=only(OK, "buyer_a"),
        post=only(OK, "buyer_a"),
        payload=lambda w, r: {"provider": "invoice"},
    ),
    Entry(
        "payments:pay",
        kwargs=lambda w: {"kind": "agreement", "pk": w.x.agreement_awaiting.pk},
        label="payments:pay agreement",
        get=only(OK, "buyer_a"),
        post=only(OK, "buyer_a"),
        payload=lambda w, r: {"provider": "invoice"},
    ),
    Entry("payments:statements", get=only(OK, *MANAGERS_X, manager_y=BLIND, tto_y=BLIND)),
    Entry(
        "payments:statement",
        kwargs=lambda w: {"institute_id": w.x.institute.pk},
        get=only(OK, *MANAGERS_X),
        query="?format=csv",
    ),
    Entry(
        "payments:statement_pdf",
        kwargs=lambda w: {"institute_id": w.x.institute.pk},
        get=only(OK, *MANAGERS_X),
    ),
    Entry(
        "payments:pay_out",
        kwargs=lambda w: {"institute_id": w.x.institute.pk},
        get=expect(E405),
        # Without Stripe there is nothing to pay out: even staff get a message and no payout.
        post=only(NOOP, "staff"),
        payload=lambda w, r: {"currency": "CNY"},
    ),
    Entry(
        "payments:detail",
        kwargs=lambda w: {"pk": w.x.payment.pk},
        get=only(OK, "buyer_a", "manager_x", "tto_x", "staff"),
    ),
    Entry(
        "payments:returned",
        kwargs=lambda w: {"pk": w.x.payment.pk},
        get=only(OK, "buyer_a", "manager_x", "tto_x", "staff"),
    ),
    Entry(
        "payments:invoice",
        kwargs=lambda w: {"pk": w.x.payment.pk},
        get=only(OK, "buyer_a", "manager_x", "tto_x", "staff"),
    ),
    Entry(
        "payments:invoice_pdf",
        kwargs=lambda w: {"pk": w.x.payment.pk},
        get=only(OK, "buyer_a", "manager_x", "tto_x", "staff"),
    ),
    Entry(
        "payments:use_invoice",
        kwargs=lambda w: {"pk": w.x.payment.pk},
        get=expect(E405),
        # Already an invoice: the buyer and the institute's staff get a message, nothing changes.
        post=only(NOOP, "buyer_a", "manager_x", "tto_x", "staff"),
        payload=lambda w, r: {},
    ),
    Entry(
        "payments:mark_paid",
        kwargs=lambda w: {"pk": w.x.payment.pk},
        get=expect(E405),
        post=only(OK, "manager_x", "staff"),
        payload=lambda w, r: {"reference": "BANK-2"},
    ),
    # --- statistics -----------------------------------------------------------------------------------
    Entry("statistics:public", get=PUBLIC),
    Entry(
        "statistics_dashboard",
        get=only(OK, "tto_x", "staff", tto_y=BLIND, refused=DENIED, buyer_a=LOGIN, buyer_b=LOGIN),
    ),
    Entry(
        "statistics_dashboard",
        label="statistics_dashboard (institute X)",
        query="?institute={x_institute}",
        get=only(OK, "tto_x", "staff", tto_y=E404, refused=DENIED, buyer_a=LOGIN, buyer_b=LOGIN),
    ),
    Entry(
        "statistics_export",
        kwargs=lambda w: {"table": "annual", "fmt": "csv"},
        query="?institute={x_institute}",
        get=only(OK, "tto_x", "staff", tto_y=E404, refused=DENIED, buyer_a=LOGIN, buyer_b=LOGIN),
    ),
    Entry(
        "statistics_export",
        label="statistics_export (instruments, own institute)",
        kwargs=lambda w: {"table": "instruments", "fmt": "xlsx"},
        get=only(OK, "tto_x", "staff", tto_y=BLIND, refused=DENIED, buyer_a=LOGIN, buyer_b=LOGIN),
    ),
    # --- Wagtail admin: the project's own views, and page editing across institutes ---------------------
    Entry(
        # The rate preview computes from the posted numbers only: anyone who edits pages may ask.
        "equipment_rate_preview",
        get=expect(E405, buyer_a=LOGIN, buyer_b=LOGIN),
        post=expect(BLIND, buyer_a=LOGIN, buyer_b=LOGIN),
        payload=lambda w, r: {"purchase_price": "100000", "service_life_years": "5", "planned_hours_per_year": "800"},
    ),
    Entry(
        "organization:add",
        get=only(OK, "staff", refused=DENIED, buyer_a=LOGIN, buyer_b=LOGIN),
        post=only(OK, "staff", refused=DENIED, buyer_a=LOGIN, buyer_b=LOGIN),
        payload=lambda w, r: {
            "kind": "enterprise",
            "name": "管理员新企业",
            "name_en": "Admin Ltd",
            "slug": "admin-ltd",
            "size_class": "small",
            "is_active": "on",
        },
    ),
    Entry(
        "organization:edit",
        kwargs=lambda w: {"pk": w.x.enterprise.pk},
        get=only(OK, "staff", refused=DENIED, buyer_a=LOGIN, buyer_b=LOGIN),
        post=only(OK, "staff", refused=DENIED, buyer_a=LOGIN, buyer_b=LOGIN),
        payload=lambda w, r: {
            "kind": "enterprise",
            "name": w.x.enterprise.name,
            "name_en": "Renamed by staff Ltd",
            "slug": w.x.enterprise.slug,
            "size_class": w.x.enterprise.size_class,
            "credit_code": w.x.enterprise.credit_code,
            "is_active": "on",
        },
    ),
    Entry(
        "wagtailadmin_pages:edit",
        label="wagtailadmin_pages:edit (X's instrument)",
        kwargs=lambda w: {"page_id": w.x.instrument.pk},
        get=only(OK, *X_SIDE, "staff", refused=DENIED, buyer_a=LOGIN, buyer_b=LOGIN),
    ),
    Entry(
        "wagtailadmin_pages:edit",
        label="wagtailadmin_pages:edit (X's draft result)",
        kwargs=lambda w: {"page_id": w.x.draft_result.pk},
        get=only(OK, *X_SIDE, "staff", refused=DENIED, buyer_a=LOGIN, buyer_b=LOGIN),
    ),
    Entry(
        "wagtailadmin_explore",
        label="wagtailadmin_explore (X's institute page)",
        kwargs=lambda w: {"parent_page_id": w.x.instrument.get_parent().pk},
        get=only(OK, *X_SIDE, "staff", refused=DENIED, buyer_a=LOGIN, buyer_b=LOGIN),
    ),
    Entry(
        "wagtailadmin_pages:search",
        label="wagtailadmin_pages:search (X's drafts)",
        query="?q=Draft+result",
        get=only(OK, *X_SIDE, "staff", refused=BLIND, buyer_a=LOGIN, buyer_b=LOGIN),
    ),
    # Wagtail admin views the project narrows per institute (cms/admin_urls.py): another institute's people
    # open them but see nothing of X (tests/security/test_admin_isolation.py checks drafts and status).
    Entry(
        "cms_choose_page",
        label="cms_choose_page (page chooser)",
        get=only(OK, *X_SIDE, "staff", refused=BLIND, buyer_a=LOGIN, buyer_b=LOGIN),
    ),
    Entry(
        "cms_choose_page_child",
        label="cms_choose_page_child (page chooser in X's institute page)",
        kwargs=lambda w: {"parent_page_id": w.x.instrument.get_parent().pk},
        get=only(OK, *X_SIDE, "staff", refused=BLIND, buyer_a=LOGIN, buyer_b=LOGIN),
    ),
    Entry(
        "cms_page_types_usage",
        get=only(OK, *X_SIDE, "staff", refused=BLIND, buyer_a=LOGIN, buyer_b=LOGIN),
    ),
    Entry(
        "cms_page_types_usage_results",
        get=only(OK, *X_SIDE, "staff", refused=BLIND, buyer_a=LOGIN, buyer_b=LOGIN),
    ),
    # --- public pages served by Wagtail (through the anonymous page cache, core.views.serve_page) -------
    Entry(
        "page",
        label="page (X's live instrument page)",
        kwargs=lambda w: {"path": w.x.instrument.url.strip("/") + "/"},
        get=PUBLIC,
    ),
    Entry(
        "page",
        label="page (X's live instrument page, month calendar)",
        kwargs=lambda w: {"path": w.x.instrument.url.strip("/") + "/"},
        query="?view=month",
        get=PUBLIC,
    ),
    Entry(
        "page",
        label="page (X's live result page)",
        kwargs=lambda w: {"path": w.x.result.url.strip("/") + "/"},
        get=PUBLIC,
    ),
    Entry(
        "page",
        label="page (X's draft result page)",
        kwargs=lambda w: {"path": w.x.draft_result.get_parent().url.strip("/") + f"/{w.x.draft_result.slug}/"},
        get=expect(E404, anon=E404),
    ),
]

CASES = [
    pytest.param(entry, method, id=f"{entry.id}-{method}")
    for entry in MATRIX
    for method, table in (("GET", entry.get), ("POST", entry.post))
    if table is not None
]


def _url(entry, world):
    kwargs = entry.kwargs(world) if entry.kwargs else {}
    if entry.name == "page":
        path = kwargs["path"]
        url = "/" + path if path else "/"
    else:
        url = reverse(entry.name, kwargs=kwargs)
    return url + entry.query.format(x_institute=world.x.institute.pk)


def _is_login_redirect(response):
    return response.status_code in (301, 302) and "login" in response.get("Location", "")


def _markers(world):
    return [marker.lower() for marker in world.x.markers]


# --- the matrix ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("entry", "method"), CASES)
def test_every_role_may_use_url_only_as_the_matrix_says(entry, method, world, db, as_role):
    """Each role in turn, each in a savepoint rolled back after it; every mismatch is reported."""
    problems = []
    for role in ROLES:
        with transaction.atomic():
            problems += _check(entry, method, role, world, as_role)
            transaction.set_rollback(True)
    assert not problems, "\n".join(problems)


def _check(entry, method, role, world, as_role):
    client = as_role(role)
    url = _url(entry, world)
    expected = (entry.get if method == "GET" else entry.post)[role]
    before = snapshot()
    if method == "GET":
        response = client.get(url)
    else:
        data = entry.payload(world, role) if entry.payload else {}
        if entry.name == "payments:stripe_webhook":
            response = client.post(url, data=data, content_type="application/json")
        else:
            response = client.post(url, data=data)
    after = snapshot()
    changed = [label for label in WATCHED_MODELS if before[label] != after[label]]
    status = response.status_code
    where = f"{method} {url} as {role} (expected {expected}): {status} {response.get('Location', '')}"
    problems = []
    if expected == OK:
        if status >= 400 or _is_login_redirect(response):
            problems.append(f"{where}: refused")
        elif method == "POST" and not changed:
            problems.append(f"{where}: allowed, but nothing changed")
    else:
        if changed:
            problems.append(f"{where}: refused, but {changed} changed")
        if expected == BLIND:
            ok = status == 200
        elif expected == NOOP:
            ok = status < 400 and not _is_login_redirect(response)
        elif expected == DENIED:
            ok = status == 403 or (status == 302 and response["Location"] != url and not _is_login_redirect(response))
        elif expected == LOGIN:
            ok = _is_login_redirect(response)
        else:
            ok = status == expected
        if not ok:
            problems.append(f"{where}: unexpected answer")
    if role in OUTSIDERS and expected != OK:
        body = b"".join(response) if response.streaming else response.content
        text = body.decode("utf-8", errors="replace").lower()
        leaked = [marker for marker in _markers(world) if marker in text]
        if leaked:
            problems.append(f"{where}: shows X's or A's {leaked}")
    return problems


# --- completeness --------------------------------------------------------------------------------------


def _walk(resolver, prefix="", namespace=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _walk(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            callback = pattern.callback
            module = getattr(getattr(callback, "view_class", None), "__module__", None) or callback.__module__
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield prefix + str(pattern.pattern), name, module


def test_every_url_pattern_is_in_the_matrix():
    """A URL nobody declared (who may use it) fails here. Framework views under a listed prefix are
    skipped; any view of the project's own code (also under admin/) must have a matrix entry."""
    declared = {entry.name for entry in MATRIX}
    missing = []
    seen = set()
    for route, name, module in _walk(get_resolver()):
        seen.add(name)
        if name in declared:
            continue
        own_code = not module.startswith(FRAMEWORK_MODULES)
        if not own_code and route.startswith(tuple(SKIPPED_PREFIXES)):
            continue
        if not own_code and name == "wagtail_serve":
            continue
        missing.append(f"{route} ({name or 'unnamed'}, {module})")
    assert not missing, "URL patterns without a matrix entry:\n" + "\n".join(missing)
    # And the matrix names no pattern that no longer exists.
    assert declared <= seen, declared - seen


def test_matrix_declares_every_role_for_every_method():
    for entry in MATRIX:
        for table in (entry.get, entry.post):
            if table is not None:
                assert set(table) == set(ROLES), entry.id
        assert entry.get is not None, f"{entry.id}: say who may open it"
