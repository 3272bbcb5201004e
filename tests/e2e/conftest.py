"""Real-browser tests: Playwright drives Debian's Chromium against Django's live server.

Run with `make test-e2e` (needs `apt-get install chromium`; no browser is ever downloaded).
A failing test leaves a full-page screenshot in tests/e2e/screenshots/.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).parent / "screenshots"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        browser_page = item.funcargs.get("browser_page")
        if browser_page is not None:
            SCREENSHOTS.mkdir(exist_ok=True)
            path = SCREENSHOTS / f"{item.name}.png"
            try:
                browser_page.screenshot(path=str(path), full_page=True)
                report.sections.append(("screenshot", str(path)))
            except Exception as error:  # noqa: BLE001 - a screenshot must never hide the real failure
                report.sections.append(("screenshot", f"failed: {error}"))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the tests
    # themselves (fixtures, assertions) are still synchronous and safe. Only while browser tests run.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield from _launch(sync_playwright)
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _launch(sync_playwright):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=["zh-hans", "en"])
def language(request):
    return request.param


@pytest.fixture
def browser_page(browser, live_server, language):
    """A fresh browser context with the interface language chosen by the language cookie."""
    context = browser.new_context(locale="zh-CN" if language == "zh-hans" else "en-US")
    host = live_server.url.split("//", 1)[1].split(":")[0]
    context.add_cookies([{"name": "language", "value": language, "domain": host, "path": "/"}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    yield page
    context.close()


def text(language, zh, en):
    return zh if language == "zh-hans" else en


def sign_in(page, language, email, password=None):
    """Sign in through the site's sign-in page, as a person would."""
    from tests.factories import PASSWORD

    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label(text(language, "邮箱", "Email")).fill(email)
    page.get_by_label(text(language, "密码", "Password")).fill(password or PASSWORD)
    page.get_by_role("button", name=text(language, "登录", "Sign in")).click()
    page.get_by_role("heading", name=text(language, "我的账户", "My account")).wait_for()


def switch_user(page, language, email):
    """Forget the current session (as signing out does) and sign in as someone else."""
    context = page.context
    cookies = [c for c in context.cookies() if c["name"] == "language"]
    context.clear_cookies()
    context.add_cookies(cookies)
    sign_in(page, language, email)
