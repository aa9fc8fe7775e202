"""The manifests follow the job table and the settings: a job added to the table gets its
CronJobs, account and RBAC with no YAML edited; a value the generator cannot turn into a valid
manifest (a name, a cron, a literal secret, a SQLite file nowhere) is one ConfigError naming it,
and the command then writes nothing."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest

from jobs.core.cli import main
from jobs.core.deploy import declared, manifests, pods
from jobs.core.errors import ConfigError
from jobs.core.permissions import KubernetesGrant, Permissions
from jobs.core.registry import JOBS, JobOption, JobSpec, Schedule
from jobs.core.settings import JobSettings
from tests.deploy import kube

STORE = JobSpec(
    id="sample-store",
    description="a job added to the table later",
    schedules=(
        Schedule("*/15 * * * *", note="Quarter-hourly (fast)"),
        Schedule("0 4 * * *", {"mode": "full", "deep": True}, note="nightly", shards=3),
    ),
    destructive=True,
    options=(JobOption("deep", "look deeper"), JobOption("mode", "how", "value", ("quick", "full"))),
    class_path="tests.sample_jobs:StoreJob",
    permissions="tests.deploy.test_manifests_table:store_permissions",
)


def store_permissions(section: JobSettings) -> Permissions:
    """What the added job declares: ConfigMaps in every namespace, one Secret in `store`."""
    return Permissions.of(
        [
            KubernetesGrant("", ("configmaps",), ("list",), "read configuration"),
            KubernetesGrant("", ("secrets",), ("get",), "its one secret", "store", ("store-key",)),
        ]
    )


def test_a_job_added_to_the_table_gets_its_cronjobs_account_and_rbac(tmp_path: Path) -> None:
    table = {**JOBS, STORE.id: STORE}
    folder = kube.write(tmp_path, jobs=table)
    base, prod = kube.kustomize(folder / "base"), kube.kustomize(folder / "overlays/prod")
    kube.validate(base)
    kube.validate(prod)
    cronjobs = kube.of_kind(base, "CronJob")
    fast, nightly = cronjobs["sample-store-quarter-hourly-fast"], cronjobs["sample-store-nightly"]
    assert fast["spec"]["schedule"] == "*/15 * * * *"
    assert kube.pod(nightly)["containers"][0]["args"] == [
        "run", "sample-store", "--deep", "--mode", "full", "--shard", "$(JOB_COMPLETION_INDEX)/3"
    ]  # fmt: skip
    assert nightly["spec"]["jobTemplate"]["spec"]["completions"] == 3
    assert kube.pod(fast)["serviceAccountName"] == "secops-sample-store"
    assert kube.pod(fast)["automountServiceAccountToken"] is True
    assert fast["spec"]["jobTemplate"]["spec"]["backoffLimit"] == 0
    assert "secops-sample-store" in kube.of_kind(base, "ServiceAccount")
    assert kube.of_kind(base, "ClusterRole")["secops-sample-store"]["rules"][0]["resources"] == ["configmaps"]
    role = kube.of_kind(prod, "Role")["secops-sample-store"]
    assert role["metadata"]["namespace"] == "store" and role["rules"][0]["resourceNames"] == ["store-key"]
    binding = kube.of_kind(prod, "RoleBinding")["secops-sample-store"]
    assert binding["metadata"]["namespace"] == "store"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "secops-sample-store", "namespace": "secops-prod"}
    ]


def test_a_job_whose_code_is_not_in_the_build_gets_nothing(tmp_path: Path) -> None:
    missing = replace(STORE, id="not-built", class_path="tests.no_such_module:Job")
    files = manifests.files(declared.read(kube.EXAMPLE, {**JOBS, missing.id: missing}), {**JOBS, missing.id: missing})
    assert not any("not-built" in text for text in files.values())


@pytest.mark.parametrize(
    ("change", "culprit"),
    [
        ({"id": "Sample_Store"}, "'Sample_Store': not a DNS label"),
        ({"id": "a-job-id-long-enough-that-its-cronjob-name-is-over-52"}, "Kubernetes allows 52"),
        ({"schedules": (Schedule("0 1 * * *"), Schedule("0 2 * * *"))}, "needs a note to name its CronJob"),
        ({"schedules": (Schedule("0 1 * * *", note="Daily"), Schedule("0 2 * * *", note="daily!"))}, "distinct notes"),
        ({"schedules": (Schedule("0 0 1 * * *"),)}, "five cron fields"),
        ({"schedules": (Schedule("60 0 * * *"),)}, "minute '60' is outside 0-59"),
        ({"schedules": (Schedule("0 2 * * 7"),)}, "takes day-of-week 0-6"),
        ({"schedules": (Schedule("CRON_TZ=Europe/Paris 0 1 * * *"),)}, "in UTC"),
        ({"schedules": (Schedule("0 1 * * *", {"fast": True}),)}, "passes 'fast', not an option"),
    ],
)
def test_a_value_no_manifest_can_express_is_a_config_error_naming_it(change: dict[str, object], culprit: str) -> None:
    spec = replace(STORE, **change)  # type: ignore[arg-type]
    table = {**JOBS, spec.id: spec}
    with pytest.raises(ConfigError, match=culprit.replace("(", r"\(").replace("'", "'")):
        manifests.files(declared.read(kube.EXAMPLE, table), table)


def test_the_slug_of_a_note() -> None:
    assert manifests.note_slug("forced monthly") == "forced-monthly"
    assert manifests.note_slug("  Hourly pre-alerts!! ") == "hourly-pre-alerts"
    assert manifests.note_slug("--") == ""


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ("notifications: {slack: {webhook_url: 'https://hooks.slack.com/services/T0/B0/abc'}}\n", "webhook_url"),
        ("pushgateway_url: 'https://secops:hunter2-but-longer@push:9091'\n", "pushgateway_url"),
        # what urlsplit reads as no password, and SQLAlchemy and libpq as one
        *(
            (f"state_db_url: '{url}'\n", "state_db_url")
            for url in (
                "postgresql://secops:#hunter2@db.internal/secops",
                "postgresql://secops:/hunter2@db.internal/secops",
                "postgresql://secops:hu?nter2@db.internal/secops",
                "postgresql://secops:hunter2@[db/secops",
                "postgresql://secops@db/secops?sslmode=require&password=hunter2",
            )
        ),
    ],
)
def test_a_literal_secret_is_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], settings: str, key: str
) -> None:
    config = tmp_path / "settings.yaml"
    config.write_text(
        settings
        if settings.startswith("state_db_url")
        else "state_db_url: postgresql://secops@db:5432/secops\n" + settings
    )
    out = tmp_path / "out"
    assert main(["manifests", "--output", str(out), "--config", str(config)], io.StringIO()) == 2
    err = capsys.readouterr().err
    assert key in err and "secops-credentials" in err and len(err.strip().splitlines()) == 1
    assert "hunter2" not in err and "T0/B0/abc" not in err
    assert not out.exists()


@pytest.mark.parametrize("url", ["sqlite:////state.db", "sqlite:////tmp/x.db", "sqlite:////etc/secops-jobs/s.db",
                                 "sqlite:////etc/s.db"])  # fmt: skip
def test_a_sqlite_state_db_whose_volume_would_cover_the_pods_own_mounts_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    config = tmp_path / "settings.yaml"
    config.write_text(f"state_db_url: '{url}'\n")
    assert main(["manifests", "--output", str(tmp_path / "out"), "--config", str(config)], io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "state volume" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_sqlite_state_db_gets_a_volume_and_a_relative_one_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "settings.yaml"
    config.write_text("state_db_url: sqlite:////var/lib/secops/state.db\n")
    folder = kube.write(tmp_path / "k8s", config)
    base = kube.kustomize(folder / "base")
    kube.validate(base)
    assert "secops-state" in kube.of_kind(base, "PersistentVolumeClaim")
    for cronjob in kube.of_kind(base, "CronJob").values():
        mounts = {m["name"]: m["mountPath"] for m in kube.pod(cronjob)["containers"][0]["volumeMounts"]}
        assert mounts["state"] == "/var/lib/secops"
    config.write_text("state_db_url: sqlite:///./secops-state.db\n")
    with pytest.raises(ConfigError, match="absolute path on the state volume"):
        manifests.files(declared.read(config))


def test_the_pod_constants_say_what_the_readme_says() -> None:
    assert (pods.CREDENTIALS, pods.CONFIG_MAP, pods.IMAGE) == ("secops-credentials", "secops-config", "secops-jobs")
