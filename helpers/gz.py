"""gzip for the native log files: fast, deterministic, readable by any gzip reader.

Compression is the largest single cost of writing a week of logs. ISA-L
(the ``isal`` package) writes standard gzip members about ten times faster than
zlib at level 6 with a similar ratio, and releases the GIL so both cores work.
The header's mtime is 0, so the same records give the same bytes every run.
"""

from __future__ import annotations

from collections.abc import Iterable

from isal import isal_zlib

#: ISA-L's levels run 0-3; 2 compresses AWS-style JSON to about 9 % at > 1 GB/s.
LEVEL = 2
_GZIP_WBITS = 31  # a gzip wrapper (header with mtime 0, crc32 trailer)


def gzip_bytes(parts: bytes | Iterable[bytes | memoryview], level: int = LEVEL) -> bytes:
    """One gzip member holding ``parts`` in order.

    >>> import gzip; gzip.decompress(gzip_bytes([b"a", b"b"]))
    b'ab'
    """
    if isinstance(parts, bytes | bytearray | memoryview):
        parts = [parts]
    comp = isal_zlib.compressobj(min(max(level, 0), 3), isal_zlib.DEFLATED, _GZIP_WBITS)
    out = [comp.compress(p) for p in parts]
    out.append(comp.flush())
    return b"".join(out)
