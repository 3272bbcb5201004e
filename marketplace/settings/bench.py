"""Benchmarks (bench/): their own database, a SQLite file under bench/out/ unless DATABASE_URL is set."""

from .base import *  # noqa: F403
from .base import BASE_DIR, env

ENVIRONMENT = "bench"
DEBUG = False
SECRET_KEY = env("SECRET_KEY", "bench-only-insecure-key-0123456789-abcdefghijklmnopqrstuvwxyz")
ALLOWED_HOSTS = ["*"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

if not env("DATABASE_URL"):
    (BASE_DIR / "bench" / "out").mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["NAME"] = str(BASE_DIR / "bench" / "out" / "bench.sqlite3")  # noqa: F405
