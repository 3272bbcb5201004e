"""Production as the README documents it: REDIS_URL set, so the cache is Redis, whose client is pinned.

CI runs the cache, booking and page-cache tests a second time with REDIS_URL pointing at a dedicated
database of the local Redis (see .ci/run); these tests check that such a run really uses Redis.
"""

import os
import re
import uuid
from importlib import metadata
from pathlib import Path

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache

ROOT = Path(__file__).resolve().parents[2]


def pinned(requirements, name):
    for line in requirements.read_text().splitlines():
        match = re.match(rf"^{re.escape(name)}(\[[^\]]*\])?==([\w.]+)\s*(#.*)?$", line.strip(), re.IGNORECASE)
        if match:
            return match.group(2)
    return None


def test_the_redis_client_is_a_pinned_runtime_dependency():
    version = pinned(ROOT / "requirements.txt", "redis")
    assert version, "Django's RedisCache imports the redis package: pin it in requirements.txt"
    assert metadata.version("redis") == version


def test_the_production_cache_backend_can_build_its_client():
    # What every catalogue page and booking POST does first under production settings with REDIS_URL set;
    # without the redis package it raises ImportError (a 500 for every visitor).
    backend = RedisCache("redis://127.0.0.1:6379/15", {})
    client = backend._cache.get_client(write=True)
    assert client.connection_pool.connection_kwargs["db"] == 15


def test_the_test_settings_use_redis_when_redis_url_is_set():
    url = os.environ.get("REDIS_URL")
    backend = settings.CACHES["default"]["BACKEND"]
    if not url:
        assert backend == "django.core.cache.backends.locmem.LocMemCache"
        return
    assert backend == "django.core.cache.backends.redis.RedisCache"

    key = f"probe-{uuid.uuid4().hex}"
    cache.set(key, "shared", 30)
    # Another client of the same database (another gunicorn worker) sees the value: the cache is shared.
    # (With several test processes each uses a database of its own, the one the settings name.)
    raw = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    assert any(name.decode().endswith(key) for name in raw.keys(f"*{key}"))
    assert cache.get(key) == "shared"
    cache.clear()
    assert raw.dbsize() == 0
