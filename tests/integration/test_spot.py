"""Spot capacity on the simulated EC2 cloud, driven with /usr/bin/aws and boto3: interruption
notices that reach the job (SIGTERM and instance metadata), the host-terminated reason and the
retry rule users write for it, on-demand fallback, and `gleaner interrupt`."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest

from gleaner_testlib import SIMSPOT_ARGS, signed_request, unique

pytestmark = pytest.mark.gleaner_args(*SIMSPOT_ARGS)

SPOT_TYPES = ["c5.large", "c5.xlarge", "m5.large", "m5.xlarge", "r5.large", "c6i.large"]
SUBNETS = ["subnet-0aaa1111", "subnet-0bbb2222", "subnet-0ccc3333"]
HOST_TERMINATED = r"^Host EC2 \(instance i-[0-9a-f]{17}\) terminated\.$"
RETRY_ON_HOST_LOSS = {
    "attempts": 3,
    "evaluateOnExit": [{"onStatusReason": "Host EC2*", "action": "RETRY"},
                       {"onReason": "*", "action": "EXIT"}],
}


def spot_ce(name, max_vcpus=64, instance_types=None, strategy="SPOT_CAPACITY_OPTIMIZED"):
    return json.dumps({
        "type": "SPOT", "allocationStrategy": strategy, "minvCpus": 0, "maxvCpus": max_vcpus,
        "instanceTypes": instance_types or SPOT_TYPES, "subnets": SUBNETS,
        "securityGroupIds": ["sg-0123456789abcdef0"], "instanceRole": "ecsInstanceRole",
    })


def on_demand_ce(max_vcpus=64, instance_types=None):
    return json.dumps({
        "type": "EC2", "allocationStrategy": "BEST_FIT_PROGRESSIVE", "minvCpus": 0,
        "maxvCpus": max_vcpus, "instanceTypes": instance_types or ["c5.large", "m5.large"],
        "subnets": SUBNETS, "securityGroupIds": ["sg-0123456789abcdef0"],
        "instanceRole": "ecsInstanceRole",
    })


def create_spot_stack(aws, helpers, command, spot_max=64, spot_types=None, retry=True):
    """A SPOT CE and an on-demand CE behind one queue, and a job definition, with the AWS CLI."""
    spot, on_demand, queue, definition = (unique("spot"), unique("ondemand"), unique("jq"),
                                          unique("jd"))
    for name, resources in ((spot, spot_ce(spot, spot_max, spot_types)),
                            (on_demand, on_demand_ce())):
        rc, out, err = aws("batch", "create-compute-environment", "--compute-environment-name",
                           name, "--type", "MANAGED", "--compute-resources", resources)
        assert rc == 0, err
        helpers.wait_for_ce(name, "VALID")
    rc, out, err = aws("batch", "create-job-queue", "--job-queue-name", queue, "--priority", "1",
                       "--compute-environment-order",
                       json.dumps([{"order": 1, "computeEnvironment": spot},
                                   {"order": 2, "computeEnvironment": on_demand}]))
    assert rc == 0, err
    helpers.wait_for_queue(queue, "VALID")
    arguments = ["batch", "register-job-definition", "--job-definition-name", definition,
                 "--type", "container", "--container-properties",
                 json.dumps({"image": "busybox", "command": command,
                             "resourceRequirements": [{"type": "VCPU", "value": "2"},
                                                      {"type": "MEMORY", "value": "1024"}]})]
    if retry:
        arguments += ["--retry-strategy", json.dumps(RETRY_ON_HOST_LOSS)]
    rc, out, err = aws(*arguments)
    assert rc == 0, err
    return spot, on_demand, queue, definition


def submit(aws, queue, definition):
    rc, out, err = aws("batch", "submit-job", "--job-name", unique("job"), "--job-queue", queue,
                       "--job-definition", definition)
    assert rc == 0, err
    return out["jobId"]


# (a) The scenario users rehearse: interrupted with a 5 s notice, SIGTERM, host terminated,
# retried by the rule, the second attempt succeeds on replacement capacity.
def test_interrupted_job_gets_sigterm_and_is_retried_on_replacement_capacity(
        aws, helpers, gleaner_cli):
    script = ('if [ "$AWS_BATCH_JOB_ATTEMPT" = 1 ]; then '
              'trap "echo got SIGTERM; exit 143" TERM; echo ready; '
              'while true; do sleep 0.1; done; '
              'else echo "attempt $AWS_BATCH_JOB_ATTEMPT on $AWS_BATCH_CE_NAME"; fi')
    spot, _, queue, definition = create_spot_stack(aws, helpers, ["sh", "-c", script])
    job_id = submit(aws, queue, definition)
    running = helpers.wait_for_status(job_id, "RUNNING")
    first_stream = running["container"]["logStreamName"]
    helpers.wait_for_log(first_stream, "ready")
    first_instance = running["container"]["containerInstanceArn"]
    assert spot in first_instance, "the job runs on the SPOT compute environment first"

    result = gleaner_cli("interrupt", "--job-id", job_id, "--notice", "5s", "--endpoint",
                         helpers.server.endpoint)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("i-"), result.stdout
    helpers.wait_for_log(first_stream, "got SIGTERM")

    done = helpers.wait_for_status(job_id, "SUCCEEDED", timeout=30)
    assert len(done["attempts"]) == 2
    assert done["attempts"][0]["statusReason"] == \
        f"Host EC2 (instance {result.stdout.split()[0]}) terminated."
    assert re.match(HOST_TERMINATED, done["attempts"][0]["statusReason"])
    assert done["attempts"][1]["container"]["exitCode"] == 0
    assert done["attempts"][1]["container"]["containerInstanceArn"] != first_instance
    helpers.wait_for_log(done["attempts"][1]["container"]["logStreamName"], "attempt 2 on")

    # The same story as EventBridge-shaped events.
    status, _, reply = signed_request(helpers.server.endpoint, "GET", "/gleaner/v1/events?after=0")
    assert status == 200, reply
    events = json.loads(reply)["events"]
    instance_id = result.stdout.split()[0]
    warnings = [e for e in events if e["detail-type"] == "EC2 Spot Instance Interruption Warning"]
    assert [e["detail"] for e in warnings] == [
        {"instance-id": instance_id, "instance-action": "terminate"}]
    assert warnings[0]["source"] == "aws.ec2" and warnings[0]["resources"][0].endswith(instance_id)
    job_events = [e for e in events if e["detail-type"] == "Batch Job State Change"
                  and e["detail"]["jobId"] == job_id]
    statuses = [e["detail"]["status"] for e in job_events]
    assert statuses[-1] == "SUCCEEDED" and statuses.count("RUNNING") == 2, statuses
    assert all(e["source"] == "aws.batch" and e["version"] == "0" for e in job_events)


# (b) A job that watches instance metadata (IMDSv2, as the AWS SDKs do) sees the notice and
# finishes cleanly before the deadline: SUCCEEDED, one attempt.
def test_job_polling_instance_metadata_sees_the_notice_and_succeeds(aws, helpers, gleaner_cli):
    poller = (
        "import os, signal, time, urllib.request, urllib.error\n"
        "signal.signal(signal.SIGTERM, lambda *a: print('SIGTERM noted', flush=True))\n"
        "base = os.environ['AWS_EC2_METADATA_SERVICE_ENDPOINT']\n"
        "token = urllib.request.urlopen(urllib.request.Request(base + '/latest/api/token',\n"
        "    method='PUT', headers={'X-aws-ec2-metadata-token-ttl-seconds': '60'})).read().decode()\n"
        "def get(path):\n"
        "    request = urllib.request.Request(base + '/latest/meta-data/' + path,\n"
        "        headers={'X-aws-ec2-metadata-token': token})\n"
        "    return urllib.request.urlopen(request).read().decode()\n"
        "print('life-cycle', get('instance-life-cycle'), flush=True)\n"
        "print('ready', flush=True)\n"
        "while True:\n"
        "    try:\n"
        "        print('notice', get('spot/instance-action'), flush=True)\n"
        "        break\n"
        "    except urllib.error.HTTPError as error:\n"
        "        assert error.code == 404, error.code\n"
        "        time.sleep(0.2)\n"
        "print('checkpointed, exiting cleanly', flush=True)\n")
    _, _, queue, definition = create_spot_stack(aws, helpers, ["/usr/bin/python3", "-c", poller])
    job_id = submit(aws, queue, definition)
    running = helpers.wait_for_status(job_id, "RUNNING")
    stream = running["container"]["logStreamName"]
    lines = helpers.wait_for_log(stream, "ready")
    assert "life-cycle spot" in lines

    result = gleaner_cli("interrupt", "--job-id", job_id, "--notice", "20s", "--endpoint",
                         helpers.server.endpoint)
    assert result.returncode == 0, result.stderr
    done = helpers.wait_for_status(job_id, ("SUCCEEDED", "FAILED"), timeout=20)
    assert done["status"] == "SUCCEEDED", done.get("statusReason")
    assert len(done["attempts"]) == 1
    lines = helpers.log_lines(stream)
    notice = next(line for line in lines if line.startswith("notice "))
    action = json.loads(notice[len("notice "):])
    assert action["action"] == "terminate"
    assert action["time"].endswith("Z")


# (c) AWS's timeline, the default: the notice itself sends no signal (a worker that only polls
# instance metadata, with no SIGTERM handler, sees it and finishes); the instance's shutdown sends
# SIGTERM --stop-grace-seconds (5 here) before the deadline, well after the notice was visible.
NOTICE_POLLER = (
    "import os, sys, time, urllib.request, urllib.error\n"
    "base = os.environ['AWS_EC2_METADATA_SERVICE_ENDPOINT']\n"
    "print('ready', flush=True)\n"
    "while True:\n"
    "    try:\n"
    "        urllib.request.urlopen(base + '/latest/meta-data/spot/instance-action').read()\n"
    "        break\n"
    "    except urllib.error.HTTPError as error:\n"
    "        assert error.code == 404, error.code\n"
    "        time.sleep(0.2)\n"
    "print('notice seen', flush=True)\n")


def run_until_interrupted(aws, helpers, gleaner_cli, command, notice):
    """A spot job running `command` (which prints "ready"), then `gleaner interrupt` on its
    instance with this notice; returns the job id and its first attempt's log stream."""
    _, _, queue, definition = create_spot_stack(aws, helpers, command)
    job_id = submit(aws, queue, definition)
    stream = helpers.wait_for_status(job_id, "RUNNING")["container"]["logStreamName"]
    helpers.wait_for_log(stream, "ready")
    result = gleaner_cli("interrupt", "--job-id", job_id, "--notice", notice, "--endpoint",
                         helpers.server.endpoint)
    assert result.returncode == 0, result.stderr
    return job_id, stream


def test_the_notice_sends_no_signal_and_a_polling_worker_finishes(aws, helpers, gleaner_cli):
    job_id, stream = run_until_interrupted(
        aws, helpers, gleaner_cli,
        ["/usr/bin/python3", "-c", NOTICE_POLLER + "print('exiting cleanly')\n"], "60s")
    done = helpers.wait_for_status(job_id, ("SUCCEEDED", "FAILED"), timeout=30)
    assert done["status"] == "SUCCEEDED", done.get("statusReason")
    assert helpers.log_lines(stream)[-2:] == ["notice seen", "exiting cleanly"]


def test_the_shutdown_sends_sigterm_after_the_notice(aws, helpers, gleaner_cli):
    worker = ("import os, signal, sys\n"
              "if os.environ['AWS_BATCH_JOB_ATTEMPT'] != '1': sys.exit(0)\n"
              "signal.signal(signal.SIGTERM, lambda *a: (print('got SIGTERM', flush=True), "
              "sys.exit(143)))\n" + NOTICE_POLLER + "while True: time.sleep(0.1)\n")
    job_id, stream = run_until_interrupted(aws, helpers, gleaner_cli,
                                           ["/usr/bin/python3", "-c", worker], "8s")
    helpers.wait_for_log(stream, "got SIGTERM", timeout=20)
    lines = helpers.log_lines(stream)
    assert lines.index("notice seen") < lines.index("got SIGTERM"), lines
    done = helpers.wait_for_status(job_id, "SUCCEEDED", timeout=40)  # retried elsewhere
    assert re.match(HOST_TERMINATED, done["attempts"][0]["statusReason"])


@pytest.mark.gleaner_args(*SIMSPOT_ARGS, "--signal-at-notice")
def test_signal_at_notice_keeps_the_old_timeline(aws, helpers, gleaner_cli):
    script = ('if [ "$AWS_BATCH_JOB_ATTEMPT" = 1 ]; then '
              'trap "echo got SIGTERM; exit 143" TERM; echo ready; '
              'while true; do sleep 0.1; done; else echo second; fi')
    _, stream = run_until_interrupted(aws, helpers, gleaner_cli, ["sh", "-c", script], "60s")
    # Long before the deadline: the signal came with the notice.
    helpers.wait_for_log(stream, "got SIGTERM", timeout=20)


# (d) Spot cannot provide more (maxvCpus reached): the queue's on-demand CE takes the rest.
def test_work_falls_back_to_on_demand_when_spot_is_full(aws, helpers):
    spot, on_demand, queue, definition = create_spot_stack(
        aws, helpers, ["sh", "-c", "echo ran on $AWS_BATCH_CE_NAME; sleep 3"], spot_max=2,
        spot_types=["c5.large"])
    jobs = [submit(aws, queue, definition) for _ in range(2)]
    environments = []
    for job_id in jobs:
        done = helpers.wait_for_status(job_id, "SUCCEEDED", timeout=30)
        lines = helpers.wait_for_log(done["container"]["logStreamName"], "ran on")
        environments.append(next(line for line in lines if line.startswith("ran on")).split()[-1])
    assert sorted(environments) == sorted([spot, on_demand])


def test_unknown_instance_types_are_refused_at_once_naming_the_closest(aws, helpers):
    """As on AWS, CreateComputeEnvironment and UpdateComputeEnvironment refuse instance types
    EC2 does not have (gleaner names the valid sizes, or the closest names); nothing is made or
    changed."""
    name = unique("badtypes")
    rc, out, err = aws("batch", "create-compute-environment", "--compute-environment-name", name,
                       "--type", "MANAGED", "--compute-resources",
                       on_demand_ce(instance_types=["m5.nosuchsize"]))
    assert rc != 0
    assert "ClientException" in err and "computeResources.instanceTypes is invalid" in err, err
    assert "'m5.nosuchsize' is not a size of m5 (m5 has: m5.large," in err, err
    rc, out, err = aws("batch", "describe-compute-environments", "--compute-environments", name)
    assert rc == 0 and out["computeEnvironments"] == [], (out, err)
    rc, out, err = aws("batch", "create-compute-environment", "--compute-environment-name", name,
                       "--type", "MANAGED", "--compute-resources",
                       on_demand_ce(instance_types=["m5.large"]))
    assert rc == 0, err
    rc, out, err = aws("batch", "update-compute-environment", "--compute-environment", name,
                       "--compute-resources", json.dumps({"instanceTypes": ["m5.huge"]}))
    assert rc != 0 and "'m5.huge' is not a size of m5" in err, err
    valid = helpers.wait_for_ce(name, "VALID")
    assert valid["computeResources"]["instanceTypes"] == ["m5.large"]


def test_min_vcpus_are_launched_before_any_job_arrives(aws, helpers):
    name = unique("warm")
    resources = json.loads(on_demand_ce(instance_types=["m5.large"]))
    resources["minvCpus"] = 4
    rc, out, err = aws("batch", "create-compute-environment", "--compute-environment-name", name,
                       "--type", "MANAGED", "--compute-resources", json.dumps(resources))
    assert rc == 0, err
    cluster = helpers.wait_for_ce(name, "VALID")["ecsClusterArn"]

    def warm_instances():
        rc, out, err = aws("ecs", "list-container-instances", "--cluster", cluster)
        assert rc == 0, err
        return out["containerInstanceArns"] if len(out["containerInstanceArns"]) == 2 else None
    helpers.poll(warm_instances, 15, "two m5.large (2 vCPUs each) for minvCpus 4")


def test_waiting_job_explains_spot_capacity_and_interrupt_rejects_bad_targets(
        aws, helpers, gleaner_cli):
    # A CE whose instance types can never hold the job: AWS's misconfiguration reason.
    spot, _, queue, definition = create_spot_stack(
        aws, helpers, ["true"], spot_types=["c5.large"], retry=False)
    rc, out, err = aws("batch", "submit-job", "--job-name", "too-big", "--job-queue", queue,
                       "--job-definition", definition, "--container-overrides",
                       json.dumps({"resourceRequirements": [{"type": "VCPU", "value": "2"},
                                                            {"type": "MEMORY",
                                                             "value": "900000"}]}))
    assert rc == 0, err
    waiting = helpers.wait_for_status(out["jobId"], "RUNNABLE")
    assert waiting["statusReason"].startswith("MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT")

    for args, message in (
            (["--job-id", out["jobId"]], "only a job placed on an instance"),
            (["--instance-id", "i-0123456789abcdef0"], "not a running instance"),
            (["--compute-environment", unique("nope")], "does not exist"),
            (["--compute-environment", spot, "--notice", "soon"], "is not a duration")):
        result = gleaner_cli("interrupt", *args, "--endpoint", helpers.server.endpoint)
        assert result.returncode != 0
        assert message in result.stderr, result.stderr


def test_interrupt_over_http_names_the_member_and_the_rule(helpers):
    for body, message in (({"computeEnvironment": "x", "count": 2 ** 40}, "count must be"),
                          ({"jobId": 7}, "jobId must be a non-empty string"),
                          ({"instanceId": "i-1", "colour": "red"}, 'Unknown member "colour"'),
                          ({"computeEnvironment": "x", "percent": "half"}, "percent must be")):
        status, _, data = signed_request(helpers.server.endpoint, "POST", "/gleaner/v1/interrupt",
                                         json.dumps(body).encode())
        assert status == 400
        reply = json.loads(data)
        assert reply["__type"] == "ClientException" and message in reply["message"], reply


@pytest.mark.gleaner_args("--capacity", "local")
def test_interrupt_needs_the_simulated_cloud(helpers, gleaner_cli):
    result = gleaner_cli("interrupt", "--instance-id", "i-0123456789abcdef0", "--endpoint",
                         helpers.server.endpoint)
    assert result.returncode == 1
    assert "--capacity simspot" in result.stderr


# A restart (kill -9) keeps the simulated cloud: its instances, their jobs (re-attached) and a
# pending interruption, whose deadline still ends the instance after the restart.
def test_kill9_keeps_the_simulated_cloud_its_jobs_and_a_pending_interruption(
        aws, helpers, gleaner, gleaner_cli):
    release = gleaner.workdir / "release-spot"
    command = ["sh", "-c", "trap '' TERM; echo ready; "
                           f"while [ ! -e {release} ]; do sleep 0.05; done"]
    _, _, queue, definition = create_spot_stack(aws, helpers, command)
    runner, noticed = submit(aws, queue, definition), submit(aws, queue, definition)
    for job_id in (runner, noticed):
        helpers.wait_for_log(helpers.wait_for_status(job_id, "RUNNING")["container"][
            "logStreamName"], "ready")
    runner_instance = helpers.describe(runner)["container"]["containerInstanceArn"]
    result = gleaner_cli("interrupt", "--job-id", noticed, "--notice", "6s", "--endpoint",
                         helpers.server.endpoint)
    assert result.returncode == 0, result.stderr
    noticed_instance = result.stdout.split()[0]
    rc, before, err = aws("ec2", "describe-instances")
    assert rc == 0, err

    gleaner.kill9()
    gleaner.start()

    rc, after, err = aws("ec2", "describe-instances")
    assert rc == 0, err
    assert ({i["InstanceId"]: i["State"]["Name"] for r in after["Reservations"]
             for i in r["Instances"]} ==
            {i["InstanceId"]: i["State"]["Name"] for r in before["Reservations"]
             for i in r["Instances"]}), "the same instances, in the same states"
    assert helpers.describe(runner)["status"] == "RUNNING"
    assert helpers.describe(runner)["container"]["containerInstanceArn"] == runner_instance
    # The notice given before the crash still ends its instance at the deadline: the attempt ends
    # as a reclaimed host's, and the retry rule runs the job again elsewhere.
    retried = helpers.poll(lambda: (lambda job: job if len(job.get("attempts", [])) == 1 else None)(
        helpers.describe(noticed)), 30, "the noticed attempt to end at its deadline")
    assert retried["attempts"][0]["statusReason"] == \
        f"Host EC2 (instance {noticed_instance}) terminated.", retried["attempts"]
    helpers.wait_for_status(noticed, "RUNNING")
    release.touch()
    done = helpers.wait_for_status(runner, "SUCCEEDED")
    assert len(done["attempts"]) == 1, done["attempts"]
    assert len(helpers.wait_for_status(noticed, "SUCCEEDED")["attempts"]) == 2


def interrupt_running_spot_job(aws, helpers, gleaner_cli, notice: str = "1s", retry=True):
    """A job running `sleep 30` on a SPOT compute environment (create_spot_stack), interrupted
    with `gleaner interrupt` -> (spot compute environment, queue, job id, instance id)."""
    spot, _, queue, definition = create_spot_stack(aws, helpers, ["sh", "-c", "sleep 30"],
                                                   retry=retry)
    job_id = submit(aws, queue, definition)
    helpers.wait_for_status(job_id, "RUNNING")
    result = gleaner_cli("interrupt", "--job-id", job_id, "--notice", notice, "--endpoint",
                         helpers.server.endpoint)
    assert result.returncode == 0, result.stderr
    return spot, queue, job_id, result.stdout.split()[0]


# aws-batch-spot-cost-savings.md, "Monitoring Spot Usage": its command, literally. Each spot
# instance of a compute environment comes with a spot instance request (Spot Fleet makes them on
# AWS), and a reclaim closes it with "instance-terminated-no-capacity".
TUTORIAL_MONITORING_COMMAND = [
    "ec2", "describe-spot-instance-requests",
    "--filters", "Name=state,Values=closed",
    "Name=status-code,Values=instance-terminated-by-price,instance-terminated-by-service,"
    "instance-terminated-no-capacity",
    "--query",
    "SpotInstanceRequests[?CreateTime>=`2026-02-11`].{Id:InstanceId,Status:Status.Code,"
    "Time:Status.UpdateTime}",
]


def test_the_tutorials_monitoring_command_lists_reclaimed_instances(aws, helpers, gleaner_cli):
    rc, out, err = aws(*TUTORIAL_MONITORING_COMMAND)
    assert rc == 0, err
    assert out == [], "nothing reclaimed yet"
    _, _, job_id, instance_id = interrupt_running_spot_job(aws, helpers, gleaner_cli)
    rc, out, err = aws("ec2", "describe-instances", "--filters",
                       "Name=tag:AWSBatchServiceTag,Values=batch")
    assert rc == 0, err
    instance = out["Reservations"][0]["Instances"][0]
    assert instance["InstanceId"] == instance_id, "AWS Batch's tag is on its instances"
    tags = {tag["Key"]: tag["Value"] for tag in instance["Tags"]}
    assert tags["aws:ec2spot:fleet-request-id"].startswith("sfr-")
    request_id = instance["SpotInstanceRequestId"]
    helpers.wait_for_status(job_id, ["RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED"])

    def reclaimed():
        rc, out, err = aws(*TUTORIAL_MONITORING_COMMAND)
        assert rc == 0, err
        return out or None
    listed = helpers.poll(reclaimed, 20, "the reclaimed instance's request to be closed")
    assert [entry["Id"] for entry in listed] == [instance_id]
    assert listed[0]["Status"] == "instance-terminated-no-capacity"
    assert listed[0]["Time"]
    rc, out, err = aws("ec2", "describe-spot-instance-requests",
                       "--spot-instance-request-ids", request_id)
    assert rc == 0, err
    request = out["SpotInstanceRequests"][0]
    assert request["State"] == "closed"
    assert request["InstanceId"] == instance_id
    assert request["Type"] == "one-time"
