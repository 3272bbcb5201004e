"""No input gives a 500: a property-based walk over every URL pattern of the project.

For each URL pattern (enumerated from the resolver, as the access matrix does, so a new view is covered
without a new test) hypothesis draws a role (anonymous, buyer, facility manager, TTO officer, staff), URL
kwargs (the real ids of the security world's objects, and garbage: NUL bytes, quotes, huge and negative
numbers, enormous strings), a method, and values for every parameter the view reads: the names of the
fields and links of the page it renders, the fields of the form classes its code uses, and the
`request.GET` / `request.POST` keys its code reads. Values are hostile (quotes, NUL, year 1 and 9999,
numbers beyond any range, NaN, empty, enormous, unicode and bidi controls) or valid (the options of the
page's own <select>s, dates and times that fit an instrument's opening hours, real ids), so both the
refusal and the success paths run.

The invariant: every answer is a page, a redirect or a 4xx with a body; never a 500 (the test client
re-raises any exception a view lets through). The site search is tested against a built search index
(on SQLite Wagtail's database backend then uses FTS5 MATCH, where a raw quote is a syntax error).
"""

import inspect
import os
import re
from collections import Counter
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import transaction
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import event, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.security.test_access_matrix import FRAMEWORK_MODULES, MATRIX, SKIPPED_PREFIXES

WALK_ROLES = ("anon", "buyer_a", "manager_x", "tto_x", "staff")
# Framework views under a skipped prefix that still take free text from any signed-in person.
FRAMEWORK_WALKED = {"wagtailadmin_pages:search": "the admin's page search (Wagtail's search backend)"}
# Examples per URL pattern: a third of the profile's (ci: 8, thorough: 166), at least 6; WALK_EXAMPLES overrides.
PER_PATTERN = int(os.environ.get("WALK_EXAMPLES") or max(6, hsettings.default.max_examples // 3))

HOSTILE = [
    "",
    " ",
    '"',
    "'",
    '"unterminated',
    "a\x00b",
    "\x00",
    "' OR 1=1 --",
    'NEAR("x" AND',
    "*",
    "%",
    "_",
    "(",
    "-",
    "NaN",
    "nan",
    "Infinity",
    "-inf",
    "-1",
    "0",
    "1e309",
    "9" * 40,
    str(2**63),
    str(-(2**63) - 1),
    "0x10",
    "１２",
    "0001-01-01",
    "9999-12-31",
    "0001-01-01 00:00",
    "9999-12-31 23:59",
    "0000-00-00",
    "2026-02-30",
    "24:00",
    "23:59:60",
    "-5-01",
    "2026-Q5",
    "2026-0",
    "99999-1",
    "<script>alert(1)</script>",
    "\u202eevil",
    "a\u200bb",
    "仪器",
    "🙂",
    "x" * 5000,
]


# Sent in every parameter of every view at once, for each role, before the random examples: the values
# that broke views before (a quote ends an FTS5 term; PostgreSQL refuses NUL; ids beyond 64 bits overflow).
SWEEP = ['"', "a\x00b", str(10**30), "0001-01-01", "9999-12-31", "x" * 5000]
# Sent as every id of the URL (per the converters that accept it), as staff.
SWEEP_IDS = {"9" * 40: ("string", "int"), "１２": ("string",), "a\x00b": ("string",), '"': ("string",)}
SWEEP_ROLES = ("buyer_a", "staff")  # a buyer's views, and every other view (staff may open them all)


def _walk(resolver, prefix="", namespace=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _walk(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            callback = pattern.callback
            module = getattr(getattr(callback, "view_class", None), "__module__", None) or callback.__module__
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield prefix + str(pattern.pattern), name, module, pattern


def walked_patterns():
    """(name, URLPattern) of every pattern the project serves itself, plus FRAMEWORK_WALKED; the same
    selection as the access matrix (framework views under SKIPPED_PREFIXES are the frameworks')."""
    found = {}
    for route, name, module, pattern in _walk(get_resolver()):
        own = not module.startswith(FRAMEWORK_MODULES)
        if not own and name not in FRAMEWORK_WALKED:
            if route.startswith(tuple(SKIPPED_PREFIXES)) or name == "wagtail_serve":
                continue
        if name and name not in found:
            found[name] = pattern
    return sorted(found.items())


PATTERNS = walked_patterns()


# --- what a view reads ---------------------------------------------------------------------------------


class _Fields(HTMLParser):
    """Names of the form fields of a page, the options of its selects, and query keys of its links."""

    def __init__(self):
        super().__init__()
        self.names, self.options, self.link_keys = set(), {}, set()
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag in ("input", "select", "textarea") and name and name != "csrfmiddlewaretoken":
            self.names.add(name)
            if tag == "input" and attrs.get("value") and attrs.get("type") in ("checkbox", "radio", "hidden"):
                self.options.setdefault(name, set()).add(attrs["value"])
        if tag == "select":
            self._select = name
        elif tag == "option" and self._select and attrs.get("value") is not None:
            self.options.setdefault(self._select, set()).add(attrs["value"])
        elif tag == "a" and "?" in (attrs.get("href") or ""):
            self.link_keys.update(key for key, _ in parse_qsl(urlsplit(attrs["href"]).query, keep_blank_values=True))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


_KEY = re.compile(r"""request\.(?:GET|POST|data)(?:\.get|\.getlist)?\s*[\(\[]\s*["']([\w\-]+)["']""")
_PREFIX = re.compile(r"""prefix\s*=\s*["']([\w\-]+)["']""")


def source_fields(pattern):
    """Parameter names the view's code reads: request.GET/POST keys, and the fields of the form classes
    (and filter sets) it names, with any form prefix it uses."""
    callback = pattern.callback
    view = inspect.unwrap(getattr(callback, "view_class", None) or callback)
    try:
        source = inspect.getsource(view)
    except (OSError, TypeError):
        return set()
    names = set(_KEY.findall(source))
    prefixes = set(_PREFIX.findall(source))
    module = inspect.getmodule(view)
    for word in set(re.findall(r"\b([A-Z]\w+)\(", source)):
        cls = getattr(module, word, None)
        fields = getattr(cls, "base_fields", None) or getattr(cls, "base_filters", None)
        if isinstance(cls, type) and fields:
            names.update(fields)
            names.update(f"{prefix}-{field}" for prefix in prefixes for field in fields)
    return names


KNOWN_PARAMS = {"q", "page", "status", "format", "institute", "year", "day", "as", "next", "lang", "sort"}


# --- the world's real URLs -----------------------------------------------------------------------------


def real_kwargs(world):
    """Per pattern name, the kwargs of real objects: every access-matrix entry of that name, and the pages."""
    real = {}
    for entry in MATRIX:
        if entry.kwargs:
            real.setdefault(entry.name, []).append(entry.kwargs(world))
    pages = [
        "",
        world.x.instrument.url,
        world.x.result.url,
        world.x.instrument.get_parent().url,
        world.x.result.get_parent().url,
    ]
    real["page"] = [{"path": (p or "").strip("/") + "/" if p and p.strip("/") else ""} for p in pages]
    return real


@pytest.fixture(scope="module")
def indexed_world(world, django_db_blocker):
    """The world with the site search index built, as a real site has it after `update_index`."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("update_index", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return world


_discovered = {}


def discover(client, world, name, pattern, kwargs_list):
    """What the view reads (see source_fields), plus what its pages render, for each walked role."""
    if name in _discovered:
        return _discovered[name]
    names, options = set(source_fields(pattern)), {}
    for kwargs in kwargs_list[:2] or [{}]:
        url = _reverse(name, kwargs)
        if url is None:
            continue
        for role in WALK_ROLES:
            client.logout()
            if world.users[role] is not None:
                client.force_login(world.users[role])
            with transaction.atomic():
                response = client.get(url)
                transaction.set_rollback(True)
            if response.get("Content-Type", "").startswith("text/html") and not response.streaming:
                parser = _Fields()
                parser.feed(response.content.decode("utf-8", "replace"))
                names |= parser.names | parser.link_keys
                for key, values in parser.options.items():
                    options.setdefault(key, set()).update(values)
    client.logout()
    _discovered[name] = (sorted(names), {key: sorted(values) for key, values in options.items()})
    return _discovered[name]


def _reverse(name, kwargs):
    if name == "page":
        return "/" + kwargs["path"]
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


# --- strategies ----------------------------------------------------------------------------------------


def _valid_values():
    """Values a real user sends: near dates, times on the hour, small ids, the site's choices."""
    today = timezone.localdate()
    days = st.integers(min_value=-30, max_value=60).map(lambda n: (today + timedelta(days=n)).isoformat())
    hours = st.integers(min_value=0, max_value=23).map(lambda h: f"{h:02d}:00")
    return st.one_of(
        days,
        hours,
        st.builds(lambda d, h: f"{d} {h}", days, hours),
        st.integers(min_value=0, max_value=40).map(str),
        st.sampled_from(["on", "csv", "xlsx", "1", "en", "zh-hans", "worldwide", "non_exclusive", "invoice"]),
        st.sampled_from(["12345.00", "0.01", "12", "2026-4", "requested", "discussion", "approve"]),
    )


hostile_values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=60),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.floats().map(str),
    st.dates().map(str),
)


def _garbage_kwarg(converter):
    if converter == "int":
        return st.one_of(st.integers(min_value=0, max_value=2**80), st.sampled_from([0, 2**63, 10**30]))
    if converter == "slug":
        return st.one_of(
            st.sampled_from(["x", "approve", "a-b", "9" * 40]), st.from_regex(r"[a-z0-9\-]{1,30}", fullmatch=True)
        )
    text = st.one_of(st.sampled_from(HOSTILE), st.text(min_size=1, max_size=40), st.integers(-(2**70), 2**70).map(str))
    return text.filter(lambda s: s and "/" not in s and "\\" not in s and s not in (".", ".."))


def _converters(pattern):
    return {
        key: type(conv).__name__.replace("Converter", "").lower() for key, conv in pattern.pattern.converters.items()
    }


@st.composite
def requests_for(draw, name, pattern, real, fields, options):
    role = draw(st.sampled_from(WALK_ROLES))
    kwargs_choices = real.get(name, [])
    converters = _converters(pattern)
    if kwargs_choices and (not converters or draw(st.integers(0, 2))):
        kwargs = dict(draw(st.sampled_from(kwargs_choices)))
        if converters and draw(st.booleans()):  # one real id replaced by garbage
            key = draw(st.sampled_from(sorted(converters)))
            kwargs[key] = draw(_garbage_kwarg(converters[key]))
        event("real URL")
    elif converters:
        kwargs = {key: draw(_garbage_kwarg(conv)) for key, conv in converters.items()}
        event("garbage URL")
    else:
        kwargs = dict(kwargs_choices[0]) if kwargs_choices else {}
    method = draw(st.sampled_from(["GET", "POST"]))
    data = {}
    for field in fields:
        kind = draw(st.integers(0, 3))
        if kind == 0:
            continue  # absent
        if kind == 1 and options.get(field):
            data[field] = draw(st.sampled_from(options[field]))
        elif kind == 2:
            data[field] = draw(_valid_values())
        else:
            data[field] = draw(hostile_values)
    return role, kwargs, method, data


# --- the walk ------------------------------------------------------------------------------------------


def test_the_walk_covers_every_url_pattern_of_the_project():
    """The walk's selection is the access matrix's: every pattern of the project's own code."""
    names = {name for name, _ in PATTERNS}
    framework_entries = {"wagtailadmin_pages:edit", "wagtailadmin_explore"}  # in the matrix, Wagtail's own
    assert {entry.name for entry in MATRIX} - framework_entries <= names
    assert "page" in names and "payments:stripe_webhook" in names and "wagtailadmin_pages:search" in names


@pytest.mark.parametrize(("name", "pattern"), PATTERNS, ids=[name for name, _ in PATTERNS])
def test_no_input_to_any_view_gives_a_server_error(name, pattern, indexed_world, db, client):
    world = indexed_world
    real = real_kwargs(world)
    fields, options = discover(client, world, name, pattern, real.get(name, []))
    fields = sorted(set(fields) | KNOWN_PARAMS)
    answers = Counter()

    def check(role, kwargs, method, data, note=event):
        url = _reverse(name, kwargs)
        if url is None:
            note("refused by the URL pattern")
            return
        client.logout()
        if world.users[role] is not None:
            client.force_login(world.users[role])
        with transaction.atomic():
            if method == "GET":
                response = client.get(url, data)
            else:
                response = client.post(url, data)
            transaction.set_rollback(True)
        status = response.status_code
        note(f"{method} {status // 100}xx")
        answers[status // 100] += 1
        assert status < 500, f"{method} {url} as {role} with {data!r}: {status}"
        if status == 400:
            assert response.content.strip(), f"{method} {url} as {role}: 400 without a message"

    kwargs_list = real.get(name) or [{}]
    for value in SWEEP:
        for role in SWEEP_ROLES:
            for method in ("GET", "POST"):
                check(role, kwargs_list[0], method, dict.fromkeys(fields, value), note=lambda text: None)

    converters = _converters(pattern)
    for value in SWEEP_IDS:
        kwargs = dict(kwargs_list[0])
        for key, conv in converters.items():
            if conv in SWEEP_IDS[value]:
                kwargs[key] = value
        if kwargs != kwargs_list[0]:
            for method in ("GET", "POST"):
                check("staff", kwargs, method, {}, note=lambda text: None)

    @hsettings(max_examples=PER_PATTERN)
    @given(request=requests_for(name, pattern, real, fields, options))
    def walk(request):
        check(*request)

    walk()
    assert sum(answers.values()), f"{name}: no request reached the view"


# --- what the walk found, one example each -------------------------------------------------------------


def test_a_nul_byte_in_a_search_or_a_form_answers_400_with_a_message(indexed_world, db, client):
    client.force_login(indexed_world.x.people.buyer)
    for response in (
        client.get(reverse("results"), {"q": "a\x00b"}),
        client.post(reverse("equipment:book", args=[indexed_world.x.instrument.pk]), {"purpose": "a\x00b"}),
        client.get("/accounts/invitations/a%00b/"),
    ):
        assert response.status_code == 400
        assert "NUL character" in response.content.decode()


@pytest.mark.parametrize("words", ['"', 'Result X"', '"Result', "Result\u200b X"])
def test_search_words_with_quotes_or_invisible_marks_find_what_the_plain_words_find(indexed_world, db, client, words):
    plain = client.get(reverse("results"), {"q": "Result X"})
    response = client.get(reverse("results"), {"q": words})
    assert response.status_code == 200
    if words.strip('"'):
        assert "Result X" in plain.content.decode()
        assert ("Result X" in response.content.decode()) == ("Result" in words)


def test_ids_are_ascii_digits_within_64_bits():
    from marketplace.core.ids import parse_id

    assert [parse_id(v) for v in ("12", 12, "0012", str(2**63 - 1))] == [12, 12, 12, 2**63 - 1]
    for value in ("１２", " 12", "1_2", "-1", "0", str(2**63), "9" * 40, "", None, True, "1e3"):
        assert parse_id(value) is None, value
