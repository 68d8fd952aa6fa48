"""``gameday ingest``: a learner's own real logs into the same catalog.

Each file is sniffed (name and first few KB) and handed to the reader of its
source, the same readers that load generated data sets' files. A file no
reader recognises, or one a reader rejects, is named in the report with the
reason; ingest fails only when nothing at all could be loaded.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from helpers import cloudtrail, guardduty, sources, vpcflow
from helpers.catalog import create_tables, finish_catalog
from helpers.errors import DatasetError, UsageError

#: catalog table -> the module that recognises and reads its files
READERS = {"cloudtrail": cloudtrail, "vpc_flow": vpcflow, "guardduty": guardduty} | {
    m.TABLE.name: m for s in sources.available() for m in s.reader_modules()
}
SKIP_NAMES = {"LICENSE", "NOTICE", "README", "SOURCES.md"}


@dataclass
class IngestReport:
    loaded: dict[str, int] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"{table}: {n:,} records from {self.files.get(table, 0)} files"
            for table, n in self.loaded.items()
        ]
        out += [f"skipped {path}: {reason}" for path, reason in self.skipped]
        return out


def _files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for p in paths:
        if not p.exists():
            raise UsageError(f"{p}: no such file or folder")
        if p.is_dir():
            found += sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
        else:
            found.append(p)
    return found


def head_text(path: Path, size: int = 4096) -> str | None:
    """The first ``size`` characters of a file, decompressed if gzip; None if unreadable."""
    try:
        raw = path.read_bytes()[: 1 << 16] if path.stat().st_size else b""
        if raw[:2] == b"\x1f\x8b":
            raw = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, size)
        return raw[:size].decode("utf-8", errors="replace")
    except (OSError, zlib.error, gzip.BadGzipFile):
        return None


def ingest(paths: list[Path], out: Path, force: bool = False) -> IngestReport:
    """Load every recognised log file under ``paths`` into ``out/gameday.duckdb``."""
    files = _files([Path(p) for p in paths])
    if not files:
        raise UsageError(f"no files found in {', '.join(str(p) for p in paths)}")
    out = Path(out)
    db = out / "gameday.duckdb"
    if db.exists() and not force:
        raise DatasetError(f"{db} already exists: pass --force to replace it")
    try:
        out.mkdir(parents=True, exist_ok=True)
        if db.exists():
            db.unlink()
    except OSError as exc:
        raise DatasetError(f"--out {out} is not writable: {exc.strerror or exc}") from None

    report = IngestReport()
    by_kind: dict[str, list[Path]] = {k: [] for k in READERS}
    for f in files:
        if f.name in SKIP_NAMES or f.name.startswith("LICENSE"):
            continue
        head = head_text(f)
        if head is None:
            report.skipped.append((f, "not readable (corrupt or truncated gzip?)"))
            continue
        kind = next((k for k, mod in READERS.items() if mod.looks_like(f, head)), None)
        if kind is None:
            report.skipped.append((f, f"not a log this kit reads ({', '.join(READERS)})"))
            continue
        by_kind[kind].append(f)

    con = duckdb.connect(str(db))
    con.execute("SET enable_progress_bar = false")  # ingest reports per source instead
    try:
        create_tables(con)
        for kind, kind_files in by_kind.items():
            if not kind_files:
                continue
            n, skipped = READERS[kind].read_files(con, kind_files, None)
            report.loaded[kind] = n
            report.files[kind] = len(kind_files) - len(skipped)
            report.skipped += skipped
        finish_catalog(con)
    finally:
        con.close()
    if not any(report.loaded.values()):
        db.unlink(missing_ok=True)
        reasons = "; ".join(f"{p.name}: {r}" for p, r in report.skipped[:3])
        raise DatasetError(f"nothing could be loaded ({reasons})")
    return report
