"""The whole path a user walks: CE -> queue -> definition -> job -> SUCCEEDED, and the shapes of
what Describe* returns."""

import json
import re
import time

import pytest

from gleaner_testlib import (ACCOUNT, COMPUTE_RESOURCES, IMAGE, REGION, SMALL_JOB, UUID, Batch,
                             assert_epoch_millis, make_client)

ARN = f"arn:aws:batch:{REGION}:{ACCOUNT}"


def cli_ok(aws, *args):
    rc, out, err = aws(*args)
    assert rc == 0, f"aws {' '.join(map(str, args))} exited {rc}: {err}"
    return out


def cli_poll(aws, args, accept, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        out = cli_ok(aws, *args)
        if accept(out):
            return out
        assert time.monotonic() < deadline, f"timed out waiting for {what}; last: {out}"
        time.sleep(0.2)


def test_cli_full_flow(aws):
    ce = cli_ok(aws, "batch", "create-compute-environment", "--compute-environment-name", "ce-flow",
                "--type", "MANAGED", "--state", "ENABLED",
                "--compute-resources", json.dumps(COMPUTE_RESOURCES))
    assert ce["computeEnvironmentName"] == "ce-flow"
    assert ce["computeEnvironmentArn"] == f"{ARN}:compute-environment/ce-flow"
    cli_poll(aws, ["batch", "describe-compute-environments", "--compute-environments", "ce-flow"],
             lambda out: [c["status"] for c in out["computeEnvironments"]] == ["VALID"], 15,
             "CE VALID")

    queue = cli_ok(aws, "batch", "create-job-queue", "--job-queue-name", "jq-flow", "--state",
                   "ENABLED", "--priority", "10", "--compute-environment-order",
                   "order=1,computeEnvironment=ce-flow")
    assert queue["jobQueueName"] == "jq-flow"
    assert queue["jobQueueArn"] == f"{ARN}:job-queue/jq-flow"
    cli_poll(aws, ["batch", "describe-job-queues", "--job-queues", "jq-flow"],
             lambda out: [q["status"] for q in out["jobQueues"]] == ["VALID"], 15, "queue VALID")

    properties = {"image": IMAGE, "command": ["sh", "-c", "echo hi"],
                  "resourceRequirements": SMALL_JOB}
    definition = cli_ok(aws, "batch", "register-job-definition", "--job-definition-name",
                        "jd-flow", "--type", "container", "--container-properties",
                        json.dumps(properties))
    assert definition == {"jobDefinitionName": "jd-flow",
                          "jobDefinitionArn": f"{ARN}:job-definition/jd-flow:1", "revision": 1}

    submitted = cli_ok(aws, "batch", "submit-job", "--job-name", "hello-flow", "--job-queue",
                       "jq-flow", "--job-definition", "jd-flow")
    job_id = submitted["jobId"]
    assert UUID.match(job_id), f"job id {job_id!r} is not a UUID"
    assert submitted["jobName"] == "hello-flow"
    assert submitted["jobArn"] == f"{ARN}:job/{job_id}"

    described = cli_poll(aws, ["batch", "describe-jobs", "--jobs", job_id],
                         lambda out: out["jobs"] and out["jobs"][0]["status"] in
                         ("SUCCEEDED", "FAILED"), 30, "job to finish")
    job = described["jobs"][0]
    assert job["status"] == "SUCCEEDED", job
    assert job["jobId"] == job_id
    assert job["jobName"] == "hello-flow"
    assert job["jobArn"] == f"{ARN}:job/{job_id}"
    assert job["jobQueue"] == f"{ARN}:job-queue/jq-flow"
    assert job["jobDefinition"] == f"{ARN}:job-definition/jd-flow:1"
    assert job["container"]["exitCode"] == 0
    assert job["container"]["command"] == ["sh", "-c", "echo hi"]
    assert job["container"]["image"] == IMAGE
    assert job["container"]["logStreamName"].startswith("jd-flow/default/")

    for field in ("createdAt", "startedAt", "stoppedAt"):
        assert_epoch_millis(job[field], field)
    assert job["createdAt"] <= job["startedAt"] <= job["stoppedAt"]

    assert len(job["attempts"]) == 1, job["attempts"]
    attempt = job["attempts"][0]
    assert_epoch_millis(attempt["startedAt"], "attempts[0].startedAt")
    assert_epoch_millis(attempt["stoppedAt"], "attempts[0].stoppedAt")
    assert job["createdAt"] <= attempt["startedAt"] <= attempt["stoppedAt"] <= job["stoppedAt"]
    assert attempt["container"]["exitCode"] == 0
    assert attempt["container"]["logStreamName"] == job["container"]["logStreamName"]

    listed = cli_ok(aws, "batch", "list-jobs", "--job-queue", "jq-flow", "--job-status",
                    "SUCCEEDED")
    summaries = [s for s in listed["jobSummaryList"] if s["jobId"] == job_id]
    assert len(summaries) == 1, listed
    summary = summaries[0]
    assert summary["jobName"] == "hello-flow"
    assert summary["status"] == "SUCCEEDED"
    assert summary["createdAt"] == job["createdAt"]
    assert summary["stoppedAt"] == job["stoppedAt"]
    assert summary["container"]["exitCode"] == 0


def test_compute_environment_shape(batch, helpers):
    response = helpers.create_ce("ce-shape", tags={"team": "infra"})
    assert response["ResponseMetadata"]["RequestId"], "x-amzn-RequestId missing"
    ce = batch.describe_compute_environments(computeEnvironments=["ce-shape"])[
        "computeEnvironments"][0]
    assert ce["computeEnvironmentName"] == "ce-shape"
    assert ce["computeEnvironmentArn"] == f"{ARN}:compute-environment/ce-shape"
    assert ce["type"] == "MANAGED"
    assert ce["state"] == "ENABLED"
    assert ce["status"] == "VALID"
    assert isinstance(ce.get("statusReason"), str) and ce["statusReason"]
    assert ce["containerOrchestrationType"] == "ECS"
    assert UUID.match(ce["uuid"]), ce["uuid"]
    assert re.match(rf"^arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/ce-shape_Batch_[0-9a-f-]{{36}}$",
                    ce["ecsClusterArn"]), ce["ecsClusterArn"]
    resources = ce["computeResources"]
    assert resources["type"] == "EC2"
    assert resources["maxvCpus"] == COMPUTE_RESOURCES["maxvCpus"]
    assert resources["minvCpus"] == 0
    assert resources["allocationStrategy"] == "BEST_FIT"
    assert resources["instanceTypes"] == ["optimal"]
    assert resources["subnets"] == COMPUTE_RESOURCES["subnets"]
    assert resources["securityGroupIds"] == COMPUTE_RESOURCES["securityGroupIds"]
    assert ce["tags"] == {"team": "infra"}

    # By ARN too, and an unknown name is simply not there.
    by_arn = batch.describe_compute_environments(
        computeEnvironments=[ce["computeEnvironmentArn"], "no-such-ce"])["computeEnvironments"]
    assert [c["computeEnvironmentName"] for c in by_arn] == ["ce-shape"]


def test_job_queue_shape(batch, helpers):
    ce = helpers.create_ce("ce-q")
    helpers.create_queue("jq-shape", ces=["ce-q"], priority=7)  # by name: resolved to the ARN
    queue = batch.describe_job_queues(jobQueues=["jq-shape"])["jobQueues"][0]
    assert queue["jobQueueName"] == "jq-shape"
    assert queue["jobQueueArn"] == f"{ARN}:job-queue/jq-shape"
    assert queue["state"] == "ENABLED"
    assert queue["status"] == "VALID"
    assert queue["priority"] == 7
    assert queue["computeEnvironmentOrder"] == [
        {"order": 1, "computeEnvironment": ce["computeEnvironmentArn"]}]
    assert "schedulingPolicyArn" not in queue

    by_arn = batch.describe_job_queues(jobQueues=[queue["jobQueueArn"]])["jobQueues"]
    assert [q["jobQueueName"] for q in by_arn] == ["jq-shape"]


def test_job_definition_revisions_and_shape(batch, helpers, stack, wait_for_status):
    first = helpers.register("jd-rev", command=["sh", "-c", "echo one"],
                             parameters={"p": "v"}, retryStrategy={"attempts": 2},
                             timeout={"attemptDurationSeconds": 120})
    second = helpers.register("jd-rev", command=["sh", "-c", "echo two"])
    assert (first["revision"], second["revision"]) == (1, 2)
    assert first["jobDefinitionArn"] == f"{ARN}:job-definition/jd-rev:1"
    assert second["jobDefinitionArn"] == f"{ARN}:job-definition/jd-rev:2"

    found = batch.describe_job_definitions(jobDefinitionName="jd-rev")["jobDefinitions"]
    assert sorted(d["revision"] for d in found) == [1, 2]
    one = next(d for d in found if d["revision"] == 1)
    assert one["jobDefinitionName"] == "jd-rev"
    assert one["jobDefinitionArn"] == first["jobDefinitionArn"]
    assert one["status"] == "ACTIVE"
    assert one["type"] == "container"
    assert one["parameters"] == {"p": "v"}
    assert one["retryStrategy"]["attempts"] == 2
    assert one["timeout"] == {"attemptDurationSeconds": 120}
    assert one["containerProperties"]["image"] == IMAGE
    assert one["containerProperties"]["command"] == ["sh", "-c", "echo one"]
    assert sorted(one["containerProperties"]["resourceRequirements"],
                  key=lambda r: r["type"]) == sorted(SMALL_JOB, key=lambda r: r["type"])

    by_ref = batch.describe_job_definitions(
        jobDefinitions=["jd-rev:2", first["jobDefinitionArn"]])["jobDefinitions"]
    assert sorted(d["revision"] for d in by_ref) == [1, 2]

    # The bare name means the latest ACTIVE revision: 2, then 1 once 2 is deregistered.
    job = wait_for_status(helpers.submit(stack.queue_name, "jd-rev"), "SUCCEEDED")
    assert job["jobDefinition"] == second["jobDefinitionArn"]
    batch.deregister_job_definition(jobDefinition="jd-rev:2")
    inactive = batch.describe_job_definitions(jobDefinitions=["jd-rev:2"])["jobDefinitions"]
    assert [d["status"] for d in inactive] == ["INACTIVE"]
    active = batch.describe_job_definitions(jobDefinitionName="jd-rev",
                                            status="ACTIVE")["jobDefinitions"]
    assert [d["revision"] for d in active] == [1]
    job = wait_for_status(helpers.submit(stack.queue_name, "jd-rev"), "SUCCEEDED")
    assert job["jobDefinition"] == first["jobDefinitionArn"]
    # A specific revision by ARN works as well.
    job = wait_for_status(helpers.submit(stack.queue_arn, first["jobDefinitionArn"]), "SUCCEEDED")
    assert job["jobDefinition"] == first["jobDefinitionArn"]
    # A third registration continues the numbering.
    assert helpers.register("jd-rev", command=["true"])["revision"] == 3


def test_describe_jobs_omits_unknown_ids(batch, helpers, stack, wait_for_status):
    job_id = helpers.submit(stack.queue_name, stack.definition_name)
    wait_for_status(job_id, "SUCCEEDED")
    jobs = batch.describe_jobs(jobs=[job_id, "00000000-0000-4000-8000-000000000000"])["jobs"]
    assert [j["jobId"] for j in jobs] == [job_id]


def test_list_jobs_defaults_to_running(batch, helpers, stack, wait_for_status):
    definition = helpers.register(command=helpers.pid_command("listed"))
    running = helpers.submit(stack.queue_name, definition["jobDefinitionName"])
    done = helpers.submit(stack.queue_name, stack.definition_name)
    wait_for_status(running, "RUNNING")
    wait_for_status(done, "SUCCEEDED")
    listed = batch.list_jobs(jobQueue=stack.queue_name)["jobSummaryList"]
    assert [s["jobId"] for s in listed] == [running]
    assert listed[0]["status"] == "RUNNING"
    assert_epoch_millis(listed[0]["startedAt"], "startedAt")
    batch.terminate_job(jobId=running, reason="test over")
    wait_for_status(running, "FAILED")


@pytest.mark.gleaner_args("--region", "eu-west-1", "--account-id", "111122223333")
def test_region_and_account_in_arns(gleaner):
    batch = make_client("batch", gleaner.endpoint, region="eu-west-1")
    helpers = Batch(gleaner, batch, None)
    prefix = "arn:aws:batch:eu-west-1:111122223333"
    ce = helpers.create_ce("ce-eu")
    assert ce["computeEnvironmentArn"] == f"{prefix}:compute-environment/ce-eu"
    described = batch.describe_compute_environments(computeEnvironments=["ce-eu"])
    assert described["computeEnvironments"][0]["ecsClusterArn"].startswith(
        "arn:aws:ecs:eu-west-1:111122223333:cluster/ce-eu_Batch_")
    queue = helpers.create_queue("jq-eu", ces=[ce["computeEnvironmentArn"]])
    assert queue["jobQueueArn"] == f"{prefix}:job-queue/jq-eu"
    definition = helpers.register("jd-eu", command=["sh", "-c", "echo hi"])
    assert definition["jobDefinitionArn"] == f"{prefix}:job-definition/jd-eu:1"
    submitted = batch.submit_job(jobName="eu", jobQueue="jq-eu", jobDefinition="jd-eu")
    assert submitted["jobArn"] == f"{prefix}:job/{submitted['jobId']}"
    job = helpers.wait_for_status(submitted["jobId"], "SUCCEEDED")
    assert job["jobQueue"] == f"{prefix}:job-queue/jq-eu"
