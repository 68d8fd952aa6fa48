"""Web requests to the company's public Application Load Balancer, as one frame.

AWS WAF sits on the load balancer, so every request leaves a line in both the WAF
log and the ALB access log. Storylines and the background build *requests* once
(:data:`REQUESTS`); :mod:`helpers.alb` and :mod:`helpers.waf` each write their own
native files and catalog rows from the same frame, so the two sources always
agree about a request (its time, client, URI, and the WAF's verdict).

Columns left null are filled by the writers the way AWS would (request ids, trace
ids, processing times), so a storyline names only what it knows:

>>> from helpers.schema import frame
>>> frame(REQUESTS, 1, uri="/login", method="GET", status=200).num_rows
1
"""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("ms", tz="UTC")

#: One row per HTTP request the load balancer received.
REQUESTS = pa.schema(
    [
        ("time", TS),  # when the request arrived (ALB request_creation_time, WAF timestamp)
        ("client_ip", pa.string()),
        ("client_port", pa.int32()),
        ("country", pa.string()),  # two-letter code, as WAF's httpRequest.country
        ("method", pa.string()),  # GET, POST, ...
        ("host", pa.string()),  # the Host header; null -> the site's domain
        ("uri", pa.string()),  # the path, no query string
        ("args", pa.string()),  # the query string without "?", "" when none
        ("http_version", pa.string()),  # HTTP/1.1 | HTTP/2.0; null -> HTTP/1.1
        ("user_agent", pa.string()),
        ("referer", pa.string()),  # null when the client sent none
        ("status", pa.int16()),  # what the load balancer answered (elb_status_code)
        ("target_status", pa.int16()),  # what the target answered; null when none did
        ("target_ip", pa.string()),  # the instance that served it; null when blocked
        ("received_bytes", pa.int64()),
        ("sent_bytes", pa.int64()),
        ("target_processing_time", pa.float64()),  # seconds; null -> drawn by the writer
        ("waf_action", pa.string()),  # ALLOW | BLOCK | COUNT (terminating action)
        ("waf_rule", pa.string()),  # terminatingRuleId; null -> Default_Action
        ("waf_rule_type", pa.string()),  # REGULAR | MANAGED_RULE_GROUP | RATE_BASED
        ("waf_count_rules", pa.string()),  # rules that matched in COUNT mode, comma-separated
        ("waf_labels", pa.string()),  # labels added by matching rules, comma-separated
        ("request_id", pa.string()),  # WAF httpRequest.requestId; null -> drawn
        ("trace_id", pa.string()),  # ALB X-Amzn-Trace-Id Root=...; null -> drawn
    ]
)
