"""The scope-conflict rule of licence offers and agreements, and the validation of offer terms.

A scope is (field of use, territory). Two scopes overlap when
  - their fields are equal or either is "all fields" (empty), and
  - their territories are equal or either is worldwide.
An agreement holds its scope while it is awaiting payment or active and has not ended. An offer is
unavailable when a holding agreement of the same result overlaps its scope and either of the two is
exclusive-type (assignment, exclusive, sole, option, equity): so an exclusive licence blocks every
overlapping offer, and a signed non-exclusive licence blocks later exclusive-type offers on its scope but
not other non-exclusive ones.
"""

from decimal import Decimal, InvalidOperation

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import BLOCKING_MODES, HOLDING_STATUSES, Territory


def fields_overlap(a_field_id, b_field_id) -> bool:
    return a_field_id is None or b_field_id is None or a_field_id == b_field_id


def territories_overlap(a, b) -> bool:
    return a == b or Territory.WORLDWIDE in (a, b)


def scopes_overlap(a, b) -> bool:
    """`a` and `b` have field_of_use_id and territory (offers or agreements)."""
    return fields_overlap(a.field_of_use_id, b.field_of_use_id) and territories_overlap(a.territory, b.territory)


def conflicts(offer, agreement) -> bool:
    """Whether a holding agreement makes `offer` unavailable."""
    return scopes_overlap(offer, agreement) and (offer.mode in BLOCKING_MODES or agreement.mode in BLOCKING_MODES)


def holding_agreements_q(today=None):
    """Agreements that hold their scope today."""
    today = today or timezone.localdate()
    return Q(status__in=HOLDING_STATUSES) & (Q(ends_on__isnull=True) | Q(ends_on__gte=today))


def blocking_agreement(offer, agreements):
    """The first agreement of `agreements` (holding ones of the offer's result) that blocks `offer`."""
    for agreement in agreements:
        if conflicts(offer, agreement):
            return agreement
    return None


def offer_errors(*, upfront_fee, royalty_percent, express, standard_terms, term_months=None):
    """{field: message} for terms no offer may have."""
    errors = {}
    try:
        fee = Decimal(upfront_fee) if upfront_fee is not None else None
        if fee is not None and not fee.is_finite():  # NaN and Infinity are not amounts
            raise InvalidOperation
    except (InvalidOperation, TypeError, ValueError):
        fee = None
        errors["upfront_fee"] = _("Enter the upfront fee as an amount.")
    if fee is not None and fee < 0:
        errors["upfront_fee"] = _("An amount cannot be negative.")
    try:
        royalty = Decimal(royalty_percent) if royalty_percent is not None else None
        if royalty is not None and not royalty.is_finite():
            raise InvalidOperation
    except (InvalidOperation, TypeError, ValueError):
        royalty = None
        errors["royalty_percent"] = _("Enter the royalty as a percentage.")
    if royalty is not None and not (0 <= royalty <= 100):
        errors["royalty_percent"] = _("A royalty is between 0 and 100 percent.")
    if express and not (standard_terms or "").strip():
        errors["standard_terms"] = _("An express offer needs its standard terms.")
    if term_months is not None and term_months <= 0:
        errors["term_months"] = _("The term is at least one month.")
    return errors
