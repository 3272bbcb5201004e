"""Smoke run of the site as the README deploys it: gunicorn under production settings, PostgreSQL, Redis.

    python bench/smoke_production.py        (make smoke; run by .ci/run)

A fresh PostgreSQL database (SMOKE_PG_URL, default mk_smoke at 127.0.0.1, dropped and recreated) is migrated
under marketplace.settings.production with SECRET_KEY, ALLOWED_HOSTS and REDIS_URL set (SMOKE_REDIS_URL,
default database 6 of the local Redis, flushed first), seeded with the demo data (seed_demo runs under the dev
settings against the same database: it refuses production settings), and static files are collected. gunicorn
(2 workers × 2 threads) then serves marketplace.wsgi. Requests carry X-Forwarded-Proto: https, which the
production settings trust, so the HTTPS redirect, secure cookies and CSRF origin checks apply as behind the
documented proxy.

The walk: anonymous visitors read the catalogue (home, instrument browse and search, an instrument page, the
public figures) twice, so cached pages are served; a buyer signs in, books a free slot of an instrument,
the facility manager approves it if needed, the buyer chooses to pay by invoice and opens the invoice, the
facility manager marks it paid; the booking is then confirmed; the institute's TTO reads the Wagtail
dashboard, the transfer statistics dashboard and its exports and the payment statement; a visitor reads the
instrument page again. Exits non-zero on any 5xx, on any unexpected answer, or on a traceback in the
server log.
"""

import http.client
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from gunicorn_server import ServerError, start_gunicorn, stop  # bench/, the script's own folder

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_URL = os.environ.get("SMOKE_PG_URL", "postgres://postgres@127.0.0.1:5432/mk_smoke")
REDIS_URL = os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/6")
PASSWORD = "demo-pass-2026"
BUYER = "buyer@microsense.example.com"
MANAGER = "manager@east.example.com"
TTO = "tto@east.example.com"


class SmokeError(Exception):
    pass


def production_env(workdir):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="marketplace.settings.production",
        SECRET_KEY="smoke-" + secrets.token_urlsafe(48),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=PG_URL,
        REDIS_URL=REDIS_URL,
        STATIC_ROOT=str(workdir / "static"),
        MEDIA_ROOT=str(workdir / "media"),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
    )
    return env


def fresh_database():
    import psycopg

    name = PG_URL.rsplit("/", 1)[1]
    with psycopg.connect(PG_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def flush_redis():
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def manage(env, *args):
    print("  manage.py", *args, flush=True)
    done = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SmokeError(f"manage.py {' '.join(args)} failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}")


PICK_BOOKING = """
import json
from datetime import timedelta
from django.utils import timezone
from equipment import selectors
from equipment.models import BookingMode, InstrumentPage
from marketplace.accounts.models import Membership, Role
mgr = Membership.objects.get(user__email=MANAGER_EMAIL, role=Role.FACILITY_MANAGER)
ent = Membership.objects.get(user__email=BUYER_EMAIL, role=Role.BUYER).organization
candidates = InstrumentPage.objects.live().filter(institute=mgr.organization, booking_unit="hour").exclude(
    booking_mode=BookingMode.SELF_SERVICE).order_by("pk")
for page in selectors.attach_next_free_slots(candidates):
    if page.next_free_slot:
        start = timezone.localtime(page.next_free_slot)
        end = start + timedelta(minutes=page.min_booking_minutes)
        print(json.dumps({"instrument": page.pk, "url": page.relative_url(None) or page.url, "enterprise": ent.pk,
              "institute": mgr.organization_id, "date": start.strftime("%Y-%m-%d"),
              "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}))
        break
"""


def pick_booking(env):
    """The buyer's enterprise, an instrument of the manager's institute the buyer may book, and its free slot."""
    code = PICK_BOOKING.replace("MANAGER_EMAIL", repr(MANAGER)).replace("BUYER_EMAIL", repr(BUYER))
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    import json

    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise SmokeError("no bookable instrument with a free slot in the demo data")
    return json.loads(lines[-1])


def query(env, code):
    """The last line `manage.py shell -c code` prints (the shell may print a line of its own first)."""
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    return out.strip().splitlines()[-1] if out.strip() else ""


class Browser:
    """One visitor: a cookie jar, requests sent as if through the HTTPS proxy, no redirect following."""

    def __init__(self, port, name, log):
        self.port, self.name, self.log = port, name, log
        self.cookies = {}
        self.origin = f"https://127.0.0.1:{port}"

    def request(self, method, path, data=None, expect=(200,)):
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "X-Forwarded-Proto": "https",
            "Accept-Language": "zh-hans",
            "User-Agent": "smoke-production",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if method == "POST":
            data = dict(data or {})
            data.setdefault("csrfmiddlewaretoken", self.cookies.get("csrftoken", ""))
            body = urlencode(data)
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": self.origin,
                    "Referer": self.origin + path,
                }
            )
        began = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", errors="replace")
        finally:
            conn.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if cookie_value in ('""', "") or "max-age=0" in value.lower():
                    self.cookies.pop(name.strip(), None)
                else:
                    self.cookies[name.strip()] = cookie_value
        ms = (time.perf_counter() - began) * 1000
        location = response.getheader("Location") or ""
        self.log.append((self.name, method, path, response.status, ms))
        print(f"  {self.name:8} {method:4} {path} → {response.status} {location} ({ms:.0f} ms)", flush=True)
        if response.status >= 500:
            raise SmokeError(f"{method} {path} as {self.name} answered {response.status}")
        if response.status not in expect:
            raise SmokeError(f"{method} {path} as {self.name} answered {response.status}, expected {expect}")
        return response.status, location, text

    def get(self, path, expect=(200,)):
        return self.request("GET", path, expect=expect)

    def post(self, path, data, expect=(302,)):
        return self.request("POST", path, data, expect=expect)

    def sign_in(self, email):
        self.get("/accounts/login/")
        status, location, text = self.post(
            "/accounts/login/", {"username": email, "password": PASSWORD}, expect=(302, 200)
        )
        if status != 302:
            raise SmokeError(f"{email} could not sign in")


def local_path(location):
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def walk(port, env, target):
    log = []
    visitor = Browser(port, "visitor", log)
    # A plain-HTTP request is sent to HTTPS (the production redirect), through the proxy header it is served.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/", headers={"Host": f"127.0.0.1:{port}"})
    plain = conn.getresponse()
    plain.read()
    conn.close()
    if plain.status != 301 or not (plain.getheader("Location") or "").startswith("https://"):
        raise SmokeError(f"plain HTTP answered {plain.status}, expected a 301 to HTTPS")
    catalogue = ["/", "/instruments/", "/instruments/?q=%E6%98%BE%E5%BE%AE%E9%95%9C", target["url"], "/stats/"]
    for _round in range(2):  # the second round is served from the caches (Redis)
        for path in catalogue:
            visitor.get(path)

    buyer = Browser(port, "buyer", log)
    buyer.sign_in(BUYER)
    buyer.get(target["url"])
    book = f"/equipment/book/{target['instrument']}/"
    buyer.get(book)
    _status, location, _ = buyer.post(
        book,
        {
            "enterprise": target["enterprise"],
            "date": target["date"],
            "start_time": target["start"],
            "end_time": target["end"],
            "purpose": "smoke run: XRD of three powder samples",
        },
    )
    match = re.search(r"/equipment/bookings/(\d+)/", location)
    if not match:
        raise SmokeError(f"booking POST redirected to {location!r}, not to the booking")
    booking_id = match.group(1)
    buyer.get(f"/equipment/bookings/{booking_id}/")

    manager = Browser(port, "manager", log)
    manager.sign_in(MANAGER)
    manager.get("/equipment/manage/")
    status = query(env, f"from equipment.models import Booking; print(Booking.objects.get(pk={booking_id}).status)")
    if status == "requested":
        manager.post(f"/equipment/manage/bookings/{booking_id}/approve/", {})

    buyer.get(f"/payments/booking/{booking_id}/")
    _status, location, _ = buyer.post(f"/payments/booking/{booking_id}/", {"provider": "invoice"})
    match = re.search(r"/payments/(\d+)/", location)
    if not match:
        raise SmokeError(f"choosing the invoice redirected to {location!r}")
    payment_id = match.group(1)
    buyer.get(f"/payments/{payment_id}/")
    buyer.get(f"/payments/{payment_id}/invoice/")

    manager.get(f"/payments/{payment_id}/")
    manager.post(f"/payments/{payment_id}/mark-paid/", {"reference": "BANK-SMOKE-0001"})
    state = query(
        env,
        "from equipment.models import Booking; from marketplace.payments.models import Payment; "
        f"print(Payment.objects.get(pk={payment_id}).status, Booking.objects.get(pk={booking_id}).status)",
    )
    if state.split() != ["succeeded", "confirmed"]:
        raise SmokeError(f"after marking the invoice paid: payment and booking are {state!r}")
    buyer.get("/equipment/bookings/")
    buyer.get("/payments/")

    tto = Browser(port, "tto", log)
    tto.sign_in(TTO)
    tto.get("/admin/")
    tto.get("/admin/transfer-statistics/")
    for table in ("annual", "instruments"):
        for fmt in ("csv", "xlsx"):
            tto.get(f"/admin/transfer-statistics/export/{table}.{fmt}")
    tto.get("/payments/statements/")
    tto.get(f"/payments/statements/{target['institute']}/")
    tto.get(f"/payments/statements/{target['institute']}/?format=csv")

    visitor.get(target["url"])
    visitor.get("/instruments/")
    return log


def main():
    workdir = Path(tempfile.mkdtemp(prefix="smoke-"))
    env = production_env(workdir)
    server = None
    try:
        print(f"== smoke: production settings, {PG_URL.rsplit('@', 1)[-1]}, {REDIS_URL}", flush=True)
        fresh_database()
        flush_redis()
        manage(env, "migrate", "--no-input")
        manage(env, "compiletranslations")
        manage({**env, "DJANGO_SETTINGS_MODULE": "marketplace.settings.dev"}, "seed_demo", "--no-progress")
        manage(env, "collectstatic", "--no-input")
        manage(env, "check", "--deploy", "--fail-level", "WARNING")
        target = pick_booking(env)
        server, port = start_gunicorn(env, workdir, workers=2, threads=2, wait=60)
        log = walk(port, env, target)
        server_log = (workdir / "gunicorn.log").read_text(errors="replace")
        if "Traceback" in server_log:
            raise SmokeError(f"traceback in the server log {workdir / 'gunicorn.log'}")
        slowest = max(log, key=lambda row: row[4])
        print(f"== smoke passed: {len(log)} requests, no 5xx; slowest {slowest[1]} {slowest[2]} {slowest[4]:.0f} ms")
    except (SmokeError, ServerError, subprocess.CalledProcessError, OSError) as failure:
        print(f"== smoke FAILED: {failure}", file=sys.stderr)
        if (workdir / "gunicorn.log").exists():
            print((workdir / "gunicorn.log").read_text(errors="replace")[-4000:], file=sys.stderr)
        return 1
    finally:
        if server is not None:
            stop(server)
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
