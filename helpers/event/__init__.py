"""Event mode: a team competition whose answers stay on a scoreboard server.

* :mod:`~helpers.event.config`: an event's folder, its rules, its teams and tokens;
* :mod:`~helpers.event.create`: ``gameday event create``: per-team data sets and bundles;
* :mod:`~helpers.event.clock`: the event's clock (start, pause, end, freeze);
* :mod:`~helpers.event.store`: the SQLite state: teams, attempts and hints, the clock;
* :mod:`~helpers.event.game`: the rules of play: checking, hints, scores, rate limit;
* :mod:`~helpers.event.results`: the ranking, the score over time, the export;
* :mod:`~helpers.event.server`: ``gameday serve``: the HTTP API and the scoreboard page;
* :mod:`~helpers.event.client`: the notebook's side: check, hint, progress over HTTP.

>>> create_event(Path("events/dec"), teams=12)  # doctest: +SKIP
>>> serve(Path("events/dec"), host="0.0.0.0", port=8000)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_event", "export_results", "serve"]


def __getattr__(name: str) -> Any:
    # lazily: `gameday --help` should not load the server
    if name == "create_event":
        from helpers.event.create import create_event

        return create_event
    if name == "export_results":
        from helpers.event.results import export_results

        return export_results
    if name == "serve":
        from helpers.event.server import serve

        return serve
    raise AttributeError(f"module 'helpers.event' has no attribute {name!r}")
