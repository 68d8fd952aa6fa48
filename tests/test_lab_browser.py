"""JupyterLab itself, in a real browser: a participant opens 01-leaked-key, runs every
cell from the Run menu, sees the answer boxes and the timeline chart (drawn offline),
and answers a question in its box. The page may reach this machine only: every other
request is aborted, and the test fails if there was any.

Screenshots go to ``test-artifacts/<test name>/``, with JupyterLab's log.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from browser_support import needs_browser, offline
from conftest import REPO, key_of

from helpers.quiz.answers import Checker
from helpers.quiz.attempts import AttemptsLog

pytestmark = [pytest.mark.slow, needs_browser]

NOTEBOOK = "01-leaked-key.ipynb"
QID = "leaked-key.q16"
PARTICIPANT = "browser-test"
#: The open notebook (other panels are hidden).
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
#: Bounds on the waits: generous (a busy CI machine), never endless.
SERVER_START_S = 60
KERNEL_IDLE_MS = 60_000
RUN_ALL_MS = 180_000
STEP_MS = 30_000
#: "ran" once every code cell shows an execution count, "failed" once a cell raised and
#: nothing is queued any more. textContent, not innerText: JupyterLab skips rendering
#: the cells out of view (content-visibility), and innerText is empty there.
RUN_STATE_JS = """([panel, cells]) => {
    const prompts = [...document.querySelectorAll(panel + ' .jp-CodeCell .jp-InputPrompt')]
        .map(p => p.textContent.trim());
    if (prompts.length === cells && prompts.every(p => /^\\[\\d+\\]:$/.test(p))) return 'ran';
    const raised = [...document.querySelectorAll(panel + ' .jp-OutputArea-output')]
        .some(o => o.textContent.includes('Traceback'));
    return raised && !prompts.includes('[*]:') ? 'failed' : null;
}"""


@dataclass(frozen=True)
class Lab:
    url: str
    token: str
    dataset: Path
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(url: str) -> int | None:
    """The HTTP status of ``url``, asked directly (no proxy), or None."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=5) as response:
            return response.status
    except OSError:
        return None


def _user_settings(folder: Path) -> Path:
    """JupyterLab settings with no news or update checks (requests to the internet)."""
    plugin = folder / "@jupyterlab" / "apputils-extension"
    plugin.mkdir(parents=True)
    (plugin / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    return folder


@pytest.fixture(scope="module")
def lab(small_dataset, tmp_path_factory) -> Iterator[Lab]:
    """``jupyter lab`` from the venv on a free loopback port, on copies of notebooks/ and
    of the small data set (the participant's progress goes there), with Jupyter's
    config, data, runtime and settings folders of its own."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    dataset = root / "dataset"
    shutil.copytree(small_dataset, dataset, ignore=shutil.ignore_patterns("progress"))
    home = root / "jupyter"
    env = {
        **os.environ,
        "GAMEDAY_DATASET": str(dataset),
        "GAMEDAY_PARTICIPANT": PARTICIPANT,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(_user_settings(home / "settings")),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "IPYTHONDIR": str(home / "ipython"),
    }
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        str(Path(sys.executable).with_name("jupyter")),
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root / 'notebooks'}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = root / "jupyterlab.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while _status(f"{url}/api/status?token={token}") != 200:
            assert server.poll() is None, f"jupyter lab exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"jupyter lab not up:\n{log.read_text()[-3000:]}"
            time.sleep(0.25)
        yield Lab(url, token, dataset, log)
    finally:
        # the server shuts its kernels down on SIGTERM; the whole group goes if it hangs
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _texts(locator) -> list[str]:
    return locator.evaluate_all("els => els.map(e => e.textContent)")


def test_a_participant_runs_the_notebook_and_answers_in_jupyterlab(
    chromium_browser, lab, artefacts, small_dataset
):
    from playwright.sync_api import expect

    answer = str(json.loads(key_of(small_dataset).read_text())["answers"][QID])
    entry = Checker.load(lab.dataset).entry(QID)
    wrong = next(c for c in entry.choices if c != answer)
    code_cells = sum(
        c.cell_type == "code"
        for c in nbformat.read(REPO / "notebooks" / NOTEBOOK, as_version=4).cells
    )
    context = chromium_browser.new_context(
        viewport={"width": 1400, "height": 1000}, service_workers="block"
    )
    outside = offline(context)
    context.set_default_timeout(STEP_MS)
    page = context.new_page()
    notebook = page.locator(PANEL)
    kernel_idle = page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\| Idle$"))
    try:
        page.goto(f"{lab.url}/lab/tree/{NOTEBOOK}?token={lab.token}", timeout=KERNEL_IDLE_MS)
        expect(notebook.locator(".jp-Notebook")).to_be_visible(timeout=KERNEL_IDLE_MS)
        expect(kernel_idle).to_have_count(1, timeout=KERNEL_IDLE_MS)
        page.screenshot(path=artefacts / "1-opened.png")

        # Run > Run All Cells, as a participant would
        page.locator(".lm-MenuBar").get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        state = page.wait_for_function(
            RUN_STATE_JS, arg=[PANEL, code_cells], timeout=RUN_ALL_MS, polling=250
        ).json_value()
        expect(kernel_idle).to_have_count(1, timeout=KERNEL_IDLE_MS)
        page.screenshot(path=artefacts / "2-ran.png")
        assert [] == _texts(notebook.locator(".jp-OutputArea-output", has_text="Traceback"))
        assert "ran" == state

        # the answer boxes: ipywidgets drawn by JupyterLab, not an error or a text fallback
        expect(notebook.locator(".jupyter-widgets.widget-text input")).to_have_count(2)
        assert 0 == page.get_by_text("Error displaying widget").count()
        assert 2 <= notebook.locator(".widget-vbox.jupyter-widgets").count()

        # the timeline: Vega-Lite 5 drawn by JupyterLab's own Vega, from no CDN
        timeline = notebook.locator(".jp-CodeCell", has_text="gd.timeline(found").locator(
            ".vega-embed"
        )
        timeline.scroll_into_view_if_needed()
        drawn = timeline.locator("canvas.marks, svg.marks")
        expect(drawn).to_be_visible()
        box = drawn.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100, box
        timeline.screenshot(path=artefacts / "3-timeline.png")

        # the box of one question: a wrong choice first, then the key's answer
        output = notebook.locator(".jp-CodeCell", has_text=f'answer_box("{QID}")').locator(
            ".jp-OutputArea-output"
        )
        text = output.locator(".widget-text input")
        submit = output.get_by_role("button", name="Submit", exact=True)
        text.scroll_into_view_if_needed()
        text.fill(wrong)
        submit.click()
        expect(output).to_contain_text(f"✗ {QID}")
        text.fill(answer)
        submit.click()
        # the checker's verdict stays on screen: correct, all points (a wrong answer costs none)
        expect(output).to_contain_text(f"✓ {QID}: correct, {entry.points} points")
        expect(text).to_be_disabled()
        output.screenshot(path=artefacts / "4-answered.png")
    finally:
        context.close()
        shutil.copy(lab.log, artefacts / lab.log.name)

    attempts = AttemptsLog.for_participant(lab.dataset, PARTICIPANT).records()
    assert ["wrong", "correct"] == [r["verdict"] for r in attempts if r["type"] == "attempt"]
    assert [] == outside, "the page asked for something beyond this machine"
