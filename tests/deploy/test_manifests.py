"""cronjobs/ as Kubernetes and kustomize see it: every document validates (strict schemas of
1.27 and 1.32), `kubectl kustomize` renders the base and both overlays, and the rendered objects
have the properties the deployment promises: one CronJob (or Indexed one) per schedule, every
pod hardened, each account bound only to its own rules, the overlays' changes landed."""

from __future__ import annotations

import io
import itertools
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from jobs.core.cli import main
from jobs.core.deploy import artifacts, declared, manifests, pods, policies
from jobs.core.registry import JOBS
from jobs.core.scheduler import cron_trigger
from tests.deploy import kube

EXPECTED_CRONJOBS = {
    "certificate-checker": ("0 6 * * *", ["run", "certificate-checker", "--shard", "$(JOB_COMPLETION_INDEX)/2"]),
    "secret-rotation-weekly": ("0 2 * * 0", ["run", "secret-rotation"]),
    "secret-rotation-forced-monthly": ("0 3 1 * *", ["run", "secret-rotation", "--force"]),
    "usage-report-daily": ("0 1 * * *", ["run", "usage-report", "--period", "daily"]),
    "usage-report-weekly": ("0 2 * * 1", ["run", "usage-report", "--period", "weekly"]),
    "repo-scanner": ("0 3 * * *", ["run", "repo-scanner"]),
    "ttl-teardown-teardown": ("0 2 * * *", ["run", "ttl-teardown"]),
    "ttl-teardown-hourly-pre-alerts": ("0 * * * *", ["run", "ttl-teardown", "--warn-only"]),
}
RENDERED = ("base", "overlays/dev", "overlays/prod")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as env:
        for name in [n for n in os.environ if n.startswith(("SECOPS_", "VAULT_", "AWS_"))]:
            env.delenv(name)
        yield kube.write(tmp_path_factory.mktemp("cronjobs"))


@pytest.fixture(scope="module")
def rendered(generated: Path) -> dict[str, list[kube.Doc]]:
    return {where: kube.kustomize(generated / where) for where in RENDERED}


def test_every_generated_document_validates_against_the_strict_schemas(generated: Path) -> None:
    docs = kube.documents(generated)
    assert {d["kind"] for d in docs} >= {"CronJob", "ServiceAccount", "ClusterRole", "Role", "RoleBinding"}
    kube.validate(docs)


@pytest.mark.parametrize("where", RENDERED)
def test_kubectl_kustomize_renders_it_and_the_output_validates(rendered: dict[str, list[kube.Doc]], where: str) -> None:
    kube.validate(rendered[where])


def test_the_kubernetes_validate_command_passes_the_rendered_prod_overlay(
    rendered: dict[str, list[kube.Doc]], tmp_path: Path
) -> None:
    out = tmp_path / "prod.yaml"
    out.write_text(yaml.safe_dump_all(rendered["overlays/prod"]))
    tool = shutil.which("kubernetes-validate") or str(Path(sys.executable).parent / "kubernetes-validate")
    done = subprocess.run([tool, "--strict", "-k", "1.27.0", "--quiet", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_one_cronjob_per_schedule_of_every_deployable_job_named_after_it(rendered: dict[str, list[kube.Doc]]) -> None:
    cronjobs = kube.of_kind(rendered["base"], "CronJob")
    assert sorted(cronjobs) == sorted(EXPECTED_CRONJOBS)
    schedules = sum(len(spec.schedules) for spec in declared.deployable())
    assert len(cronjobs) == schedules
    for name, (cron, args) in EXPECTED_CRONJOBS.items():
        assert cronjobs[name]["spec"]["schedule"] == cron
        assert kube.pod(cronjobs[name])["containers"][0]["args"] == args


def test_a_sharded_schedule_is_an_indexed_job_whose_pods_get_their_shard(rendered: dict[str, list[kube.Doc]]) -> None:
    job = kube.of_kind(rendered["base"], "CronJob")["certificate-checker"]["spec"]["jobTemplate"]["spec"]
    assert (job["completionMode"], job["completions"], job["parallelism"]) == ("Indexed", 2, 2)
    container = job["template"]["spec"]["containers"][0]
    index = {e["name"]: e for e in container["env"]}["JOB_COMPLETION_INDEX"]
    # declared in `env`, so the kubelet expands $(JOB_COMPLETION_INDEX) in args
    assert (
        index["valueFrom"]["fieldRef"]["fieldPath"]
        == "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    )
    others = [c for n, c in kube.of_kind(rendered["base"], "CronJob").items() if n != "certificate-checker"]
    assert all("completionMode" not in c["spec"]["jobTemplate"]["spec"] for c in others)


@pytest.mark.parametrize("where", RENDERED)
def test_every_cronjob_and_pod_is_hardened(rendered: dict[str, list[kube.Doc]], where: str) -> None:
    for name, cronjob in kube.of_kind(rendered[where], "CronJob").items():
        spec, job, pod = cronjob["spec"], cronjob["spec"]["jobTemplate"]["spec"], kube.pod(cronjob)
        assert (spec["timeZone"], spec["concurrencyPolicy"]) == ("Etc/UTC", "Forbid"), name
        assert spec["startingDeadlineSeconds"] > 0 and spec["successfulJobsHistoryLimit"] >= 1, name
        assert spec["failedJobsHistoryLimit"] >= 1, name
        assert job["activeDeadlineSeconds"] > 0 and job["ttlSecondsAfterFinished"] > 0, name
        assert pod["restartPolicy"] == "Never" and pod["enableServiceLinks"] is False, name
        assert pod["securityContext"] == {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                                          "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}}  # fmt: skip
        (container,) = pod["containers"]
        hardening = container["securityContext"]
        assert hardening["readOnlyRootFilesystem"] is True and hardening["allowPrivilegeEscalation"] is False, name
        assert hardening["capabilities"] == {"drop": ["ALL"]} and hardening["runAsNonRoot"] is True, name
        assert hardening["privileged"] is False and hardening["runAsUser"] == 10001, name
        assert set(container["resources"]) == {"requests", "limits"}, name
        assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name
        _config_tmp_and_credentials(pod, container, name)


def _config_tmp_and_credentials(pod: kube.Doc, container: kube.Doc, name: str) -> None:
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/tmp"]], name
    config = volumes[mounts[pods.CONFIG_DIR]]["configMap"]["name"]
    assert config.startswith("secops-config"), name
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["SECOPS_CONFIG"] == f"{pods.CONFIG_DIR}/config.yaml", name
    assert container["envFrom"] == [{"secretRef": {"name": "secops-credentials", "optional": True}}], name
    assert set(mounts) == {"/tmp", pods.CONFIG_DIR}, f"{name}: a PostgreSQL state DB needs no state volume"


def test_the_configmap_is_generated_from_the_example_settings_and_reads_back_the_same(
    rendered: dict[str, list[kube.Doc]], tmp_path: Path
) -> None:
    (config_map,) = kube.of_kind(rendered["base"], "ConfigMap").values()
    names = {v["configMap"]["name"] for c in kube.of_kind(rendered["base"], "CronJob").values()
             for v in kube.pod(c)["volumes"] if "configMap" in v}  # fmt: skip
    assert names == {config_map["metadata"]["name"]}  # the hashed name reached every CronJob
    copy = tmp_path / "config.yaml"
    copy.write_text(config_map["data"]["config.yaml"])
    assert declared.read(copy) == declared.read(kube.EXAMPLE)
    assert "vault:secret/secops/smtp#password" in copy.read_text()  # references stay references


def test_each_account_is_bound_only_to_its_own_declared_rules(rendered: dict[str, list[kube.Doc]]) -> None:
    docs = rendered["base"]
    settings = declared.read(kube.EXAMPLE)
    for spec in declared.deployable():
        account = policies.account_name(spec.id)
        ours = [d for d in docs if d["metadata"]["name"] == account]
        for binding in (d for d in ours if d["kind"].endswith("Binding")):
            assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account, "namespace": "secops"}]
            assert binding["roleRef"]["name"] == account
        declared_rules = [o for o in policies.rbac(declared.job_permissions(spec, settings), spec.id, "secops")
                          if o["kind"] in ("Role", "ClusterRole")]  # fmt: skip
        assert [d for d in ours if d["kind"] in ("Role", "ClusterRole")] == declared_rules
        for cronjob in (
            d for d in docs if d["kind"] == "CronJob" and d["metadata"]["labels"]["app.kubernetes.io/name"] == spec.id
        ):
            assert kube.pod(cronjob)["serviceAccountName"] == account
    every_binding = [d for d in docs if d["kind"].endswith("Binding")]
    assert all(len(b["subjects"]) == 1 and b["subjects"][0]["name"] == b["metadata"]["name"] for b in every_binding)


def test_the_rbac_is_what_each_job_needs(rendered: dict[str, list[kube.Doc]]) -> None:
    """Secrets listed everywhere for the checker; the rotated Secret and the restarted
    Deployment, by name, in their namespace, for rotation; nothing for ttl-teardown's example
    settings (their Kubernetes provider is off)."""
    roles = kube.of_kind(rendered["base"], "ClusterRole") | kube.of_kind(rendered["base"], "Role")
    assert roles["secops-certificate-checker"]["rules"] == [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}
    ]
    rotation = roles["secops-secret-rotation"]
    assert rotation["metadata"]["namespace"] == "billing"
    assert rotation["rules"] == [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "update"], "resourceNames": ["db-credentials"]},
        {
            "apiGroups": ["apps"],
            "resources": ["deployments"],
            "verbs": ["get", "patch"],
            "resourceNames": ["billing-api"],
        },
    ]
    assert "secops-ttl-teardown" not in roles


def test_the_token_is_mounted_only_into_jobs_that_call_the_kubernetes_api(rendered: dict[str, list[kube.Doc]]) -> None:
    mounted = {
        n: kube.pod(c)["automountServiceAccountToken"] for n, c in kube.of_kind(rendered["base"], "CronJob").items()
    }
    assert mounted == {"certificate-checker": True, "secret-rotation-weekly": True, "secret-rotation-forced-monthly": True,
                       "usage-report-daily": False, "usage-report-weekly": False,
                       "repo-scanner": False, "ttl-teardown-teardown": False, "ttl-teardown-hourly-pre-alerts": False}  # fmt: skip


def test_destructive_jobs_are_not_retried_and_a_retry_never_follows_a_configuration_error(
    rendered: dict[str, list[kube.Doc]],
) -> None:
    for name, cronjob in kube.of_kind(rendered["base"], "CronJob").items():
        job = cronjob["spec"]["jobTemplate"]["spec"]
        destructive = JOBS[cronjob["metadata"]["labels"]["app.kubernetes.io/name"]].destructive
        assert job["backoffLimit"] == (0 if destructive else 2), name
        fail = [r for r in job["podFailurePolicy"]["rules"] if r["action"] == "FailJob"]
        assert fail[0]["onExitCodes"]["values"] == [2, 3], name


def test_a_run_never_outlives_the_shortest_interval_so_forbid_never_skips_a_run() -> None:
    for spec in JOBS.values():
        for schedule in spec.schedules:
            trigger = cron_trigger(schedule.cron)
            fires = [trigger.get_next_fire_time(None, datetime(2026, 1, 1, tzinfo=UTC))]
            while len(fires) < 60:
                fires.append(trigger.get_next_fire_time(fires[-1], fires[-1] + timedelta(seconds=1)))
            shortest = min((b - a).total_seconds() for a, b in itertools.pairwise(fires))
            assert shortest >= pods.ACTIVE_DEADLINE_SECONDS + pods.STARTING_DEADLINE_SECONDS, schedule.cron


@pytest.mark.parametrize(("overlay", "namespace"), [("dev", "secops-dev"), ("prod", "secops-prod")])
def test_an_overlay_moves_the_jobs_and_keeps_each_grant_bound_to_its_account(
    rendered: dict[str, list[kube.Doc]], overlay: str, namespace: str
) -> None:
    docs = rendered[f"overlays/{overlay}"]
    assert len(docs) == len(rendered["base"])
    for doc in docs:
        if doc["kind"] in ("ServiceAccount", "CronJob", "ConfigMap"):
            assert doc["metadata"]["namespace"] == namespace, doc["metadata"]["name"]
        if doc["kind"] in ("Role", "RoleBinding"):  # where the job acts: never moved
            assert doc["metadata"]["namespace"] == "billing"
        for subject in doc.get("subjects", []):
            assert subject["namespace"] == namespace, doc["metadata"]["name"]


@pytest.mark.parametrize(
    ("overlay", "image", "schedule"),
    [("dev", "secops-jobs:dev", "0 */4 * * *"), ("prod", "registry.example.com/security/secops-jobs:", "30 5 * * *")],
)
def test_an_overlay_changes_the_image_and_a_schedule(
    rendered: dict[str, list[kube.Doc]], overlay: str, image: str, schedule: str
) -> None:
    cronjobs = kube.of_kind(rendered[f"overlays/{overlay}"], "CronJob")
    assert all(kube.pod(c)["containers"][0]["image"].startswith(image) for c in cronjobs.values())
    assert cronjobs["certificate-checker"]["spec"]["schedule"] == schedule
    base = kube.of_kind(rendered["base"], "CronJob")
    assert {n: c["spec"]["schedule"] for n, c in cronjobs.items() if n != "certificate-checker"} == {
        n: c["spec"]["schedule"] for n, c in base.items() if n != "certificate-checker"
    }
    assert kube.pod(base["secret-rotation-weekly"])["containers"][0]["image"] == f"secops-jobs:{manifests.image_tag()}"


def test_the_manifests_command_writes_the_generated_folder(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main(["manifests", "--output", str(tmp_path / "k8s"), "--config", str(kube.EXAMPLE)], out) == 0
    written = {
        str(p.relative_to(tmp_path / "k8s")): p.read_text() for p in (tmp_path / "k8s").rglob("*") if p.is_file()
    }
    index = f"{artifacts.ARTIFACTS['cronjobs'].owned}/{artifacts.INDEX}"
    listed = written.pop(index).splitlines()[-1]  # the index of what it wrote, for the next run
    assert f"{artifacts.ARTIFACTS['cronjobs'].owned}/{listed}" in written
    assert written == manifests.files(declared.read(kube.EXAMPLE))


def test_the_repo_scanner_pod_has_room_for_clones_and_semgrep_and_the_others_keep_the_default(
    rendered: dict[str, list[kube.Doc]],
) -> None:
    for name, cron in kube.of_kind(rendered["base"], "CronJob").items():
        pod = kube.pod(cron)
        [tmp] = [v for v in pod["volumes"] if v["name"] == "tmp"]
        limits = pod["containers"][0]["resources"]["limits"]
        if name == "repo-scanner":
            assert (tmp["emptyDir"]["sizeLimit"], limits["memory"], limits["ephemeral-storage"]) == (
                "4Gi",
                "2Gi",
                "5Gi",
            )
        else:
            assert (tmp["emptyDir"]["sizeLimit"], limits["memory"]) == ("256Mi", "512Mi"), name
