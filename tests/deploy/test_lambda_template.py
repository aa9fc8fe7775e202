"""lambda/template.yaml, as AWS would read it: cfn-lint finds nothing, the SAM transform
(aws-sam-translator, AWS's own) turns it into the functions, schedules, state machine and roles
the job table asks for, and a table with one more job gets that job's function, schedules,
state machine and policy with nothing else edited."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

from jobs.core import aws_lambda
from jobs.core.deploy import declared, sam
from jobs.core.deploy.artifacts import EXAMPLE_CONFIG
from jobs.core.errors import ConfigError
from jobs.core.permissions import AwsGrant, Permissions
from jobs.core.registry import JOBS, JobSpec, Schedule
from tests.sample_jobs import SPEC

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "lambda" / "template.yaml"
CFN_LINT = str(Path(sys.executable).with_name("cfn-lint"))  # the console script beside this interpreter
#: what SAM attaches to every function role, by name (the loader AWS's own IAM would answer)
MANAGED = {
    "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "AWSLambdaVPCAccessExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
}
PARAMETERS = {"StateDbUrl": "postgresql://secops@db:5432/secops", "AWS::Region": "eu-west-1",
              "AWS::AccountId": "123456789012", "AWS::Partition": "aws", "AWS::StackName": "secops"}  # fmt: skip


def extra_permissions(section: object) -> Permissions:
    """The extra job's declaration (the registry names it by string, as a job's own)."""
    return Permissions(aws=(AwsGrant(("s3:GetObject",), "arn:aws:s3:::extra-bucket/*", "read the store"),))


EXTRA = replace(
    SPEC,
    id="extra-store",
    schedules=(Schedule("*/15 8-18 * * 1-5", {"verbose_mode": True}, shards=3), Schedule("0 4 1 * *")),
    permissions="tests.deploy.test_lambda_template:extra_permissions",
    routes=(("/extra-hook", "jobs.ttl_teardown.snooze_route:respond"),),
)


def translated(template: dict[str, Any]) -> dict[str, Any]:
    """What CloudFormation's AWS::Serverless transform makes of it: AWS's own translator, with
    the region and the managed-policy names given instead of asked of AWS."""
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name="eu-west-1"))
    cloned = json.loads(json.dumps(template))
    assert cloned["Globals"]["Function"]["CodeUri"] == "build/secops-jobs-lambda.zip"
    cloned["Globals"]["Function"]["CodeUri"] = "s3://artifacts/secops-jobs-lambda.zip"  # as `sam deploy` uploads it
    result: dict[str, Any] = translator.translate(cloned, dict(PARAMETERS), get_managed_policy_map=lambda: MANAGED)
    return result


def generated() -> dict[str, Any]:
    """The template the generator writes from the example settings (test_artifacts holds the
    committed lambda/template.yaml to it)."""
    text = sam.files(declared.read(ROOT / EXAMPLE_CONFIG))["template.yaml"]
    found: dict[str, Any] = yaml.safe_load(text)
    return found


def of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: r for name, r in resources.items() if r["Type"] == kind}


def test_cfn_lint_finds_nothing_in_the_template(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(sam.files(declared.read(ROOT / EXAMPLE_CONFIG))["template.yaml"])
    lint = subprocess.run([CFN_LINT, str(path)], capture_output=True, text=True, check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr  # 0: no error, no warning, no informational
    assert path.read_text() == TEMPLATE.read_text(), "stale: run `python -m jobs generate`"


def test_the_sam_transform_gives_a_function_a_role_and_the_schedules_of_every_deployable_job() -> None:
    out = translated(generated())["Resources"]
    deployable = declared.deployable()
    functions = of_type(out, "AWS::Lambda::Function")
    assert sorted(functions) == sorted(f"{sam.logical_id(s.id)}Function" for s in deployable)
    for spec in deployable:
        props = functions[f"{sam.logical_id(spec.id)}Function"]["Properties"]
        assert props["Runtime"] == "python3.11" and props["Handler"] == "handler.handler"
        assert props["Environment"]["Variables"]["SECOPS_STATE_DB_URL"] == {"Ref": "StateDbUrl"}
        assert props["DeadLetterConfig"] == {"TargetArn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}}
    schedules = of_type(out, "AWS::Scheduler::Schedule")
    assert len(schedules) == sum(len(s.schedules) for s in deployable)
    for schedule in schedules.values():
        target = schedule["Properties"]["Target"]
        assert schedule["Properties"]["ScheduleExpressionTimezone"] == "Etc/UTC"
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}}
        assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert set(of_type(out, "AWS::StepFunctions::StateMachine")) == {"CertificateCheckerShards"}
    assert "TtlTeardownFunctionUrl" in of_type(out, "AWS::Lambda::Url")
    assert of_type(out, "AWS::Lambda::Url")["TtlTeardownFunctionUrl"]["Properties"]["AuthType"] == "NONE"


def test_each_schedule_sends_the_event_the_handler_reads_and_a_sharded_one_goes_through_the_map() -> None:
    resources = sam.template(declared.read(ROOT / EXAMPLE_CONFIG))["Resources"]
    inputs = {
        n: json.loads(r["Properties"]["Target"]["Input"])
        for n, r in of_type(resources, "AWS::Scheduler::Schedule").items()
    }
    assert inputs["SecretRotationSchedule1"] == {"job": "secret-rotation", "args": {"force": True}}
    assert inputs["TtlTeardownSchedule1"] == {"job": "ttl-teardown", "args": {"warn_only": True}}
    assert inputs["CertificateCheckerSchedule0"] == {"invocations": [
        {"job": "certificate-checker", "args": {"shard": "0/2"}},
        {"job": "certificate-checker", "args": {"shard": "1/2"}},
    ]}  # fmt: skip
    target = resources["CertificateCheckerSchedule0"]["Properties"]["Target"]
    assert target["Arn"] == {"Ref": "CertificateCheckerShards"}
    expressions = {
        n: r["Properties"]["ScheduleExpression"] for n, r in of_type(resources, "AWS::Scheduler::Schedule").items()
    }
    assert expressions["SecretRotationSchedule0"] == "cron(0 2 ? * SUN *)"  # cron's 0 is Sunday, AWS's 1
    assert expressions["SecretRotationSchedule1"] == "cron(0 3 1 * ? *)"


def test_the_scheduler_role_may_start_exactly_its_own_job() -> None:
    resources = translated(generated())["Resources"]
    for spec in declared.deployable():
        name = sam.logical_id(spec.id)
        role = resources[f"{name}SchedulerRole"]["Properties"]
        trust = role["AssumeRolePolicyDocument"]["Statement"]
        assert [s["Principal"] for s in trust] == [{"Service": "scheduler.amazonaws.com"}]
        allowed = {(s["Action"], json.dumps(s["Resource"])) for s in role["Policies"][0]["PolicyDocument"]["Statement"]}
        expected = {("lambda:InvokeFunction", json.dumps({"Fn::GetAtt": [f"{name}Function", "Arn"]})),
                    ("sqs:SendMessage", json.dumps({"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}))}  # fmt: skip
        if any(s.shards > 1 for s in spec.schedules):
            expected.add(("states:StartExecution", json.dumps({"Ref": f"{name}Shards"})))
        assert allowed == expected


def test_a_function_role_holds_the_generated_policy_and_no_deny_that_would_block_its_logs() -> None:
    settings = declared.read(ROOT / EXAMPLE_CONFIG)
    resources = translated(sam.template(settings))["Resources"]
    for spec in declared.deployable():
        role = resources[f"{sam.logical_id(spec.id)}FunctionRole"]["Properties"]
        assert MANAGED["AWSLambdaBasicExecutionRole"] in role["ManagedPolicyArns"]
        inline = [p["PolicyDocument"] for p in role.get("Policies", [])]
        statements = [s for doc in inline for s in doc["Statement"]]
        assert all(s["Effect"] == "Allow" for s in statements), statements
        wanted = declared.job_permissions(spec, settings).aws_actions()
        granted = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
        assert wanted <= granted and granted - wanted <= {"sqs:SendMessage"}


def test_a_table_with_one_more_job_gets_its_function_schedules_state_machine_policy_and_url() -> None:
    jobs: dict[str, JobSpec] = {**JOBS, EXTRA.id: EXTRA}
    settings = declared.read(None, jobs)
    template = sam.template(settings, jobs)
    out = translated(template)["Resources"]
    props = out["ExtraStoreFunction"]["Properties"]
    assert props["Timeout"] == sam.Size().timeout and props["MemorySize"] == sam.Size().memory
    statements = [
        s for p in out["ExtraStoreFunctionRole"]["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]
    ]
    assert {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::extra-bucket/*"} in [
        {k: s[k] for k in ("Effect", "Action", "Resource")} for s in statements
    ]
    weekdays = out["ExtraStoreSchedule0"]["Properties"]
    assert weekdays["ScheduleExpression"] == "cron(0,15,30,45 8-18 ? * MON-FRI *)"
    assert weekdays["Target"]["Arn"] == {"Ref": "ExtraStoreShards"}
    assert [i["args"] for i in json.loads(weekdays["Target"]["Input"])["invocations"]] == [
        {"verbose_mode": True, "shard": f"{i}/3"} for i in range(3)
    ]
    assert out["ExtraStoreSchedule1"]["Properties"]["ScheduleExpression"] == "cron(0 4 1 * ? *)"
    assert "ExtraStoreShards" in of_type(out, "AWS::StepFunctions::StateMachine")
    assert "ExtraStoreFunctionUrl" in of_type(out, "AWS::Lambda::Url")
    assert "ExtraStoreFunctionUrl" in template["Outputs"]


def test_cfn_lint_also_passes_the_template_of_a_bigger_table(tmp_path: Path) -> None:
    jobs: dict[str, JobSpec] = {**JOBS, EXTRA.id: EXTRA}
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(sam.template(declared.read(None, jobs), jobs)))
    lint = subprocess.run([CFN_LINT, str(path)], capture_output=True, text=True, check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_a_cron_the_scheduler_cannot_express_is_one_line_naming_it() -> None:
    broken = replace(EXTRA, schedules=(Schedule("0 4 1 * 1"),))
    jobs = {**JOBS, broken.id: broken}
    with pytest.raises(ConfigError, match=r"cron '0 4 1 \* 1': restricts both day-of-month and day-of-week"):
        sam.template(declared.read(None, jobs), jobs)


def url_event(path: str) -> dict[str, Any]:
    return {"rawPath": path, "rawQueryString": "", "requestContext": {"http": {"method": "GET", "path": path}}}


def test_function_url_routes_come_from_the_job_table_and_the_handler_dispatches_on_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert aws_lambda.routes({**JOBS, EXTRA.id: EXTRA})["/extra-hook"] == "jobs.ttl_teardown.snooze_route:respond"
    assert aws_lambda.ROUTES == {
        "/snooze": "jobs.ttl_teardown.snooze_route:respond",
        "/gitlab-push": "jobs.repo_scanner.push_route:respond",
    }
    monkeypatch.setenv("SECOPS_STATE_DB_URL", f"sqlite:///{tmp_path / 'state.db'}")
    monkeypatch.delenv("SECOPS_CONFIG", raising=False)
    assert aws_lambda.handler(url_event("/no-such-hook"), None)["statusCode"] == 404  # no job serves it
    assert aws_lambda.handler(url_event("/gitlab-push"), None)["statusCode"] == 405  # repo-scanner's: POST only
    answer = aws_lambda.handler(url_event("/snooze"), None)  # ttl-teardown's route, reached through the table
    assert answer["statusCode"] == 400 and "This link cannot be used" in answer["body"]  # a link without fields


def test_only_the_repo_scanner_function_gets_the_git_layer_when_given_and_a_home_in_tmp() -> None:
    """Lambda's runtime has no git: the GitLayerArn parameter adds one to the functions that run
    it (repo-scanner), and nothing when it is left empty."""
    functions = of_type(generated()["Resources"], "AWS::Serverless::Function")
    layered = {name: f["Properties"].get("Layers") for name, f in functions.items() if "Layers" in f["Properties"]}
    assert layered == {"RepoScannerFunction": {"Fn::If": ["HasGitLayer", [{"Ref": "GitLayerArn"}],
                                                          {"Ref": "AWS::NoValue"}]}}  # fmt: skip
    homes = {name: f["Properties"]["Environment"]["Variables"].get("HOME") for name, f in functions.items()}
    assert {name for name, home in homes.items() if home} == {"RepoScannerFunction"}
    assert homes["RepoScannerFunction"] == "/tmp"
