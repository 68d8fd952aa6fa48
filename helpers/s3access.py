"""S3 server access logs: the generator's frame (writer, reader and table follow).

Server access logging records every request to a bucket, whatever CloudTrail's
trail selects and whether or not the trail is logging: in storyline 3 these
logs are what remains while CloudTrail is stopped.
"""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("ms", tz="UTC")

#: One row per request to a bucket that has server access logging on.
FRAME = pa.schema(
    [
        ("time", TS),
        ("bucket", pa.string()),
        ("remote_ip", pa.string()),
        ("requester", pa.string()),  # an IAM ARN, or null -> "-" (anonymous)
        ("request_id", pa.string()),  # null -> drawn by the writer
        ("operation", pa.string()),  # REST.GET.OBJECT, REST.PUT.OBJECT, REST.COPY.OBJECT, ...
        ("key", pa.string()),  # the object key; null -> "-"
        ("request_uri", pa.string()),  # "GET /key HTTP/1.1"; null -> built from operation + key
        ("http_status", pa.int16()),
        ("error_code", pa.string()),  # null -> "-"
        ("bytes_sent", pa.int64()),  # null -> "-"
        ("object_size", pa.int64()),
        ("total_time", pa.int32()),  # ms; null -> drawn
        ("turn_around_time", pa.int32()),
        ("referer", pa.string()),
        ("user_agent", pa.string()),
        ("version_id", pa.string()),
        ("signature_version", pa.string()),  # SigV4; null -> SigV4 when a requester signed
        ("authentication_type", pa.string()),  # AuthHeader | QueryString
        ("tls_version", pa.string()),  # TLSv1.2 | TLSv1.3
    ]
)
