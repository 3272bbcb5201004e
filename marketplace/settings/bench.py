"""Benchmarks (bench/): their own database.

`DATABASE_URL` if set; otherwise PostgreSQL at 127.0.0.1:5432 (database `mk_bench`, created if missing)
when the server answers; otherwise a SQLite file under bench/out/. `BENCH_SCALE` (e.g. `1k`, `100k`)
keeps each data size apart: a schema `bench_<scale>` on PostgreSQL, a file `bench-<scale>.sqlite3` on
SQLite, so both sizes stay loaded and a second `make bench` only measures.
"""

import dj_database_url

from .base import *  # noqa: F403
from .base import BASE_DIR, env

ENVIRONMENT = "bench"
DEBUG = False
SECRET_KEY = env("SECRET_KEY", "bench-only-insecure-key-0123456789-abcdefghijklmnopqrstuvwxyz")
ALLOWED_HOSTS = ["*"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
AXES_ENABLED = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Static files straight from the finders (no collectstatic needed): the reference request of the bench.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = BASE_DIR / "bench" / "out" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Only warnings in the log: the immediate task backend would otherwise log every task of a bulk load.
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}  # noqa: F405

BENCH_SCALE = env("BENCH_SCALE", "100k")
BENCH_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/mk_bench"


def _postgres_answers(url):
    """Create the bench database and the scale's schema when PostgreSQL answers; False otherwise."""
    try:
        import psycopg  # imported only here: the SQLite bench runs without the PostgreSQL driver
    except ImportError:
        return False
    params = dj_database_url.parse(url)
    common = {"host": params["HOST"], "port": params["PORT"] or 5432, "user": params["USER"], "connect_timeout": 2}
    if params["PASSWORD"]:
        common["password"] = params["PASSWORD"]
    try:
        with psycopg.connect(dbname="postgres", autocommit=True, **common) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [params["NAME"]]).fetchone():
                conn.execute(f'CREATE DATABASE "{params["NAME"]}"')
        with psycopg.connect(dbname=params["NAME"], autocommit=True, **common) as conn:
            # Extensions live in public, visible from every scale's schema.
            conn.execute("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public")
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS bench_{BENCH_SCALE}")
    except psycopg.Error:
        return False
    return True


_url = env("DATABASE_URL")
if not _url and _postgres_answers(BENCH_POSTGRES_URL):
    _url = BENCH_POSTGRES_URL
if _url and _url.startswith("postgres"):
    if env("DATABASE_URL"):
        _postgres_answers(_url)
    DATABASES = {"default": dj_database_url.parse(_url)}
    DATABASES["default"]["OPTIONS"] = {"options": f"-c search_path=bench_{BENCH_SCALE},public"}
    BENCH_DATABASE = f"PostgreSQL {DATABASES['default']['NAME']} (schema bench_{BENCH_SCALE})"
elif _url:
    DATABASES = {"default": dj_database_url.parse(_url)}
    BENCH_DATABASE = _url
else:
    (BASE_DIR / "bench" / "out").mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["NAME"] = str(BASE_DIR / "bench" / "out" / f"bench-{BENCH_SCALE}.sqlite3")  # noqa: F405
    BENCH_DATABASE = f"SQLite {DATABASES['default']['NAME']}"  # noqa: F405
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")  # noqa: F405
