import os
import tempfile

from .base import *  # noqa: F403
from .base import env

ENVIRONMENT = "test"
DEBUG = False
SECRET_KEY = "test-only-insecure-key-0123456789-abcdefghijklmnopqrstuvwxyz"
ALLOWED_HOSTS = ["*"]
# Login rate limiting is switched on by the tests that exercise it (the test client's login()
# passes no request, which django-axes needs).
AXES_ENABLED = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run at once in tests, so their effects (emails) can be asserted.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Local memory, or the Redis that REDIS_URL names (CI runs the cache, booking and page-cache tests against
# a dedicated Redis database, e.g. redis://127.0.0.1:6379/5): every test starts and ends by clearing the
# cache (tests/conftest.py), which flushes that database.
if env("REDIS_URL"):
    _redis_url = env("REDIS_URL")
    _worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if _worker.startswith("gw"):
        # Several test processes (pytest-xdist): each flushes a Redis database of its own, the next ones.
        _base, _, _db = _redis_url.rpartition("/")
        _redis_url = f"{_base}/{int(_db or 0) + int(_worker[2:])}"
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis_url}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Whole-page caching for anonymous visitors is switched on by the tests about it (tests/core).
PAGE_CACHE_SECONDS = 0
STRIPE_SECRET_KEY = ""
STRIPE_PUBLISHABLE_KEY = ""
STRIPE_WEBHOOK_SECRET = ""

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory, so that tests with several threads see real SQLite locking.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"marketplace-test-{os.getpid()}.sqlite3")
    }
