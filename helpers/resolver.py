"""Route 53 Resolver query logs: the generator's frame (writer, reader and table follow).

The VPC's resolver logs every DNS query an instance makes: package mirrors and
AWS endpoints all week long, and in storylines a mining pool, a C2 domain, or
data leaving as long, random-looking labels.
"""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("ms", tz="UTC")

#: One row per DNS query that reached the VPC's resolver.
FRAME = pa.schema(
    [
        ("time", TS),  # query_timestamp
        ("query_name", pa.string()),  # with the trailing dot, as logged: "example.com."
        ("query_type", pa.string()),  # A | AAAA | TXT | CNAME | ...
        ("rcode", pa.string()),  # NOERROR | NXDOMAIN | SERVFAIL
        ("answers", pa.list_(pa.string())),  # the answers' Rdata; empty for NXDOMAIN
        ("srcaddr", pa.string()),  # the instance's private address
        ("srcport", pa.int32()),
        ("transport", pa.string()),  # UDP | TCP; null -> UDP
        ("instance_id", pa.string()),  # srcids.instance
    ]
)
