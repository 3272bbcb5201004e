"""The version of the cached figures (`core.versions.Version`): bumped whenever a watched model changes
(`registry.watch`), so that every figure cached before is stale (`figures_cache` puts the version in
its keys).

Its own module so that `registry` (which connects `changed`) and `figures_cache` (which reads the
version) import it and not each other."""

from django.db import transaction

from marketplace.core.versions import Version

FIGURES = Version("statistics:figures-version")


def changed(*args, **kwargs) -> None:
    """Make every cached figure stale, now and when the current transaction commits (a signal
    receiver: takes and ignores any arguments)."""
    FIGURES.bump()
    transaction.on_commit(FIGURES.bump)
