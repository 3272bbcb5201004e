"""Dashboard time over one million ledger rows.

    python bench/ledger_dashboard.py [--rows 1000000] [--runs 7]

Uses marketplace.settings.bench (its own SQLite file in bench/out/, or DATABASE_URL). Loads the rows
once with bulk_create in batches (reused on the next run), then times each dashboard selector and the
whole dashboard for one institute and for the whole platform over one year: median and p95.

The dashboard's figures are cached (marketplace/statistics/figures_cache.py): "whole dashboard,
computed" is the work done when the data changed since the last view (every selector, nothing from the
cache); "whole dashboard, cached" a view when it did not (the cache key's query, the listing views, a
cache read), timed after one warm-up view.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTITUTES = 12
INSTRUMENTS_PER_INSTITUTE = 25
ENTERPRISES = 2000
BATCH = 5000
COPY_BATCH = 50_000
YEARS = (2023, 2024, 2025)


def setup():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.bench")
    import django

    django.setup()


def ensure_domain():
    """Institutes with instrument pages, and enterprises; created once."""
    from equipment.models import InstrumentPage
    from marketplace.accounts.models import Organization
    from marketplace.accounts.services import create_institute

    institutes = list(Organization.objects.filter(kind="institute", slug__startswith="bench-").order_by("pk"))
    if len(institutes) < INSTITUTES:
        from cms.models import InstitutePage

        for i in range(len(institutes), INSTITUTES):
            org = create_institute(name=f"基准研究院{i}", name_en=f"Bench Institute {i}", slug=f"bench-{i}")
            parent = InstitutePage.objects.get(organization=org)
            for j in range(INSTRUMENTS_PER_INSTITUTE):
                page = parent.add_child(
                    instance=InstrumentPage(
                        title=f"仪器 {i}-{j}",
                        title_en=f"Instrument {i}-{j}",
                        purchase_price=Decimal("2000000"),
                        annual_maintenance=Decimal("80000"),
                        annual_staff_share=Decimal("60000"),
                        planned_hours_per_year=1600,
                        consumables_per_hour=Decimal("20"),
                        utilities_per_hour=Decimal("8"),
                    )
                )
                page.first_published_at = datetime(2022, 1, 1, tzinfo=django_tz())
                page.save(update_fields=["first_published_at"])
        institutes = list(Organization.objects.filter(kind="institute", slug__startswith="bench-").order_by("pk"))
    have = Organization.objects.filter(kind="enterprise", slug__startswith="bench-ent-").count()
    sizes = ["micro", "small", "medium", "large"]
    Organization.objects.bulk_create(
        [
            Organization(kind="enterprise", name=f"基准企业{n}", slug=f"bench-ent-{n}", size_class=sizes[n % 4])
            for n in range(have, ENTERPRISES)
        ]
    )
    enterprises = list(
        Organization.objects.filter(kind="enterprise", slug__startswith="bench-ent-").values_list("pk", flat=True)
    )
    instruments = {
        org.pk: list(InstrumentPage.objects.filter(institute=org).values_list("pk", flat=True)) for org in institutes
    }
    return institutes, enterprises, instruments


def _postgres():
    from django.db import connection

    return connection.vendor == "postgresql"


def django_tz():
    from django.utils import timezone

    return timezone.get_default_timezone()


def load_rows(target, institutes, enterprises, instruments):
    from tqdm import tqdm

    from marketplace.statistics.models import TransferEvent

    K, M = TransferEvent.Kind, TransferEvent.DealMode
    have = TransferEvent.objects.filter(source_type__startswith="bench.").count()
    if have >= target:
        print(f"reusing {have:,} ledger rows")
        return
    rng = random.Random(2026 + have)
    kinds = [
        (K.USAGE_RECORDED, 30),
        (K.BOOKING_COMPLETED, 30),
        (K.BOOKING_CONFIRMED, 10),
        (K.PAYMENT_RECEIVED, 10),
        (K.PAYMENT_REFUNDED, 2),
        (K.INQUIRY_OPENED, 8),
        (K.AGREEMENT_SIGNED, 4),
        (K.IMPACT_REPORTED, 3),
        (K.LISTING_PUBLISHED, 3),
    ]
    population = [k for k, w in kinds for _ in range(w)]
    modes = [m.value for m in M]
    start = datetime(YEARS[0], 1, 1, tzinfo=django_tz())
    span = (datetime(YEARS[-1] + 1, 1, 1, tzinfo=django_tz()) - start).total_seconds()
    with tqdm(total=target, initial=have, desc="ledger rows", unit="row") as bar:
        n = have
        while n < target:
            batch = []
            for _ in range(min(COPY_BATCH if _postgres() else BATCH, target - n)):
                n += 1
                kind = rng.choice(population)
                institute = rng.choice(institutes).pk
                listing = rng.choice(instruments[institute])
                booking = f"equipment.booking:{n}"
                row = TransferEvent(
                    kind=kind,
                    occurred_at=start + timedelta(seconds=rng.random() * span),
                    institute_id=institute,
                    source_type=f"bench.{kind}",
                    source_id=str(n),
                )
                if kind in (K.BOOKING_COMPLETED, K.BOOKING_CONFIRMED, K.USAGE_RECORDED):
                    row.hours = Decimal(rng.randint(1, 16)) / 2
                    row.amount = row.hours * 300 if kind != K.USAGE_RECORDED else Decimal(0)
                    row.listing_id, row.subject = listing, booking
                    row.enterprise_id = rng.choice(enterprises)
                elif kind in (K.PAYMENT_RECEIVED, K.PAYMENT_REFUNDED):
                    row.amount = Decimal(rng.randint(100, 50000))
                    row.subject = booking if rng.random() < 0.8 else f"ip_listings.licenceagreement:{n}"
                elif kind == K.AGREEMENT_SIGNED:
                    row.deal_mode = rng.choice(modes)
                    row.amount = Decimal(rng.randint(10000, 5000000))
                    row.enterprise_id = rng.choice(enterprises)
                elif kind == K.IMPACT_REPORTED:
                    row.jobs = rng.randint(0, 30)
                    row.startup_formed = rng.random() < 0.1
                batch.append(row)
            write_rows(batch)
            bar.update(len(batch))


COPY_FIELDS = [
    "kind", "occurred_at", "recorded_at", "institute_id", "enterprise_id", "amount", "currency", "hours", "jobs",
    "deal_mode", "startup_formed", "listing_id", "subject", "source_type", "source_id", "data",
]  # fmt: skip


def write_rows(batch):
    """PostgreSQL COPY (about 20 times faster than INSERT), bulk_create elsewhere."""
    from django.db import connection, transaction
    from django.utils import timezone

    from marketplace.statistics.models import TransferEvent

    if connection.vendor != "postgresql":
        TransferEvent.objects.bulk_create(batch)
        return
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY statistics_transferevent ({', '.join(COPY_FIELDS)}) FROM STDIN") as copy:
            for row in batch:
                row.recorded_at = now
                copy.write_row([getattr(row, f) if f != "data" else "{}" for f in COPY_FIELDS])


def timed(fn, runs, warm_up=False):
    if warm_up:
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    setup()
    from django.core.management import call_command
    from django.db import connection

    from marketplace.statistics import figures_cache, selectors
    from marketplace.statistics.models import TransferEvent
    from marketplace.statistics.periods import Period

    call_command("migrate", verbosity=0)
    institutes, enterprises, instruments = ensure_domain()
    load_rows(args.rows, institutes, enterprises, instruments)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    total = TransferEvent.objects.count()
    period = Period.year(YEARS[-1])
    one = [institutes[0].pk]
    limit = selectors.DASHBOARD_INSTRUMENTS
    cases = [  # (label, function of the scope, warm up first)
        ("ledger_totals", lambda s: selectors.ledger_totals(s, period), False),
        ("funnel (views)", lambda s: selectors.listing_views(s, period), False),
        ("deals_by_mode", lambda s: selectors.deals_by_mode(s, period), False),
        ("enterprises_served", lambda s: selectors.enterprises_served(s, period), False),
        ("monthly_trends", lambda s: selectors.monthly_trends(s, period), False),
        (f"busiest {limit} + totals", lambda s: selectors.busiest_instruments(s, period, limit=limit), False),
        ("instrument_usage (export)", lambda s: selectors.instrument_usage(s, period), False),
        ("whole dashboard, computed", lambda s: selectors.dashboard(s, period, cached=False), False),
        ("cache key (1 query)", lambda s: figures_cache.key("dashboard", s, period), False),
        ("whole dashboard, cached", lambda s: selectors.dashboard(s, period), True),
    ]
    print(f"{total:,} ledger rows · {connection.vendor} · period {period.label} · {args.runs} runs (ms)")
    print(f"{'figure':<26} {'one institute median':>21} {'p95':>8} {'all institutes median':>22} {'p95':>8}")
    for name, fn, warm_up in cases:
        m1, p1 = timed(lambda fn=fn: fn(one), args.runs, warm_up)
        m2, p2 = timed(lambda fn=fn: fn(None), args.runs, warm_up)
        print(f"{name:<26} {m1:>21.1f} {p1:>8.1f} {m2:>22.1f} {p2:>8.1f}")


if __name__ == "__main__":
    main()
