"""What the scoreboard server refuses, with nothing recorded: no token, a wrong one, a team's
token on another team's data set or on the trainer's side, an event that is over; bodies
too large, malformed JSON, SQL and path traversal in every field; too many wrong answers.
And no response ever holds an answer, a hash, the salt or another's token."""

from __future__ import annotations

import http.client
import json
import re
import time
from urllib.parse import quote

import pytest
from event_support import Server, fresh_copy, running_server

pytestmark = pytest.mark.slow

QID = "leaked-key.q01"
NASTY = (
    "'; DROP TABLE records; --",
    '" OR 1=1 --',
    "../../../../etc/passwd",
    "..%2F..%2Fgameday-event.json",
    "%00",
    "\x00",
    "team-01' --",
    "*",
)

#: Every response body of this module, for the last test to search for secrets.
SEEN: list[bytes] = []


@pytest.fixture(scope="module")
def server(shared_event, tmp_path_factory):
    folder = fresh_copy(shared_event, tmp_path_factory.mktemp("security") / "ev")
    with running_server(folder) as server:
        server.admin("start")
        yield server


def call(server: Server, *args, **kwargs) -> tuple[int, dict, bytes]:
    status, body, raw = server.call(*args, **kwargs)
    SEEN.append(raw)
    return status, body, raw


def refused_and_unrecorded(server: Server, expected: set[int], *args, **kwargs) -> dict:
    before = server.records()
    status, body, raw = call(server, *args, **kwargs)
    assert status in expected, (status, raw[:300])
    assert before == server.records()
    return body


def attempt_body(server: Server, team: str, answer="192.0.2.1", qid=QID) -> dict:
    return {"dataset": server.dataset(team), "qid": qid, "answer": answer}


def test_no_token_or_a_wrong_one_is_refused(server):
    team = server.team_id(0)
    body = attempt_body(server, team)

    for token in (None, "", "not-a-token", server.tokens.teams[team] + "x", "Bearer"):
        refused_and_unrecorded(server, {401}, "POST", "/api/v1/attempts", body, token)
    refused_and_unrecorded(
        server,
        {401},
        "POST",
        "/api/v1/attempts",
        body,
        headers={"Authorization": f"Basic {server.tokens.teams[team]}"},
    )
    refused_and_unrecorded(server, {401}, "GET", f"/api/v1/progress?dataset={body['dataset']}")
    refused_and_unrecorded(
        server, {401}, "POST", "/api/v1/hints", {"dataset": body["dataset"], "qid": QID}
    )


def test_a_team_cannot_use_another_teams_data_set(server):
    a, b = server.team_id(1), server.team_id(2)
    token_a = server.tokens.teams[a]
    right_for_b = server.key(b)[QID]

    answer = refused_and_unrecorded(
        server, {403}, "POST", "/api/v1/attempts", attempt_body(server, b, right_for_b), token_a
    )
    refused_and_unrecorded(
        server, {403}, "POST", "/api/v1/hints", {"dataset": server.dataset(b), "qid": QID}, token_a
    )
    refused_and_unrecorded(
        server, {403}, "GET", f"/api/v1/progress?dataset={server.dataset(b)}", token=token_a
    )
    assert "forbidden" == answer["status"]


def test_the_trainers_side_refuses_a_team_token_and_a_team_side_the_trainers(server):
    team = server.team_id(3)
    token = server.tokens.teams[team]
    trainer = server.tokens.trainer

    for method, path, body in (
        ("POST", "/api/v1/admin/clock", {"action": "end"}),
        ("POST", f"/api/v1/admin/teams/{team}/reset", None),
        ("GET", "/api/v1/admin/scoreboard", None),
        ("GET", "/api/v1/admin/export.json", None),
        ("GET", "/api/v1/admin/export.csv", None),
    ):
        refused_and_unrecorded(server, {403}, method, path, body, token)
        refused_and_unrecorded(server, {401}, method, path, body)
    refused_and_unrecorded(
        server, {403}, "POST", "/api/v1/attempts", attempt_body(server, team), trainer
    )
    assert "running" == server.board()["clock"]["status"]


def test_oversized_bodies_are_refused(server):
    team = server.team_id(4)
    token = server.tokens.teams[team]
    big = attempt_body(server, team, "x" * 70_000)

    refused_and_unrecorded(server, {413}, "POST", "/api/v1/attempts", big, token)
    # no Content-Length: the body streams in chunks until it is over the limit
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    before = server.records()
    conn.putrequest("POST", "/api/v1/attempts")
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    payload = json.dumps(big).encode()
    for start in range(0, len(payload), 8192):
        chunk = payload[start : start + 8192]
        conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    conn.send(b"0\r\n\r\n")
    response = conn.getresponse()
    SEEN.append(response.read())
    conn.close()
    assert 413 == response.status
    assert before == server.records()


def test_malformed_json_and_wrong_types_are_refused(server):
    team = server.team_id(5)
    token = server.tokens.teams[team]
    good = attempt_body(server, team)

    for raw in (b"{", b"not json", b"[1, 2]", b"null", b'{"qid": }', b"\xff\xfe"):
        refused_and_unrecorded(server, {400, 422}, "POST", "/api/v1/attempts", raw=raw, token=token)
    for bad in (
        {**good, "answer": {"nested": "dict"}},
        {**good, "answer": [["nested"]]},
        {**good, "answer": True},
        {**good, "qid": 7},
        {**good, "extra": "field"},
        {"qid": QID, "answer": "x"},
        {**good, "answer": ["x"] * 6000},
    ):
        refused_and_unrecorded(server, {422}, "POST", "/api/v1/attempts", bad, token)
    for bad_n in (0, -1, 101, "1", 1.5, True):
        refused_and_unrecorded(
            server,
            {422},
            "POST",
            "/api/v1/hints",
            {"dataset": good["dataset"], "qid": QID, "n": bad_n},
            token,
        )
    trainer = server.tokens.trainer
    for bad in ({"action": "explode"}, {"action": "extend", "minutes": -5}, {}):
        refused_and_unrecorded(server, {422}, "POST", "/api/v1/admin/clock", bad, trainer)


@pytest.mark.parametrize("nasty", NASTY)
def test_sql_and_path_traversal_in_every_field_are_refused(server, nasty):
    team = server.team_id(6)
    token = server.tokens.teams[team]
    trainer = server.tokens.trainer
    good = attempt_body(server, team)

    for field in ("qid", "dataset"):
        refused_and_unrecorded(
            server, {403, 404, 422}, "POST", "/api/v1/attempts", {**good, field: nasty}, token
        )
        refused_and_unrecorded(
            server,
            {403, 404, 422},
            "POST",
            "/api/v1/hints",
            {"dataset": good["dataset"], "qid": QID, field: nasty},
            token,
        )
    if nasty.isprintable():  # http.client sends no control characters in a header or path
        refused_and_unrecorded(server, {401}, "POST", "/api/v1/attempts", good, nasty)
    refused_and_unrecorded(
        server, {403, 404, 422}, "GET", f"/api/v1/progress?dataset={quote(nasty)}", token=token
    )
    refused_and_unrecorded(
        server,
        {404, 422},
        "POST",
        f"/api/v1/admin/teams/{quote(nasty, safe='')}/reset",
        token=trainer,
    )
    refused_and_unrecorded(server, {422}, "POST", "/api/v1/admin/clock", {"action": nasty}, trainer)
    paths = [f"/static/{quote(nasty, safe='')}", f"/{quote(nasty)}"]
    if re.fullmatch(r"[!-~]+", nasty):  # sendable as it is
        paths.append(f"/static/{nasty}")
    for path in paths:
        status, _, raw = call(server, "GET", path)
        assert status in (400, 404), (path, status)
        assert b"gameday-event" not in raw and b"root:" not in raw


def test_an_sql_answer_is_an_ordinary_wrong_answer(server):
    """The answer field is the learner's text: it is checked and recorded as data."""
    team = server.team_id(7)
    text_q = next(q for q, e in server.checker(team).entries.items() if e.kind == "text")
    before = len(server.records())

    outcomes = [
        call(
            server,
            "POST",
            "/api/v1/attempts",
            attempt_body(server, team, n, text_q),
            server.tokens.teams[team],
        )[1]["status"]
        for n in NASTY[:3]
    ]

    assert ["incorrect"] * 3 == outcomes
    assert before + 3 == len(server.records())
    assert len(server.event.teams) == len(server.board()["teams"])


def test_the_rate_limit_bites_on_wrong_answers(server):
    team, other = server.team_id(8), server.team_id(9)
    token = server.tokens.teams[team]
    limit = server.event.rules.wrong_per_minute
    wrong = [f"192.0.2.{n}" for n in range(1, limit + 3)]

    statuses = [
        call(server, "POST", "/api/v1/attempts", attempt_body(server, team, w), token)[0]
        for w in wrong
    ]
    recorded = [r for r in server.records() if r["team"] == team]
    right = server.key(team)[QID]
    blocked_even_if_right = call(
        server, "POST", "/api/v1/attempts", attempt_body(server, team, right), token
    )
    other_team = call(
        server, "POST", "/api/v1/attempts", attempt_body(server, other), server.tokens.teams[other]
    )
    other_question = call(
        server,
        "POST",
        "/api/v1/attempts",
        attempt_body(server, team, "nobody", "leaked-key.q03"),
        token,
    )

    assert [200] * limit + [429, 429] == statuses
    assert limit == len(recorded)
    assert (429, "ratelimited") == (blocked_even_if_right[0], blocked_even_if_right[1]["status"])
    assert "60" == http_retry_after(server, token, attempt_body(server, team))
    assert 200 == other_team[0] and 200 == other_question[0]


def http_retry_after(server: Server, token: str, body: dict) -> str | None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request(
        "POST",
        "/api/v1/attempts",
        json.dumps(body),
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    response = conn.getresponse()
    SEEN.append(response.read())
    conn.close()
    return response.getheader("Retry-After")


def test_an_event_that_is_over_refuses_everything(shared_event, tmp_path):
    with running_server(fresh_copy(shared_event, tmp_path / "ev", minutes=0.02)) as server:
        team = server.team_id(0)
        token = server.tokens.teams[team]
        server.admin("start")
        time.sleep(1.5)  # 1.2 s of event time
        body = refused_and_unrecorded(
            server,
            {403},
            "POST",
            "/api/v1/attempts",
            attempt_body(server, team, server.key(team)[QID]),
            token,
        )
        refused_and_unrecorded(
            server,
            {403},
            "POST",
            "/api/v1/hints",
            {"dataset": server.dataset(team), "qid": QID},
            token,
        )
        assert "ended" == body["status"]
        assert "ended" == server.board()["clock"]["status"]


def test_the_pages_load_nothing_from_elsewhere(server):
    for path in ("/", "/admin"):
        status, _, raw = call(server, "GET", path)
        links = re.findall(r'(?:src|href)="([^"]*)"', raw.decode())
        assert 200 == status
        assert links and [] == [u for u in links if not u.startswith(("/static/", "data:"))]


def test_no_response_holds_an_answer_a_hash_the_salt_or_a_token(server):
    """Searches its own responses to every question's right answer and hint, and those of
    the tests that ran before it in this module."""
    team = server.team_id(0)
    token = server.tokens.teams[team]
    dataset = server.dataset(team)
    for path in ("/api/v1/scoreboard", f"/api/v1/progress?dataset={dataset}"):
        SEEN.append(call(server, "GET", path, token=token)[2])
    for qid, answer in server.key(team).items():
        SEEN.append(
            call(
                server, "POST", "/api/v1/attempts", attempt_body(server, team, answer, qid), token
            )[2]
        )
        SEEN.append(
            call(server, "POST", "/api/v1/hints", {"dataset": dataset, "qid": qid}, token)[2]
        )
    for path in (
        "/api/v1/admin/export.json",
        "/api/v1/admin/export.csv",
        "/api/v1/admin/scoreboard",
    ):
        SEEN.append(call(server, "GET", path, token=server.tokens.trainer)[2])

    secrets = set()
    for t in server.event.teams:
        checker = server.checker(t.id)
        secrets.add(checker.salt.hex())
        for entry in checker.entries.values():
            secrets.update(entry.elements)
            secrets.update(entry.members)
            secrets.update(entry.known_wrong)
        for qid, answer in server.key(t.id).items():
            if checker.entries[qid].kind == "choice":  # the choices are in the question
                continue
            for value in answer if isinstance(answer, list) else [answer]:
                if len(str(value)) >= 6:  # short ones (a count) turn up by chance
                    secrets.add(str(value))
    others = [v for k, v in server.tokens.teams.items() if k != team]
    secrets.update([server.tokens.trainer, *others])
    text = b"\n".join(SEEN).decode("utf-8", "replace")
    assert len(SEEN) > 2 * len(server.key(team))  # this test's own, and the others' before it
    assert [] == sorted(s for s in secrets if s in text)
