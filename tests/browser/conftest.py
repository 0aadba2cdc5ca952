"""A headless Debian Chromium driven by playwright, offline: every non-file: request is blocked.

The tests skip when /usr/bin/chromium or the playwright package is missing,
except under CI=true, where they fail instead: CI must run them.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _unavailable():
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright)"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _unavailable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run under CI=true: {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


class Page:
    """One page, with what it asked the network for and what it logged."""

    def __init__(self, browser, bypass_csp=False):
        # bypass_csp=True ignores the page's Content-Security-Policy, to show that
        # escaping alone keeps data from running as script.
        self.context = browser.new_context(viewport={"width": 1400, "height": 900},
                                           bypass_csp=bypass_csp)
        self.requests = []  # every URL the page requested
        self.blocked = []  # the ones that were not file: URLs
        self.errors = []  # console errors and uncaught exceptions
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _route(self, route):
        url = route.request.url
        self.requests.append(url)
        if url.startswith("file:"):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def open(self, path, timeout=60_000):
        """Load ``path`` and wait until the graph is drawn; return window.careergraphReady."""
        self.page.goto(Path(path).resolve().as_uri())
        # A function, not an expression string: playwright evaluates strings with eval(),
        # which the page's Content-Security-Policy forbids.
        self.page.wait_for_function("() => window.careergraphReady !== undefined", timeout=timeout)
        return self.page.evaluate("window.careergraphReady")

    def close(self):
        self.context.close()


@pytest.fixture
def open_page(browser):
    pages = []

    def make(**options):
        page = Page(browser, **options)
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.close()


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
