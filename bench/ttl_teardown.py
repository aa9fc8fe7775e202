"""ttl-teardown throughput and cost, side by side with cloud-custodian on the same items.

Prints, each figure beside its same-run peer and the ratio (min/median of interleaved rounds):
- plan throughput over 100,000 synthetic resources (target >= 50,000/s), against c7n's own
  filters evaluating the equivalent policy in-process over the same 100,000 items;
- a dry run against moto's server with 5,000 EC2 instances and 500 S3 buckets: wall time,
  AWS API calls per 1,000 resources, peak RSS (target <= 300 MB);
- c7n running the equivalent policy (tag filters + created_at age + terminate, --dryrun,
  --cache-period 0) on the same moto server, through the same counting proxy: wall time,
  client CPU, API calls.
A ratio is printed only where both select the same instances; otherwise both sizes and why.
The fleet uses a single 7-day ttl and dates relative to the wall clock (c7n's `age` compares
with the real now), so c7n's filters can express the same policy. c7n lives in its own venv
(`C7N_VENV`, default .bench/c7n-venv, as `make bench` makes it); without it the c7n sides are
skipped and say so. `--quick`: 5,000 planned, 100 instances, 10 buckets, 2 rounds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from measure import Sample, options, ratio, refuse, show, timed  # noqa: E402
from ttl_fleet import REGION, Proxy, build_fleet, kind_of, moto_server  # noqa: E402

FULL = {"planned": 100_000, "instances": 5000, "buckets": 500}
QUICK = {"planned": 5000, "instances": 100, "buckets": 10}
C7N_VENV = Path(os.environ.get("C7N_VENV", ROOT / ".bench" / "c7n-venv")).resolve()
C7N_POLICY = {
    "policies": [
        {
            "name": "ttl-expired",
            "resource": "aws.ec2",
            "filters": [
                {"type": "value", "key": "tag:environment", "op": "in", "value": ["dev", "staging", "sandbox", "demo"]},
                {"tag:auto-teardown": "true"},
                {"type": "value", "key": "tag:data-class", "op": "ne", "value": "restricted"},
                # created_at older than the 7-day ttl, measured by c7n from the wall clock
                {"type": "value", "key": "tag:created_at", "value_type": "age", "op": "gt", "value": 7},
            ],
            "actions": ["terminate"],
        }
    ]
}


def instance_id(n: int) -> str:
    return f"i-{n:017x}"


def selected(findings: list[dict], now: datetime) -> set[str]:  # type: ignore[type-arg]
    """The EC2 instances our plan finds past their ttl (warned, waiting or deleted): what the
    c7n policy selects."""
    cutoff = now.isoformat().replace("+00:00", "Z")
    return {
        f["details"]["name"]
        for f in findings
        if f["type"] == "ttl"
        and f["details"].get("verdict") in ("warn", "delete", "expired_waiting")
        and f["details"].get("type") == "ec2:instance"
        and f["details"]["expires_at"] <= cutoff
    }


def plan_once(count: int, now: datetime) -> tuple[float, set[str]]:
    """One plan over freshly built items (tags normalised cold), as the runner plans (gc paused)."""
    from jobs.core.runner import gc_paused
    from jobs.ttl_teardown.catalog import hourly
    from jobs.ttl_teardown.cost import Sizing, load_pricing
    from jobs.ttl_teardown.model import Item
    from jobs.ttl_teardown.plan import Context, build
    from jobs.ttl_teardown.rules import Policy, Resource

    context = Context(Policy(), 30, {}, now)
    sizing = Sizing(instance_type="m5.large")
    price = hourly("ec2:instance", sizing, load_pricing(None))  # collect prices each item; the plan reads it
    items = [
        Item(
            Resource(
                f"arn:aws:ec2:{REGION}:123456789012:instance/{instance_id(n)}", "ec2:instance", kind_of(n, now)[1]
            ),
            "aws",
            REGION,
            instance_id(n),
            sizing,
            hourly_usd=price,
        )
        for n in range(count)
    ]
    start = time.perf_counter()
    with gc_paused():
        plan = build(items, context)
    seconds = time.perf_counter() - start
    return count / seconds, selected([f.to_json() for f in plan.findings], now)


class C7nFilters:
    """bench/c7n_filters.py in the c7n venv, one process for every round: one line in, one out."""

    def __init__(self, work: Path, count: int, now: datetime) -> None:
        (work / "policy.json").write_text(json.dumps(C7N_POLICY))
        resources = [
            {"InstanceId": instance_id(n), "Tags": [{"Key": k, "Value": v} for k, v in kind_of(n, now)[1].items()]}
            for n in range(count)
        ]
        (work / "resources.json").write_text(json.dumps(resources))
        argv = [str(C7N_VENV / "bin" / "python"), str(Path(__file__).with_name("c7n_filters.py"))]
        argv += [str(work / "policy.json"), str(work / "resources.json")]
        self.count = count
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._read()  # ready

    def _read(self) -> dict:  # type: ignore[type-arg]
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"c7n filters stopped (exit {self.proc.wait()})")
        return json.loads(line)  # type: ignore[no-any-return]

    def once(self) -> tuple[float, set[str]]:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        answer = self._read()
        return self.count / answer["seconds"], set(answer["selected"])

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


def compare_selections(what: str, ours: set[str], theirs: set[str], expected: int | None = None) -> bool:
    """Whether both did the same work; says what differs when not."""
    if ours == theirs:
        return True
    known = f"; {expected:,} are expired" if expected is not None else ""
    sizes = f"ours {len(ours):,}, c7n {len(theirs):,}, {len(ours & theirs):,} in both{known}"
    print(refuse(what, f"the selections differ ({sizes}): a speed ratio would compare different work"))
    return False


def plan_bench(work: Path, count: int, rounds: int, now: datetime) -> None:
    ours = Sample("our plan", "resources/s")
    if not (C7N_VENV / "bin" / "python").exists():
        for _ in range(rounds):
            ours.values.append(plan_once(count, now)[0])
        print(f"plan: {count:,} resources (target >= 50,000/s)\n  {ours.line()}")
        print(refuse("plan / c7n filters", f"c7n is not installed at {C7N_VENV} (make bench installs it)"))
        return
    theirs, filters = Sample("c7n filters in-process", "resources/s"), C7nFilters(work, count, now)
    mine: set[str] = set()
    its: set[str] = set()
    try:
        for _ in range(rounds):  # interleaved: both sides see the same machine
            rate, mine = plan_once(count, now)
            ours.values.append(rate)
            rate, its = filters.once()
            theirs.values.append(rate)
    finally:
        filters.close()
    print(f"plan: {count:,} resources, {len(mine):,} past their ttl (target >= 50,000/s)")
    if compare_selections("plan / c7n filters", mine, its):
        show(ours, theirs, "plan / c7n filters")


def aws_env(proxy: Proxy) -> dict[str, str]:
    return {**os.environ, "AWS_ENDPOINT_URL": proxy.url, "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": REGION}  # fmt: skip


def run_ours(proxy: Proxy, work: Path, types: list[str], now: datetime) -> tuple[set[str], dict[str, float], int]:
    config = work / f"ours-{len(types)}.yaml"
    config.write_text(yaml.safe_dump({
        "state_db_url": f"sqlite:///{work}/state-{len(types)}.db",  # a fresh history per type set
        "log_level": "warning",
        "notifications": {"file": {"path": str(work / "outbox.jsonl")}},
        "ttl_teardown": {"regions": [REGION], "aws": {"types": types}},
    }))  # fmt: skip
    before = proxy.count
    argv = [sys.executable, "-m", "jobs.ttl_teardown", "--config", str(config), "--json", "--now", now.isoformat()]
    proc, stats = timed(argv, {**aws_env(proxy), "PYTHONPATH": str(ROOT)}, work)
    if not proc.stdout.strip():
        raise SystemExit(f"ttl-teardown printed no result (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return selected(json.loads(proc.stdout)["findings"], now), stats, proxy.count - before


def run_c7n(proxy: Proxy, work: Path, round_: int) -> tuple[set[str], dict[str, float], int]:
    """`custodian run --dryrun` with its describe cache off: with the default 15-minute cache a
    second run (or a run within 15 minutes of an earlier bench on another moto fleet, the same
    account and region) reads the cached instances of that earlier fleet, not this one."""
    policy = work / "policy.yml"
    policy.write_text(yaml.safe_dump(C7N_POLICY))
    out = work / f"c7n-out-{round_}"
    argv = [str(C7N_VENV / "bin" / "custodian"), "run", "--dryrun", "--cache-period", "0", "-s", str(out)]
    before = proxy.count
    proc, stats = timed([*argv, "-r", REGION, str(policy)], aws_env(proxy), work)
    found = list(out.rglob("resources.json"))
    if not found:
        raise SystemExit(f"c7n: no result ({proc.stderr.strip().splitlines()[-1:] if proc.stderr else 'no output'})")
    return {r["InstanceId"] for r in json.loads(found[0].read_text())}, stats, proxy.count - before


def moto_bench(work: Path, size: dict[str, int], rounds: int, now: datetime) -> None:
    with moto_server() as port:
        start = time.perf_counter()
        expired = build_fleet(f"http://127.0.0.1:{port}", size["instances"], size["buckets"], now)
        total = size["instances"] + size["buckets"]
        print(f"fleet: {size['instances']:,} instances and {size['buckets']} buckets in moto "
              f"({time.perf_counter() - start:.0f}s to make), {len(expired):,} instances expired")  # fmt: skip
        proxy = Proxy(port)
        _, full, calls = run_ours(proxy, work, ["ec2:instance", "s3:bucket"], now)
        per = f"{calls} API calls = {1000 * calls / total:.1f} per 1,000 resources"
        print(f"ours, dry run, {total:,} resources: {full['wall']:.1f}s wall, {full['cpu']:.1f} CPU-s, "
              f"{per}, peak RSS {full['rss_mb']:.0f} MB")  # fmt: skip
        ours_wall, ours_cpu = Sample("ours, EC2 only", "s wall"), Sample("ours, EC2 only", "CPU-s")
        c7n_wall, c7n_cpu = Sample("c7n, EC2 only", "s wall"), Sample("c7n, EC2 only", "CPU-s")
        have_c7n = (C7N_VENV / "bin" / "custodian").exists()
        for n in range(rounds):  # interleaved
            mine, stats, our_calls = run_ours(proxy, work, ["ec2:instance"], now)
            ours_wall.values.append(stats["wall"])
            ours_cpu.values.append(stats["cpu"])
            if have_c7n:
                its, stats, their_calls = run_c7n(proxy, work, n)
                c7n_wall.values.append(stats["wall"])
                c7n_cpu.values.append(stats["cpu"])
    print(f"ours, EC2 only: {our_calls} API calls, {len(mine):,} expired selected (the fleet has {len(expired):,})")
    if not have_c7n:
        print(f"  {ours_wall.line()}")
        print(refuse("dry run / c7n", f"c7n is not installed at {C7N_VENV} (make bench installs it)"))
        return
    print(f"c7n, EC2 only: {their_calls} API calls, {len(its):,} selected")
    if compare_selections("dry run / c7n", mine, its, len(expired)):
        show(ours_wall, c7n_wall, "dry run wall / c7n (lower is better)")
        print(ratio(ours_cpu, c7n_cpu, "dry run client CPU / c7n (lower is better)"))
        print(f"API calls, ours/c7n: {our_calls}/{their_calls}")


def main() -> None:
    args = options(__doc__, rounds=5)
    size = QUICK if args.quick else FULL
    # the wall clock, to the second: c7n's age filter reads it, and ours is given the same now
    now = datetime.now(UTC).replace(microsecond=0)
    work = Path(tempfile.mkdtemp(prefix="secops-ttl-bench-"))
    plan_bench(work, size["planned"], args.rounds, now)
    moto_bench(work, size, min(args.rounds, 3), now)  # CLI runs against moto: 3 rounds are plenty


if __name__ == "__main__":
    main()
