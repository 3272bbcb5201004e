"""Reporting periods: half-open [start, end) intervals of local (site time zone) days."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())


def days_in_year(year):
    return (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days


@dataclass(frozen=True)
class Period:
    """From `first_day` (included) to `end_day` (excluded), in the site time zone."""

    first_day: dt.date
    end_day: dt.date

    def __post_init__(self):
        if self.end_day <= self.first_day:
            raise ValueError("A period ends after it starts.")

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(dt.date(year, 1, 1), dt.date(year + 1, 1, 1))

    @classmethod
    def between(cls, first_day: dt.date, last_day: dt.date) -> "Period":
        """Both days included, as a person chooses them."""
        return cls(first_day, last_day + dt.timedelta(days=1))

    @property
    def start(self) -> dt.datetime:
        return local_midnight(self.first_day)

    @property
    def end(self) -> dt.datetime:
        return local_midnight(self.end_day)

    @property
    def last_day(self) -> dt.date:
        return self.end_day - dt.timedelta(days=1)

    @property
    def is_calendar_year(self) -> bool:
        return (
            self.first_day.month == 1
            and self.first_day.day == 1
            and self.end_day == dt.date(self.first_day.year + 1, 1, 1)
        )

    @property
    def label(self) -> str:
        if self.is_calendar_year:
            return _("Year %(year)s") % {"year": self.first_day.year}
        return f"{self.first_day:%Y-%m-%d} – {self.last_day:%Y-%m-%d}"

    @property
    def slug(self) -> str:
        if self.is_calendar_year:
            return str(self.first_day.year)
        return f"{self.first_day:%Y%m%d}-{self.last_day:%Y%m%d}"

    def year_fraction(self, since: dt.date | None = None) -> Decimal:
        """How many years of the calendar this period covers (from `since` if later), day by day:
        each calendar year's days count as 1/365 or 1/366 of that year."""
        first = max(self.first_day, since) if since else self.first_day
        total = Decimal(0)
        year = first.year
        while first < self.end_day:
            year_end = dt.date(year + 1, 1, 1)
            upto = min(self.end_day, year_end)
            total += Decimal((upto - first).days) / Decimal(days_in_year(year))
            first, year = upto, year + 1
        return total

    def months(self):
        """The first day of each month the period touches, in order."""
        day = self.first_day.replace(day=1)
        while day < self.end_day:
            yield day
            day = (day + dt.timedelta(days=32)).replace(day=1)
