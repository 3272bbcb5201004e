"""Version numbers kept in the cache: the one counter behind every "is my cached copy still current?".

A cached copy carries in its key the version it was computed under; bumping the version makes every such
copy unreachable at once, in every process sharing the cache (atomically on Redis). When the number is
unknown (cache cleared, evicted, a fresh process with its own memory cache) a new series starts from the
clock, so no copy made under an earlier series can match it.
"""

import time

from django.core.cache import cache


class Version:
    def __init__(self, key: str):
        self.key = key

    def __repr__(self):
        return f"Version({self.key!r})"

    def current(self) -> int:
        value = cache.get(self.key)
        if value is None:
            cache.add(self.key, time.time_ns(), None)
            value = cache.get(self.key, 0)
        return value

    def bump(self, *args, **kwargs) -> None:
        """Advance the version (usable as a signal receiver: takes and ignores any arguments)."""
        try:
            cache.incr(self.key)
        except ValueError:  # not set yet, or evicted: a fresh series is just as new
            cache.set(self.key, time.time_ns(), None)
