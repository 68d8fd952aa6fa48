"""The scoreboard page in a real browser (Debian's Chromium, headless, through Playwright):
it loads with nothing from the internet, shows every team, and updates by itself after
a correct answer; the trainer's page pauses the clock. Screenshots go to
``test-artifacts/<test>/``."""

from __future__ import annotations

import pytest
from browser_support import needs_browser, offline
from event_support import SHARED_TEAMS, fresh_copy, running_server

pytestmark = [pytest.mark.slow, needs_browser]

QID = "leaked-key.q01"


def test_the_scoreboard_page_shows_the_teams_and_updates_after_a_correct_answer(
    chromium_browser, artefacts, shared_event, tmp_path
):
    with running_server(fresh_copy(shared_event, tmp_path / "ev")) as server:
        server.admin("start")
        team = server.team_id(16)
        context = chromium_browser.new_context(viewport={"width": 1600, "height": 1000})
        outside = offline(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))

        page.goto(server.url + "/")
        page.wait_for_selector(f'#teams tbody tr[data-team="{team}"]')
        rows_before = page.locator("#teams tbody tr").count()
        page.screenshot(path=artefacts / "scoreboard-start.png")
        status, body = server.client(team).attempt(QID, server.key(team)[QID])
        row = page.locator(f'#teams tbody tr[data-team="{team}"]')
        # the page refreshes itself: no reload
        page.wait_for_function(
            """team => {
                const row = document.querySelector(`#teams tbody tr[data-team="${team}"]`);
                return row && Number(row.querySelector("td.points").textContent) > 0;
            }""",
            arg=team,
            timeout=15_000,
        )
        shown = (row.locator("td.rank").inner_text(), row.locator("td.points").inner_text())
        solved_marks = row.locator(".q.done").count()
        chart_lines = page.locator("#chart path").count()
        clock = page.locator("#clock").inner_text()
        page.screenshot(path=artefacts / "scoreboard.png", full_page=True)
        context.close()

    assert (200, "correct") == (status, body["status"])
    assert SHARED_TEAMS == rows_before
    assert ("1", str(body["points"])) == shown
    assert 1 == solved_marks
    assert chart_lines >= 1
    assert clock.count(":") >= 1
    assert [] == errors
    assert [] == outside
    assert (artefacts / "scoreboard.png").stat().st_size > 10_000


def test_the_trainers_page_needs_the_token_and_pauses_the_clock(
    chromium_browser, artefacts, shared_event, tmp_path
):
    with running_server(fresh_copy(shared_event, tmp_path / "ev")) as server:
        server.admin("start")
        context = chromium_browser.new_context(viewport={"width": 1600, "height": 1000})
        outside = offline(context)
        page = context.new_page()
        page.goto(server.url + "/admin")
        page.wait_for_selector("#message:has-text('token')")
        page.fill("#token", server.tokens.teams[server.team_id(0)])  # a team's: refused
        page.click("#login button")
        page.wait_for_selector("#error:has-text('trainer')")
        page.fill("#token", server.tokens.trainer)
        page.click("#login button")
        page.wait_for_selector("#teams tbody tr")
        page.click("button[data-action=pause]")
        page.wait_for_selector("#status.paused")
        page.screenshot(path=artefacts / "admin.png", full_page=True)
        context.close()
        clock = server.board()["clock"]

    assert "paused" == clock["status"]
    assert [] == outside
