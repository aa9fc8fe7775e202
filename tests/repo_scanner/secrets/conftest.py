"""Shared by the secrets tests: the shipped engine, and a checkout made of files in tmp_path."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from jobs.repo_scanner.fingerprint import Fingerprinter
from jobs.repo_scanner.model import Checkout, ScanTarget
from jobs.repo_scanner.scanners import ScanEnv
from jobs.repo_scanner.scanners.secrets.engine import Engine
from jobs.repo_scanner.settings import RepoScannerSettings, SecretsScannerSettings


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.load(SecretsScannerSettings())


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> random.Random:
    return random.Random(request.node.nodeid)  # a different value per test, the same on a re-run


def found(engine: Engine, path: str, text: str) -> list[tuple[str, int]]:
    return [(m.rule, m.line) for m in engine.scan_text(path, text)]


def make_checkout(root: Path, files: dict[str, str | bytes], name: str = "app") -> Checkout:
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return Checkout(ScanTarget(name=name, path=str(root)), root, sorted(files), None, None)


def make_env(**secrets: object) -> ScanEnv:
    cfg = RepoScannerSettings.model_validate({"scanners": {"secrets": secrets}})
    return ScanEnv(cfg, Fingerprinter(b"test key"))


CheckoutFactory = Callable[[dict[str, str | bytes]], Checkout]


@pytest.fixture
def checkout(tmp_path: Path) -> CheckoutFactory:
    return lambda files: make_checkout(tmp_path / "repo", files)
