"""An answer box for a question: prompt, text box, Submit, Hint, one feedback line.

>>> answer_box("q1")  # doctest: +SKIP

The Hint button shows what the next hint costs and asks before spending it.
Everything a click prints goes to the box's own ``Output``, so it shows in
JupyterLab; re-running the cell shows the state recorded in the attempts log
(solved, hints seen).
"""

from __future__ import annotations

import html
import re
from typing import Any

import ipywidgets as widgets

from helpers import notebook
from helpers.errors import GameDayError
from helpers.notebook import Session

_COLOURS = {
    "correct": "#2e7d32",
    "partial": "#b26a00",
    "format": "#1565c0",
    "wrong": "#c62828",
    "known_wrong": "#c62828",
    "error": "#c62828",
}


class AnswerBox(widgets.VBox):
    """The widgets of one question; drive it from Python with ``text.value`` and
    ``submit.click()``, read ``feedback.value``."""

    def __init__(self, qid: str, session: Session) -> None:
        self.qid = qid
        self.session = session
        entry = session.entry(qid)
        q = session.questions.get(qid)
        self.costs = entry.hint_costs
        self.hint_texts = tuple(h.text for h in q.hints) if q is not None else ()
        prompt = _inline_markdown(q.prompt) if q is not None else f"Question {html.escape(qid)}"
        fmt = html.escape(q.format_help) if q is not None else entry.kind
        self.prompt = widgets.HTML(
            f"<b>{html.escape(qid)}</b> ({entry.points} points) {prompt}"
            f"<br><small>Answer format: {fmt}</small>"
        )
        self.text = widgets.Text(placeholder=fmt, layout=widgets.Layout(width="420px"))
        self.submit = widgets.Button(description="Submit", button_style="primary")
        self.hint_button = widgets.Button(description="Hint", icon="lightbulb-o")
        self.confirm_label = widgets.Label()
        self.yes = widgets.Button(description="Show it", button_style="warning")
        self.no = widgets.Button(description="Cancel")
        self.confirm = widgets.HBox(
            [self.confirm_label, self.yes, self.no], layout=widgets.Layout(display="none")
        )
        self.feedback = widgets.Label()
        self.hints = widgets.HTML()
        self.output = widgets.Output()
        self.submit.on_click(self._on_submit)
        self.hint_button.on_click(self._on_hint)
        self.yes.on_click(self._on_yes)
        self.no.on_click(self._on_no)
        self._pending: int | None = None
        super().__init__(
            [
                self.prompt,
                widgets.HBox([self.text, self.submit, self.hint_button]),
                self.confirm,
                self.feedback,
                self.hints,
                self.output,
            ]
        )
        self.refresh()

    # -- state from the log

    def refresh(self, announce: bool = True) -> None:
        """Show what the attempts log says: solved or not, hints seen, next hint's cost.

        ``announce=False`` keeps the feedback line (the checker's own words just after a
        submit, e.g. what the hints cost) instead of the "solved" summary."""
        row = self.session.progress().row(self.qid)
        seen = self.session.hints_seen(self.qid)
        if row.solved and announce:
            self._say(f"✓ {self.qid}: solved, {row.points} of {row.possible} points", "correct")
        if row.solved:
            self.text.disabled = self.submit.disabled = True
        self.hints.value = "".join(
            f"<div>💡 Hint {n}: {html.escape(self.hint_texts[n - 1])}</div>"
            for n in seen
            if n <= len(self.hint_texts)
        )
        nxt = self._next_hint(seen)
        if nxt is None:
            self.hint_button.description = "No more hints" if self.costs else "No hints"
            self.hint_button.disabled = True
        else:
            cost = 0 if row.solved else self.costs[nxt - 1]
            self.hint_button.description = f"Hint {nxt} (-{cost})" if cost else f"Hint {nxt}"
            self.hint_button.disabled = False

    def _next_hint(self, seen: list[int]) -> int | None:
        available = min(len(self.costs), len(self.hint_texts))
        return next((n for n in range(1, available + 1) if n not in seen), None)

    def _say(self, line: str, status: str) -> None:
        self.feedback.value = line
        self.feedback.style.text_color = _COLOURS.get(status, "")

    # -- clicks

    def _on_submit(self, _button: Any = None) -> None:
        with self.output:
            try:
                result = self.session.check(self.qid, self.text.value)
            except GameDayError as exc:
                self._say(str(exc), "error")
                return
            self._say(result.line, result.status)
            self.refresh(announce=False)

    def _on_hint(self, _button: Any = None) -> None:
        with self.output:
            nxt = self._next_hint(self.session.hints_seen(self.qid))
            if nxt is None:
                return
            solved = self.session.progress().row(self.qid).solved
            cost = 0 if solved else self.costs[nxt - 1]
            if cost == 0:
                self._show_hint(nxt)
                return
            self._pending = nxt
            self.confirm_label.value = f"Hint {nxt} costs {cost} points when you solve it. Show it?"
            self.confirm.layout.display = "flex"

    def _on_yes(self, _button: Any = None) -> None:
        with self.output:
            if self._pending is not None:
                self._show_hint(self._pending)
            self._on_no()

    def _on_no(self, _button: Any = None) -> None:
        self._pending = None
        self.confirm.layout.display = "none"

    def _show_hint(self, n: int) -> None:
        try:
            self.session.hint(self.qid, n)
        except GameDayError as exc:
            self._say(str(exc), "error")
            return
        self.refresh()


_STRONG = re.compile(r"\*\*(.+?)\*\*")
_EM = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_CODE = re.compile(r"`([^`]+)`")


def _inline_markdown(text: str) -> str:
    """A prompt's inline Markdown (``**bold**``, ``*emphasis*``, ```code```) as safe HTML:
    the widget shows HTML, and a learner should not read asterisks.

    >>> _inline_markdown("What was *prevented*? Use `cloudtrail` & <b>")
    'What was <em>prevented</em>? Use <code>cloudtrail</code> &amp; &lt;b&gt;'
    """
    out = html.escape(text, quote=False)
    out = _CODE.sub(r"<code>\1</code>", out)
    out = _STRONG.sub(r"<strong>\1</strong>", out)
    return _EM.sub(r"<em>\1</em>", out)


def answer_box(qid: str, session: Session | None = None) -> AnswerBox:
    """An answer box for question ``qid`` of the open data set (or of ``session``).

    >>> answer_box("q1")  # doctest: +SKIP
    """
    return AnswerBox(qid, session if session is not None else notebook.session())
