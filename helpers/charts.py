"""Charts for an investigation (Altair), drawn offline in JupyterLab.

* :func:`timeline`: events over time, one lane per actor or source, coloured by
  step or technique, with the learner's solved findings marked;
* :func:`activity_heatmap`: CloudTrail calls of one principal, hour by day;
* :func:`bytes_over_time`: VPC flow bytes over time, for one address or the top talkers.

Each aggregates in DuckDB first and never hands Altair more than
:data:`MAX_ROWS` rows.

Offline: Altair 6 writes Vega-Lite 6, and its own renderers either load
vega-embed from a CDN (``html``, the default; ``jupyter``, via esm.sh) or emit
``application/vnd.vegalite.v6.json`` (``mimetype``, ``jupyterlab``), a MIME type
JupyterLab 4.6 has no renderer for. JupyterLab 4.6 bundles
``@jupyterlab/vega5-extension`` (Vega 5.33, Vega-Lite 5.6), which renders
``application/vnd.vegalite.v5+json`` with no network. Importing this module
registers and enables the ``gameday`` renderer: the same spec, labelled
Vega-Lite 5, under that MIME type, with no HTML and no script. The charts here
keep to Vega-Lite features that version 5 has (marks, encodings, tooltips).
Other frontends (classic notebook, GitHub) show the ``text/plain`` line instead.

>>> chart = timeline(events, lane="source_ip", color="step")  # doctest: +SKIP
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import altair as alt
import duckdb
import pandas as pd

from helpers.errors import UsageError

if TYPE_CHECKING:
    from helpers.quiz.scoring import Progress

#: The MIME type JupyterLab 4.6's bundled Vega extension renders (Vega-Lite 5).
VEGALITE_MIMETYPE = "application/vnd.vegalite.v5+json"
VEGALITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
RENDERER = "gameday"
#: The most rows a chart is given; more are aggregated (or refused) first.
MAX_ROWS = 5000
#: Bucket widths tried, narrowest first, when time has to be aggregated.
_EVERY = (
    ("1 second", 1),
    ("10 seconds", 10),
    ("1 minute", 60),
    ("5 minutes", 300),
    ("15 minutes", 900),
    ("1 hour", 3600),
    ("6 hours", 21600),
    ("1 day", 86400),
    ("7 days", 604800),
)


def offline_renderer(spec: dict[str, Any], **metadata: Any) -> tuple[dict, dict]:
    """A MIME bundle JupyterLab 4.6 draws with its bundled Vega-Lite, offline."""
    spec = {**spec, "$schema": VEGALITE_SCHEMA}
    title = spec.get("title")
    title = title.get("text") if isinstance(title, dict) else title
    bundle = {
        VEGALITE_MIMETYPE: spec,
        "text/plain": f"<chart{': ' + str(title) if title else ''} (shows in JupyterLab)>",
    }
    meta = {VEGALITE_MIMETYPE: {"embed_options": metadata["embed_options"]}} if metadata else {}
    return bundle, meta


alt.renderers.register(RENDERER, offline_renderer)


def use_offline_renderer() -> None:
    """Draw every Altair chart (the learner's own too) with :func:`offline_renderer`."""
    alt.renderers.enable(RENDERER)


use_offline_renderer()


# -- timeline ---------------------------------------------------------------------------------


def timeline(
    events: pd.DataFrame,
    time: str = "time",
    lane: str = "lane",
    color: str = "step",
    label: str | None = None,
    solved: Iterable[str] | None = None,
    solved_by: str | None = None,
    title: str = "Timeline (UTC)",
    max_rows: int = MAX_ROWS,
) -> alt.LayerChart:
    """Events over time: one lane per ``lane`` value, coloured by ``color``.

    Rows whose ``solved_by`` value (default: the ``color`` column, e.g. the step)
    is in ``solved`` are drawn as large diamonds: the findings already solved.
    ``label`` names a column written beside each point (beside solved points only,
    when there are many). More than ``max_rows`` events are counted per time
    bucket per lane and colour in DuckDB first.

    >>> timeline(sql("SELECT event_time AS time, source_ip AS lane, event_name AS step "
    ...              "FROM cloudtrail WHERE user_name = 'ci-deploy'"))  # doctest: +SKIP
    """
    if not isinstance(events, pd.DataFrame):
        raise UsageError("timeline() takes a DataFrame of events, e.g. from sql(...)")
    columns = {"_time": time, "_lane": lane, "_color": color}
    if label:
        columns["_label"] = label
    key = solved_by or color
    missing = [n for n in dict.fromkeys([*columns.values(), key]) if n not in events.columns]
    if missing:
        raise UsageError(
            f"timeline: no column {', '.join(map(repr, missing))} in the events; "
            f"columns are {list(events.columns)} (name them with time=, lane=, color=)"
        )
    df = pd.DataFrame({k: events[v] for k, v in columns.items()})
    done = {str(s) for s in solved or ()}
    df["_solved"] = events[key].astype(str).isin(done).to_numpy() if done else False
    df["_time"] = pd.to_datetime(df["_time"], utc=True, errors="coerce").dt.tz_localize(None)
    df = df.dropna(subset=["_time"])
    df["_lane"] = df["_lane"].astype(str)
    df["_color"] = df["_color"].astype(str)
    aggregated = len(df) > max_rows
    df = _bucket_events(df, max_rows) if aggregated else df.assign(events=1)
    df["_time"] = _utc_text(df["_time"])
    df["finding"] = df.pop("_solved").map({True: "solved", False: "not yet"})
    tooltip = [
        alt.Tooltip(
            field="_time", type="temporal", title=f"{time} (UTC)", format="%Y-%m-%d %H:%M:%S"
        ),
        alt.Tooltip(field="_lane", type="nominal", title=lane),
        alt.Tooltip(field="_color", type="nominal", title=color),
        alt.Tooltip(field="events", type="quantitative", title="events"),
    ]
    if label:
        tooltip.append(alt.Tooltip(field="_label", type="nominal", title=label))
    base = alt.Chart(df).encode(
        x=alt.X(field="_time", type="temporal", title="time (UTC)", scale=alt.Scale(type="utc")),
        y=alt.Y(field="_lane", type="nominal", title=lane),
    )
    points = base.mark_point(filled=True, opacity=0.8).encode(
        color=alt.Color(field="_color", type="nominal", title=color),
        shape=alt.Shape(
            field="finding",
            type="nominal",
            scale=alt.Scale(domain=["not yet", "solved"], range=["circle", "diamond"]),
        ),
        size=(
            alt.Size(field="events", type="quantitative", title="events")
            if aggregated
            else alt.Size(
                field="finding",
                type="ordinal",
                sort=["not yet", "solved"],
                scale=alt.Scale(domain=["not yet", "solved"], range=[40, 160]),
                legend=None,
            )
        ),
        tooltip=tooltip,
    )
    layers: list[alt.Chart] = [points]
    if label:
        shown = base if len(df) <= 100 else base.transform_filter("datum.finding == 'solved'")
        layers.append(
            shown.mark_text(align="left", dx=8, fontSize=10).encode(
                text=alt.Text(field="_label", type="nominal")
            )
        )
    lanes = df["_lane"].nunique()
    return alt.layer(*layers).properties(width=720, height=max(120, 26 * lanes), title=title)


def _bucket_events(df: pd.DataFrame, max_rows: int) -> pd.DataFrame:
    """Count events per time bucket, lane and colour: the narrowest bucket that fits."""
    has_label = "_label" in df.columns
    label = ", any_value(_label) AS _label" if has_label else ""
    con = duckdb.connect()
    try:
        con.register("events", df)
        for every, _ in _EVERY:
            out = con.execute(
                f"SELECT time_bucket(INTERVAL '{every}', _time) AS _time, _lane, _color,"
                f" count(*) AS events, bool_or(_solved) AS _solved{label}"
                " FROM events GROUP BY ALL ORDER BY 1"
            ).df()
            if len(out) <= max_rows:
                return out
    finally:
        con.close()
    raise UsageError(f"timeline: {len(df):,} events in too many lanes to draw; filter them first")


def _utc_text(times: pd.Series) -> pd.Series:
    """ISO-8601 text with milliseconds and a Z, which Vega reads as UTC."""
    t = pd.to_datetime(times, utc=True)
    return (
        t.dt.strftime("%Y-%m-%dT%H:%M:%S.")
        + (t.dt.microsecond // 1000).astype(str).str.zfill(3)
        + "Z"
    )


# -- queries for charts -----------------------------------------------------------------------


def _query(con_or_session: Any, query: str, params: list[Any]) -> pd.DataFrame:
    """Run ``query`` on a Session, a DuckDB connection, or (None) the open data set."""
    from helpers import notebook

    if con_or_session is None:
        con_or_session = notebook.session()
    if isinstance(con_or_session, duckdb.DuckDBPyConnection):
        return notebook.run_query(con_or_session, query, params)
    if isinstance(con_or_session, notebook.Session):
        return con_or_session.sql(query, params)
    raise UsageError("pass a data set session (open_dataset()) or a DuckDB connection")


def activity_heatmap(con_or_session: Any, principal: str, title: str | None = None) -> alt.Chart:
    """CloudTrail calls of one principal, hour (UTC) by day; errors in the tooltip.

    ``principal`` is a user name, an ARN, an access key id, a principal id or a
    role name. ``con_or_session`` is a Session, a DuckDB connection, or None (the open data set).

    >>> activity_heatmap(None, "ci-deploy")  # doctest: +SKIP
    """
    counts = _query(
        con_or_session,
        "SELECT strftime(event_time, '%Y-%m-%d') AS day, hour(event_time)::INTEGER AS hour,"
        " count(*) AS events, count(error_code) AS errors"
        " FROM cloudtrail"
        " WHERE ? IN (user_name, arn, access_key_id, principal_id, session_issuer_arn)"
        "    OR arn LIKE '%:assumed-role/' || ? || '/%'"
        " GROUP BY ALL ORDER BY day, hour",
        [principal, principal],
    )
    if counts.empty:
        names = _query(
            con_or_session,
            "SELECT DISTINCT user_name FROM cloudtrail WHERE user_name IS NOT NULL LIMIT 5000",
            [],
        )["user_name"].tolist()
        close = difflib.get_close_matches(str(principal), names, n=3, cutoff=0.5)
        tail = f"; did you mean {' or '.join(close)}?" if close else ""
        raise UsageError(f"no CloudTrail calls by {principal!r}{tail}")
    return (
        alt.Chart(counts)
        .mark_rect()
        .encode(
            x=alt.X(
                field="hour",
                type="ordinal",
                title="hour (UTC)",
                scale=alt.Scale(domain=list(range(24))),
            ),
            y=alt.Y(field="day", type="ordinal", title=None),
            color=alt.Color(field="events", type="quantitative", scale=alt.Scale(scheme="oranges")),
            tooltip=[
                alt.Tooltip(field="day", type="nominal"),
                alt.Tooltip(field="hour", type="ordinal"),
                alt.Tooltip(field="events", type="quantitative"),
                alt.Tooltip(field="errors", type="quantitative"),
            ],
        )
        .properties(title=title or f"Calls by {principal}, hour by day (UTC)", width=480)
    )


def bytes_over_time(
    con_or_session: Any,
    address: str | None = None,
    every: str | None = None,
    top: int = 5,
    title: str | None = None,
) -> alt.Chart:
    """VPC flow bytes per time bucket: sent and received by ``address``, or (no
    address) to the ``top`` destinations by bytes, the rest as "other".

    ``every`` is a DuckDB interval ("5 minutes"); by default the narrowest that
    keeps the chart under 500 buckets.

    >>> bytes_over_time(None, "10.0.1.23")  # doctest: +SKIP
    """
    where, params = (
        ("WHERE srcaddr = ? OR dstaddr = ?", [address, address]) if address else ("", [])
    )
    if every is None:
        span = _query(
            con_or_session,
            f"SELECT epoch(max(start_time)) - epoch(min(start_time)) AS span FROM vpc_flow {where}",
            params,
        )["span"].iloc[0]
        span = 0 if pd.isna(span) else float(span)
        every = next((name for name, seconds in _EVERY if span / seconds <= 500), _EVERY[-1][0])
    if address:
        query = (
            "SELECT time_bucket(CAST(? AS INTERVAL), start_time) AS time,"
            " CASE WHEN srcaddr = ? THEN 'sent' ELSE 'received' END AS series,"
            f" sum(bytes)::BIGINT AS bytes FROM vpc_flow {where} GROUP BY ALL ORDER BY time"
        )
        flows = _query(con_or_session, query, [every, address, *params])
    else:
        query = (
            "WITH top AS (SELECT dstaddr FROM vpc_flow GROUP BY dstaddr"
            "             ORDER BY sum(bytes) DESC LIMIT ?)"
            " SELECT time_bucket(CAST(? AS INTERVAL), start_time) AS time,"
            " CASE WHEN dstaddr IN (SELECT dstaddr FROM top) THEN 'to ' || dstaddr"
            "      ELSE 'other' END AS series,"
            " sum(bytes)::BIGINT AS bytes FROM vpc_flow GROUP BY ALL ORDER BY time"
        )
        flows = _query(con_or_session, query, [int(top), every])
    if len(flows) > MAX_ROWS:
        raise UsageError(f"bytes_over_time: {len(flows):,} points; choose a wider `every`")
    if flows.empty:
        raise UsageError(f"no VPC flows{' for ' + address if address else ''}")
    flows["time"] = _utc_text(flows["time"])
    return (
        alt.Chart(flows)
        .mark_line(point=True, interpolate="step-after")
        .encode(
            x=alt.X(field="time", type="temporal", title="time (UTC)", scale=alt.Scale(type="utc")),
            y=alt.Y(field="bytes", type="quantitative", title=f"bytes per {every}"),
            color=alt.Color(field="series", type="nominal", title=None),
            tooltip=[
                alt.Tooltip(field="time", type="temporal", format="%Y-%m-%d %H:%M"),
                alt.Tooltip(field="series", type="nominal"),
                alt.Tooltip(field="bytes", type="quantitative", format=","),
            ],
        )
        .properties(
            title=title or f"Bytes {'of ' + address if address else 'by destination'}", width=720
        )
    )


def progress_chart(progress: Progress) -> alt.LayerChart:
    """Points per question (coloured: solved, partly, open) against the points possible."""
    df = pd.DataFrame(
        [
            {
                "question": r.question,
                "points": max(r.points, 0),
                "possible": r.possible,
                "state": "solved" if r.solved else ("partly" if r.points > 0 else "open"),
            }
            for r in progress.rows
        ],
        columns=["question", "points", "possible", "state"],
    )
    base = alt.Chart(df).encode(y=alt.Y(field="question", type="nominal", sort=None, title=None))
    possible = base.mark_bar(color="#e0e0e0").encode(
        x=alt.X(field="possible", type="quantitative", title="points")
    )
    earned = base.mark_bar().encode(
        x=alt.X(field="points", type="quantitative"),
        color=alt.Color(
            field="state",
            type="nominal",
            title=None,
            scale=alt.Scale(
                domain=["solved", "partly", "open"], range=["#2e7d32", "#f9a825", "#9e9e9e"]
            ),
        ),
        tooltip=[
            alt.Tooltip(field="question", type="nominal"),
            alt.Tooltip(field="points", type="quantitative"),
            alt.Tooltip(field="possible", type="quantitative"),
        ],
    )
    return alt.layer(possible, earned).properties(
        width=300,
        height=max(40, 20 * len(df)),
        title=f"{progress.total} of {progress.possible} points",
    )
