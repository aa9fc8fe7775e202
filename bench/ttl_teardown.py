"""ttl-teardown throughput and cost, side by side with cloud-custodian on the same fleet.

Prints:
- plan throughput over 100,000 synthetic resources (target >= 50,000/s);
- a dry run against moto's server with 5,000 EC2 instances and 500 S3 buckets: wall time,
  AWS API calls per 1,000 resources, peak RSS (target <= 300 MB);
- cloud-custodian (c7n, in its own venv) running the equivalent policy (tag filters +
  created_at age + terminate, --dryrun) on the same moto server: wall time, client CPU,
  API calls, and whether it selects the same instances. Both go through one counting proxy.
The fleet uses a single 7-day ttl, so c7n's filters can express the same policy.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

PLANNED, INSTANCES, BUCKETS, REGION = 100_000, 5000, 500, "us-east-1"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
C7N_VENV = Path(os.environ.get("C7N_VENV", Path(tempfile.gettempdir()) / "c7n-venv")).resolve()


def tags(created: datetime | None, **extra: str) -> dict[str, str]:
    base = {
        "environment": "dev",
        "owner": "dana@example.com",
        "project": "checkout",
        "cost-center": "cc-42",
        "ttl": "7d",
        "auto-teardown": "true",
        "data-class": "internal",
        **extra,
    }
    if created is not None:
        base["created_at"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    return base


def kind_of(n: int) -> tuple[str, dict[str, str]]:
    """Every tenth is prod, restricted, missing created_at or opted out; a third are expired."""
    old, young = NOW - timedelta(days=10), NOW - timedelta(days=2)
    cases = {
        0: ("prod", tags(old, environment="prod")),
        1: ("restricted", tags(old, **{"data-class": "restricted"})),
        2: ("no-created-at", tags(None)),
        3: ("opted-out", tags(old, **{"auto-teardown": "false"})),
    }
    if n % 10 in cases:
        return cases[n % 10]
    return ("expired", tags(old)) if n % 3 == 0 else ("young", tags(young))


def plan_throughput(runs: int = 5) -> None:
    """The median of `runs` plans, each over freshly built items (tags normalised cold), since
    this 2-core VM's timings wander by a fifth from run to run."""
    from jobs.core.runner import gc_paused
    from jobs.ttl_teardown.catalog import hourly
    from jobs.ttl_teardown.cost import Sizing, load_pricing
    from jobs.ttl_teardown.model import Item
    from jobs.ttl_teardown.plan import Context, build
    from jobs.ttl_teardown.rules import Policy, Resource

    context = Context(Policy(), 30, {}, NOW)
    sizing = Sizing(instance_type="m5.large")
    price = hourly("ec2:instance", sizing, load_pricing(None))  # collect prices each item; the plan reads it
    rates = []
    for _ in range(runs):
        items = [
            Item(
                Resource(f"arn:aws:ec2:{REGION}:123456789012:instance/i-{n:017x}", "ec2:instance", kind_of(n)[1]),
                "aws",
                REGION,
                f"i-{n:017x}",
                sizing,
                hourly_usd=price,
            )
            for n in range(PLANNED)
        ]
        start = time.perf_counter()
        with gc_paused():  # as the runner plans
            plan = build(items, context)
        rates.append(PLANNED / (time.perf_counter() - start))
        del items, plan
    rates.sort()
    print(
        f"plan: {PLANNED:,} resources, median of {runs} = {statistics.median(rates):,.0f} resources/s "
        f"(range {rates[0]:,.0f}-{rates[-1]:,.0f}; target >= 50,000)"
    )


class Proxy(ThreadingHTTPServer):
    """Forwards to moto and counts every request: the same meter for both tools."""

    def __init__(self, target_port: int) -> None:
        self.target_port, self.count, self.lock = target_port, 0, threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                with proxy.lock:
                    proxy.count += 1
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.target_port, timeout=120)
                upstream.request(self.command, self.path, body, dict(self.headers))
                answer = upstream.getresponse()
                payload = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                upstream.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.daemon_threads = True
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def build_fleet(endpoint: str) -> set[str]:
    """The fleet, made straight against moto (not through the proxy). Returns the expired ids."""
    import boto3

    session = boto3.session.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name=REGION)
    ec2, s3 = session.client("ec2", endpoint_url=endpoint), session.client("s3", endpoint_url=endpoint)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    expired: set[str] = set()
    # one launch per instance, as people launch them: moto pages 500-instance reservations
    # too slowly for a 30-second read timeout, so batched launches would measure moto, not us
    for n in range(INSTANCES):
        kind, t = kind_of(n)
        spec = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in t.items()]}]
        answer = ec2.run_instances(
            ImageId=image, MinCount=1, MaxCount=1, InstanceType="m5.large", TagSpecifications=spec
        )
        if kind == "expired":
            expired.add(answer["Instances"][0]["InstanceId"])
    for n in range(BUCKETS):
        name = f"bench-bucket-{n:04d}"
        s3.create_bucket(Bucket=name)
        s3.put_bucket_tagging(
            Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in kind_of(n)[1].items()]}
        )
    return expired


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, float]]:
    stats = cwd / "time.txt"
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%e %U %S %M", "-o", str(stats), *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    wall, user, system, rss = stats.read_text().split()[-4:]
    return proc, {"wall": float(wall), "cpu": float(user) + float(system), "rss_mb": int(rss) / 1024}


def run_ours(proxy: Proxy, work: Path, types: list[str]) -> tuple[set[str], dict[str, float], int]:
    config = work / f"ours-{len(types)}.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "state_db_url": f"sqlite:///{work}/state-{len(types)}.db",
                "log_level": "warning",
                "notifications": {"file": {"path": str(work / "outbox.jsonl")}},
                "ttl_teardown": {"regions": [REGION], "aws": {"types": types}},
            }
        )
    )
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": proxy.url,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "PYTHONPATH": str(ROOT),
    }
    before = proxy.count
    argv = [sys.executable, "-m", "jobs.ttl_teardown", "--config", str(config), "--json", "--now", NOW.isoformat()]
    proc, stats = timed(argv, env, work)
    if not proc.stdout.strip():
        raise SystemExit(f"ttl-teardown printed no result (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
    result = json.loads(proc.stdout)
    selected = {
        f["details"]["name"]
        for f in result["findings"]
        if f["type"] == "ttl"
        and f["details"].get("verdict") in ("warn", "delete", "expired_waiting")
        and f["details"].get("type") == "ec2:instance"
        and f["details"]["expires_at"] <= NOW.isoformat().replace("+00:00", "Z")
    }
    return selected, stats, proxy.count - before


C7N_POLICY = {
    "policies": [
        {
            "name": "ttl-expired",
            "resource": "aws.ec2",
            "filters": [
                {"type": "value", "key": "tag:environment", "op": "in", "value": ["dev", "staging", "sandbox", "demo"]},
                {"tag:auto-teardown": "true"},
                {"type": "value", "key": "tag:data-class", "op": "ne", "value": "restricted"},
                {"type": "value", "key": "tag:created_at", "value_type": "age", "op": "gt", "value": 7},
            ],
            "actions": ["terminate"],
        }
    ]
}


def run_c7n(proxy: Proxy, work: Path) -> tuple[set[str], dict[str, float], int] | None:
    custodian = C7N_VENV / "bin" / "custodian"
    if not custodian.exists():
        print(
            f"c7n: not installed at {C7N_VENV} (python3 -m venv {C7N_VENV} && {C7N_VENV}/bin/pip install c7n); skipped"
        )
        return None
    policy = work / "policy.yml"
    policy.write_text(yaml.safe_dump(C7N_POLICY))
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": proxy.url,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": REGION,
    }
    before = proxy.count
    proc, stats = timed(
        [str(custodian), "run", "--dryrun", "-s", str(work / "c7n-out"), "-r", REGION, str(policy)], env, work
    )
    found = list((work / "c7n-out").rglob("resources.json"))
    if not found:
        print(f"c7n: no result ({proc.stderr.strip().splitlines()[-1:] if proc.stderr else 'no output'})")
        return None
    selected = {r["InstanceId"] for r in json.loads(found[0].read_text())}
    return selected, stats, proxy.count - before


def main() -> None:
    plan_throughput()
    work = Path(tempfile.mkdtemp(prefix="secops-ttl-bench-"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from moto.server import ThreadedMotoServer as M; import time; "
            f"M(ip_address='127.0.0.1', port={port}, verbose=False).start(); time.sleep(10**6)",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        for _attempt in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/moto-api/")
                break
            except OSError:
                time.sleep(0.1)
        start = time.perf_counter()
        expired = build_fleet(endpoint)
        print(
            f"fleet: {INSTANCES:,} instances and {BUCKETS} buckets in moto ({time.perf_counter() - start:.0f}s to make)"
        )
        proxy = Proxy(port)
        _, full, calls = run_ours(proxy, work, ["ec2:instance", "s3:bucket"])
        total = INSTANCES + BUCKETS
        print(
            f"ours, dry run, {total:,} resources: {full['wall']:.1f}s wall, {full['cpu']:.1f} CPU-s, "
            f"{calls} API calls = {1000 * calls / total:.1f} per 1,000 resources, peak RSS {full['rss_mb']:.0f} MB"
        )
        ours_sel, ours, our_calls = run_ours(proxy, work, ["ec2:instance"])
        c7n = run_c7n(proxy, work)
        print(
            f"ours, EC2 only: {ours['wall']:.1f}s wall, {ours['cpu']:.1f} CPU-s, {our_calls} API calls, "
            f"{len(ours_sel)} expired selected (the fleet has {len(expired)})"
        )
        if c7n:
            theirs_sel, theirs, their_calls = c7n
            print(
                f"c7n, EC2 only: {theirs['wall']:.1f}s wall, {theirs['cpu']:.1f} CPU-s, {their_calls} API calls, "
                f"{len(theirs_sel)} selected"
            )
            print(
                f"ours/c7n: wall {ours['wall'] / theirs['wall']:.2f}x, CPU {ours['cpu'] / theirs['cpu']:.2f}x, "
                f"API calls {our_calls}/{their_calls}; same selection: {ours_sel == theirs_sel}"
            )
    finally:
        server.terminate()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
