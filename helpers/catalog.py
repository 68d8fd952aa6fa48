"""The DuckDB catalog: one typed table per log source, views, and the data dictionary.

Tables are created from each source's :class:`~helpers.schema.Table`, so the
columns, their types and the dictionary printed by ``gameday describe`` (and
written to ``datasets/README.md``) come from one place.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from helpers import cloudtrail, guardduty, sources, vpcflow
from helpers.schema import Table

#: Every catalog table: CloudTrail, VPC flows, GuardDuty, then the side sources' tables.
TABLES: tuple[Table, ...] = (
    cloudtrail.TABLE,
    vpcflow.TABLE,
    guardduty.TABLE,
    *(m.TABLE for s in sources.available() for m in s.reader_modules()),
)


#: Where a generated data set keeps its tables' rows: Parquet files per table, one per
#: chunk. Storing a workshop week in DuckDB took ~30 CPU-seconds; pyarrow writes the
#: same rows as Parquet in a few, and DuckDB queries them there in tens of milliseconds.
PARQUET_FOLDER = "tables"


def create_tables(con: duckdb.DuckDBPyConnection, generated: bool = False) -> None:
    """The catalog's tables. A generated catalog makes only GuardDuty's here: the others
    become views over Parquet files in :func:`finish_catalog`."""
    for table in TABLES:
        if not generated or table is guardduty.TABLE:
            con.execute(table.ddl())


def parquet_views(dataset: Path, temp: bool = False) -> list[str]:
    """``CREATE VIEW`` statements for the tables a generated ``dataset`` keeps as Parquet.

    Paths are absolute (DuckDB resolves relative ones from the working directory), so
    :meth:`helpers.notebook.Session.connect` runs these again as TEMP views, pointing at
    wherever the data set is now (moved, or unpacked from an event bundle).
    """
    folder = Path(dataset).resolve() / PARQUET_FOLDER
    kind = "TEMP VIEW" if temp else "VIEW"
    out = []
    if (folder / cloudtrail.EVENTS_TABLE).is_dir():
        out.append(cloudtrail.events_view_sql(dataset, temp=temp))
    for table in TABLES:
        if not (folder / table.name).is_dir():
            continue
        glob = (folder / table.name / "*.parquet").as_posix().replace("'", "''")
        columns = ", ".join(f"CAST({c.name} AS {c.type}) AS {c.name}" for c in table.columns)
        out.append(
            f"CREATE OR REPLACE {kind} {table.name} AS SELECT {columns} FROM read_parquet('{glob}')"
        )
    return out


def finish_catalog(con: duckdb.DuckDBPyConnection, dataset: Path | None = None) -> None:
    """Views that make the tables easier to use; checkpoint so the file is complete.

    A generated ``dataset`` keeps its rows in Parquet files (GuardDuty's excepted): its
    tables are views over them (an empty table where a source has no rows), and
    ``cloudtrail`` a view over ``cloudtrail_events``."""
    if dataset is not None:
        for sql in parquet_views(dataset):
            con.execute(sql)
        present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        present |= {r[0] for r in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
        for table in TABLES:
            if table is not cloudtrail.TABLE and table.name not in present:
                con.execute(table.ddl())
        con.execute(cloudtrail.view_sql())
    con.execute(guardduty.LATEST_VIEW_SQL)
    con.execute("CHECKPOINT")


def data_dictionary(markdown: bool = True) -> str:
    """Every table and column with what it means, as Markdown (or plain text)."""
    lines: list[str] = []
    for table in TABLES:
        if markdown:
            lines += [
                f"### `{table.name}`",
                "",
                f"One row: {table.row}.",
                "",
                "| column | type | meaning |",
                "| --- | --- | --- |",
            ]
            lines += [f"| `{c.name}` | {c.type} | {c.description} |" for c in table.columns]
        else:
            lines += [f"{table.name}: one row is {table.row}"]
            width = max(len(c.name) for c in table.columns)
            lines += [f"  {c.name:<{width}}  {c.type:<9}  {c.description}" for c in table.columns]
        lines.append("")
    notes = [
        ("guardduty_latest", "a view of guardduty with one row per finding id: its latest update"),
        (
            "cloudtrail_events",
            "in generated data sets only: the generator's columns behind the cloudtrail view "
            "(cloudtrail renders record from them with the same SQL as the files). In a "
            "generated data set every table but guardduty is a view over Parquet files in "
            "tables/<table>/ beside the catalog, one per chunk of the week",
        ),
    ]
    if markdown:
        lines += ["### Also in the catalog", ""]
        lines += [f"- `{name}`: {text}." for name, text in notes]
    else:
        lines += [f"{name}: {text}" for name, text in notes]
    lines.append("")
    return "\n".join(lines)


#: Columns with a handful of distinct values per chunk: handed to DuckDB as dictionaries.
FEW_VALUES = {
    "file",
    "region",
    "aws_region",
    "event_source",
    "event_name",
    "account_id",
    "recipient_account_id",
    "event_version",
    "event_type",
    "event_category",
    "identity_type",
    "action",
    "log_status",
    "user_agent",
    "interface_id",
}


def as_views(table: pa.Table) -> pa.Table:
    """Strings as Arrow string views, or dictionaries where few values repeat: DuckDB
    takes both in without a copy per value."""
    columns = {}
    for name, col in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_string(col.type):
            col = col.dictionary_encode() if name in FEW_VALUES else col.cast(pa.string_view())
        columns[name] = col
    return pa.table(columns)


class CatalogWriter:
    """Appends Arrow tables to catalog tables, or writes them as Parquet, on a thread of
    its own.

    DuckDB and pyarrow release the GIL while they store a chunk, so the next chunk's
    events are built meanwhile. A bounded queue keeps at most one chunk waiting (memory).
    """

    def __init__(self, db_path: Path) -> None:
        self.con = duckdb.connect(str(db_path))
        self.con.execute("SET enable_progress_bar = false")
        self.con.execute("SET threads = 1")  # the other core builds and writes the next chunk
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("SET memory_limit = '512MB'")
        create_tables(self.con, generated=True)
        self._queue: queue.Queue = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="catalog-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            target, table = item
            if self._error is not None:
                continue
            try:
                if isinstance(target, Path):
                    pq.write_table(table, target, compression="zstd", row_group_size=1 << 17)
                    continue
                chunk_rows = as_views(table)  # noqa: F841 - read by DuckDB's replacement scan
                self.con.execute(f"INSERT INTO {target} SELECT * FROM chunk_rows")
            except BaseException as exc:  # re-raised on the caller's thread by close()
                self._error = exc

    def write_parquet(self, table: pa.Table, path: Path) -> None:
        """Write ``table`` to a Parquet file on the writer's thread (queued like appends)."""
        if self._error is not None:
            raise self._error
        self._queue.put((path, table))

    def append(self, name: str, table: pa.Table) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put((name, table))

    def close(self, raise_errors: bool = True) -> duckdb.DuckDBPyConnection:
        """Wait for every queued chunk; return the connection for the finishing touches."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._error is not None and raise_errors:
            raise self._error
        self.con.execute("RESET threads")
        return self.con


def connect(dataset_dir: Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(Path(dataset_dir) / "gameday.duckdb"), read_only=read_only)


DATASETS_README_HEAD = """# Data sets

`gameday generate` writes each data set into a folder here (`datasets/<scenario>` by
default; the folders are git-ignored). A data set holds:

- `raw/AWSLogs/...`: the native log files, laid out exactly as AWS delivers them to S3
  (CloudTrail `.json.gz`, VPC Flow Logs `.log.gz`, GuardDuty `.jsonl.gz`);
- `gameday.duckdb`: the DuckDB catalog, one typed table per source (below);
- `dataset.json`: what the data set is (scenario, scale, account, home region, time zone, week);
- `answers.json`: the questions' answers as salted hashes, never in plain text;
- `progress/`: each participant's attempts log (JSON lines).

The answer key with the plain answers and the ground truth is written elsewhere
(`answers/keys/<data set>.json`), for trainers only.

Open the catalog from a notebook with `helpers.open_dataset()` and `helpers.sql("...")`,
or from a shell with `duckdb datasets/leaked-key/gameday.duckdb`. All times are UTC.

## Tables

This dictionary is generated from the code (`gameday describe --markdown`); a test
keeps it in step.

"""


def datasets_readme() -> str:
    """The text of ``datasets/README.md``: the layout and the data dictionary."""
    return DATASETS_README_HEAD + data_dictionary(markdown=True).rstrip() + "\n"
