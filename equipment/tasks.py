"""Background work of the equipment app (django-tasks)."""

from django_tasks import task

from . import services


@task()
def expire_bookings() -> int:
    """Enqueue every hour or so (or run `manage.py expire_bookings` from cron)."""
    return services.expire_bookings()
