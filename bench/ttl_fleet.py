"""The ttl bench's fleet: the tags every item carries, a moto server holding the fleet, and the
counting proxy both tools read it through (the same meter for both).

The fleet's dates are relative to `now`, which the bench takes from the wall clock: c7n's
`value_type: age` compares against the real now and cannot be given another.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REGION = "us-east-1"


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


def kind_of(n: int, now: datetime) -> tuple[str, dict[str, str]]:
    """Every tenth is prod, restricted, missing created_at or opted out; a third are expired."""
    old, young = now - timedelta(days=10), now - timedelta(days=2)
    cases = {
        0: ("prod", tags(old, environment="prod")),
        1: ("restricted", tags(old, **{"data-class": "restricted"})),
        2: ("no-created-at", tags(None)),
        3: ("opted-out", tags(old, **{"auto-teardown": "false"})),
    }
    if n % 10 in cases:
        return cases[n % 10]
    return ("expired", tags(old)) if n % 3 == 0 else ("young", tags(young))


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


def build_fleet(endpoint: str, instances: int, buckets: int, now: datetime) -> set[str]:
    """The fleet, made straight against moto (not through the proxy). Returns the expired ids."""
    import boto3

    session = boto3.session.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name=REGION)
    ec2, s3 = session.client("ec2", endpoint_url=endpoint), session.client("s3", endpoint_url=endpoint)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    expired: set[str] = set()
    # one launch per instance, as people launch them: moto pages 500-instance reservations
    # too slowly for a 30-second read timeout, so batched launches would measure moto, not us
    for n in range(instances):
        kind, t = kind_of(n, now)
        spec = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in t.items()]}]
        answer = ec2.run_instances(
            ImageId=image, MinCount=1, MaxCount=1, InstanceType="m5.large", TagSpecifications=spec
        )
        if kind == "expired":
            expired.add(answer["Instances"][0]["InstanceId"])
    for n in range(buckets):
        name = f"bench-bucket-{n:04d}"
        s3.create_bucket(Bucket=name)
        s3.put_bucket_tagging(
            Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in kind_of(n, now)[1].items()]}
        )
    return expired


@contextlib.contextmanager
def moto_server() -> Iterator[int]:
    """moto's server on a free loopback port, in its own process, stopped on the way out."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = (
        f"from moto.server import ThreadedMotoServer as M; import time; "
        f"M(ip_address='127.0.0.1', port={port}, verbose=False).start(); time.sleep(10**6)"
    )
    server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _attempt in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/moto-api/")
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait()
