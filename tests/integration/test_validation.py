"""Bad input gets HTTP 400 + ClientException with a message naming the field (and the rule).

Clients validate almost nothing (no enums, no limits), so every case here reaches the server. One
server serves the whole module; each case makes what it needs under fresh names."""

import json
from dataclasses import dataclass, field
from typing import Callable

import pytest
from botocore.exceptions import ClientError

from gleaner_testlib import (COMPUTE_RESOURCES, IMAGE, SMALL_JOB, Batch, FollowingClient,
                             client_error, signed_request, start_gleaner, unique)


@pytest.fixture(scope="module")
def gleaner(tmp_path_factory):
    server = start_gleaner(tmp_path_factory.mktemp("validation"))
    try:
        yield server
    finally:
        problems = server.shutdown()
        if problems:
            pytest.fail("gleaner teardown: " + "\n".join(problems), pytrace=False)


@pytest.fixture(scope="module")
def base(gleaner):
    """v-ce (ENABLED, VALID), v-q on it, v-def:1."""
    helpers = Batch(gleaner, FollowingClient(gleaner, "batch"), None)
    helpers.create_ce("v-ce")
    helpers.create_queue("v-q", ces=["v-ce"])
    helpers.register("v-def", command=["true"])
    return helpers


# ----- valid requests that cases bend -----
def ce_request(**changes):
    request = {"computeEnvironmentName": unique("vce"), "type": "MANAGED", "state": "ENABLED",
               "computeResources": dict(COMPUTE_RESOURCES)}
    request.update(changes)
    return request


def resources(**changes):
    return dict(COMPUTE_RESOURCES, **changes)


def queue_request(**changes):
    request = {"jobQueueName": unique("vq"), "state": "ENABLED", "priority": 1,
               "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": "v-ce"}]}
    request.update(changes)
    return request


def container(**changes):
    properties = {"image": IMAGE, "command": ["true"], "resourceRequirements": SMALL_JOB}
    properties.update(changes)
    return properties


def definition_request(**changes):
    request = {"jobDefinitionName": unique("vjd"), "type": "container",
               "containerProperties": container()}
    request.update(changes)
    return request


def submit_request(**changes):
    request = {"jobName": "v-job", "jobQueue": "v-q", "jobDefinition": "v-def"}
    request.update(changes)
    return request


RULE = {"onExitCode": "1", "action": "RETRY"}


@dataclass
class Case:
    id: str
    call: Callable  # (batch, prepared) -> response
    fields: tuple   # the message must contain one of these (case-insensitive)
    prepare: Callable | None = None  # (helpers) -> prepared
    mentions: tuple = field(default_factory=tuple)  # and each of these


def ce(**changes):
    return lambda b, _: b.create_compute_environment(**ce_request(**changes))


def queue(**changes):
    return lambda b, _: b.create_job_queue(**queue_request(**changes))


def register(**changes):
    return lambda b, _: b.register_job_definition(**definition_request(**changes))


def submit(**changes):
    return lambda b, _: b.submit_job(**submit_request(**changes))


def make_ces(count, state="ENABLED"):
    def prepare(helpers):
        names = [unique("vce") for _ in range(count)]
        for name in names:
            helpers.create_ce(name, state=state)
        return names
    return prepare


def attached_disabled_ce(helpers):
    name = unique("vce")
    helpers.create_ce(name)
    helpers.create_queue(unique("vq"), ces=[name])
    helpers.batch.update_compute_environment(computeEnvironment=name, state="DISABLED")
    return name


def enabled_queue(helpers):
    name = unique("vq")
    helpers.create_queue(name, ces=["v-ce"])
    return name


CASES = [
    # names
    Case("ce-name-chars", ce(computeEnvironmentName="bad name!"), ("computeEnvironmentName",)),
    Case("ce-name-129", ce(computeEnvironmentName="c" * 129), ("computeEnvironmentName",)),
    Case("queue-name-slash", queue(jobQueueName="bad/name"), ("jobQueueName",)),
    Case("definition-name-space", register(jobDefinitionName="with space"),
         ("jobDefinitionName",)),
    Case("job-name-leading-dash", submit(jobName="-job"), ("jobName",)),
    Case("job-name-129", submit(jobName="j" * 129), ("jobName",)),
    Case("job-name-empty", submit(jobName=""), ("jobName",)),
    Case("policy-name-dot",
         lambda b, _: b.create_scheduling_policy(name="bad.name"), ("name",)),
    # enums
    Case("ce-type", ce(type="MANAGEDX"), ("type",), mentions=("MANAGEDX",)),
    Case("ce-state", ce(state="ON"), ("state",), mentions=("ON",)),
    Case("compute-resources-type", ce(computeResources=resources(type="EC3")), ("type",),
         mentions=("EC3",)),
    Case("allocation-strategy", ce(computeResources=resources(allocationStrategy="CHEAPEST")),
         ("allocationStrategy",)),
    Case("queue-state", queue(state="OPEN"), ("state",)),
    Case("definition-type", register(type="docker"), ("type",)),
    Case("resource-requirement-type",
         register(containerProperties=container(resourceRequirements=[
             {"type": "CPU", "value": "1"}, {"type": "MEMORY", "value": "64"}])),
         ("resourceRequirements", "type")),
    Case("retry-action", register(retryStrategy={"attempts": 2, "evaluateOnExit": [
        {"onExitCode": "1", "action": "RETRYLATER"}]}), ("action",)),
    Case("list-jobs-status", lambda b, _: b.list_jobs(jobQueue="v-q", jobStatus="DONE"),
         ("jobStatus",)),
    # limits
    Case("register-attempts-0", register(retryStrategy={"attempts": 0}), ("attempts",)),
    Case("register-attempts-11", register(retryStrategy={"attempts": 11}), ("attempts",)),
    Case("submit-attempts-11", submit(retryStrategy={"attempts": 11}), ("attempts",)),
    Case("evaluate-on-exit-6", register(retryStrategy={"attempts": 2,
                                                       "evaluateOnExit": [RULE] * 6}),
         ("evaluateOnExit",)),
    Case("on-exit-code-letters", register(retryStrategy={"attempts": 2, "evaluateOnExit": [
        {"onExitCode": "abc", "action": "RETRY"}]}), ("onExitCode",)),
    Case("register-timeout-59", register(timeout={"attemptDurationSeconds": 59}),
         ("attemptDurationSeconds",)),
    Case("submit-timeout-59", submit(timeout={"attemptDurationSeconds": 59}),
         ("attemptDurationSeconds",)),
    Case("array-size-1", submit(arrayProperties={"size": 1}), ("size", "arrayProperties")),
    Case("array-size-1000001", submit(arrayProperties={"size": 1000001}),
         ("size", "arrayProperties")),
    Case("scheduling-priority-override", submit(schedulingPriorityOverride=10000),
         ("schedulingPriorityOverride",)),
    Case("min-above-max", ce(computeResources=resources(minvCpus=10, maxvCpus=5)),
         ("minvCpus", "maxvCpus")),
    Case("managed-without-compute-resources",
         lambda b, _: b.create_compute_environment(computeEnvironmentName=unique("vce"),
                                                   type="MANAGED"),
         ("computeResources",)),
    Case("container-without-properties",
         lambda b, _: b.register_job_definition(jobDefinitionName=unique("vjd"),
                                                type="container"),
         ("containerProperties",)),
    Case("vcpu-not-a-number",
         register(containerProperties=container(resourceRequirements=[
             {"type": "VCPU", "value": "lots"}, {"type": "MEMORY", "value": "64"}])),
         ("VCPU", "resourceRequirements", "value")),
    Case("queue-with-4-ces",
         lambda b, names: b.create_job_queue(**queue_request(computeEnvironmentOrder=[
             {"order": i + 1, "computeEnvironment": n} for i, n in enumerate(names)])),
         ("computeEnvironmentOrder",), prepare=make_ces(4)),
    Case("describe-101-jobs",
         lambda b, _: b.describe_jobs(jobs=[f"00000000-0000-4000-8000-{i:012d}"
                                            for i in range(101)]),
         ("jobs",)),
    Case("list-jobs-two-selectors",
         lambda b, _: b.list_jobs(jobQueue="v-q",
                                  arrayJobId="00000000-0000-4000-8000-000000000000"),
         ("jobQueue", "arrayJobId")),
    Case("list-jobs-no-selector", lambda b, _: b.list_jobs(), ("jobQueue",)),
    Case("share-identifier-on-fifo-queue", submit(shareIdentifier="blue"), ("shareIdentifier",)),
    Case("bad-next-token",
         lambda b, _: b.describe_job_definitions(nextToken="not-a-token-from-gleaner"),
         ("nextToken",)),
    # references to things that do not exist
    Case("unknown-queue", submit(jobQueue="no-such-queue"), ("jobQueue",),
         mentions=("no-such-queue",)),
    Case("unknown-definition", submit(jobDefinition="no-such-def"), ("jobDefinition",),
         mentions=("no-such-def",)),
    Case("unknown-revision", submit(jobDefinition="v-def:99"), ("jobDefinition",),
         mentions=("v-def:99",)),
    Case("unknown-ce-in-queue",
         queue(computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "no-such-ce"}]),
         ("computeEnvironment",), mentions=("no-such-ce",)),
    Case("update-unknown-ce",
         lambda b, _: b.update_compute_environment(computeEnvironment="no-such-ce",
                                                   state="DISABLED"),
         ("computeEnvironment",), mentions=("no-such-ce",)),
    Case("delete-unknown-ce",
         lambda b, _: b.delete_compute_environment(computeEnvironment="no-such-ce"),
         ("computeEnvironment",), mentions=("no-such-ce",)),
    Case("update-unknown-queue",
         lambda b, _: b.update_job_queue(jobQueue="no-such-queue", state="DISABLED"),
         ("jobQueue",), mentions=("no-such-queue",)),
    Case("unknown-dependency",
         submit(dependsOn=[{"jobId": "00000000-0000-4000-8000-00000000dead"}]),
         ("dependsOn", "jobId"), mentions=("00000000-0000-4000-8000-00000000dead",)),
    # deletes that the state forbids
    Case("delete-enabled-ce",
         lambda b, names: b.delete_compute_environment(computeEnvironment=names[0]),
         ("state", "DISABLED"), prepare=make_ces(1)),
    Case("delete-attached-ce",
         lambda b, name: b.delete_compute_environment(computeEnvironment=name),
         ("queue", "attached"), prepare=attached_disabled_ce),
    Case("delete-enabled-queue",
         lambda b, name: b.delete_job_queue(jobQueue=name),
         ("state", "DISABLED"), prepare=enabled_queue),
    # reserved environment names
    Case("definition-env-aws-batch",
         register(containerProperties=container(environment=[
             {"name": "AWS_BATCH_MINE", "value": "x"}])),
         ("AWS_BATCH", "environment")),
    Case("override-env-aws-batch",
         submit(containerOverrides={"environment": [{"name": "AWS_BATCH_JOB_ID", "value": "x"}]}),
         ("AWS_BATCH", "environment")),
    # SubmitJob payload above 30 KiB
    Case("submit-over-30-kib", submit(parameters={"blob": "x" * (31 * 1024)}),
         ("size", "large", "kib", "bytes", "limit", "payload")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rejected_with_client_exception(case, batch, base):
    prepared = case.prepare(base) if case.prepare else None
    with pytest.raises(ClientError) as excinfo:
        case.call(batch, prepared)
    status, code, message = client_error(excinfo)
    assert (status, code) == (400, "ClientException"), (status, code, message)
    assert any(f.lower() in message.lower() for f in case.fields), (
        f"message should name {' or '.join(case.fields)}: {message!r}")
    for text in case.mentions:
        assert text.lower() in message.lower(), f"message should mention {text!r}: {message!r}"


def test_rejected_delete_leaves_resources_alone(batch, base):
    name = attached_disabled_ce(base)
    with pytest.raises(ClientError):
        batch.delete_compute_environment(computeEnvironment=name)
    found = batch.describe_compute_environments(computeEnvironments=[name])["computeEnvironments"]
    assert [c["computeEnvironmentName"] for c in found] == [name]


def test_deletes_allowed_once_disabled_and_detached(batch, base):
    ce_name = unique("vce")
    base.create_ce(ce_name)
    queue_name = unique("vq")
    base.create_queue(queue_name, ces=[ce_name])
    batch.update_job_queue(jobQueue=queue_name, state="DISABLED")
    batch.delete_job_queue(jobQueue=queue_name)
    base.poll(lambda: not [q for q in batch.describe_job_queues(jobQueues=[queue_name])[
        "jobQueues"] if q.get("status") != "DELETED"], 15, f"queue {queue_name} deleted")
    batch.update_compute_environment(computeEnvironment=ce_name, state="DISABLED")
    batch.delete_compute_environment(computeEnvironment=ce_name)
    base.poll(lambda: not [c for c in batch.describe_compute_environments(
        computeEnvironments=[ce_name])["computeEnvironments"] if c.get("status") != "DELETED"],
        15, f"CE {ce_name} deleted")


def test_limits_themselves_are_accepted(batch, base):
    """The boundaries AWS accepts must be accepted too."""
    name = "d" * 128
    registered = batch.register_job_definition(**definition_request(
        jobDefinitionName=name,
        retryStrategy={"attempts": 10, "evaluateOnExit": [RULE] * 5},
        timeout={"attemptDurationSeconds": 60}))
    assert registered["jobDefinitionName"] == name
    submitted = batch.submit_job(**submit_request(
        jobName="J" + "_-9" * 42 + "x" * 1, jobDefinition=name,
        retryStrategy={"attempts": 1}, timeout={"attemptDurationSeconds": 60},
        containerOverrides={"environment": [{"name": "MY_AWS_BATCH", "value": "ok"}]}))
    assert len(submitted["jobName"]) == 128
    almost = batch.submit_job(**submit_request(jobName="big", parameters={"blob": "x" * 28000}))
    assert almost["jobId"]


def test_smallest_array_is_accepted(batch, base):
    """arrayProperties.size 2 is the smallest array AWS takes (size 1 is rejected above)."""
    array = batch.submit_job(**submit_request(jobName="array-2", arrayProperties={"size": 2}))
    assert array["jobId"]
    batch.cancel_job(jobId=array["jobId"], reason="only checking acceptance")


# ----- raw HTTP: what no SDK would send -----
def assert_client_exception(status, headers, body):
    assert status == 400, (status, body[:500])
    assert headers.get("x-amzn-errortype", "").split(":")[0] == "ClientException", headers
    assert headers.get("x-amzn-requestid"), "x-amzn-RequestId missing"
    document = json.loads(body)
    assert document["__type"] == "ClientException", document
    assert isinstance(document.get("message"), str) and document["message"], document
    return document["message"]


def test_malformed_json_body(gleaner, base):
    status, headers, body = signed_request(gleaner.endpoint, "POST", "/v1/submitjob",
                                           b'{"jobName": "x", "jobQueue": ')
    message = assert_client_exception(status, headers, body)
    assert any(word in message.lower() for word in ("json", "parse", "body", "malformed")), message


def test_body_not_an_object(gleaner, base):
    status, headers, body = signed_request(gleaner.endpoint, "POST", "/v1/submitjob", b"[1, 2]")
    assert_client_exception(status, headers, body)


def test_wrong_member_type(gleaner, base):
    payload = {"jobName": 5, "jobQueue": "v-q", "jobDefinition": "v-def"}
    status, headers, body = signed_request(gleaner.endpoint, "POST", "/v1/submitjob",
                                           json.dumps(payload).encode())
    assert "jobName" in assert_client_exception(status, headers, body)


def test_missing_required_member(gleaner, base):
    status, headers, body = signed_request(gleaner.endpoint, "POST", "/v1/submitjob",
                                           json.dumps({"jobName": "x",
                                                       "jobDefinition": "v-def"}).encode())
    assert "jobQueue" in assert_client_exception(status, headers, body)


def test_unknown_operation_path(gleaner, base):
    status, headers, body = signed_request(gleaner.endpoint, "POST", "/v1/frobnicate", b"{}")
    assert "frobnicate" in assert_client_exception(status, headers, body).lower()


def test_oversized_submit_raw(gleaner, base):
    payload = {"jobName": "x", "jobQueue": "v-q", "jobDefinition": "v-def",
               "parameters": {"blob": "y" * (40 * 1024)}}
    status, headers, body = signed_request(gleaner.endpoint, "POST", "/v1/submitjob",
                                           json.dumps(payload).encode())
    assert_client_exception(status, headers, body)


def test_cli_reports_client_exception(aws, base):
    rc, out, err = aws("batch", "submit-job", "--job-name", "cli-bad", "--job-queue",
                       "no-such-queue", "--job-definition", "v-def")
    assert rc == 254, (rc, out, err)
    assert "An error occurred (ClientException) when calling the SubmitJob operation:" in err, err
    assert "jobQueue" in err, err


def test_server_survives_bad_input(batch, base):
    """After all of the above, the server still answers normally."""
    queues = batch.describe_job_queues(jobQueues=["v-q"])["jobQueues"]
    assert [q["jobQueueName"] for q in queues] == ["v-q"]
