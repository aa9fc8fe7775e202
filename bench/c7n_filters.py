"""cloud-custodian's own filters over the plan bench's items, in-process: the plan's peer.

Run by the bench with the c7n venv's python (c7n is never a dependency of this project), so it
imports nothing of ours. It loads the policy and the resources (EC2 describe shape: InstanceId
and Tags) from the JSON files it is given, then, for each line read on stdin, evaluates the
policy's filters over a fresh copy of the resources (`ResourceManager.filter_resources`, what
`custodian run` does after the describe calls) and prints one JSON line: the seconds the
filters took and the ids they selected. One process for every round, so the bench can run our
plan and these filters in turn and both sides see the same machine.

c7n's `value_type: age` compares against the wall clock (`datetime.now()`), not a given
time: the items' dates must be relative to the real now for it to select what our plan does.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time

from c7n.config import Config
from c7n.policy import Policy
from c7n.resources import load_resources


def main() -> None:
    policy_file, resources_file = sys.argv[1], sys.argv[2]
    load_resources(["aws.ec2"])
    data = json.loads(open(policy_file).read())["policies"][0]  # noqa: SIM115 - one read of a small file
    config = Config.empty(region="us-east-1", account_id="123456789012", cache_period=0, dryrun=True,
                          output_dir=tempfile.mkdtemp(prefix="c7n-bench-"))  # fmt: skip
    policy = Policy(data, config, session_factory=None)
    policy.validate()
    manager = policy.resource_manager
    raw = open(resources_file).read()  # noqa: SIM115
    print(json.dumps({"ready": len(json.loads(raw))}), flush=True)
    for _line in sys.stdin:
        fresh = json.loads(raw)  # not timed: fresh dicts each round, as a describe call hands them over
        start = time.perf_counter()
        selected = manager.filter_resources(fresh)
        seconds = time.perf_counter() - start
        print(json.dumps({"seconds": seconds, "selected": [r["InstanceId"] for r in selected]}), flush=True)


if __name__ == "__main__":
    main()
