"""Real-browser tests: Debian's Chromium driven by Playwright (sync API), headless.

``make test`` installs both (``make browser`` for Chromium, the ``test`` extra for
Playwright); elsewhere the tests that use :func:`chromium_browser` skip, saying why.
Playwright's own browser download is not used: it launches ``/usr/bin/chromium``.
Loaded by ``conftest.py`` (``pytest_plugins``), so any test can ask for the fixtures:

>>> def test_page(chromium_browser, artefacts):  # doctest: +SKIP
...     page = chromium_browser.new_page()
...     page.goto(url)
...     page.screenshot(path=artefacts / "page.png")
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Route

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
#: Screenshots and logs of the browser tests, one folder per test (git-ignored).
ARTEFACTS = REPO / "test-artifacts"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM}: `make browser` installs Debian's chromium"
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed: `pip install -e '.[test]'` (or `make test`)"
    return None


#: Skips a test (before its other fixtures are set up) where the browser is missing.
needs_browser = pytest.mark.skipif(missing() is not None, reason=str(missing()))


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Browser]:
    """A headless Chromium, shared by the tests of one module.

    Module-scoped, not session-scoped: while Playwright's sync API is open it marks an
    asyncio loop as running in the main thread, which would break ``asyncio.run`` in
    every test after it.
    """
    reason = missing()
    if reason is not None:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Chromium's sandbox refuses to run as root (a container, CI)
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def artefacts(request) -> Path:
    """An empty folder for this test's screenshots: ``test-artifacts/<test name>/``."""
    folder = ARTEFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def is_loopback(url: str) -> bool:
    """True for a URL that stays on this machine (data: and blob: URLs included)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return (parts.hostname or "") in LOOPBACK


def offline(context: BrowserContext) -> list[str]:
    """Abort every request of ``context`` that would leave the machine; the list it
    returns fills with their URLs (WebSockets included), for the test to assert empty.

    >>> outside = offline(context)  # doctest: +SKIP
    >>> assert [] == outside
    """
    outside: list[str] = []

    def route(r: Route) -> None:
        if is_loopback(r.request.url):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort("internetdisconnected")

    context.route("**/*", route)
    context.on(
        "page",
        lambda page: page.on(
            "websocket", lambda ws: None if is_loopback(ws.url) else outside.append(ws.url)
        ),
    )
    return outside
