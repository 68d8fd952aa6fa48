"""Charts render offline in JupyterLab and never carry more than a few thousand rows."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import altair as alt
import duckdb
import pandas as pd
import pytest
from test_quiz_fixtures import QUESTIONS, make_dataset

from helpers import charts
from helpers.errors import UsageError
from helpers.notebook import Session

LAB_STATIC = Path(sys.prefix) / "share" / "jupyter" / "lab" / "static"


@pytest.fixture
def session(tmp_path):
    return Session(make_dataset(tmp_path), questions=QUESTIONS, participant="ada")


def all_charts(session):
    events = session.sql(
        "SELECT event_time AS time, source_ip AS lane, event_name AS step,"
        " user_name FROM cloudtrail"
    )
    return {
        "timeline": charts.timeline(events, label="user_name", solved={"ListUsers"}),
        "heatmap": charts.activity_heatmap(session, "ci-deploy"),
        "bytes": charts.bytes_over_time(session, "10.0.1.23"),
        "top talkers": charts.bytes_over_time(session),
        "progress": session.progress().chart(),
    }


def bundle_of(chart):
    bundle, _metadata = chart._repr_mimebundle_()
    return bundle


def test_importing_charts_enables_the_offline_renderer():
    assert "gameday" == alt.renderers.active


@pytest.mark.skipif(not LAB_STATIC.is_dir(), reason="JupyterLab's static assets are not installed")
def test_the_mimetype_is_one_jupyterlab_renders_with_its_bundled_vega():
    bundled = any(
        charts.VEGALITE_MIMETYPE.encode() in path.read_bytes() for path in LAB_STATIC.glob("*.js")
    )

    assert bundled


def test_no_chart_loads_anything_from_the_internet(session):
    for name, chart in all_charts(session).items():
        bundle = bundle_of(chart)
        text = json.dumps(bundle)
        urls = set(re.findall(r"https?://[^\s\"'<>]+", text))

        assert {charts.VEGALITE_MIMETYPE, "text/plain"} == set(bundle), name
        assert {charts.VEGALITE_SCHEMA} == urls, name  # an identifier, never fetched
        assert '"url"' not in text, name  # data inline, not loaded
        assert "<script" not in text, name


def test_specs_keep_to_vega_lite_5_top_level_properties(session):
    vega_lite_5 = {
        "$schema",
        "config",
        "data",
        "datasets",
        "encoding",
        "height",
        "layer",
        "mark",
        "title",
        "transform",
        "width",
        "params",
    }

    for name, chart in all_charts(session).items():
        assert set(chart.to_dict()) <= vega_lite_5, name


def test_a_big_timeline_is_counted_in_duckdb_first():
    events = duckdb.sql(
        "SELECT TIMESTAMP '2026-03-05 00:00:00' + INTERVAL (i) SECOND AS time,"
        " 'lane-' || (i % 7) AS lane, 'step-' || (i % 3) AS step"
        " FROM range(50000) t(i)"
    ).df()

    spec = charts.timeline(events).to_dict()
    rows = next(iter(spec["datasets"].values()))

    assert len(rows) <= charts.MAX_ROWS
    assert 50000 == sum(r["events"] for r in rows)
    assert "events" == spec["layer"][0]["encoding"]["size"]["field"]


def test_timeline_marks_solved_steps(session):
    events = pd.DataFrame(
        {
            "time": pd.to_datetime(["2026-03-05 14:02:11", "2026-03-05 14:09:30"]),
            "lane": ["203.0.113.7", "203.0.113.7"],
            "step": ["initial-access", "persistence"],
        }
    )

    rows = next(
        iter(charts.timeline(events, solved={"persistence"}).to_dict()["datasets"].values())
    )

    assert [("2026-03-05T14:02:11.000Z", "not yet"), ("2026-03-05T14:09:30.000Z", "solved")] == [
        (r["_time"], r["finding"]) for r in rows
    ]


def test_timeline_names_missing_columns():
    with pytest.raises(
        UsageError,
        match=r"timeline: no column 'lane', 'step' in the events; columns are \['time'\]",
    ):
        charts.timeline(pd.DataFrame({"time": []}))


def test_heatmap_counts_calls_per_hour_and_day(session):
    rows = next(iter(charts.activity_heatmap(session, "ci-deploy").to_dict()["datasets"].values()))

    assert [
        {"day": "2026-03-05", "hour": 9, "events": 1, "errors": 0},
        {"day": "2026-03-05", "hour": 14, "events": 2, "errors": 1},
    ] == rows


def test_heatmap_of_an_unknown_principal_suggests_one(session):
    with pytest.raises(
        UsageError, match=r"no CloudTrail calls by 'ci-deplo'; did you mean ci-deploy\?"
    ):
        charts.activity_heatmap(session, "ci-deplo")


def test_bytes_over_time_sums_in_duckdb(session):
    rows = next(
        iter(
            charts.bytes_over_time(session, "10.0.1.23", every="1 hour")
            .to_dict()["datasets"]
            .values()
        )
    )

    assert {("sent", 12300000), ("received", 21000)} == {(r["series"], r["bytes"]) for r in rows}


def test_charts_also_take_a_duckdb_connection(session):
    with session.connect() as con:
        chart = charts.activity_heatmap(con, "audit-role")

    assert 1 == len(next(iter(chart.to_dict()["datasets"].values())))
