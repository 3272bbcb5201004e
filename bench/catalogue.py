"""Server time and queries of the public pages, a booking and the TTO dashboard at one data size.

    BENCH_SCALE=100k python bench/catalogue.py [--reload] [--runs 20] [--json out.json]

Loads, once per scale (reused while the counts match; `--reload` empties the scale first):
live instrument pages and result pages (Wagtail pages written in bulk: treebeard path/depth, url_path,
locale, content type, computed rates), opening hours, licence offers, bookings (PostgreSQL COPY), the
search index entries, and ledger rows for the dashboard. Then measures each page through the whole
middleware stack with Django's test client: median and p95 server time and the SQL query count, next to
a static file served by WhiteNoise in the same process.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCALES = {
    # listings = instruments = results; bookings; ledger rows.
    "1k": {"listings": 1_000, "bookings": 10_000, "ledger": 10_000},
    "100k": {"listings": 100_000, "bookings": 1_000_000, "ledger": 1_000_000},
}
INSTITUTES = 20
ENTERPRISES = 2000
BATCH = 5000
SEED = 2026
BENCH_PREFIX = "bench-"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # treebeard MP_Node alphabet, steplen 4
STEPLEN = 4

INSTRUMENT_NAMES = [
    ("扫描电子显微镜", "Scanning electron microscope", "electron-optics"),
    ("透射电子显微镜", "Transmission electron microscope", "electron-optics"),
    ("液相色谱质谱联用仪", "LC-MS mass spectrometer", "mass-spectrometry"),
    ("X射线衍射仪", "X-ray diffractometer", "x-ray"),
    ("核磁共振波谱仪", "NMR spectrometer", "nmr-epr"),
    ("拉曼光谱仪", "Raman spectrometer", "spectroscopy"),
    ("气相色谱仪", "Gas chromatograph", "chromatography"),
    ("电化学工作站", "Electrochemical workstation", "electrochemistry"),
    ("激光共聚焦显微镜", "Confocal laser microscope", "microscopy"),
    ("差示扫描量热仪", "Differential scanning calorimeter", "thermal-analysis"),
    ("万能材料试验机", "Universal testing machine", "physical-property"),
    ("三坐标测量机", "Coordinate measuring machine", "metrology"),
    ("矢量网络分析仪", "Vector network analyser", "electronic-measurement"),
    ("高性能计算集群", "High-performance computing cluster", "computing"),
    ("中试发酵罐", "Pilot fermenter", "process-testing"),
]
MANUFACTURERS = ["Zeiss", "Thermo Fisher", "Bruker", "Agilent", "Shimadzu", "Hitachi", "JEOL", "聚光科技", "中科科仪"]
RESULT_NAMES = [
    ("一种高强度镁合金及其制备方法", "High-strength magnesium alloy and its preparation"),
    ("基于深度学习的缺陷检测软件", "Deep-learning defect inspection software"),
    ("锂电池正极材料包覆工艺", "Coating process for lithium battery cathodes"),
    ("海水淡化反渗透膜", "Reverse-osmosis membrane for desalination"),
    ("农作物病害快速检测试剂盒", "Rapid test kit for crop diseases"),
    ("工业机器人视觉定位系统", "Vision positioning system for industrial robots"),
    ("可降解医用缝合线", "Biodegradable surgical suture"),
    ("低能耗二氧化碳捕集技术", "Low-energy carbon dioxide capture"),
]
CITIES = ["北京", "上海", "深圳", "杭州", "南京", "武汉", "成都", "西安", "合肥", "广州"]


def setup():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.bench")
    import django

    django.setup()


def progress(total, desc, initial=0):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit="row", unit_scale=True, file=sys.stderr)


def tz():
    from django.utils import timezone

    return timezone.get_default_timezone()


# --- loading -------------------------------------------------------------------------------------------


def empty_scale():
    """Drop every table of this scale (PostgreSQL schema or SQLite file) so that it is loaded again."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "postgresql":
        schema = f"bench_{settings.BENCH_SCALE}"
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            cursor.execute(f"CREATE SCHEMA {schema}")
    else:
        connection.close()
        Path(settings.DATABASES["default"]["NAME"]).unlink(missing_ok=True)


def ensure_base():
    """Migrated schema, the demo site (home page, categories, fields, demo logins), bench institutes,
    enterprises, and a TTO officer of the first bench institute."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from marketplace.accounts.models import Membership, Organization, Role
    from marketplace.accounts.services import add_membership, create_institute, sync_admin_groups

    call_command("migrate", verbosity=0)
    if not Organization.objects.exists():
        print("seeding the demo site …", flush=True)
        call_command("seed_demo", verbosity=0)
    have = Organization.objects.filter(kind="institute", slug__startswith=BENCH_PREFIX).count()
    for i in range(have, INSTITUTES):
        create_institute(
            name=f"基准研究院{i}", name_en=f"Bench Institute {i}", slug=f"{BENCH_PREFIX}{i}", city=CITIES[i % 10]
        )
    sizes = ["micro", "small", "medium", "large"]
    have = Organization.objects.filter(kind="enterprise", slug__startswith="bench-ent-").count()
    Organization.objects.bulk_create(
        [
            Organization(kind="enterprise", name=f"基准企业{n}", slug=f"bench-ent-{n}", size_class=sizes[n % 4])
            for n in range(have, ENTERPRISES)
        ]
    )
    User = get_user_model()
    tto, _created = User.objects.get_or_create(email="tto@bench-0.example.com", defaults={"is_active": True})
    institute = Organization.objects.get(slug=f"{BENCH_PREFIX}0")
    if not Membership.objects.filter(user=tto, organization=institute, role=Role.TTO_OFFICER).exists():
        add_membership(tto, institute, Role.TTO_OFFICER)
    sync_admin_groups(tto)


def bench_institutes():
    from cms.models import InstitutePage

    return list(
        InstitutePage.objects.filter(organization__slug__startswith=BENCH_PREFIX)
        .select_related("organization")
        .order_by("organization__pk")
    )


def _step(n):
    out = ""
    for _ in range(STEPLEN):
        n, r = divmod(n, 36)
        out = ALPHABET[r] + out
    return out


def _next_child_number(parent):
    last = parent.get_children().order_by("-path").values_list("path", flat=True).first()
    if not last:
        return 1
    tail = last[-STEPLEN:]
    return int(tail, 36) + 1


def bulk_pages(model, specific_rows, parent, start_number, when):
    """Insert pages of `model` under `parent`: base Page rows with bulk_create, then the specific rows.

    `specific_rows` are unsaved `model` instances with title and specific fields set."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Locale, Page

    content_type = ContentType.objects.get_for_model(model)
    locale = Locale.get_default()
    pages = []
    for offset, obj in enumerate(specific_rows):
        number = start_number + offset
        slug = f"{model._meta.model_name[:10]}-{parent.pk}-{number}"
        pages.append(
            Page(
                title=obj.title,
                draft_title=obj.title,
                slug=slug,
                path=parent.path + _step(number),
                depth=parent.depth + 1,
                numchild=0,
                url_path=f"{parent.url_path}{slug}/",
                content_type=content_type,
                locale=locale,
                translation_key=uuid.uuid4(),
                live=True,
                has_unpublished_changes=False,
                first_published_at=when(),
                last_published_at=None,
                show_in_menus=False,
                seo_title="",
                search_description="",
            )
        )
    Page.objects.bulk_create(pages)
    for page, obj in zip(pages, specific_rows, strict=True):
        for field in Page._meta.concrete_fields:
            setattr(obj, field.attname, getattr(page, field.attname))
        obj.page_ptr_id = page.pk
    # Multi-table inheritance: bulk_create refuses it, so the child table is inserted directly.
    fields = model._meta.local_concrete_fields
    model._base_manager._insert(specific_rows, fields=fields, using="default")
    last = pages[-1].path if pages else None
    return pages, last


def load_instruments(target, institutes, rng):
    from django.db import transaction
    from django.db.models import F
    from wagtail.models import Page

    from equipment.models import BookingMode, InstrumentCategory, InstrumentPage, OpeningHours, RateTier, ResourceKind
    from equipment.rates import compute_hourly_rate, tier_rate

    have = InstrumentPage.objects.filter(institute__slug__startswith=BENCH_PREFIX).count()
    if have >= target:
        return have
    categories = {c.slug: c.pk for c in InstrumentCategory.objects.all()}
    fallback = list(categories.values())
    kinds = [ResourceKind.INSTRUMENT] * 7 + [ResourceKind.PILOT, ResourceKind.SIMULATION, ResourceKind.SPACE]
    modes = [BookingMode.ASSISTED, BookingMode.ASSISTED, BookingMode.SAMPLE, BookingMode.SELF_SERVICE]
    # A few cost models; their rates are computed once by the product's own rate code.
    templates = []
    for price in (300_000, 800_000, 2_000_000, 5_000_000, 12_000_000):
        for hours in (800, 1200, 1600, 2000):
            t = InstrumentPage(
                purchase_price=Decimal(price),
                service_life_years=10,
                annual_maintenance=Decimal(price) / 25,
                annual_staff_share=Decimal("60000"),
                planned_hours_per_year=hours,
                consumables_per_hour=Decimal("20"),
                utilities_per_hour=Decimal("8"),
                operator_per_hour=Decimal("60"),
                enterprise_subsidy_percent=Decimal("0"),
            )
            t.hourly_rate = compute_hourly_rate(t).rate
            t.enterprise_rate = tier_rate(t, RateTier.ENTERPRISE)
            templates.append(t)
    start = datetime(2022, 1, 1, tzinfo=tz())
    per_institute = -(-target // len(institutes))
    bar = progress(target, "instruments", have)
    for parent in institutes:
        parent.refresh_from_db()
        mine = InstrumentPage.objects.filter(institute_id=parent.organization_id).count()
        number = _next_child_number(parent)
        while mine < per_institute and have < target:
            n = min(BATCH, per_institute - mine, target - have)
            rows = []
            for k in range(n):
                name, name_en, category = rng.choice(INSTRUMENT_NAMES)
                t = rng.choice(templates)
                serial = have + k
                rows.append(
                    InstrumentPage(
                        title=f"{name} {serial}",
                        title_en=f"{name_en} {serial}",
                        institute_id=parent.organization_id,
                        resource_kind=rng.choice(kinds),
                        category_id=categories.get(category) or rng.choice(fallback),
                        summary=f"{name}，可对外开放共享，按成本补偿原则收费。",
                        summary_en=f"{name_en}, open to enterprises at cost-recovery rates.",
                        manufacturer=rng.choice(MANUFACTURERS),
                        model_number=f"M-{rng.randint(100, 9999)}",
                        specifications=[],
                        photos=[],
                        location=f"{rng.randint(1, 12)}号楼 {rng.randint(101, 599)}",
                        booking_mode=rng.choice(modes),
                        auto_approve=rng.random() < 0.5,
                        currency="CNY",
                        purchase_price=t.purchase_price,
                        service_life_years=t.service_life_years,
                        annual_maintenance=t.annual_maintenance,
                        annual_staff_share=t.annual_staff_share,
                        planned_hours_per_year=t.planned_hours_per_year,
                        consumables_per_hour=t.consumables_per_hour,
                        utilities_per_hour=t.utilities_per_hour,
                        operator_per_hour=t.operator_per_hour,
                        hourly_rate=t.hourly_rate,
                        enterprise_rate=t.enterprise_rate,
                        min_notice_hours=24,
                        horizon_days=90,
                    )
                )
            with transaction.atomic():
                pages, _last = bulk_pages(
                    InstrumentPage, rows, parent, number, lambda: start + timedelta(days=rng.randint(0, 1000))
                )
                Page.objects.filter(pk=parent.pk).update(numchild=F("numchild") + n)
                hours = [
                    OpeningHours(instrument_id=p.pk, weekday=d, opens="08:00", closes="20:00", sort_order=d)
                    for p in pages
                    for d in range(5)
                ]
                OpeningHours.objects.bulk_create(hours, batch_size=BATCH)
            number += n
            mine += n
            have += n
            bar.update(n)
    bar.close()
    return have


def load_results(target, institutes, rng):
    from django.db import transaction
    from django.db.models import F
    from wagtail.models import Page

    from ip_listings.models import DealMode, IPKind, LicenceOffer, ResultPage, TechnologyField

    have = ResultPage.objects.filter(institute__slug__startswith=BENCH_PREFIX).count()
    if have >= target:
        return have
    fields = list(TechnologyField.objects.values_list("pk", flat=True))
    kinds = list(IPKind.values)
    modes = list(DealMode.values)
    start = datetime(2022, 1, 1, tzinfo=tz())
    per_institute = -(-target // len(institutes))
    bar = progress(target, "results", have)
    for parent in institutes:
        parent.refresh_from_db()
        mine = ResultPage.objects.filter(institute_id=parent.organization_id).count()
        number = _next_child_number(parent)
        while mine < per_institute and have < target:
            n = min(BATCH, per_institute - mine, target - have)
            rows, offers = [], []
            for k in range(n):
                name, name_en = rng.choice(RESULT_NAMES)
                serial = have + k
                fee = Decimal(rng.randrange(20_000, 2_000_000, 1000))
                rows.append(
                    ResultPage(
                        title=f"{name} {serial}",
                        title_en=f"{name_en} {serial}",
                        institute_id=parent.organization_id,
                        ip_kind=rng.choice(kinds),
                        trl=rng.randint(1, 9),
                        field_id=rng.choice(fields) if fields else None,
                        abstract=f"<p>{name}：技术成熟，可许可或转让。</p>",
                        abstract_en=f"<p>{name_en}: ready to license or assign.</p>",
                        advantages="<p>成本低，性能好。</p>",
                        applications="<p>制造业、新材料。</p>",
                        price_from=fee,
                    )
                )
                offers.append((fee, rng.random() < 0.3, rng.choice(modes)))
            with transaction.atomic():
                pages, _last = bulk_pages(
                    ResultPage, rows, parent, number, lambda: start + timedelta(days=rng.randint(0, 1000))
                )
                Page.objects.filter(pk=parent.pk).update(numchild=F("numchild") + n)
                LicenceOffer.objects.bulk_create(
                    [
                        LicenceOffer(
                            result_id=p.pk,
                            mode="non_exclusive" if express else mode,
                            upfront_fee=fee,
                            express=express,
                            standard_terms="标准许可条款。" if express else "",
                            currency="CNY",
                            sort_order=0,
                        )
                        for p, (fee, express, mode) in zip(pages, offers, strict=True)
                    ],
                    batch_size=BATCH,
                )
            number += n
            mine += n
            have += n
            bar.update(n)
    bar.close()
    return have


def load_bookings(target, rng):
    """Ten bookings per instrument, never overlapping: most completed in the past two years, some
    requested, approved or confirmed in the coming weeks (so calendars and booking checks see them)."""
    from django.db import connection, transaction

    from equipment.models import Booking, InstrumentPage
    from marketplace.accounts.models import Organization, User

    have = Booking.objects.filter(purpose="bench").count()
    if have >= target:
        return have
    instruments = list(
        InstrumentPage.objects.filter(institute__slug__startswith=BENCH_PREFIX)
        .order_by("pk")
        .values_list("pk", "institute_id", "enterprise_rate")
    )
    enterprises = list(
        Organization.objects.filter(kind="enterprise", slug__startswith="bench-ent-").values_list("pk", flat=True)
    )
    user_id = User.objects.filter(email="buyer@microsense.example.com").values_list("pk", flat=True).first()
    per_instrument = max(1, target // len(instruments))
    now = datetime.now(tz()).replace(minute=0, second=0, microsecond=0)
    today = now.replace(hour=0)
    columns = (
        'instrument_id, institute_id, enterprise_id, user_id, start, "end", status, purpose, tier, hourly_rate, '
        "subsidy_percent, hours, price_amount, currency, confirmation_reference, note, created_at, updated_at, "
        "organization_id, charge_code, kind, unit, seats, blocked_start, blocked_end"
    )
    bar = progress(target, "bookings", have)
    # Slot k of an instrument: future slots on distinct days ahead, past ones on distinct days behind.
    future_slots = max(1, per_instrument // 5)
    done = have // per_instrument  # whole instruments already loaded
    rows = []

    def flush():
        if not rows:
            return
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    with cursor.cursor.copy(f"COPY equipment_booking ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            else:
                Booking.objects.bulk_create(
                    [
                        Booking(
                            instrument_id=r[0],
                            institute_id=r[1],
                            enterprise_id=r[2],
                            organization_id=r[18],
                            user_id=r[3],
                            start=r[4],
                            end=r[5],
                            status=r[6],
                            purpose=r[7],
                            tier=r[8],
                            hourly_rate=r[9],
                            subsidy_percent=r[10],
                            hours=r[11],
                            price_amount=r[12],
                            currency=r[13],
                            blocked_start=r[4],
                            blocked_end=r[5],
                        )
                        for r in rows
                    ],
                    batch_size=1000,
                )
        bar.update(len(rows))
        rows.clear()

    for pk, institute_id, rate in instruments[done:]:
        if have >= target:
            break
        for k in range(min(per_instrument, target - have)):
            if k < future_slots:
                day = today + timedelta(days=2 + 3 * k + rng.randint(0, 2))
                status = rng.choice(("requested", "approved", "confirmed"))
            else:
                day = today - timedelta(days=60 * (k - future_slots) + rng.randint(1, 50))
                status = rng.choice(("completed", "completed", "completed", "cancelled"))
            hours = rng.randint(1, 6)
            start = day.replace(hour=rng.randint(8, 20 - hours))
            end = start + timedelta(hours=hours)
            price = Decimal(rate) * hours
            enterprise_id = rng.choice(enterprises)
            rows.append(
                (
                    pk, institute_id, enterprise_id, user_id, start, end, status, "bench", "enterprise",
                    rate, Decimal(0), Decimal(hours), price, "CNY", "", "", now, now, enterprise_id, "",
                    "use", "hour", 1, start, end,
                )
            )  # fmt: skip
            have += 1
        if len(rows) >= 50_000:
            flush()
    flush()
    bar.close()
    return have


def index_pages(rng):
    """Search index entries of the bulk-loaded pages (Wagtail's database backend), in batches."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from wagtail.search.backends import get_search_backend
    from wagtail.search.models import IndexEntry

    from equipment.models import InstrumentPage
    from ip_listings.models import ResultPage

    if connection.vendor == "postgresql":
        return index_pages_sql()
    backend = get_search_backend()
    for model, related in ((InstrumentPage, ()), (ResultPage, ("keywords", "inventors"))):
        ct = ContentType.objects.get_for_model(model)
        indexed = set(IndexEntry.objects.filter(content_type=ct).values_list("object_id", flat=True))
        todo = [
            pk
            for pk in model.objects.filter(institute__slug__startswith=BENCH_PREFIX).values_list("pk", flat=True)
            if str(pk) not in indexed
        ]
        if not todo:
            continue
        bar = progress(len(todo), f"search index ({model._meta.model_name})")
        for i in range(0, len(todo), 2000):
            chunk = todo[i : i + 2000]
            objs = list(model.objects.filter(pk__in=chunk).prefetch_related(*related))
            backend.add_bulk(model, objs)
            bar.update(len(chunk))
        bar.close()


def index_pages_sql():
    """The same index entries as the PostgreSQL search backend writes (a weighted tsvector of the title,
    of the other search fields and of the autocomplete fields, plus their plain text), computed by one
    INSERT … SELECT per model instead of one Python indexer per page (minutes instead of an hour)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from modelsearch.backends.database.postgres.weights import get_weight
    from modelsearch.index import AutocompleteField, SearchField
    from wagtail.search.backends import get_search_backend
    from wagtail.search.models import IndexEntry

    from equipment.models import InstrumentPage
    from ip_listings.models import ResultPage

    backend = get_search_backend()
    config = f"'{backend.config}', " if backend.config else ""
    auto_config = f"'{backend.autocomplete_config}', " if backend.autocomplete_config else ""
    table = IndexEntry._meta.db_table
    for model in (InstrumentPage, ResultPage):
        columns = {f.name: f"{f.model._meta.db_table}.{f.column}" for f in model._meta.concrete_fields}
        title, body, auto, title_text, body_text = [], [], [], [], []
        for field in model.get_search_fields():
            column = columns.get(field.field_name)
            if column is None:
                continue  # related fields: the bulk-loaded pages have no keywords or inventors
            value = f"coalesce({column}, '')"
            if isinstance(field, SearchField):
                vector = f"setweight(to_tsvector({config}{value}), '{get_weight(field.boost)}')"
                (title if field.field_name == "title" else body).append(vector)
                (title_text if field.field_name == "title" else body_text).append(value)
            elif isinstance(field, AutocompleteField):
                auto.append(f"setweight(to_tsvector({auto_config}{value}), 'D')")
        ct = ContentType.objects.get_for_model(model)
        sql = f"""
            INSERT INTO {table}
                (content_type_id, object_id, title, autocomplete, body, title_norm, title_text, body_text)
            SELECT {ct.pk}, wagtailcore_page.id::text, {" || ".join(title)}, {" || ".join(auto)},
                   {" || ".join(body)}, 1.0,
                   concat_ws(' ', {", ".join(title_text)}), concat_ws(' ', {", ".join(body_text)})
            FROM wagtailcore_page
            JOIN {model._meta.db_table} ON {model._meta.db_table}.page_ptr_id = wagtailcore_page.id
            WHERE NOT EXISTS (SELECT 1 FROM {table} e WHERE e.content_type_id = {ct.pk}
                              AND e.object_id = wagtailcore_page.id::text)
        """
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql)
            print(f"search index: {cursor.rowcount:,} {model._meta.model_name} pages "
                  f"in {time.perf_counter() - t0:.0f} s", flush=True)  # fmt: skip
    backend.get_index_for_model(InstrumentPage)._refresh_title_norms(full=True)


def load(scale, reload=False):
    from django.db import connection

    sizes = SCALES[scale]
    if reload:
        empty_scale()
    t0 = time.perf_counter()
    ensure_base()
    rng = random.Random(SEED)
    institutes = bench_institutes()
    if connection.vendor == "postgresql":
        # Generated rows are consistent by construction: skip the per-row foreign-key triggers while
        # loading, as pg_restore --disable-triggers does (check and exclusion constraints still apply).
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
    load_instruments(sizes["listings"], institutes, rng)
    load_results(sizes["listings"], institutes, rng)
    load_bookings(sizes["bookings"], rng)
    index_pages(rng)
    from bench import ledger_dashboard

    ledger_institutes, enterprises, instruments = ledger_dashboard.ensure_domain()
    ledger_dashboard.load_rows(sizes["ledger"], ledger_institutes, enterprises, instruments)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("ANALYZE")
    return time.perf_counter() - t0


# --- measuring -----------------------------------------------------------------------------------------


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# A browser's User-Agent, so that listing views are counted as for a person (bots are not counted).
BROWSER = {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"}


def timed_requests(client, make_request, runs, expect=(200,), before=None):
    """(median ms, p95 ms, queries, query counts seen) over `runs` requests after one warm-up; `before()`,
    if given, runs ahead of each request, untimed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = make_request(-1)
    assert response.status_code in expect, (response.status_code, getattr(response, "url", ""))
    times, counts = [], set()
    for i in range(runs):
        if before:
            before()
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = make_request(i)
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)
            elapsed = (time.perf_counter() - t0) * 1000
        assert response.status_code in expect, (response.status_code, getattr(response, "url", ""))
        times.append(elapsed)
        counts.add(len(ctx.captured_queries))
    return {
        "median": statistics.median(times),
        "p95": percentile(times, 0.95),
        "queries": max(counts),
        "queries_seen": sorted(counts),
    }


def free_slots(instrument, count):
    """`count` distinct one-hour slots of `instrument` free of bookings, from the third day on."""
    from equipment.models import ACTIVE_STATUSES, Booking

    today = datetime.now(tz()).replace(hour=0, minute=0, second=0, microsecond=0)
    busy = list(
        Booking.objects.filter(instrument=instrument, status__in=ACTIVE_STATUSES, end__gt=today).values_list(
            "start", "end"
        )
    )
    slots = []
    for day in range(3, 85):
        date = today + timedelta(days=day)
        if date.weekday() >= 5:
            continue
        for hour in range(8, 20):
            start = date.replace(hour=hour)
            end = start + timedelta(hours=1)
            if any(s < end and e > start for s, e in busy):
                continue
            slots.append((start, end))
            if len(slots) == count:
                return slots
    raise RuntimeError("no free slots left on the booking instrument; run with --reload")


def cases():
    """(name, method, path or factory, login, expected status) of every row of the table."""
    from django.conf import settings

    from equipment.models import InstrumentCategory, InstrumentPage
    from marketplace.accounts.models import Organization

    instrument = (
        InstrumentPage.objects.filter(institute__slug=f"{BENCH_PREFIX}0", booking_mode="assisted")
        .order_by("pk")
        .first()
    )
    category = InstrumentCategory.objects.filter(slug="electron-optics").first() or InstrumentCategory.objects.first()
    institute = Organization.objects.get(slug=f"{BENCH_PREFIX}0")
    today = datetime.now(tz()).date()
    next_week = today + timedelta(days=7 - today.weekday())
    static = settings.STATIC_URL + "css/site.css"
    if not (ROOT / "marketplace" / "static" / "css" / "site.css").exists():
        static = settings.STATIC_URL + "wagtailadmin/css/core.css"
    facets = f"kind=instrument&category={category.slug}&max_rate=2000&city=北京"
    return instrument, [
        ("static file (reference)", static, None),
        ("home page", "/", None),
        ("/instruments/", "/instruments/", None),
        ("/instruments/ search", "/instruments/?q=microscope", None),
        ("/instruments/ search 中文", "/instruments/?q=显微镜", None),
        ("/instruments/ facets", f"/instruments/?{facets}", None),
        ("/instruments/ page 50", "/instruments/?page=50", None),
        ("/results/", "/results/", None),
        ("/results/ search", "/results/?q=alloy", None),
        ("/results/ facets", "/results/?kind=invention_patent&trl_min=4&trl_max=7&express=on", None),
        ("/results/ page 50", "/results/?page=50", None),
        ("instrument page + week", f"{instrument.url}?week={next_week.isoformat()}", None),
        ("instrument page + week, signed in", f"{instrument.url}?week={next_week.isoformat()}",
         "buyer@microsense.example.com"),
        ("booking form (GET, signed in)", f"/equipment/book/{instrument.pk}/", "buyer@microsense.example.com"),
        ("create booking (POST)", "BOOK", "buyer@microsense.example.com"),
        ("TTO dashboard, one institute", f"/admin/transfer-statistics/?institute={institute.pk}&year=2025",
         "tto@bench-0.example.com"),
        ("TTO dashboard, all institutes", "/admin/transfer-statistics/?institute=all&year=2025",
         "admin@example.com"),
    ]  # fmt: skip


# Public rows measured again with every cache empty before each request (the first visitor after a
# publication), and as an anonymous visitor's page from the page cache.
COLD_ROWS = ("/instruments/", "/instruments/ search 中文", "/results/", "/results/ search")
CACHED_PAGE_ROWS = (
    "home page",
    "/instruments/",
    "/instruments/ search",
    "/instruments/ facets",
    "/results/",
    "/results/ facets",
    "instrument page + week",
)


def measure(runs):
    """Every row rendered by the view (cached counts and facet choices warm, no page cache, as for a
    signed-in visitor), then the cold and cached-page variants of the public rows."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client
    from django.urls import reverse

    instrument, rows = cases()
    User = get_user_model()
    results = {}
    page_cache_seconds = settings.PAGE_CACHE_SECONDS
    settings.PAGE_CACHE_SECONDS = 0
    variants = [(name, path, login, None) for name, path, login in rows]
    paths = {name: path for name, path, _ in rows}
    variants += [(f"{name} · cold caches", paths[name], None, cache.clear) for name in COLD_ROWS]
    variants += [(f"{name} · cached page", paths[name], None, "page") for name in CACHED_PAGE_ROWS]
    for name, path, login, before in variants:
        settings.PAGE_CACHE_SECONDS = page_cache_seconds if before == "page" else 0
        before = None if before == "page" else before
        client = Client()
        if login:
            client.force_login(User.objects.get(email=login))
        if path == "BOOK":
            # One buyer posts runs + 1 requests: the per-enterprise limit of open requests (5 by default)
            # would refuse the sixth; the row measures the booking path, so the limit is lifted here.
            settings.BOOKING_MAX_OPEN_REQUESTS_PER_INSTRUMENT = 0
            slots = free_slots(instrument, runs + 1)
            url = reverse("equipment:book", args=[instrument.pk])

            def make_request(i, slots=slots, url=url, client=client):
                start, end = slots[i + 1]
                return client.post(
                    url,
                    {"date": start.date().isoformat(), "start_time": f"{start:%H:%M}", "end_time": f"{end:%H:%M}"},
                )

            results[name] = timed_requests(client, make_request, runs, expect=(302,))
        else:
            results[name] = timed_requests(
                client, lambda i, path=path, client=client: client.get(path, **BROWSER), runs, before=before
            )
        r = results[name]
        print(f"  {name:<46} {r['median']:>9.1f} {r['p95']:>9.1f} {r['queries']:>5}", flush=True)
    settings.PAGE_CACHE_SECONDS = page_cache_seconds
    return results


def counts():
    from equipment.models import Booking, InstrumentPage
    from ip_listings.models import ResultPage
    from marketplace.statistics.models import TransferEvent

    return {
        "instruments": InstrumentPage.objects.live().count(),
        "results": ResultPage.objects.live().count(),
        "bookings": Booking.objects.count(),
        "ledger rows": TransferEvent.objects.count(),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reload", action="store_true", help="empty this scale's database and load it again")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    setup()
    from django.conf import settings

    scale = settings.BENCH_SCALE
    print(f"scale {scale} · {settings.BENCH_DATABASE}", flush=True)
    load_seconds = load(scale, reload=args.reload)
    found = counts()
    print(f"loaded in {load_seconds:.0f} s: " + ", ".join(f"{v:,} {k}" for k, v in found.items()), flush=True)
    print(f"  {'row':<46} {'median ms':>9} {'p95 ms':>9} {'SQL':>5}")
    results = measure(args.runs)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"scale": scale, "database": settings.BENCH_DATABASE, "counts": found, "load_seconds": load_seconds,
                 "runs": args.runs, "rows": results},
                indent=1, ensure_ascii=False,
            )
        )  # fmt: skip
    return results


if __name__ == "__main__":
    main()
