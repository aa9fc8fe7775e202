"""The real tools over generated manifests: write them, `kubectl kustomize` them, validate every
document with kubernetes-validate against the Kubernetes schemas (strict: an unknown field
fails), and find objects in what came out."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

from jobs.core.deploy import declared, manifests
from jobs.core.deploy.artifacts import EXAMPLE_CONFIG
from jobs.core.registry import JOBS, JobSpec

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / EXAMPLE_CONFIG
#: the oldest release with CronJob `timeZone` GA, and the kubectl shipped here
VERSIONS = ("1.27.0", "1.32.0")
Doc = dict[str, Any]


def write(root: Path, config: Path = EXAMPLE, jobs: Mapping[str, JobSpec] = JOBS) -> Path:
    """The generated cronjobs/ folder under `root`."""
    files = manifests.files(declared.read(config, jobs), jobs)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def kustomize(folder: Path) -> list[Doc]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is not on PATH (Debian kubernetes-client; `make system-deps`)"
    done = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def validate(docs: list[Doc]) -> None:
    """Every document against every version in VERSIONS; the failures listed together."""
    assert docs
    problems = []
    for doc in docs:
        for version in VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                problems.append(f"{doc['kind']}/{doc['metadata']['name']} on {version}: {exc.message}")
    assert problems == []


def documents(folder: Path) -> list[Doc]:
    """The resources the generator wrote (no kustomization, patch or settings file)."""
    skip = {"kustomization.yaml", "config.yaml", "schedules.yaml"}
    return [
        d for p in sorted(folder.rglob("*.yaml")) if p.name not in skip for d in yaml.safe_load_all(p.read_text()) if d
    ]


def of_kind(docs: list[Doc], kind: str) -> dict[str, Doc]:
    """By name; for namespaced kinds that may repeat a name, by `namespace/name`."""
    found = [d for d in docs if d["kind"] == kind]
    names = [d["metadata"]["name"] for d in found]
    if len(set(names)) == len(names):
        return dict(zip(names, found, strict=True))
    return {f"{d['metadata'].get('namespace', '')}/{d['metadata']['name']}": d for d in found}


def pod(cronjob: Doc) -> Doc:
    spec: Doc = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return spec
