"""Background tasks of the ip_listings app (django-tasks)."""

from django_tasks import task


@task()
def send_impact_reminders_task() -> int:
    """Quarterly: ask licensees with active agreements to report the quarter's impact."""
    from .services import send_impact_reminders

    return send_impact_reminders()
