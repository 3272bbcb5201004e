"""Booking under load: many enterprises race for a handful of slots of one instrument.

    python bench/load_booking.py [--backend postgres] [--backend sqlite] [--attempts 1000] [--slots 5]
                                 [--buyers 200] [--workers 4] [--threads 4]

For each backend, in a process of its own: a fresh database (PostgreSQL `mk_load` at LOAD_PG_URL, dropped
and recreated; SQLite a temporary file) is migrated, then filled with one institute, one bookable
instrument (operator-assisted, approved by the facility, open 08:00–20:00 every day) and `--buyers`
enterprises with one verified buyer each, whose sessions are minted directly (the load is on booking, not
on signing in). gunicorn (`--workers` processes × `--threads` threads, settings marketplace.settings.load)
serves the site on a free port of 127.0.0.1. Each buyer fetches the booking form (session, CSRF token), then
all `--attempts` POSTs to /equipment/book/<id>/ are sent at once, spread evenly over the slots.

Checked from the database and the answers: exactly one booking per slot, no two active bookings of the
instrument overlap, no 5xx, and every answer other than the winners' redirect is the form re-rendered
(400) with the "slot taken" message in the buyer's language. Prints one row per backend; exits non-zero
on any violation.
"""

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from itertools import combinations
from pathlib import Path

from gunicorn_server import start_gunicorn, stop  # bench/, the script's own folder

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_URL = os.environ.get("LOAD_PG_URL", "postgres://postgres@127.0.0.1:5432/mk_load")
LANGUAGES = ("zh-hans", "en")
REQUEST_TIMEOUT = 120  # seconds, per request
RUN_TIMEOUT = 480  # seconds, for the whole run (the children are stopped after this)

COLUMNS = [
    ("backend", "backend", "{}"),
    ("workers", "workers", "{}"),
    ("attempts", "attempts", "{}"),
    ("successes", "successes", "{}"),
    ("slot taken", "slot_taken", "{}"),
    ("other 4xx", "other_4xx", "{}"),
    ("5xx", "server_errors", "{}"),
    ("failed", "transport_errors", "{}"),
    ("overlaps", "overlaps", "{}"),
    ("p50 ms", "p50_ms", "{:.0f}"),
    ("p95 ms", "p95_ms", "{:.0f}"),
    ("max ms", "max_ms", "{:.0f}"),
    ("in server p50 ms", "server_p50_ms", "{:.0f}"),
    ("in server p95 ms", "server_p95_ms", "{:.0f}"),
    ("req/s", "throughput", "{:.1f}"),
]


# --- one backend (child process) -------------------------------------------------------------------


def fresh_database(backend, workdir):
    if backend == "postgres":
        import psycopg

        name = PG_URL.rsplit("/", 1)[1]
        with psycopg.connect(PG_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return PG_URL
    return f"sqlite:///{workdir / 'load.sqlite3'}"


def build_world(buyers, slots):
    """The institute, its instrument, the enterprises with their buyers, and a session for each buyer."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from cms.models import InstitutePage
    from equipment.models import BookingMode, InstrumentCategory, InstrumentPage, OpeningHours
    from marketplace.accounts.models import Membership, Organization, Role
    from marketplace.accounts.services import add_membership, create_institute

    institute = create_institute(name="负载测试研究院", name_en="Load Test Institute", slug="load-test", city="上海")
    manager = get_user_model().objects.create_user("manager@load.example.com", "manager@load.example.com", "x")
    add_membership(manager, institute, Role.FACILITY_MANAGER)
    instrument = InstrumentPage(
        title="场发射扫描电子显微镜",
        title_en="Field-emission SEM",
        slug="load-sem",
        category=InstrumentCategory.objects.get(slug="electron-optics"),
        booking_mode=BookingMode.ASSISTED,
        auto_approve=False,
        purchase_price=Decimal("3000000.00"),
        service_life_years=10,
        annual_maintenance=Decimal("120000.00"),
        annual_staff_share=Decimal("80000.00"),
        planned_hours_per_year=2000,
        consumables_per_hour=Decimal("35.50"),
        utilities_per_hour=Decimal("12.25"),
        operator_per_hour=Decimal("60.00"),
        slot_minutes=60,
        min_booking_minutes=60,
        max_booking_minutes=480,
        min_notice_hours=24,
        horizon_days=90,
        cancellation_window_hours=48,
        opening_hours=[OpeningHours(weekday=d, opens=dtime(8), closes=dtime(20)) for d in range(7)],
    )
    InstitutePage.objects.get(organization=institute).add_child(instance=instrument)
    instrument.save_revision().publish()

    enterprises = Organization.objects.bulk_create(
        Organization(
            kind=Organization.Kind.ENTERPRISE,
            name=f"负载企业{i:03d}有限公司",
            name_en=f"Load Enterprise {i:03d}",
            slug=f"load-enterprise-{i:03d}",
            size_class=Organization.SizeClass.SMALL,
            city="苏州",
        )
        for i in range(buyers)
    )
    User = get_user_model()
    password = make_password(None)  # unusable: these buyers never sign in with a password
    users = User.objects.bulk_create(
        User(
            username=f"buyer{i:03d}@load.example.com",
            email=f"buyer{i:03d}@load.example.com",
            password=password,
            is_active=True,  # verified, as after the emailed link
            email_verified_at=timezone.now(),
            preferred_language=LANGUAGES[i % 2],
        )
        for i in range(buyers)
    )
    Membership.objects.bulk_create(
        Membership(user=u, organization=e, role=Role.BUYER) for u, e in zip(users, enterprises, strict=True)
    )
    users = list(User.objects.filter(username__startswith="buyer").order_by("username"))
    sessions = []
    for user in users:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "marketplace.accounts.backends.EmailOrUsernameBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions.append(store.session_key)

    day = timezone.localdate() + timedelta(days=3)
    starts = [timezone.make_aware(datetime.combine(day, dtime(9 + i))) for i in range(slots)]
    return instrument.pk, sessions, [(s, s + timedelta(hours=1)) for s in starts]


async def fetch_forms(base, instrument_id, sessions):
    """Each buyer opens the booking form: its CSRF cookie and token, in its language."""
    import aiohttp

    tokens = [None] * len(sessions)
    semaphore = asyncio.Semaphore(16)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as client:

        async def one(i):
            cookie = f"sessionid={sessions[i]}; language={LANGUAGES[i % 2]}"
            async with (
                semaphore,
                client.get(f"{base}/equipment/book/{instrument_id}/", headers={"Cookie": cookie}) as r,
            ):
                html = await r.text()
                if r.status != 200:
                    raise SystemExit(f"booking form answered {r.status} for buyer {i}")
                csrf_cookie = r.cookies["csrftoken"].value
                token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
                tokens[i] = (f"{cookie}; csrftoken={csrf_cookie}", token)

        await asyncio.gather(*(one(i) for i in range(len(sessions))))
    return tokens


async def fire(base, instrument_id, tokens, slots, attempts):
    """All attempts at once: attempt k is buyer k mod buyers on slot k mod slots."""
    import aiohttp
    from django.utils import timezone

    url = f"{base}/equipment/book/{instrument_id}/"
    results = [None] * attempts
    go = asyncio.Event()
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.DummyCookieJar(), connector=connector, timeout=timeout
    ) as client:

        async def one(k):
            buyer = k % len(tokens)
            cookie, token = tokens[buyer]
            start, end = slots[k % len(slots)]
            local_start, local_end = timezone.localtime(start), timezone.localtime(end)
            data = {
                "csrfmiddlewaretoken": token,
                "date": local_start.strftime("%Y-%m-%d"),
                "start_time": local_start.strftime("%H:%M"),
                "end_time": local_end.strftime("%H:%M"),
                "purpose": f"load attempt {k}",
            }
            await go.wait()
            began = time.perf_counter()
            try:
                async with client.post(url, data=data, headers={"Cookie": cookie}, allow_redirects=False) as r:
                    body = await r.text()
                    results[k] = (r.status, body, time.perf_counter() - began, buyer)
            except (aiohttp.ClientError, TimeoutError) as error:
                results[k] = (None, repr(error), time.perf_counter() - began, buyer)

        tasks = [asyncio.create_task(one(k)) for k in range(attempts)]
        await asyncio.sleep(0.2)  # every task is waiting at the start line
        began = time.perf_counter()
        go.set()
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - began
    return results, wall


def slot_taken_messages():
    from django.utils import translation

    from equipment.availability import slot_taken_message

    messages = {}
    for language in LANGUAGES:
        with translation.override(language):
            messages[language] = str(slot_taken_message())
    return messages


def check(results, wall, instrument_id, slots, messages):
    from equipment.models import ACTIVE_STATUSES, Booking

    row = {"attempts": len(results), "successes": 0, "slot_taken": 0, "other_4xx": 0, "server_errors": 0}
    row["transport_errors"] = 0
    problems, samples = [], []
    for status, body, _elapsed, buyer in results:
        if status is None:
            row["transport_errors"] += 1
            samples.append(f"no answer: {body[:200]}")
        elif status == 302:
            row["successes"] += 1
        elif status >= 500:
            row["server_errors"] += 1
            samples.append(f"{status}: {body[:200]}")
        elif status == 400 and messages[LANGUAGES[buyer % 2]] in body:
            row["slot_taken"] += 1
        else:
            row["other_4xx"] += 1
            found = re.findall(r'<ul class="errorlist[^"]*">(.*?)</ul>', body, re.S)
            samples.append(f"{status}: {' | '.join(found)[:300] or body[:200]}")

    active = Booking.objects.filter(instrument_id=instrument_id, status__in=ACTIVE_STATUSES)
    per_slot = [active.filter(start=start, end=end).count() for start, end in slots]
    periods = list(active.values_list("start", "end"))
    row["overlaps"] = sum(1 for (s1, e1), (s2, e2) in combinations(periods, 2) if s1 < e2 and s2 < e1)
    row["bookings"] = active.count()

    latencies = sorted(elapsed * 1000 for status, _b, elapsed, _buyer in results if status is not None)
    if latencies:
        row["p50_ms"] = statistics.median(latencies)
        row["p95_ms"] = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
        row["max_ms"] = latencies[-1]
    else:
        row["p50_ms"] = row["p95_ms"] = row["max_ms"] = 0.0
    row["throughput"] = len(results) / wall if wall else 0.0
    row["wall_s"] = wall

    if per_slot != [1] * len(slots):
        problems.append(f"active bookings per slot {per_slot}, expected exactly one each")
    if row["bookings"] != len(slots) or row["successes"] != len(slots):
        problems.append(f"{row['bookings']} bookings and {row['successes']} successes for {len(slots)} slots")
    if row["overlaps"]:
        problems.append(f"{row['overlaps']} overlapping pairs of active bookings")
    if row["server_errors"]:
        problems.append(f"{row['server_errors']} server errors")
    if row["transport_errors"]:
        problems.append(f"{row['transport_errors']} requests without an answer")
    if row["other_4xx"]:
        problems.append(f"{row['other_4xx']} answers neither a booking nor 'slot taken'")
    row["problems"] = problems
    row["samples"] = samples[:5]
    return row


def run_one(args):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    workdir = Path(tempfile.mkdtemp(prefix=f"load-{args.one}-"))
    os.environ["DATABASE_URL"] = fresh_database(args.one, workdir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "marketplace.settings.load"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    timings = {}
    began = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    timings["migrate_s"] = time.perf_counter() - began
    began = time.perf_counter()
    instrument_id, sessions, slots = build_world(args.buyers, args.slots)
    messages = slot_taken_messages()
    timings["data_s"] = time.perf_counter() - began
    say = f"  {args.one}:"
    print(f"{say} migrated in {timings['migrate_s']:.0f} s, data in {timings['data_s']:.0f} s", flush=True)
    connection.close()  # the server's workers get the database to themselves

    # Databases are prepared side by side; the servers run one after the other, alone on the machine.
    Path(f"{args.barrier}.ready").touch()
    while not Path(f"{args.barrier}.go").exists():
        time.sleep(0.1)
    server, port = start_gunicorn(
        os.environ.copy(),
        workdir,
        workers=args.workers,
        threads=args.threads,
        extra=("--backlog", "2048", "--access-logfile", "-", "--access-logformat", "%(m)s %(s)s %(D)s"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        began = time.perf_counter()
        tokens = asyncio.run(fetch_forms(base, instrument_id, sessions))
        print(f"{say} {len(tokens)} booking forms fetched in {time.perf_counter() - began:.1f} s", flush=True)
        results, wall = asyncio.run(fire(base, instrument_id, tokens, slots, args.attempts))
    finally:
        stop(server)
    row = check(results, wall, instrument_id, slots, messages)
    server_log = (workdir / "gunicorn.log").read_text(errors="replace")
    # Time spent in the server (from the access log), without the wait in the listen queue.
    served = sorted(
        int(micro) / 1000 for method, micro in re.findall(r"^(\w+) \d+ (\d+)$", server_log, re.M) if method == "POST"
    )
    if served:
        row["server_p50_ms"] = statistics.median(served)
        row["server_p95_ms"] = served[min(len(served) - 1, int(len(served) * 0.95))]
    row.update(
        timings,
        backend="PostgreSQL" if args.one == "postgres" else "SQLite",
        workers=f"{args.workers}×{args.threads}",
        locked=server_log.count("database is locked"),
        log=str(workdir / "gunicorn.log"),
    )
    if args.one == "sqlite":
        os.remove(workdir / "load.sqlite3")
    Path(args.json).write_text(json.dumps(row))


# --- driver ---------------------------------------------------------------------------------------


def print_table(rows):
    if not rows:
        return
    header = [title for title, _key, _fmt in COLUMNS]
    lines = [[fmt.format(row.get(key, "")) for _title, key, fmt in COLUMNS] for row in rows]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in lines:
        print("| " + " | ".join(v.rjust(w) for v, w in zip(line, widths, strict=True)) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", action="append", choices=["postgres", "sqlite"])
    parser.add_argument("--attempts", type=int, default=1000)
    parser.add_argument("--slots", type=int, default=5)
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--one", choices=["postgres", "sqlite"], help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    parser.add_argument("--barrier", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        return run_one(args)

    backends = list(dict.fromkeys(args.backend or ["postgres", "sqlite"]))
    workdir = Path(tempfile.mkdtemp(prefix="load-"))
    children = {}
    began = time.perf_counter()
    for backend in backends:
        command = [PYTHON, __file__, "--one", backend]
        command += ["--json", str(workdir / f"{backend}.json"), "--barrier", str(workdir / backend)]
        for name in ("attempts", "slots", "buyers", "workers", "threads"):
            command += [f"--{name}", str(getattr(args, name))]
        children[backend] = subprocess.Popen(command)
    deadline = time.monotonic() + RUN_TIMEOUT
    rows, failed = [], False
    try:
        for backend, child in children.items():
            while not (workdir / f"{backend}.ready").exists() and child.poll() is None:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{backend}: not ready in {RUN_TIMEOUT} s")
                time.sleep(0.2)
        print(f"databases ready in {time.perf_counter() - began:.0f} s", flush=True)
        for backend, child in children.items():
            (workdir / f"{backend}.go").touch()
            if child.wait(timeout=max(1, deadline - time.monotonic())) != 0:
                print(f"{backend}: the run failed (exit {child.returncode})", file=sys.stderr)
                failed = True
                continue
            row = json.loads((workdir / f"{backend}.json").read_text())
            rows.append(row)
            print(
                f"{row['backend']}: {row['bookings']} bookings for {args.slots} slots; burst {row['wall_s']:.1f} s; "
                f"'database is locked' in the server log: {row['locked']}",
                flush=True,
            )
            for problem in row["problems"]:
                print(f"  VIOLATION: {problem}")
                failed = True
            for sample in row["samples"]:
                print(f"  e.g. {sample}")
    except (TimeoutError, subprocess.TimeoutExpired) as error:
        print(f"stopped: {error}", file=sys.stderr)
        failed = True
    finally:
        for child in children.values():
            if child.poll() is None:
                child.terminate()
                child.wait()
    print(f"whole run {time.perf_counter() - began:.0f} s")
    print()
    print_table(rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
