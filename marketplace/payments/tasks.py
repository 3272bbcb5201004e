"""Background work of the payments app (django-tasks)."""

from django_tasks import task

from . import services


@task()
def release_expired_holds() -> int:
    """Enqueue every few minutes (or run `manage.py release_expired_holds` from cron)."""
    return services.release_expired_holds()


@task()
def carry_out_side_effect(effect_id: int) -> str:
    """One attempt at a pending Stripe call (refund, PaymentIntent cancellation, transfer), enqueued
    after the commit that recorded it. A failed attempt records the error and when to try again."""
    return services.execute_side_effect(effect_id).status


@task()
def carry_out_due_side_effects() -> int:
    """Enqueue every few minutes: retries every pending Stripe call whose backoff has passed."""
    return len(services.carry_out_due_side_effects())
