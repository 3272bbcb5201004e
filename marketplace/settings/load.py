"""Load test (bench/load_booking.py): the site as production runs it (DEBUG off), on the database named by
DATABASE_URL, with what would only add noise switched off: a fast password hasher, no login rate limit
(sessions are minted for the synthetic buyers), emails to nowhere and tasks run at once."""

from .base import *  # noqa: F403
from .base import env

ENVIRONMENT = "load"
DEBUG = False
SECRET_KEY = env("SECRET_KEY", "load-only-insecure-key-0123456789-abcdefghijklmnopqrstuvwxyz")
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AXES_ENABLED = False
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Several worker processes with a memory cache each: no shared invalidation, so no catalogue caching.
CATALOGUE_CACHE_SECONDS = 0
PAGE_CACHE_SECONDS = 0
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # A refused booking (slot taken) answers 400 by design; only server errors are worth a line.
    "loggers": {"django.request": {"level": "ERROR"}, "django_tasks": {"level": "WARNING"}},
}
