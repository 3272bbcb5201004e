"""What the express, inquiry, agreement and impact services share: who speaks for which side, amounts
and dates as the forms give them, and the scope checks made with the result's row locked."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from marketplace.accounts import selectors as account_selectors
from marketplace.accounts.models import Role
from marketplace.core.locking import lock
from marketplace.core.money import quantize

from .. import scope
from ..models import LicenceAgreement, LicenceOffer, ResultPage

ZERO = Decimal("0.00")


def is_tto(user, institute_id) -> bool:
    """The user speaks for the institute's technology-transfer office (or is staff)."""
    return bool(
        user
        and user.is_authenticated
        and (user.is_staff or account_selectors.has_role(user, institute_id, [Role.TTO_OFFICER]))
    )


def is_buyer(user, enterprise_id) -> bool:
    """The user is a buyer of the enterprise."""
    return bool(user and user.is_authenticated and account_selectors.has_role(user, enterprise_id, [Role.BUYER]))


def money(value, field, message):
    try:
        amount = quantize(value if value not in (None, "") else "0")
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: message}) from None
    if amount < ZERO:
        raise ValidationError({field: _("An amount cannot be negative.")})
    return amount


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError("unreachable")


def lock_result(result_id) -> ResultPage:
    """The result, its row locked until the transaction ends (serialises scope decisions)."""
    return lock(ResultPage.objects.select_related("institute"), pk=result_id)


def require_live(result):
    if not result.live or result.institute_id is None:
        raise ValidationError(_("This result has been withdrawn; it can no longer be licensed or inquired about."))


def holding_agreements(result_id, today=None):
    return list(LicenceAgreement.objects.filter(scope.holding_agreements_q(today), result_id=result_id))


def require_available(offer_like, result_id, today=None):
    blocker = scope.blocking_agreement(offer_like, holding_agreements(result_id, today))
    if blocker is not None:
        raise ValidationError(
            _("This offer is no longer available: an agreement on an overlapping scope (%(scope)s) exists.")
            % {"scope": f"{blocker.field_of_use_label} · {blocker.get_territory_display()}"}
        )


def offer_of(offer_id):
    offer = LicenceOffer.objects.select_related("result", "field_of_use").filter(pk=offer_id).first()
    if offer is None:
        raise ValidationError(_("This offer no longer exists."))
    return offer
