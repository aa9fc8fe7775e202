"""Build the Lambda deployment zip (`make lambda-package`): the project and its `all` extras as
wheels for Lambda's platform (CPython 3.11, manylinux2014 x86_64: Amazon Linux 2's glibc 2.26),
`handler.py` at the root, and the settings file when one is given (as `secops.yaml`). Data the
code reads (the shipped price list) is package data, inside the wheel.

    python scripts/lambda_package.py [--output lambda/build/secops-jobs-lambda.zip] [--config FILE]

Wheels only (`--only-binary=:all:`), never this machine's compiled packages, so what runs on
Lambda is what pip picked for Lambda. Kept lean, under Lambda's 250 MB unzipped: no
`__pycache__` (Lambda cannot write them and this machine's would be stale), no test folders,
no console scripts, and not the Kubernetes client's asyncio twin (`kubernetes/aio`, 40 MB the
jobs never import). boto3/botocore stay in: the runtime's own copy is older than the one the
project is tested with and changes without notice. Bad input: one line, exit 2, nothing written.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLATFORM = ["--platform", "manylinux2014_x86_64", "--implementation", "cp", "--python-version", "3.11"]
SOURCES = ("jobs", "notifications", "pyproject.toml", "README.md")
#: dropped from the installed tree (relative paths, or any folder of that name)
DROPPED_PATHS = ("bin", "kubernetes/aio")
DROPPED_FOLDERS = ("__pycache__", "tests", "test")
#: zip entries get one fixed time, so the same inputs give the same zip
EPOCH = (1980, 1, 1, 0, 0, 0)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "lambda" / "build" / "secops-jobs-lambda.zip")
    parser.add_argument("--config", type=Path, help="settings file to bundle as secops.yaml (ConfigFile=secops.yaml)")
    args = parser.parse_args(argv)
    if args.config is not None and (problem := config_problem(args.config)):
        print(f"lambda-package: {problem}", file=sys.stderr)
        return 2
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="secops-lambda-") as scratch:
        tree = install(Path(scratch))
        shutil.copy2(ROOT / "lambda" / "handler.py", tree / "handler.py")
        if args.config is not None:
            shutil.copy2(args.config, tree / "secops.yaml")
        prune(tree)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        files = write_zip(tree, args.output)
    size = args.output.stat().st_size / 1e6
    print(f"{args.output}: {files} files, {size:.1f} MB, built in {time.monotonic() - started:.0f} s")
    return 0


def config_problem(path: Path) -> str | None:
    """Why the settings file cannot go in the zip: missing, or not valid settings."""
    if not path.is_file():
        return f"--config {path}: no such file"
    from jobs.core.deploy import declared  # the installed project: the same validation as a run's
    from jobs.core.errors import ConfigError

    try:
        declared.read(path)
    except ConfigError as exc:
        return f"--config {path}: {exc}"
    return None


def install(scratch: Path) -> Path:
    """The project as a wheel (built from a copy, so the checkout gets no build/ or egg-info),
    then it and its dependencies installed for Lambda's platform into one folder."""
    source, wheels, tree = scratch / "source", scratch / "wheels", scratch / "tree"
    source.mkdir()
    for name in SOURCES:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--wheel-dir", str(wheels), str(source)], check=True)  # noqa: S603 (our pip, our paths)
    (wheel,) = wheels.glob("*.whl")
    subprocess.run(  # noqa: S603 (our pip, our paths)
        [
            *pip,
            "install",
            "--no-compile",
            "--no-warn-conflicts",
            "--only-binary=:all:",
            *PLATFORM,
            "--target",
            str(tree),
            f"{wheel}[all]",
        ],
        check=True,
    )
    return tree


def prune(tree: Path) -> None:
    for relative in DROPPED_PATHS:
        shutil.rmtree(tree / relative, ignore_errors=True)
    for name in DROPPED_FOLDERS:
        for folder in sorted(tree.rglob(name), reverse=True):
            if folder.is_dir():
                shutil.rmtree(folder)


def write_zip(tree: Path, output: Path) -> int:
    """Sorted entries, fixed times, files 0644 (Lambda runs as another user than the builder)."""
    paths = sorted(p for p in tree.rglob("*") if p.is_file())
    partial = output.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            info = zipfile.ZipInfo(path.relative_to(tree).as_posix(), EPOCH)
            info.external_attr = (0o100755 if path.stat().st_mode & 0o111 else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    partial.replace(output)
    return len(paths)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
