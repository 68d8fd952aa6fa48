"""Benign GuardDuty findings of an ordinary week: real, low severity, not the incident.

Public instances get probed on open ports all the time; GuardDuty reports it
(``Recon:EC2/PortProbeUnprotectedPort``) and updates the same finding as the
probing goes on. A learner who sorts findings by count alone lands here.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from helpers import guardduty as gd
from helpers import ids
from helpers.world import World, public_ip, remote_details


def benign_findings(world: World, rng: np.random.Generator) -> list[dict]:
    """Port-probe findings on the public instances, updated every six hours."""
    out: list[dict] = []
    for inst in (i for i in world.instances if i.public_ip):
        port = 22 if "bastion" in inst.name else 443
        first = world.start + timedelta(hours=float(rng.uniform(1, 30)))
        finding = gd.port_probe_finding(
            account=world.account_id,
            region=world.home_region,
            detector_id=world.detector_id,
            finding_id=ids.random_strings(rng, 1, 32, ids.HEX)[0],
            finding_type="Recon:EC2/PortProbeUnprotectedPort",
            severity=2.0,
            title=f"Unprotected port on EC2 instance {inst.instance_id} is being probed.",
            description=(
                f"EC2 instance has an unprotected port {port} which is being probed by a known "
                "malicious host."
            ),
            instance=gd.Instance(
                instance_id=inst.instance_id,
                instance_type=inst.instance_type,
                image_id=inst.image_id,
                launch_time=world.start - timedelta(days=40),
                availability_zone=f"{world.home_region}a",
                network_interface_id=inst.eni,
                private_ip=inst.private_ip,
                subnet_id=inst.subnet,
                vpc_id=world.vpc_id,
                public_ip=inst.public_ip,
                tags=(("Name", inst.name),),
            ),
            probes=[(port, remote_details(rng, public_ip(rng)))],
            first_seen=first,
            last_seen=first,
            count=1,
            created_at=first + timedelta(minutes=5),
            updated_at=first + timedelta(minutes=5),
        )
        out.append(finding)
        count = 1
        when = first
        while True:
            when += timedelta(hours=6)
            if when >= world.end:
                break
            count += int(rng.integers(3, 40))
            out.append(
                gd.updated(
                    finding, count=count, last_seen=when, updated_at=when + timedelta(minutes=2)
                )
            )
    return out
