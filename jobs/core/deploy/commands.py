"""`python -m jobs permissions`, `manifests` and `generate`: the generators as commands.

An entry point of the CLI's COMMANDS table, loaded only when asked for. Bad input (an unknown
job, a settings file that does not validate) is one line naming it and exit 2; nothing written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TextIO

import yaml

from jobs.core.deploy import artifacts, declared, policies
from jobs.core.errors import ConfigError
from jobs.core.permissions import Permissions
from jobs.core.settings import ENV_PREFIX, Settings

FORMATS = ("iam", "rbac", "vault")


def permissions(args: argparse.Namespace, stdout: TextIO) -> int:
    """Each job's policy in one format: `--job` alone prints the bare document, ready for
    `aws iam put-role-policy`, `kubectl apply -f -` or `bao policy write`. Rendered in full
    before anything is written, so a grant that cannot be rendered leaves no half a policy."""
    try:
        settings = _read(args)
        specs = declared.deployable(only=args.job)
        needs = {spec.id: declared.job_permissions(spec, settings) for spec in specs}
        text = _render(args.format, needs, args.job, args.namespace)
    except ConfigError as exc:
        print(f"permissions: {exc}", file=sys.stderr)
        return 2
    stdout.write(text)
    return 0


def _render(fmt: str, needs: dict[str, Permissions], job: str | None, namespace: str) -> str:
    if fmt == "iam":
        documents = {j: policies.iam_policy(p) for j, p in needs.items()}
        return json.dumps(documents[job] if job else documents, indent=2) + "\n"
    if fmt == "vault":
        return "\n".join(policies.vault_policy(p, f"policy {policies.account_name(j)}") for j, p in needs.items())
    return yaml.safe_dump_all([o for j, p in needs.items() for o in policies.rbac(p, j, namespace)], sort_keys=False)


def manifests(args: argparse.Namespace, stdout: TextIO) -> int:
    """The Kubernetes manifests (a kustomize base and overlays) into `--output`."""
    return _generate({"cronjobs": artifacts.ARTIFACTS["cronjobs"]}, args, stdout, Path(args.output), flat=True)


def generate(args: argparse.Namespace, stdout: TextIO) -> int:
    """Every committed artifact, under `--root` (the repository), from the example settings."""
    return _generate(artifacts.ARTIFACTS, args, stdout, Path(args.root), flat=False)


def _generate(
    chosen: dict[str, artifacts.Artifact], args: argparse.Namespace, stdout: TextIO, where: Path, flat: bool
) -> int:
    """`flat`: the one artifact straight into `where`, else each into its folder under it.
    Everything is rendered before anything is written: a bad input leaves the tree as it was."""
    try:
        settings = _read(args)
        plans = [artifacts.place(a, settings, where if flat else where / a.folder) for a in chosen.values()]
    except ConfigError as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 2
    written, removed, total = 0, 0, 0
    try:
        for placed in plans:
            changed, gone = artifacts.apply(placed)
            written, removed, total = written + len(changed), removed + len(gone), total + len(placed.files)
    except OSError as exc:  # checked before writing; what is left (a full disk, no permission) is named
        print(f"{args.command}: cannot write {exc.filename or where}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    gone_text = f", {removed} no longer generated removed" if removed else ""
    print(f"{total} files, {written} changed{gone_text}, under {where}", file=stdout)
    return 0


def _read(args: argparse.Namespace) -> Settings:
    """The settings, and one line naming every SECOPS_* variable they took: a developer's shell
    would otherwise change a deployment's RBAC, ConfigMap or policies without a word."""
    settings = declared.read(args.config)
    taken = sorted(name for name in os.environ if name.startswith(ENV_PREFIX) and name != "SECOPS_CONFIG")
    if taken:
        print(
            f"{args.command}: note: {', '.join(taken)} from the environment override the settings file", file=sys.stderr
        )
    return settings
