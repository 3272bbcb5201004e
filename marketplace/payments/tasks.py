"""Background work of the payments app (django-tasks).

The one task, `carry_out_side_effect`, is defined with the outbox (services/side_effects.py), which
enqueues it, so that no module imports back; it is named here too, under the path tasks enqueued before
it moved were stored with. Expired holds are released by `manage.py release_expired_holds`, and due
retries of side effects are made by `manage.py reconcile_payments`, both run from cron.
"""

from .services.side_effects import carry_out_side_effect

__all__ = ["carry_out_side_effect"]
