"""Background work of the payments app (django-tasks)."""

from django_tasks import task

from . import services


@task()
def release_expired_holds() -> int:
    """Enqueue every few minutes (or run `manage.py release_expired_holds` from cron)."""
    return services.release_expired_holds()
