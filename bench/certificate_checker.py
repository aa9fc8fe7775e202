"""certificate-checker throughput, side by side with blackbox_exporter and openssl.

Prints:
- endpoint checks/s over 1,000 loopback endpoints (1,000 distinct certificates on 1,000
  ports, served by another process), full chain verification included, and peak RSS;
- prometheus-blackbox-exporter (Debian package) probing the same 1,000 endpoints through
  /probe at the same concurrency, verifying against the same root: checks/s and ratio;
- how many of 64 expired endpoints each reports an expiry for;
- a sequential `openssl s_client` loop over 100 of them;
- parsed file certificates/s over 10,000 PEM files, and peak RSS, beside the floor: a bare
  `cryptography` loop over the same files (read, `x509.load_pem_x509_certificates`, the same
  fields read), in the same rounds: how close the job comes to the library's own limit.
Each side is measured once per round, in turn (min/median of the rounds); every figure comes
with its same-run anchor and the ratio. `--quick`: 40 endpoints, 500 files, 2 rounds.
Targets (2 cores): >= 1.0x blackbox's checks/s, >= 5,000 file certificates/s, <= 150 MB.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import shutil
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
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from measure import Sample, options, ratio, show  # noqa: E402

from jobs.demo.issuing import Issued, issue  # noqa: E402
from jobs.demo.tlslab import PortFarm  # noqa: E402

FULL = {"endpoints": 1000, "expired": 64, "openssl": 100, "files": 10_000}
QUICK = {"endpoints": 40, "expired": 8, "openssl": 10, "files": 500}
CONCURRENCY = 32
NAME = "bench.test"


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


def read_fields(cert: x509.Certificate) -> tuple[object, ...]:
    """Every field the job's rules read (parse.cert_info), read the plain way."""
    with contextlib.suppress(x509.ExtensionNotFound):
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans.get_values_for_type(x509.DNSName), sans.get_values_for_type(x509.IPAddress)
    with contextlib.suppress(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_class(x509.BasicConstraints)
    subject, issuer = cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()
    return (
        subject,
        issuer,
        subject == issuer,  # self-signed? the names first, as the job does
        format(cert.serial_number, "x"),
        cert.not_valid_before_utc,
        cert.not_valid_after_utc,
        cert.fingerprint(hashes.SHA256()).hex(),
        cert.public_key().key_size,  # type: ignore[union-attr]
        cert.signature_hash_algorithm,
    )


def floor_rate(files: list[Path]) -> float:
    """Certificates/s of a bare `cryptography` loop over the files: read, load every PEM block,
    read each field the job's rules use. The job cannot beat this; the ratio says how close it is."""
    start = time.perf_counter()
    count = 0
    for path in files:
        for cert in x509.load_pem_x509_certificates(path.read_bytes()):
            read_fields(cert)
            count += 1
    return count / (time.perf_counter() - start)


def make_certs(size: dict[str, int], now: datetime) -> tuple[Issued, list[Issued], list[Issued], list[Issued]]:
    root = issue("bench root", now, ca=True, valid_days=3650, starts_days=-10)
    inter = issue("bench issuing CA", now, issuer=root, ca=True, valid_days=1000, starts_days=-10)
    t0 = time.perf_counter()
    good = [
        issue(f"e{i}.{NAME}", now, issuer=inter, sans=[NAME, f"e{i}.{NAME}"], valid_days=200)
        for i in range(size["endpoints"])
    ]
    distinct = [issue(f"f{i}.{NAME}", now, issuer=inter, valid_days=300) for i in range(size["files"])]
    expired = [
        issue(f"x{i}.{NAME}", now, issuer=inter, sans=[NAME], valid_days=20, starts_days=-30)
        for i in range(size["expired"])
    ]
    print(f"made {len(good) + len(distinct) + len(expired)} certificates in {time.perf_counter() - t0:.1f}s")
    return root, good, distinct, expired


def endpoints(work: Path, ca: Path, ports: list[int], rounds: int) -> Sample:
    """Ours and blackbox_exporter over the same endpoints, round by round. Returns our whole-run rate."""
    count = len(ports)
    targets = [{"host": "127.0.0.1", "port": p, "server_name": NAME} for p in ports]
    config = write_config(work / "endpoints.yaml", work,
                          {"endpoints": targets, "ca_bundle": str(ca), "concurrency": CONCURRENCY})  # fmt: skip
    whole, probing = Sample("ours, whole run", "checks/s"), Sample("ours, probing", "checks/s")
    theirs = Sample("blackbox_exporter /probe", "checks/s")
    rss_peak, clean = 0.0, 0
    for _ in range(rounds):  # interleaved: this 2-core machine is noisy
        result, _, rss = run_job(config)
        rss_peak = max(rss_peak, rss)
        clean = sum(not f["details"]["problems"] for f in result["findings"])  # type: ignore[index, union-attr]
        whole.values.append(count / float(result["duration_seconds"]))  # type: ignore[arg-type]
        probing.values.append(count / float(result["read_seconds"]["endpoints"]))  # type: ignore[index]
        bb = blackbox(work, ca, ports)
        if bb:
            theirs.values.append(count / bb[0])
    print(f"endpoints: {count}, concurrency {CONCURRENCY}; {clean} verified clean; peak RSS {rss_peak:.0f} MB")
    if theirs.values:
        show(probing, theirs, "endpoint probing / blackbox_exporter")
        print(ratio(whole, theirs, "endpoint whole run (judge, join, store, alert) / blackbox_exporter"))
    else:
        print(f"  {whole.line()}\n  {probing.line()}")
    return whole


def expired_seen(work: Path, ca: Path, ports: list[int]) -> None:
    targets = [{"host": "127.0.0.1", "port": p, "server_name": NAME} for p in ports]
    result, _, _ = run_job(write_config(work / "expired.yaml", work, {"endpoints": targets, "ca_bundle": str(ca)}))
    seen = sum("expired" in f["details"]["problems"] for f in result["findings"])  # type: ignore[index, union-attr]
    bb = blackbox(work, ca, ports)
    print(f"expired endpoints reported with an expiry: ours {seen}/{len(ports)}"
          + (f", blackbox_exporter {bb[1]}/{len(ports)}" if bb else ""))  # fmt: skip


def openssl_loop(ca: Path, ports: list[int], ours: Sample) -> None:
    if not shutil.which("openssl"):
        return
    start = time.perf_counter()
    for p in ports:
        subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{p}", "-servername", NAME,
                        "-CAfile", str(ca), "-verify_return_error"],
                       stdin=subprocess.DEVNULL, capture_output=True, check=False, timeout=10)  # fmt: skip
    rate = Sample(
        f"openssl s_client, one after another, {len(ports)}", "checks/s", [len(ports) / (time.perf_counter() - start)]
    )
    print(ratio(ours, rate, "endpoint whole run / sequential openssl s_client (one round)"))


def files(work: Path, distinct: list[Issued], rounds: int) -> None:
    """The job over PEM files against the bare cryptography loop over the same files, in turn."""
    folder = work / "files"
    folder.mkdir()
    paths = []
    for i, cert in enumerate(distinct):  # distinct certificates: no cache helps
        paths.append(folder / f"c{i:05d}.pem")
        paths[-1].write_bytes(cert.pem(with_chain=False))
    config = write_config(work / "files.yaml", work, {"files": [f"{folder}/*.pem"]})
    whole, reading = Sample("ours, whole run", "certificates/s"), Sample("ours, reading", "certificates/s")
    floor = Sample("bare cryptography loop", "certificates/s")
    rss_peak = 0.0
    for _ in range(rounds):
        result, _, rss = run_job(config)
        rss_peak = max(rss_peak, rss)
        whole.values.append(len(paths) / float(result["duration_seconds"]))  # type: ignore[arg-type]
        reading.values.append(len(paths) / float(result["read_seconds"]["files"]))  # type: ignore[index]
        floor.values.append(floor_rate(paths))
    print(f"files: {len(paths)} PEM files; peak RSS {rss_peak:.0f} MB")
    show(reading, floor, "file reading / bare cryptography loop")
    print(f"  {whole.line()}")
    print(ratio(whole, floor, "file whole run (judge, store, alert) / bare cryptography loop"))


def main() -> None:
    args = options(__doc__, rounds=3)
    size = QUICK if args.quick else FULL
    work = Path(tempfile.mkdtemp(prefix="secops-bench-"))
    root, good, distinct, expired = make_certs(size, datetime.now(UTC))
    ca = work / "root.pem"
    ca.write_bytes(root.cert.public_bytes(serialization.Encoding.PEM))
    queue: multiprocessing.Queue = multiprocessing.get_context("fork").Queue()  # type: ignore[type-arg]
    server = multiprocessing.get_context("fork").Process(target=farm, args=(good + expired, queue), daemon=True)
    server.start()
    ports: list[int] = queue.get(timeout=120)
    good_ports, expired_ports = ports[: len(good)], ports[len(good) :]
    try:
        ours = endpoints(work, ca, good_ports, args.rounds)
        expired_seen(work, ca, expired_ports)
        openssl_loop(ca, good_ports[: size["openssl"]], ours)
    finally:
        server.terminate()
    files(work, distinct, args.rounds)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
