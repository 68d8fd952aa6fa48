"""The generator: deterministic, native formats readable by the standard library, the
storyline tagged in the key and hidden from participants, the decoys in place."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path

import duckdb
import pytest
from conftest import SEEDS, key_of

from helpers.catalog import TABLES
from helpers.generate import generate

pytestmark = pytest.mark.slow

CT_KEY = re.compile(
    r"^AWSLogs/(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/"
    r"\1_CloudTrail_\2_\3\4\5T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$"
)
FLOW_KEY = re.compile(
    r"^AWSLogs/(\d{12})/vpcflowlogs/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/"
    r"\1_vpcflowlogs_\2_fl-[0-9a-f]{17}_\3\4\5T\d{4}Z_[0-9a-f]+\.log\.gz$"
)
GD_KEY = re.compile(
    r"^AWSLogs/(\d{12})/GuardDuty/([a-z0-9-]+)/\d{4}/\d{2}/\d{2}/"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.jsonl\.gz$"
)
FLOW_HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status"
)


def raw_files(ds: Path) -> dict[str, Path]:
    raw = ds / "raw"
    return {p.relative_to(raw).as_posix(): p for p in raw.rglob("*") if p.is_file()}


def file_digests(ds: Path) -> dict[str, str]:
    return {k: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in raw_files(ds).items()}


def table_digest(ds: Path) -> dict[str, tuple]:
    con = duckdb.connect(str(ds / "gameday.duckdb"), read_only=True)
    try:
        return {
            "cloudtrail": con.execute(
                "SELECT count(*), sum(hash(event_id, event_time, record, file)) FROM cloudtrail"
            ).fetchone(),
            "vpc_flow": con.execute(
                "SELECT count(*), sum(hash(interface_id, srcaddr, dstaddr, srcport, dstport, "
                "start_time, bytes, file)) FROM vpc_flow"
            ).fetchone(),
            "guardduty": con.execute(
                "SELECT count(*), sum(hash(id, updated_at, finding)) FROM guardduty"
            ).fetchone(),
        }
    finally:
        con.close()


def key(ds: Path) -> dict:
    return json.loads(key_of(ds).read_text())


def test_same_seed_gives_byte_identical_files_and_identical_tables(small_dataset, tmp_path):
    again = tmp_path / small_dataset.name
    generate("leaked-key", SEEDS[0], "small", again, key_out=tmp_path / "k.json", progress=False)

    assert file_digests(small_dataset) == file_digests(again)
    assert table_digest(small_dataset) == table_digest(again)


def test_different_seeds_give_different_worlds_attackers_and_answers(small_datasets):
    keys = [key(ds) for ds in small_datasets.values()]
    for field in ("attacker_ip", "victim_user", "account_id", "pool_ip", "miner_instances"):
        values = [json.dumps(k["facts"][field]) for k in keys]
        assert len(set(values)) == len(values), field
    answers = [json.dumps(k["answers"], sort_keys=True) for k in keys]
    assert len(set(answers)) == len(answers)


def test_cloudtrail_files_are_laid_out_and_shaped_as_aws_delivers_them(small_dataset):
    files = {k: p for k, p in raw_files(small_dataset).items() if "/CloudTrail/" in k}
    assert files
    bad = [k for k in files if not CT_KEY.match(k)]
    assert bad == []
    sample = sorted(files)[:: max(1, len(files) // 25)]
    for name in sample:
        body = json.loads(gzip.decompress(files[name].read_bytes()))
        assert list(body) == ["Records"]
        records = body["Records"]
        assert records
        for r in records:
            assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", r["eventTime"])
            assert r["eventVersion"].startswith("1.")
            assert isinstance(r["userIdentity"], dict)
            assert "requestParameters" in r and "responseElements" in r
            assert isinstance(r.get("readOnly", True), bool)
            assert r["eventCategory"] in ("Management", "Data")
            assert re.match(r"^[0-9a-f-]{36}$", r["eventID"])
            attrs = r["userIdentity"].get("sessionContext", {}).get("attributes", {})
            if "mfaAuthenticated" in attrs:
                assert attrs["mfaAuthenticated"] in ("true", "false")
            assert None not in (r.get("errorCode", ""), r.get("userAgent", ""))


def test_keys_are_akia_for_users_and_asia_for_sessions(small_dataset):
    con = duckdb.connect(str(small_dataset / "gameday.duckdb"), read_only=True)
    rows = con.execute(
        """SELECT identity_type, left(access_key_id, 4) AS prefix, count(*)
           FROM cloudtrail WHERE coalesce(access_key_id, '') <> ''
           GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    kinds = {(t, p) for t, p, _ in rows}
    assert ("AssumedRole", "ASIA") in kinds
    assert ("IAMUser", "AKIA") in kinds
    assert ("AssumedRole", "AKIA") not in kinds


def test_flow_files_are_version_2_text_with_a_header(small_dataset):
    files = {k: p for k, p in raw_files(small_dataset).items() if "/vpcflowlogs/" in k}
    assert files
    assert [k for k in files if not FLOW_KEY.match(k)] == []
    for name in sorted(files)[:: max(1, len(files) // 20)]:
        lines = gzip.decompress(files[name].read_bytes()).decode().splitlines()
        assert lines[0] == FLOW_HEADER
        for line in lines[1:]:
            fields = line.split(" ")
            assert len(fields) == 14
            assert fields[0] == "2"
            assert re.match(r"^\d{12}$", fields[1])
            assert fields[12] in ("ACCEPT", "REJECT")


def test_guardduty_exports_hold_findings_updated_under_the_same_id(small_dataset):
    files = {k: p for k, p in raw_files(small_dataset).items() if "/GuardDuty/" in k}
    assert files and [k for k in files if not GD_KEY.match(k)] == []
    counts: dict[str, list[int]] = {}
    for p in files.values():
        for line in gzip.decompress(p.read_bytes()).decode().splitlines():
            f = json.loads(line)
            assert f["schemaVersion"] == "2.0"
            counts.setdefault(f["id"], []).append(f["service"]["count"])
    assert any(len(c) > 1 and max(c) > min(c) for c in counts.values())


def test_storyline_events_are_in_the_logs_and_tagged_in_the_key(small_datasets):
    for ds in small_datasets.values():
        k = key(ds)
        truth = [r for r in k["ground_truth"] if r["source"] == "cloudtrail"]
        steps = {r["step"] for r in k["ground_truth"]}
        assert steps == {s["id"] for s in k["steps"]}
        con = duckdb.connect(str(ds / "gameday.duckdb"), read_only=True)
        ids = [r["event_id"] for r in truth]
        found = con.execute(
            "SELECT count(*) FROM cloudtrail WHERE event_id IN (SELECT unnest(?))", [ids]
        ).fetchone()[0]
        assert found == len(ids)
        flows = [r for r in k["ground_truth"] if r["source"] == "vpc_flow"]
        assert flows
        findings = {r["event_id"] for r in k["ground_truth"] if r["source"] == "guardduty"}
        present = {r[0] for r in con.execute("SELECT DISTINCT id FROM guardduty").fetchall()}
        assert findings <= present


def test_the_key_and_its_ground_truth_stay_out_of_the_data_set(small_datasets):
    for ds in small_datasets.values():
        assert not list(ds.rglob("*key*.json"))
        for name in ("dataset.json", "answers.json"):
            text = (ds / name).read_text()
            assert "ground_truth" not in text
            facts = key(ds)["facts"]
            for field in ("attacker_ip", "backdoor_user", "leaked_key", "pool_ip", "victim_user"):
                assert str(facts[field]) not in text, (name, field)


def test_decoys_are_there_to_mislead_a_careless_query(small_dataset):
    k = key(small_dataset)
    facts = k["facts"]
    con = duckdb.connect(str(small_dataset / "gameday.duckdb"), read_only=True)

    def one(q, *args):
        return con.execute(q, list(args)).fetchone()[0]

    # the nightly plan: hundreds of reads by the Terraform user
    assert one("SELECT count(*) FROM cloudtrail WHERE user_name = 'terraform-ci'") > 1000
    assert facts["naive_discovery_user"] == "terraform-ci"
    # the audit role's AccessDenied storm dwarfs the attacker's denials
    audit_denied = one(
        "SELECT count(*) FROM cloudtrail WHERE user_name = 'SecurityAudit-ReadOnly' "
        "AND error_code IS NOT NULL"
    )
    assert audit_denied > 5 * facts["denied_count"]
    # an administrator creates a user during the incident, from the office
    created = con.execute(
        "SELECT request_parameters->>'userName', source_ip FROM cloudtrail "
        "WHERE event_name = 'CreateUser' ORDER BY event_time"
    ).fetchall()
    assert {u for u, _ in created} == {facts["backdoor_user"], facts["new_hire"]}
    # benign low-severity findings beside the real ones
    assert one("SELECT count(*) FROM guardduty_latest WHERE severity < 4") >= 2
    # people sign in to the console with MFA from the office
    assert (
        one(
            "SELECT count(*) FROM cloudtrail "
            "WHERE event_name = 'ConsoleLogin' AND mfa_authenticated"
        )
        > 5
    )


def test_dataset_json_describes_the_data_set_without_answers(small_dataset):
    meta = json.loads((small_dataset / "dataset.json").read_text())
    assert meta["scenario"] == "leaked-key"
    assert meta["scale"] == "small"
    assert set(meta["tables"]) == {t.name for t in TABLES}  # every catalog table, side sources too
    assert "seed" not in json.dumps(meta)


def test_reading_the_native_files_back_gives_the_catalog_tables(small_dataset):
    """The readers are the one path from files: the catalog a data set ships with is
    exactly what they make of its files (record text included)."""
    from helpers import cloudtrail, guardduty, vpcflow

    raw = small_dataset / "raw"
    con = duckdb.connect()
    con.execute(f"ATTACH '{small_dataset / 'gameday.duckdb'}' AS shipped (READ_ONLY)")
    for module, pattern in (
        (cloudtrail, "*_CloudTrail_*.json.gz"),
        (vpcflow, "*_vpcflowlogs_*.log.gz"),
        (guardduty, "*.jsonl.gz"),
    ):
        table = module.TABLE
        con.execute(table.ddl())
        loaded, skipped = module.read_files(con, sorted(raw.rglob(pattern)), raw)
        assert skipped == []
        cols = ", ".join(table.names)
        only_read = con.execute(
            f"SELECT count(*) FROM (SELECT {cols} FROM {table.name} "
            f"EXCEPT ALL SELECT {cols} FROM shipped.{table.name})"
        ).fetchone()[0]
        only_shipped = con.execute(
            f"SELECT count(*) FROM (SELECT {cols} FROM shipped.{table.name} "
            f"EXCEPT ALL SELECT {cols} FROM {table.name})"
        ).fetchone()[0]
        assert (loaded, only_read, only_shipped) == (loaded, 0, 0), table.name
        assert loaded > 0


@pytest.mark.slow
def test_a_moved_data_set_still_answers_queries(tmp_path):
    """CloudTrail's rows are Parquet files beside the catalog: a moved or unpacked data
    set (an event bundle) finds them in its new place."""
    import shutil

    from helpers.notebook import Session

    here = tmp_path / "here" / "ds"
    generate("leaked-key", SEEDS[0], "small", here, key_out=tmp_path / "k.json", progress=False)
    query = "SELECT count(*) AS n, max(record) AS r FROM cloudtrail"
    expected = Session(here).sql(query)

    there = tmp_path / "there" / "ds"
    shutil.move(here.parent, there.parent)
    actual = Session(there).sql(query)

    assert expected.to_dict() == actual.to_dict()
    assert 0 < actual.n[0]
