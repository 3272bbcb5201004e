"""Background tasks of the ip_listings app (django-tasks)."""

from django_tasks import task

from .services import send_impact_reminders


@task()
def send_impact_reminders_task() -> int:
    """Quarterly: ask licensees with active agreements to report the quarter's impact."""
    return send_impact_reminders()
