"""SQL building blocks of the figures: sums with their output fields, whole-number arithmetic (hundredths
of an hour, fen) that PostgreSQL and SQLite agree on, day numbers and year weights, window totals."""

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from django.db import NotSupportedError, connection
from django.db.models import (
    BigIntegerField,
    Case,
    DecimalField,
    ExpressionWrapper,
    Func,
    IntegerField,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Collate, Round
from django.db.models.lookups import LessThan, LessThanOrEqual

from ..periods import days_in_year

ZERO = Decimal("0")
MONEY = DecimalField(max_digits=16, decimal_places=2)
HOURS = DecimalField(max_digits=12, decimal_places=2)


def money_sum(expr, q):
    return Coalesce(Sum(expr, filter=q), ZERO, output_field=MONEY)


def hours_sum(q):
    return Coalesce(Sum("hours", filter=q), ZERO, output_field=HOURS)


def ratio(part, whole):
    return (Decimal(part) / Decimal(whole)) if whole else None


EPOCH = dt.date(1970, 1, 1)


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


class DayNumber(Func):
    """Days from 1970-01-01 to a date expression, an integer (`day_number` in SQL; PostgreSQL, SQLite)."""

    output_field = IntegerField()

    def as_sql(self, compiler, connection, template=None, **extra):
        if template is None:
            raise NotSupportedError("DayNumber is written for PostgreSQL and SQLite.")
        return super().as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s - DATE '1970-01-01')", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        template = "CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)


@dataclass(frozen=True)
class YearWeights:
    """`Period.year_fraction(since=day)` as a ratio of whole numbers, `weight(day) / unit`.

    A day of a 365-day year weighs `unit / 365`, a day of a leap year `unit / 366` (`unit` is 365, 366
    or 365 × 366, whichever makes both whole); the weight of a day is the sum over the period's days
    from that day on. The period is cut into segments where the weight of one day changes."""

    unit: int
    segments: tuple  # (first day number, end day number (excluded), weight of each day), in order

    @classmethod
    def of(cls, period) -> "YearWeights":
        years, day = [], period.first_day
        while day < period.end_day:
            upto = min(period.end_day, dt.date(day.year + 1, 1, 1))
            years.append((day_number(day), day_number(upto), days_in_year(day.year)))
            day = upto
        unit = math.lcm(*{length for _first, _end, length in years})
        segments = []
        for first, end, length in years:
            if segments and segments[-1][2] == unit // length:
                segments[-1] = (segments[-1][0], end, unit // length)
            else:
                segments.append((first, end, unit // length))
        return cls(unit, tuple(segments))

    def weight(self, day: dt.date) -> int:
        n = day_number(day)
        return sum(w * max(0, end - max(first, n)) for first, end, w in self.segments)

    def weight_expression(self, day):
        """`weight` of a day-number expression, as one flat SQL CASE: a day n of segment (first, end, w)
        weighs w × (end − n) plus the whole weight of the segments after it."""
        after = [sum(w * (end - first) for first, end, w in self.segments[i + 1 :]) for i in range(len(self.segments))]
        first, end, w = self.segments[0]
        return Case(
            When(LessThanOrEqual(day, Value(first)), then=Value(w * (end - first) + after[0])),
            *[
                When(LessThan(day, Value(end)), then=Value(w * end + rest) - Value(w) * day)
                for (_first, end, w), rest in zip(self.segments, after, strict=True)
            ],
            default=Value(0),
        )


def hundredths(expression):
    """A decimal expression (hours, money) as a whole number of hundredths."""
    return Cast(Round(ExpressionWrapper(expression * Value(100), output_field=MONEY)), BigIntegerField())


def from_hundredths(value) -> Decimal:
    return Decimal(int(value or 0)).scaleb(-2)


def whole(expression):
    return Cast(expression, BigIntegerField())


def by_code_point(expression):
    """Text ordered by code point as Python orders strings (SQLite does; PostgreSQL needs "C")."""
    return Collate(expression, "C") if connection.vendor == "postgresql" else expression


class OverAll(Func):
    """An aggregate of all the rows of a query on each of its rows, before any LIMIT: `SUM(x) OVER ()`."""

    template = "%(function)s(%(expressions)s) OVER ()"
    contains_over_clause = True

    def get_group_by_cols(self):
        return []  # computed over the grouped rows
