"""What starts a job's function: one EventBridge Scheduler schedule per registry schedule, the
scheduler's role, and for a schedule run in shards a Step Functions Map over the shards.

The schedule's input is the event the handler reads, `{"job": id, "args": {...}}`, the same
options a CronJob's command line carries. A sharded schedule starts the job's state machine
instead, with one such event per shard (`args.shard` = "i/N"), which the Map invokes in
parallel. A delivery the scheduler cannot make, and a shard that fails twice, end in the
stack's dead-letter queue, as a failed asynchronous run does.
"""

from __future__ import annotations

import json
from typing import Any, Final

from jobs.core.deploy.aws_cron import scheduler_expression
from jobs.core.registry import JobSpec, Schedule

#: the scheduler retries a delivery (not a run) this long, then dead-letters it
RETRY_POLICY: Final = {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 3}
#: Lambda's transient invoke errors, as the Step Functions docs list them
LAMBDA_TRANSIENT: Final = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
DLQ_ARN: Final = {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}


def resources(spec: JobSpec, function: str) -> dict[str, Any]:
    """The job's schedules, its scheduler role and, if any schedule is sharded, its state machine."""
    prefix = function.removesuffix("Function")
    machine = f"{prefix}Shards"
    sharded = any(s.shards > 1 for s in spec.schedules)
    found: dict[str, Any] = {}
    for index, schedule in enumerate(spec.schedules):
        target = machine if schedule.shards > 1 else function
        found[f"{prefix}Schedule{index}"] = scheduler_schedule(spec, schedule, target, f"{prefix}SchedulerRole")
    found[f"{prefix}SchedulerRole"] = scheduler_role(function, machine if sharded else None)
    if sharded:
        found[machine] = state_machine(spec, function)
    return found


def event(spec: JobSpec, schedule: Schedule, shard: int | None = None) -> dict[str, Any]:
    """What the handler receives for a run of `schedule` (of one shard of it)."""
    args = dict(schedule.args)
    if shard is not None:
        args["shard"] = f"{shard}/{schedule.shards}"
    return {"job": spec.id, "args": args}


def scheduler_schedule(spec: JobSpec, schedule: Schedule, target: str, role: str) -> dict[str, Any]:
    if schedule.shards > 1:
        payload: dict[str, Any] = {"invocations": [event(spec, schedule, i) for i in range(schedule.shards)]}
    else:
        payload = event(spec, schedule)
    note = f" ({schedule.note})" if schedule.note else ""
    shards = f", {schedule.shards} shards" if schedule.shards > 1 else ""
    return {
        "Type": "AWS::Scheduler::Schedule",
        "Properties": {
            "Description": f"{spec.id}{note}: {schedule.cron} UTC{shards}",
            "ScheduleExpression": scheduler_expression(schedule.cron),
            "ScheduleExpressionTimezone": "Etc/UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "State": "ENABLED",
            "Target": {
                "Arn": {"Ref": target} if schedule.shards > 1 else {"Fn::GetAtt": [target, "Arn"]},
                "RoleArn": {"Fn::GetAtt": [role, "Arn"]},
                "Input": json.dumps(payload, sort_keys=True),
                "RetryPolicy": RETRY_POLICY,
                "DeadLetterConfig": {"Arn": DLQ_ARN},
            },
        },
    }


def scheduler_role(function: str, machine: str | None) -> dict[str, Any]:
    """What the scheduler may do for this job: invoke exactly its function (start exactly its
    state machine) and dead-letter what it cannot deliver. Only this account's schedules
    may assume it."""
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": {"Fn::GetAtt": [function, "Arn"]}},
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": DLQ_ARN},
    ]
    if machine:
        statements.append({"Effect": "Allow", "Action": "states:StartExecution", "Resource": {"Ref": machine}})
    trust = {
        "Effect": "Allow",
        "Principal": {"Service": "scheduler.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
    }
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [trust]},
            "Policies": [
                {"PolicyName": "start-the-job", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}
            ],
        },
    }


def state_machine(spec: JobSpec, function: str) -> dict[str, Any]:
    """A Map over the input's `invocations`, each one synchronous invoke of the function. A
    shard that raises (its run failed) is tried once more, as an asynchronous run is; if it
    still fails, its event and error go to the dead-letter queue and the execution fails (a
    shard already running finishes: Step Functions cannot stop a Lambda invocation)."""
    run = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "${Function}", "Payload.$": "$"},
        "OutputPath": "$.Payload",
        "Retry": [
            {"ErrorEquals": LAMBDA_TRANSIENT, "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2},
            {"ErrorEquals": ["JobRunFailed"], "IntervalSeconds": 60, "MaxAttempts": 1},
        ],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "DeadLetter"}],
        "End": True,
    }
    dead_letter = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": "${Queue}", "MessageBody.$": "$"},
        "Next": "Failed",
    }
    shard = {"Run": run, "DeadLetter": dead_letter, "Failed": {"Type": "Fail", "Error": "ShardFailed"}}
    definition = {
        "Comment": f"{spec.id}: one invocation per shard, in parallel",
        "StartAt": "Shards",
        "States": {
            "Shards": {
                "Type": "Map",
                "ItemsPath": "$.invocations",
                "MaxConcurrency": 0,
                "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Run", "States": shard},
                "End": True,
            }
        },
    }
    allowed = [
        {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": {"Fn::GetAtt": [function, "Arn"]}},
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": DLQ_ARN},
    ]
    return {
        "Type": "AWS::Serverless::StateMachine",
        "Properties": {
            "Type": "STANDARD",
            "Definition": definition,
            "DefinitionSubstitutions": {
                "Function": {"Fn::GetAtt": [function, "Arn"]},
                "Queue": {"Ref": "DeadLetterQueue"},
            },
            "Policies": [{"Version": "2012-10-17", "Statement": allowed}],
        },
    }
