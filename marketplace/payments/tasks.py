"""Background work of the payments app (django-tasks).

The outbox's task is defined with the outbox (services/side_effects.py), which enqueues it: so no module
imports back. It is named here too, under the path tasks enqueued before it moved were stored with."""

from django_tasks import task

from .services.holds import release_expired_holds as release_holds_now
from .services.side_effects import carry_out_due_side_effects as carry_out_due_now
from .services.side_effects import carry_out_side_effect

__all__ = ["carry_out_side_effect", "release_expired_holds", "carry_out_due_side_effects"]


@task()
def release_expired_holds() -> int:
    """Enqueue every few minutes (or run `manage.py release_expired_holds` from cron)."""
    return release_holds_now()


@task()
def carry_out_due_side_effects() -> int:
    """Enqueue every few minutes: retries every pending Stripe call whose backoff has passed."""
    return len(carry_out_due_now())
