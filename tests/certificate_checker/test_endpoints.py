"""Real TLS servers on 127.0.0.1: every problem is seen, even where verification fails."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from jobs.demo.issuing import issue, issue_sha1
from jobs.demo.tlslab import HTTP_REPLY, RawServer, TLSServer
from tests import services
from tests.certificate_checker.conftest import NOW, Pki, by_resource, run_checker

NOW_ARG = ("--now", NOW.isoformat())


def endpoint(server: TLSServer, name: str) -> dict[str, object]:
    return {"host": "127.0.0.1", "port": server.port, "server_name": name}


def test_every_problem_on_one_port_by_sni(pki: Pki, tls: Callable[..., TLSServer], tmp_path: Path) -> None:
    short_inter = issue("short-lived CA", NOW, issuer=pki.root, ca=True, valid_days=45, starts_days=-30)
    names = {
        "good.test": pki.leaf("good.test", 200),
        "soon.test": pki.leaf("soon.test", 3),
        "expired.test": pki.leaf("expired.test", -4),
        "self.test": issue("self.test", NOW, valid_days=365),
        "weak.test": pki.leaf("weak.test", 200, key="rsa1024"),
        "sha1.test": issue_sha1("sha1.test", pki.inter, NOW),
        "chain.test": issue("chain.test", NOW, issuer=short_inter, valid_days=200),
        "future.test": issue("future.test", NOW, issuer=pki.inter, starts_days=3),
    }
    server = tls(pki.leaf("default.test", 200), names)
    endpoints = [endpoint(server, n) for n in names] + [endpoint(server, "nobody.test")]
    result = run_checker(tmp_path, {"endpoints": endpoints, "ca_bundle": str(pki.ca_file)}, *NOW_ARG)
    found = {f["details"]["hostname"]: f for f in result["findings"]}
    problems = {name: f["details"]["problems"] for name, f in found.items()}
    assert problems == {
        "good.test": [],
        "soon.test": [],
        "expired.test": ["expired"],
        "self.test": ["untrusted", "self_signed"],
        "weak.test": ["weak_key"],
        "sha1.test": ["untrusted", "sha1_signature"],  # SHA-1 chains do not verify any more
        "chain.test": ["chain_expiring"],
        "future.test": ["not_yet_valid"],
        "nobody.test": ["hostname_mismatch"],  # the default certificate is for default.test
    }
    severities = {name: f["severity"] for name, f in found.items()}
    assert severities == {
        "good.test": "ok", "soon.test": "critical", "expired.test": "critical", "self.test": "critical",
        "weak.test": "warning", "sha1.test": "critical", "chain.test": "warning", "future.test": "critical",
        "nobody.test": "critical",
    }  # fmt: skip
    assert found["soon.test"]["details"]["days_left"] == 3
    assert found["expired.test"]["details"]["days_left"] == -4
    assert found["chain.test"]["details"]["days_left"] == 15  # the intermediate's expiry, not the leaf's
    assert found["self.test"]["details"]["trust_error"]
    assert found["good.test"]["resource"] == f"endpoint:127.0.0.1:{server.port}/good.test"
    assert result["status"] == "success" and result["errors"] == []


def test_without_the_private_root_the_chain_is_untrusted(
    pki: Pki, tls: Callable[..., TLSServer], tmp_path: Path
) -> None:
    server = tls(pki.leaf("good.test", 200))
    result = run_checker(tmp_path, {"endpoints": [endpoint(server, "good.test")]}, *NOW_ARG)
    [finding] = result["findings"]
    assert finding["details"]["problems"] == ["untrusted"] and finding["severity"] == "critical"


def test_servers_that_are_not_tls_close_or_refuse_are_unreachable_findings(tmp_path: Path) -> None:
    http, hangup = RawServer(HTTP_REPLY).start(), RawServer(None).start()
    closed = services.free_port()
    try:
        result = run_checker(
            tmp_path,
            {"endpoints": [f"127.0.0.1:{http.port}", f"https://127.0.0.1:{hangup.port}/", f"127.0.0.1:{closed}"],
             "handshake_timeout_seconds": 2},
        )  # fmt: skip
    finally:
        http.stop()
        hangup.stop()
    found = by_resource(result)
    assert found[f"endpoint:127.0.0.1:{http.port}"]["message"].startswith("unreachable: not TLS")
    assert (
        found[f"endpoint:127.0.0.1:{hangup.port}"]["message"] == "unreachable: connection closed during the handshake"
    )
    assert found[f"endpoint:127.0.0.1:{closed}"]["message"] == "unreachable: connection refused"
    assert {f["severity"] for f in found.values()} == {"warning"}
    assert {tuple(f["details"]["problems"]) for f in found.values()} == {("unreachable",)}
    assert result["exit_code"] == 0  # findings, not a failed run


def test_a_silent_server_times_out_within_the_configured_bound(tmp_path: Path) -> None:
    silent = socket.create_server(("127.0.0.1", 0))  # accepts (backlog), never speaks
    try:
        result = run_checker(
            tmp_path,
            {"endpoints": [f"127.0.0.1:{silent.getsockname()[1]}"], "handshake_timeout_seconds": 0.3,
             "unreachable_severity": "critical"},
        )  # fmt: skip
    finally:
        silent.close()
    [finding] = result["findings"]
    assert finding["message"] == "unreachable: timed out (connect 5s, handshake 0.3s)"
    assert finding["severity"] == "critical"
    assert result["duration_seconds"] < 3  # two bounded attempts, not a hang


def test_starttls_smtp_endpoint(smtp: services.Smtp, tmp_path: Path) -> None:
    ep = {"host": "127.0.0.1", "port": smtp.port, "server_name": "localhost", "starttls": "smtp"}
    result = run_checker(tmp_path, {"endpoints": [ep], "ca_bundle": smtp.ca_file})
    [finding] = result["findings"]
    assert finding["details"]["subject"] == "CN=localhost"
    assert finding["details"]["problems"] == ["self_signed"]  # trusted through ca_bundle, still self-signed


def test_starttls_refused_by_postgres_without_tls(postgres: services.Postgres, tmp_path: Path) -> None:
    ep = {"host": "127.0.0.1", "port": postgres.port, "starttls": "postgres"}
    [finding] = run_checker(tmp_path, {"endpoints": [ep]})["findings"]
    assert finding["message"] == (
        "unreachable: STARTTLS (postgres) failed: server does not accept TLS (SSLRequest answered N)"
    )


def test_now_moves_every_threshold(pki: Pki, tls: Callable[..., TLSServer], tmp_path: Path) -> None:
    server = tls(pki.leaf("good.test", 100))
    section = {"endpoints": [endpoint(server, "good.test")], "ca_bundle": str(pki.ca_file)}
    severities = []
    for days in (0, 45, 75, 95, 101):
        when = (NOW + timedelta(days=days)).isoformat()
        [finding] = run_checker(tmp_path, section, "--now", when)["findings"]
        severities.append((finding["details"]["days_left"], finding["severity"]))
    assert severities == [(100, "ok"), (55, "info"), (25, "warning"), (5, "critical"), (-1, "critical")]


def test_a_big_run_from_the_command_line_spreads_over_processes_and_keeps_every_result(
    pki: Pki, tmp_path: Path
) -> None:
    import json
    import multiprocessing
    import subprocess
    import sys

    import yaml

    from tests.helpers import ROOT

    certs = [pki.leaf(f"e{i}.test", 100 + i % 50) for i in range(500)]
    queue: multiprocessing.Queue[list[int]] = multiprocessing.get_context("fork").Queue()
    server = multiprocessing.get_context("fork").Process(target=_farm, args=(certs, queue), daemon=True)
    server.start()
    try:
        ports = queue.get(timeout=60)
        endpoints = [{"host": "127.0.0.1", "port": p, "server_name": f"e{i}.test"} for i, p in enumerate(ports)]
        config = tmp_path / "c.yaml"
        config.write_text(
            yaml.safe_dump({"certificate_checker": {"endpoints": endpoints, "ca_bundle": str(pki.ca_file)}})
        )
        proc = subprocess.run(
            [sys.executable, "-m", "jobs.certificate_checker", "--config", str(config), "--json", "--now", NOW.isoformat()],
            cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        server.terminate()
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert '"event": "endpoints_probed", "fields": {"endpoints": 500, "processes": 2}' in proc.stderr
    result = json.loads(proc.stdout)
    assert [f["resource"] for f in result["findings"]] == [
        f"endpoint:127.0.0.1:{p}/e{i}.test" for i, p in enumerate(ports)
    ]
    assert [f["details"]["days_left"] for f in result["findings"]] == [100 + i % 50 for i in range(500)]
    assert all(f["details"]["problems"] == [] for f in result["findings"])


def _farm(certs: list[object], queue: object) -> None:
    from jobs.demo.tlslab import PortFarm

    farm = PortFarm(certs)  # type: ignore[arg-type]
    queue.put(farm.ports)  # type: ignore[attr-defined]
    farm.serve_forever()


def test_starttls_imap_endpoint(pki: Pki, tmp_path: Path) -> None:
    import threading

    from jobs.demo.tlslab import server_context

    context = server_context(pki.leaf("mail.test", 45))
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n")
            conn.recv(100)  # a1 STARTTLS
            conn.sendall(b"a1 OK Begin TLS negotiation now\r\n")
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)

    threading.Thread(target=serve, daemon=True).start()
    ep = {"host": "127.0.0.1", "port": listener.getsockname()[1], "server_name": "mail.test", "starttls": "imap"}
    [finding] = run_checker(tmp_path, {"endpoints": [ep], "ca_bundle": str(pki.ca_file)}, *NOW_ARG)["findings"]
    listener.close()
    assert (finding["severity"], finding["details"]["days_left"], finding["details"]["problems"]) == ("info", 45, [])
