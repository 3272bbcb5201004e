"""The thing paid for, asked of its payable (payables.py): payments knows nothing else of it."""


def confirm_subject(payment, *, actor, reference) -> bool:
    """Confirm what is paid for through its app (the payable's `confirm`).

    True when it is (now or already) confirmed by this payment; False when it can no longer be
    (cancelled, released, confirmed by other means): the money must then go back.
    """
    subject = payment.subject
    if subject is None:
        return False
    return payment.payable.confirm(subject, payment_number=payment.number, actor=actor, reference=reference)


def confirmed_by(payment) -> bool:
    """Whether what is paid for is confirmed by this payment."""
    subject = payment.subject
    return subject is not None and payment.payable.confirmed_by(subject, payment.number)


def release_subject(payment, *, note):
    """Give back what an unpaid card payment held (e.g. a booking's slot): the hold expired."""
    if payment.payable.holds_subject and payment.subject is not None:
        payment.payable.release(payment.subject, note=note)
