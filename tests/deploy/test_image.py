"""The image, built and run: no Docker engine runs here, so `make image` (buildah, chroot
isolation) builds the Dockerfile on a Debian base that mmdebstrap makes from this machine's apt
sources, and the tests run it as uid 10001: `list --json` shows the job table, a
certificate-checker dry run finds an expiring certificate, and the container's own overlay
layer, read after the runs, proves nothing was written outside /tmp and the state volume
(buildah run has no --read-only; the diff is the same proof, and it catches a planted write).

The machine's pip configuration reaches the build as `-v` mounts only (read from pip.conf, so
the local wheel folders it names come along); the image must keep no trace of it.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlparse

import pytest

from jobs.demo.issuing import issue
from tests import services
from tests.helpers import write_config

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[2]
#: the base tarball, one per day: a developer's rerun skips mmdebstrap, CI (a fresh clone) makes it
CACHE = ROOT / ".cache" / "image"
RUN_ID = uuid.uuid4().hex[:10]
STATE = "/var/lib/secops"
PIP_CONFIG_FILES = ("/etc/pip.conf", "/etc/xdg/pip/pip.conf", "~/.config/pip/pip.conf", "~/.pip/pip.conf")
BUILD_MOUNTS = ("/etc/pip.conf", "/etc/xdg/pip", "~/.config/pip", "~/.pip", "/etc/ssl/certs")


def sh(*argv: str, timeout: float = 1200) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(argv[:3])} ... exit {done.returncode}:\n{done.stderr[-4000:]}"
    return done


def require_tools() -> None:
    missing = [tool for tool in ("buildah", "mmdebstrap", "podman", "make") if shutil.which(tool) is None]
    if missing:
        services.unavailable(f"{', '.join(missing)} not installed (make system-deps)")
    if os.geteuid() != 0:
        services.unavailable("mmdebstrap and buildah's chroot isolation need root here")


def base_tarball() -> Path:
    """bookworm with python3 and its venv module, from this machine's apt sources; cached per day
    (written under a temporary name, then renamed, so a parallel session never reads half of it)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    tar = CACHE / f"bookworm-{date.today().isoformat()}.tar"
    if tar.is_file():
        return tar
    partial = CACHE / f"partial-{RUN_ID}.tar"
    packages = "--include=python3,python3-venv,ca-certificates"
    try:
        sh("mmdebstrap", "--quiet", "--variant=apt", packages, "--format=tar", "bookworm", str(partial))
        partial.replace(tar)
    finally:
        partial.unlink(missing_ok=True)
    for old in CACHE.glob("bookworm-*.tar"):
        if old != tar:
            old.unlink(missing_ok=True)
    return tar


def pip_paths(config: Path) -> Iterator[Path]:
    """Every local path a pip.conf names (find-links, file:// indexes, constraints, cert); a
    file:// `.../simple` index links `../files`, so its parent is what must be mounted."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(config)
    for section in parser.sections():
        for value in parser[section].values():
            for token in value.split():
                path = Path(urlparse(token).path if token.startswith("file:") else token)
                if not path.is_absolute():
                    continue
                path = path.parent if path.name == "simple" else path
                if path.exists():
                    yield path


def build_mounts() -> list[Path]:
    """This machine's pip configuration, CA files and the wheel folders it names: what `pip
    install` inside the build needs to reach the same registry (each mounted at its own path)."""
    found = {Path(p).expanduser() for p in BUILD_MOUNTS if Path(p).expanduser().exists()}
    for config in PIP_CONFIG_FILES:
        if Path(config).expanduser().is_file():
            found.update(pip_paths(Path(config).expanduser()))
    return sorted(p for p in found if not any(other in p.parents for other in found))


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    """`make image` on the mmdebstrap base, under names unique to this run, removed afterwards."""
    require_tools()
    base, built = f"localhost/secops-test-base:{RUN_ID}", f"localhost/secops-test:{RUN_ID}"
    try:
        started = time.monotonic()
        tar = base_tarball()
        sh("podman", "import", "--quiet", str(tar), base)
        based = time.monotonic()
        flags = " ".join(f"-v {p}:{p}:ro" for p in build_mounts())
        sh("make", "-s", "-C", str(ROOT), "image", f"BASE={base}", f"IMAGE={built}", f"BUILD_FLAGS={flags}")
        size = sh("podman", "image", "ls", "--format", "{{.Size}}", built).stdout.strip()
        print(f"\nimage {size}; base {based - started:.0f} s, build {time.monotonic() - based:.0f} s")
        yield built
    finally:
        for name in (built, base):
            subprocess.run(["buildah", "rmi", "--force", name], capture_output=True, check=False)


@contextmanager
def container(image: str) -> Iterator[str]:
    name = f"secops-test-{uuid.uuid4().hex[:10]}"
    sh("buildah", "from", "--quiet", "--name", name, image)
    try:
        yield name
    finally:
        subprocess.run(["buildah", "rm", name], capture_output=True, check=False)


def run_in(name: str, *argv: str, volumes: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """The command as uid 10001 (the image's user, given again so a changed USER cannot pass)."""
    mounts = [flag for volume in volumes for flag in ("-v", volume)]
    command = ["buildah", "run", "--isolation", "chroot", "--user", "10001:10001", *mounts, name, "--", *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


#: what the runtime itself writes into a container (Kubernetes mounts these files too)
RUNTIME_FILES = ("etc/hosts", "etc/resolv.conf", "etc/hostname")


def written_outside(name: str, allowed: tuple[str, ...] = ("tmp", STATE.lstrip("/"))) -> list[str]:
    """Files, symlinks and whiteouts in the container's own overlay layer outside `allowed` and
    the runtime's files. Directories are left out: buildah run makes its mount points (/run,
    the -v targets)."""
    diff = Path(sh("buildah", "mount", name).stdout.strip()).parent / "diff"
    assert diff.is_dir(), f"{diff}: not an overlay layer (storage driver?)"
    found = []
    for path in diff.rglob("*"):
        relative = path.relative_to(diff).as_posix()
        if path.is_dir() and not path.is_symlink():
            continue
        if relative not in RUNTIME_FILES and not any(relative == a or relative.startswith(a + "/") for a in allowed):
            found.append(relative)
    return sorted(found)


def test_list_json_in_the_image_shows_every_job_with_its_schedules(image: str) -> None:
    with container(image) as name:
        done = run_in(name, "python", "-m", "jobs", "list", "--json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    here = json.loads(sh(sys.executable, "-m", "jobs", "list", "--json").stdout)
    assert listed == here  # the same table, and every job this checkout can run the image runs
    available = [job for job in listed if job["available"]]
    assert {job["id"] for job in available} >= {"certificate-checker", "secret-rotation", "ttl-teardown"}
    for job in available:
        assert {"id", "module", "destructive", "schedules"} <= job.keys()
        assert job["schedules"], job["id"]
        for schedule in job["schedules"]:
            assert {"cron", "args", "note", "shards"} <= schedule.keys()
            assert len(schedule["cron"].split()) == 5


def test_a_certificate_checker_dry_run_in_the_image_writes_only_tmp_and_the_state_volume(
    image: str, tmp_path: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    inputs, state, scratch = tmp_path / "input", tmp_path / "state", tmp_path / "tmp"
    for folder in (inputs, state, scratch):
        folder.mkdir()
    os.chown(state, 10001, 10001)  # as a volume with fsGroup would be
    scratch.chmod(0o1777)
    (inputs / "site.pem").write_bytes(issue("site.example.test", now, valid_days=35, starts_days=-30).pem())
    write_config(inputs / "secops.yaml", {"certificate_checker": {"files": ["/input/*.pem"]}})
    volumes = (f"{inputs}:/input:ro", f"{state}:{STATE}", f"{scratch}:/tmp")
    argv = ("run", "certificate-checker", "--dry-run", "--config", "/input/secops.yaml", "--json")
    with container(image) as name:
        # buildah run mounts the image's VOLUME and a -v on the same path in no fixed order; the
        # container forgets the VOLUME (as a pod's volumeMount replaces it), the -v is what's used
        sh("buildah", "config", "--volume", f"{STATE}-", name)
        done = run_in(name, "python", "-m", "jobs", *argv, "--now", now.isoformat(), volumes=volumes)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert (result["status"], result["dry_run"]) == ("success", True)
        assert [(f["resource"], f["severity"]) for f in result["findings"]] == [("file:/input/site.pem#0", "critical")]
        assert (state / "secops-state.db").is_file()  # the default state path is in the volume
        assert written_outside(name) == []
        planted = run_in(name, "sh", "-c", "echo planted > /var/tmp/planted")
        assert planted.returncode == 0, planted.stderr
        assert written_outside(name) == ["var/tmp/planted"]  # the check sees a write where it looks


def test_the_image_is_labelled_runs_as_10001_and_keeps_nothing_of_the_builder(image: str) -> None:
    config = json.loads(sh("buildah", "inspect", "--type", "image", image).stdout)["OCIv1"]["config"]
    assert (config["User"], config["WorkingDir"]) == ("10001:10001", STATE)
    assert (config["Entrypoint"], config["Cmd"]) == (["python", "-m", "jobs"], ["list"])
    assert STATE in config["Volumes"]
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    labels = config["Labels"]
    assert labels["org.opencontainers.image.version"] == version
    assert labels["org.opencontainers.image.licenses"] == "Apache-2.0"
    assert {"title", "description", "source"} <= {key.rsplit(".", 1)[-1] for key in labels}
    env = dict(item.split("=", 1) for item in config["Env"])
    assert (env["PYTHONDONTWRITEBYTECODE"], env["PYTHONUNBUFFERED"]) == ("1", "1")
    assert not [key for key in env if key.startswith(("SECOPS_", "PIP_"))]  # would override the config file
    with container(image) as name:
        root = Path(sh("buildah", "mount", name).stdout.strip())
        leftovers = [p for p in build_mounts() if p != Path("/etc/ssl/certs") and (root / p.relative_to("/")).exists()]
        leftovers += [p for p in ("wheels", "src", "opt/build") if (root / p).exists()]
        assert leftovers == []
        assert run_in(name, "python", "-c", "import pip").returncode != 0  # nothing installs at run time


def test_the_repo_scanner_runs_in_the_image_with_git_and_semgrep_writing_only_tmp_and_the_state_volume(
    image: str, tmp_path: Path
) -> None:
    """The scanner's tools are in the image (git from Debian, semgrep from the `sast` extra):
    a CI-style run of a checkout finds its planted key and runs SAST, as uid 10001."""
    from jobs.demo.planting import aws_key_pair, new_repo

    inputs, state, scratch = tmp_path / "input", tmp_path / "state", tmp_path / "tmp"
    for folder in (state, scratch):
        folder.mkdir()
    os.chown(state, 10001, 10001)
    scratch.chmod(0o1777)
    key_id, secret = aws_key_pair()
    repo = new_repo(inputs / "app")
    repo.commit({".env": f"AWS_ACCESS_KEY_ID={key_id}\nAWS_SECRET_ACCESS_KEY={secret}\n",
                 "app.py": "import yaml\n\ndef load(text):\n    return yaml.load(text)\n"}, "app")  # fmt: skip
    subprocess.run(["chmod", "-R", "a+rX", str(inputs)], check=True)
    volumes = (f"{inputs}:/input:ro", f"{state}:{STATE}", f"{scratch}:/tmp")
    with container(image) as name:
        sh("buildah", "config", "--volume", f"{STATE}-", name)
        tools = run_in(name, "sh", "-c", "git --version && semgrep --version")
        assert tools.returncode == 0, tools.stderr
        done = run_in(name, "python", "-m", "jobs.repo_scanner", "--repo", "/input/app", "--json", volumes=volumes)
        assert done.returncode == 0, done.stderr[-3000:]
        result = json.loads(done.stdout)
        [repository] = result["summary"]["repositories"].values()
        assert repository["scanners"]["secrets"] == "ran" and repository["scanners"]["sast"] == "ran"
        assert {f["details"]["path"] for f in result["findings"] if f["type"] == "secret"} == {".env"}
        assert secret not in done.stdout + done.stderr
        assert written_outside(name) == []
