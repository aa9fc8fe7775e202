"""certificate-checker throughput, side by side with blackbox_exporter and openssl.

Prints:
- endpoint checks/s over 1,000 loopback endpoints (1,000 distinct certificates on 1,000
  ports, served by another process), full chain verification included, and peak RSS;
- prometheus-blackbox-exporter (Debian package) probing the same 1,000 endpoints through
  /probe at the same concurrency, verifying against the same root: checks/s and ratio;
- how many of 64 expired endpoints each reports an expiry for;
- a sequential `openssl s_client` loop over 100 of them;
- parsed file certificates/s over 10,000 PEM files, and peak RSS.
Targets (2 cores): >= 1.0x blackbox's checks/s, >= 5,000 file certificates/s, <= 150 MB.
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402

from jobs.demo.tlslab import Issued, PortFarm, issue  # noqa: E402

ENDPOINTS, EXPIRED, OPENSSL_LOOP, FILES, CONCURRENCY, REPEATS = 1000, 64, 100, 10_000, 32, 3
NAME = "bench.test"


def _listed(rates: list[float]) -> str:
    return ", ".join(f"{r:.0f}" for r in rates)


def farm(certs: list[Issued], ports: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    server = PortFarm(certs)
    ports.put(server.ports)
    server.serve_forever()


def run_job(config: Path) -> tuple[dict[str, object], float, float]:
    """The job as operators run it; returns its result (plus the seconds each source took to
    read, from the job's `source_read` log lines), wall seconds and peak RSS in MB."""
    rss_file = config.with_suffix(".rss")
    start = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", str(rss_file), sys.executable, "-m", "jobs.certificate_checker",
         "--config", str(config), "--json"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - start
    result = json.loads(proc.stdout)
    events = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    result["read_seconds"] = {
        e["fields"]["source"]: e["fields"]["seconds"] for e in events if e["event"] == "source_read"
    }
    return result, wall, int(rss_file.read_text().split()[-1]) / 1024


def write_config(path: Path, work: Path, section: dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump({"state_db_url": f"sqlite:///{work}/state.db",
                                    "notifications": {"file": {"path": str(work / "outbox.jsonl")}},
                                    "certificate_checker": section}))  # fmt: skip
    return path


def blackbox(work: Path, ca: Path, ports: list[int]) -> tuple[float, int] | None:
    binary = shutil.which("prometheus-blackbox-exporter")
    if binary is None:
        print("blackbox_exporter: not installed (apt-get install prometheus-blackbox-exporter), skipped")
        return None
    config = work / "blackbox.yml"
    config.write_text(yaml.safe_dump({"modules": {"tls": {"prober": "tcp", "timeout": "5s", "tcp": {
        "tls": True, "tls_config": {"ca_file": str(ca), "server_name": NAME}}}}}))  # fmt: skip
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([binary, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/-/healthy", timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)

        def probe(target: int) -> str:
            url = f"http://127.0.0.1:{port}/probe?module=tls&target=127.0.0.1:{target}"
            with urllib.request.urlopen(url, timeout=10) as answer:
                return str(answer.read().decode())

        start = time.perf_counter()
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            bodies = list(pool.map(probe, ports))
        wall = time.perf_counter() - start
        with_expiry = sum("probe_ssl_earliest_cert_expiry" in b for b in bodies)
        return wall, with_expiry
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="secops-bench-"))
    now = datetime.now(UTC)
    root = issue("bench root", now, ca=True, valid_days=3650, starts_days=-10)
    inter = issue("bench issuing CA", now, issuer=root, ca=True, valid_days=1000, starts_days=-10)
    ca = work / "root.pem"
    ca.write_bytes(root.cert.public_bytes(serialization.Encoding.PEM))
    t0 = time.perf_counter()
    good = [
        issue(f"e{i}.{NAME}", now, issuer=inter, sans=[NAME, f"e{i}.{NAME}"], valid_days=200) for i in range(ENDPOINTS)
    ]
    distinct = [issue(f"f{i}.{NAME}", now, issuer=inter, valid_days=300) for i in range(FILES)]
    expired = [
        issue(f"x{i}.{NAME}", now, issuer=inter, sans=[NAME], valid_days=20, starts_days=-30) for i in range(EXPIRED)
    ]
    print(f"made {ENDPOINTS + EXPIRED} certificates in {time.perf_counter() - t0:.1f}s")

    queue: multiprocessing.Queue = multiprocessing.get_context("fork").Queue()  # type: ignore[type-arg]
    server = multiprocessing.get_context("fork").Process(target=farm, args=(good + expired, queue), daemon=True)
    server.start()
    ports: list[int] = queue.get(timeout=120)
    good_ports, expired_ports = ports[:ENDPOINTS], ports[ENDPOINTS:]
    try:
        endpoints = [{"host": "127.0.0.1", "port": p, "server_name": NAME} for p in good_ports]
        config = write_config(work / "endpoints.yaml", work,
                              {"endpoints": endpoints, "ca_bundle": str(ca), "concurrency": CONCURRENCY})  # fmt: skip
        ours_rates, probe_rates, theirs_rates, rss_peak, clean = [], [], [], 0.0, 0
        for _ in range(REPEATS):  # interleaved: this 2-core machine is noisy
            result, wall, rss = run_job(config)
            rss_peak = max(rss_peak, rss)
            clean = sum(not f["details"]["problems"] for f in result["findings"])  # type: ignore[index, union-attr]
            ours_rates.append(ENDPOINTS / float(result["duration_seconds"]))  # type: ignore[arg-type]
            probe_rates.append(ENDPOINTS / float(result["read_seconds"]["endpoints"]))  # type: ignore[index]
            bb = blackbox(work, ca, good_ports)
            if bb:
                theirs_rates.append(ENDPOINTS / bb[0])
        ours, probing = statistics.median(ours_rates), statistics.median(probe_rates)
        print(f"ours, {ENDPOINTS} endpoints, concurrency {CONCURRENCY}, medians of {REPEATS}:")
        print(f"  probing {probing:.0f} checks/s ({_listed(probe_rates)})")
        print(f"  whole run (judge, join, store, alert) {ours:.0f} checks/s ({_listed(ours_rates)})")
        print(f"  {clean} verified clean; peak RSS {rss_peak:.0f} MB (largest process)")
        if theirs_rates:
            theirs = statistics.median(theirs_rates)
            print(
                f"blackbox_exporter /probe, concurrency {CONCURRENCY}: {theirs:.0f} checks/s ({_listed(theirs_rates)})"
            )
            print(f"  ours/theirs: probing {probing / theirs:.2f}x, whole run {ours / theirs:.2f}x")

        expired_endpoints = [{"host": "127.0.0.1", "port": p, "server_name": NAME} for p in expired_ports]
        config = write_config(work / "expired.yaml", work, {"endpoints": expired_endpoints, "ca_bundle": str(ca)})
        result, _, _ = run_job(config)
        seen = sum("expired" in f["details"]["problems"] for f in result["findings"])  # type: ignore[index, union-attr]
        bb_expired = blackbox(work, ca, expired_ports)
        print(f"expired endpoints reported with an expiry: ours {seen}/{EXPIRED}"
              + (f", blackbox_exporter {bb_expired[1]}/{EXPIRED}" if bb_expired else ""))  # fmt: skip

        if shutil.which("openssl"):
            start = time.perf_counter()
            for p in good_ports[:OPENSSL_LOOP]:
                subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{p}", "-servername", NAME,
                                "-CAfile", str(ca), "-verify_return_error"],
                               stdin=subprocess.DEVNULL, capture_output=True, check=False, timeout=10)  # fmt: skip
            rate = OPENSSL_LOOP / (time.perf_counter() - start)
            print(f"openssl s_client, one after another, {OPENSSL_LOOP}: {rate:.0f} checks/s; ours {ours / rate:.1f}x")
    finally:
        server.terminate()

    certs = work / "files"
    certs.mkdir()
    pems = [c.pem(with_chain=False) for c in distinct]  # 10,000 distinct certificates: no cache helps
    for i in range(FILES):
        (certs / f"c{i:05d}.pem").write_bytes(pems[i % len(pems)])
    config = write_config(work / "files.yaml", work, {"files": [f"{certs}/*.pem"]})
    result, wall, rss = run_job(config)
    rate = FILES / float(result["duration_seconds"])  # type: ignore[arg-type]
    print(f"files: {FILES} PEM files: {rate:.0f} certificates/s (run {result['duration_seconds']}s, "
          f"process {wall:.2f}s), peak RSS {rss:.0f} MB")  # fmt: skip
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
