"""What a ttl-teardown or ACM run pays for its AWS clients before the first call.

A run makes one boto3 client per (service, region): six services in five regions is 30. Each
comes from its own session (sessions are not thread-safe, and each reads the environment's
endpoint and credentials as it is made), but `jobs.core.clients.aws.aws_client` hands every
session one data loader, so each service's model JSON is parsed once per process. The anchor,
measured in the same rounds in a fresh interpreter each: the same 30 clients from plain
`boto3.session.Session().client(...)`, one parse per client. No call is made (no network).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from measure import Sample, interleave, options, show  # noqa: E402

SERVICES = ("ec2", "rds", "s3", "elbv2", "autoscaling", "iam")
REGIONS = ("us-east-1", "eu-west-1", "us-west-2", "ap-south-1", "eu-central-1")
OURS = "from jobs.core.clients.aws import aws_client as make"
PLAIN = "import boto3\ndef make(s, r): return boto3.session.Session().client(s, region_name=r)"
LOOP = """
import time
t = time.perf_counter()
for r in {regions!r}:
    for s in {services!r}:
        make(s, r)
print((time.perf_counter() - t) * 1000)
"""


def timed(setup: str, regions: tuple[str, ...]) -> float:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
    code = setup + LOOP.format(regions=regions, services=SERVICES)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


def main() -> None:
    args = options(__doc__, rounds=5)
    regions = REGIONS[:2] if args.quick else REGIONS
    clients = len(regions) * len(SERVICES)
    ours = Sample(f"aws_client x {clients} (one loader)", "ms")
    plain = Sample(f"boto3 Session().client x {clients} (a loader each)", "ms")
    interleave(args.rounds, [(ours, lambda: timed(OURS, regions)), (plain, lambda: timed(PLAIN, regions))])
    print(f"{clients} clients ({len(SERVICES)} services x {len(regions)} regions), no calls:")
    show(ours, plain, "aws_client / plain boto3 sessions")


if __name__ == "__main__":
    main()
