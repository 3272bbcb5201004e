"""What the apps put on shared pages, registered by each app in its AppConfig.ready().

Shared pages (the site header, the account page, the home page, an institute page) belong to no domain app,
yet show each app's links and sections. Instead of including other apps' templates by name, every app
registers here what it adds, with a key and an order; the shared page asks for what is registered, in
order, for the current visitor:

- `nav`: links in the site header (`Link`), rendered by `base.html` from the `nav_links` context variable
  (`context_processors.site`);
- `dashboard`: groups of links on the account page (`LinkGroup`), built by the accounts dashboard view;
- `home` and `institute`: sections of the home page and of an institute page (`Section`): a template of
  the registering app and a function that builds its context, called by the page's `get_context`.

Who sees a link is the registering app's rule (`Link.shown(user)`); a group whose links are all hidden, and
a section whose context function answers None, are left out. Each rule is asked at most once per call.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse

NAV, DASHBOARD, HOME, INSTITUTE = "nav", "dashboard", "home", "institute"
SLOTS = (NAV, DASHBOARD, HOME, INSTITUTE)


def everyone(user) -> bool:
    return True


@dataclass(frozen=True)
class Link:
    """A link to a named view (`viewname`, reversed when shown) or to a fixed `path` (a Wagtail page)."""

    label: str
    viewname: str = ""
    path: str = ""
    query: str = ""
    shown: Callable = everyone

    @property
    def url(self) -> str:
        return (reverse(self.viewname) if self.viewname else self.path) + self.query


@dataclass(frozen=True)
class LinkGroup:
    heading: str
    links: tuple = ()


@dataclass(frozen=True)
class Section:
    """`template` rendered with what `context(request, page)` returns (None: the section is left out)."""

    template: str
    context: Callable


@dataclass(frozen=True)
class Shown:
    """A link group or a section as one visitor sees it."""

    heading: str = ""
    links: list = field(default_factory=list)
    template: str = ""
    context: dict = field(default_factory=dict)


_registry = {slot: {} for slot in SLOTS}


def register(slot: str, key: str, item, *, order: int = 100):
    """Add `item` to `slot` under `key` (registering a key again replaces it), shown in `order`."""
    if slot not in _registry:
        raise ValueError(f"Unknown slot {slot!r}; one of {SLOTS}.")
    _registry[slot][key] = (order, item)
    return item


def registered(slot: str) -> list:
    """The items of `slot` in order (then by key)."""
    return [item for _order, _key, item in sorted((o, k, i) for k, (o, i) in _registry[slot].items())]


def _visible(links, user, answers):
    shown = []
    for link in links:
        if link.shown not in answers:
            answers[link.shown] = bool(link.shown(user))
        if answers[link.shown]:
            shown.append(link)
    return shown


def nav_links(user) -> list[Link]:
    """The header links `user` sees, in order."""
    return _visible(registered(NAV), user, {})


def dashboard_groups(user) -> list[Shown]:
    """The account page's link groups as `user` sees them, in order (groups with no visible link left out)."""
    answers, groups = {}, []
    for group in registered(DASHBOARD):
        links = _visible(group.links, user, answers)
        if links:
            groups.append(Shown(heading=group.heading, links=links))
    return groups


def sections(slot: str, request, page) -> list[Shown]:
    """The sections registered for `slot` (HOME or INSTITUTE) with their context for this page, in order."""
    shown = []
    for section in registered(slot):
        context = section.context(request, page)
        if context is not None:
            shown.append(Shown(template=section.template, context=context))
    return shown
