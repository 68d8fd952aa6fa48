"""Normal VPC traffic: the flow records of an ordinary week, built column-wise.

Web servers answer clients from the internet, workers talk to the database,
every instance keeps its clock (NTP) and packages up to date, people SSH to
the bastion from the office, and the internet's background radiation knocks on
closed ports (REJECT). Storylines add their flows beside these.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helpers.background import Chunk, _poisson
from helpers.vpcflow import FRAME
from helpers.world import PUBLIC_BLOCKS, Instance, World

NTP_SERVERS = ("162.159.200.1", "129.250.35.250", "195.46.37.22", "91.189.91.157")
MIRRORS = ("151.101.2.132", "199.232.18.132", "91.189.88.142", "185.125.190.36")


def flow_frame(n: int, **columns) -> pa.Table:
    """A flow FRAME of ``n`` records from arrays or scalars (None -> "-")."""
    arrays = []
    for f in FRAME:
        v = columns.get(f.name)
        if isinstance(v, pa.Array):
            arrays.append(v.cast(f.type))
        elif isinstance(v, np.ndarray):
            arrays.append(pa.array(v, type=f.type))
        elif v is None:
            arrays.append(pa.nulls(n, f.type))
        else:
            arrays.append(pa.repeat(pa.scalar(v, type=f.type), n))
    return pa.Table.from_arrays(arrays, schema=FRAME)


def random_public_ips(rng: np.random.Generator, n: int) -> pa.Array:
    """``n`` ordinary-looking public IPv4 addresses."""
    firsts = np.array([b[0] for b in PUBLIC_BLOCKS])[rng.integers(0, len(PUBLIC_BLOCKS), n)]
    octets = [
        pa.array(firsts.astype(str)),
        pa.array(rng.integers(1, 255, n).astype(str)),
        pa.array(rng.integers(0, 256, n).astype(str)),
        pa.array(rng.integers(1, 255, n).astype(str)),
    ]
    return pc.binary_join_element_wise(*octets, ".")


def conversation(
    rng: np.random.Generator,
    world: World,
    inst: Instance,
    start_ms: np.ndarray,
    peer: pa.Array | str,
    peer_port: np.ndarray | int,
    local_port: np.ndarray | int,
    protocol: int,
    *,
    inbound: bool,
    bytes_mean: float,
    duration_s: float = 20.0,
    region: str | None = None,
    action: str = "ACCEPT",
    both_ways: bool = True,
) -> pa.Table:
    """Flow records of ``len(start_ms)`` connections on one instance's interface.

    A connection is logged in both directions on the interface (request and
    reply), as flow logs do; a rejected one only inbound.
    """
    n = len(start_ms)
    if n == 0:
        return FRAME.empty_table()
    start = (start_ms // 1000).astype(np.int64)
    end = start + np.maximum(1, rng.exponential(duration_s, n).astype(np.int64))
    pk_out = np.maximum(1, rng.lognormal(np.log(max(bytes_mean, 64) / 900), 0.6, n)).astype(
        np.int64
    )
    by_out = pk_out * rng.integers(400, 1400, n)
    pk_in = np.maximum(1, (pk_out * rng.uniform(0.4, 1.1, n)).astype(np.int64))
    by_in = pk_in * rng.integers(52, 300, n)
    peer_arr = peer if isinstance(peer, pa.Array) else pa.repeat(pa.scalar(peer, pa.string()), n)
    local = pa.repeat(pa.scalar(inst.private_ip, pa.string()), n)
    peer_port = np.broadcast_to(np.asarray(peer_port, dtype=np.int32), (n,))
    local_port = np.broadcast_to(np.asarray(local_port, dtype=np.int32), (n,))
    common = dict(
        version=2,
        account_id=world.account_id,
        interface_id=inst.eni,
        protocol=protocol,
        start=start,
        end=end,
        action=action,
        log_status="OK",
        region=region or world.home_region,
        flow_log_id=world.flow_log_id,
    )
    # Inbound: the peer opens, we serve (big replies). Outbound: we open (big downloads).
    if inbound:
        first = flow_frame(
            n,
            srcaddr=peer_arr,
            dstaddr=local,
            srcport=peer_port,
            dstport=local_port,
            packets=pk_in,
            bytes=by_in,
            **common,
        )
        second = flow_frame(
            n,
            srcaddr=local,
            dstaddr=peer_arr,
            srcport=local_port,
            dstport=peer_port,
            packets=pk_out,
            bytes=by_out,
            **common,
        )
    else:
        first = flow_frame(
            n,
            srcaddr=local,
            dstaddr=peer_arr,
            srcport=local_port,
            dstport=peer_port,
            packets=pk_in,
            bytes=by_in,
            **common,
        )
        second = flow_frame(
            n,
            srcaddr=peer_arr,
            dstaddr=local,
            srcport=peer_port,
            dstport=local_port,
            packets=pk_out,
            bytes=by_out,
            **common,
        )
    if not both_ways or action == "REJECT":
        return first
    return pa.concat_tables([first, second])


def ephemeral(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(32768, 61000, n)


class Traffic:
    """The ordinary week's flow records, chunk by chunk."""

    def __init__(self, world: World, rate: float) -> None:
        self.world = world
        self.rate = rate

    def flows(self, chunk: Chunk) -> pa.Table:
        w = self.world
        rng = np.random.default_rng([w.seed, 21, chunk.index])
        parts = []
        web = [i for i in w.instances if "-web-" in i.name]
        workers = [i for i in w.instances if "-worker-" in i.name]
        db = next(i for i in w.instances if "-db-" in i.name)
        bastion = next(i for i in w.instances if "-bastion-" in i.name)
        for inst in web:
            ms = _poisson(rng, chunk, 0.36 * self.rate)
            parts.append(
                conversation(
                    rng,
                    w,
                    inst,
                    ms,
                    random_public_ips(rng, len(ms)),
                    ephemeral(rng, len(ms)),
                    443,
                    6,
                    inbound=True,
                    bytes_mean=40_000,
                )
            )
            ms = _poisson(rng, chunk, 0.03 * self.rate)  # the internet knocks on closed ports
            ports = rng.choice([23, 445, 3389, 8080, 5900, 1433, 6379, 9200, 2375], len(ms))
            parts.append(
                conversation(
                    rng,
                    w,
                    inst,
                    ms,
                    random_public_ips(rng, len(ms)),
                    ephemeral(rng, len(ms)),
                    ports,
                    6,
                    inbound=True,
                    bytes_mean=60,
                    action="REJECT",
                    duration_s=1,
                )
            )
        for inst in workers:
            ms = _poisson(rng, chunk, 0.12 * self.rate)
            parts.append(
                conversation(
                    rng,
                    w,
                    inst,
                    ms,
                    db.private_ip,
                    5432,
                    ephemeral(rng, len(ms)),
                    6,
                    inbound=False,
                    bytes_mean=25_000,
                )
            )
            # the database sees the same connections on its own interface
            parts.append(
                conversation(
                    rng,
                    w,
                    db,
                    ms,
                    inst.private_ip,
                    ephemeral(rng, len(ms)),
                    5432,
                    6,
                    inbound=True,
                    bytes_mean=25_000,
                )
            )
        for inst in w.instances:
            ms = _poisson(rng, chunk, 1 / 64 * max(self.rate, 0.2))
            ntp = pa.array(np.asarray(NTP_SERVERS)[rng.integers(0, len(NTP_SERVERS), len(ms))])
            parts.append(
                conversation(
                    rng, w, inst, ms, ntp, 123, 123, 17, inbound=False, bytes_mean=76, duration_s=1
                )
            )
            ms = _poisson(rng, chunk, 0.004 * self.rate)
            mirror = pa.array(np.asarray(MIRRORS)[rng.integers(0, len(MIRRORS), len(ms))])
            parts.append(
                conversation(
                    rng,
                    w,
                    inst,
                    ms,
                    mirror,
                    443,
                    ephemeral(rng, len(ms)),
                    6,
                    inbound=False,
                    bytes_mean=2_000_000,
                    duration_s=8,
                )
            )
        ms = _poisson(rng, chunk, 0.002 * max(self.rate, 0.5))
        office = pa.array(np.asarray(w.office_ips)[rng.integers(0, len(w.office_ips), len(ms))])
        parts.append(
            conversation(
                rng,
                w,
                bastion,
                ms,
                office,
                ephemeral(rng, len(ms)),
                22,
                6,
                inbound=True,
                bytes_mean=300_000,
                duration_s=900,
            )
        )
        parts = [p for p in parts if p.num_rows]
        return pa.concat_tables(parts) if parts else FRAME.empty_table()
