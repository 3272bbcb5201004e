"""What other apps add to an institute's statement, registered from their AppConfig.ready(), so that
payments imports none of them (e.g. equipment: the internal charges of institute users' bookings, which
are charged to an institute under a project code and never paid through payments).

    from marketplace.payments import statements
    statements.register("internal_charges", build, order=10)

`build(institute, start, end)` returns a `StatementSection` for the period [start, end) (dates), or None
to leave it out. The statement page, its PDF and its CSV show each section after the payments.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class StatementSection:
    heading: str
    columns: tuple  # column headings
    rows: list = field(default_factory=list)  # one list of cells per line (text, numbers, dates)
    totals: list = field(default_factory=list)  # (label, amount, currency) lines under the table
    note: str = ""


_registry: dict[str, tuple[int, Callable]] = {}


def register(key: str, build: Callable, *, order: int = 100) -> None:
    """Add a section under `key` (registering a key again replaces it), shown in `order`."""
    _registry[key] = (order, build)


def sections(institute, start, end) -> list[StatementSection]:
    """The registered sections of the institute's statement for [start, end), in order."""
    built = []
    for _order, _key, build in sorted((o, k, b) for k, (o, b) in _registry.items()):
        section = build(institute, start, end)
        if section is not None:
            built.append(section)
    return built
