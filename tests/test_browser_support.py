"""The browser tests' own support: a page reaches this machine and nothing else."""

from __future__ import annotations

import pytest
from browser_support import is_loopback, needs_browser, offline


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8888/lab?token=x",
        "ws://127.0.0.1:8888/api/kernels/k/channels",
        "http://localhost:9/",
        "http://[::1]:8888/",
        "data:text/plain,hi",
        "blob:http://127.0.0.1:8888/0a1b",
    ],
)
def test_loopback_urls_stay_on_the_machine(url):
    assert is_loopback(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.jsdelivr.net/npm/vega@5",
        "https://esm.sh/vega-embed@6",
        "http://10.0.0.1/",
        "http://127.0.0.1.example.org/",
    ],
)
def test_other_urls_leave_it(url):
    assert not is_loopback(url)


@needs_browser
def test_offline_aborts_and_records_what_would_leave_the_machine(chromium_browser):
    context = chromium_browser.new_context()
    outside = offline(context)
    try:
        page = context.new_page()
        page.set_content("<p>offline</p>")
        # .invalid never resolves, and the request is aborted before any lookup
        fetched = page.evaluate(
            "fetch('http://gameday.invalid/x.js').then(() => 'fetched', () => 'blocked')"
        )
    finally:
        context.close()

    assert "blocked" == fetched
    assert ["http://gameday.invalid/x.js"] == outside
