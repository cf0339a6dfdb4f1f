"""The EC2 and ECS APIs of the simulated cloud, driven with /usr/bin/aws on the same endpoint as
Batch: an UNMANAGED compute environment gets its capacity from `aws ec2 request-spot-instances`
whose user data joins the environment's ECS cluster, as on AWS."""

from __future__ import annotations

import base64
import datetime
import json
import re
import time
import xml.etree.ElementTree as ElementTree

import pytest

from gleaner_testlib import SIMSPOT_ARGS, signed_request, unique

pytestmark = pytest.mark.gleaner_args(*SIMSPOT_ARGS)

EC2_NS = "{http://ec2.amazonaws.com/doc/2016-11-15/}"
IMAGE_ID = "ami-0123456789abcdef0"
INSTANCE_ID = re.compile(r"^i-[0-9a-f]{17}$")
REQUEST_ID = re.compile(r"^sir-[0-9a-z]{8}$")


def poll(probe, what, timeout=15.0):
    """probe() until it returns something truthy; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


def user_data_joining(cluster_name):
    script = f"#!/bin/bash\necho ECS_CLUSTER={cluster_name} >> /etc/ecs/ecs.config"
    return base64.b64encode(script.encode()).decode()


def write_spec(tmp_path, cluster_name=None, **overrides):
    spec = {"ImageId": IMAGE_ID, "InstanceType": "m5.large", "KeyName": "my-key",
            "SecurityGroupIds": ["sg-0123456789abcdef0"],
            "IamInstanceProfile": {
                "Arn": "arn:aws:iam::123456789012:instance-profile/ecsInstanceRole"}}
    if cluster_name:
        spec["UserData"] = user_data_joining(cluster_name)
    spec.update(overrides)
    spec = {key: value for key, value in spec.items() if value is not None}
    path = tmp_path / f"{unique('spec')}.json"
    path.write_text(json.dumps(spec))
    return f"file://{path}"


def create_unmanaged_stack(aws, helpers, command):
    """An UNMANAGED CE, a queue on it and a job definition, with the AWS CLI."""
    ce, queue, definition = unique("unmanaged"), unique("jq"), unique("jd")
    rc, out, err = aws("batch", "create-compute-environment", "--compute-environment-name", ce,
                       "--type", "UNMANAGED")
    assert rc == 0, err
    environment = helpers.wait_for_ce(ce, "VALID")
    rc, out, err = aws("batch", "create-job-queue", "--job-queue-name", queue, "--priority", "1",
                       "--compute-environment-order",
                       json.dumps([{"order": 1, "computeEnvironment": ce}]))
    assert rc == 0, err
    helpers.wait_for_queue(queue, "VALID")
    rc, out, err = aws("batch", "register-job-definition", "--job-definition-name", definition,
                       "--type", "container", "--container-properties",
                       json.dumps({"image": "busybox", "command": command,
                                   "resourceRequirements": [{"type": "VCPU", "value": "1"},
                                                            {"type": "MEMORY", "value": "512"}]}))
    assert rc == 0, err
    return environment["ecsClusterArn"], queue, definition


def submit(aws, queue, definition):
    rc, out, err = aws("batch", "submit-job", "--job-name", unique("job"), "--job-queue", queue,
                       "--job-definition", definition)
    assert rc == 0, err
    return out["jobId"]


def request_spot(aws, spec_url, *extra):
    rc, out, err = aws("ec2", "request-spot-instances", "--spot-price", "0.5", "--instance-count",
                       "1", "--type", "one-time", "--launch-specification", spec_url, *extra)
    assert rc == 0, err
    assert len(out["SpotInstanceRequests"]) == 1
    return out["SpotInstanceRequests"][0]


def describe_request(aws, request_id):
    rc, out, err = aws("ec2", "describe-spot-instance-requests", "--spot-instance-request-ids",
                       request_id)
    assert rc == 0, err
    return out["SpotInstanceRequests"][0]


def wait_for_request_state(aws, request_id, state):
    def probe():
        request = describe_request(aws, request_id)
        return request if request["State"] == state else None
    return poll(probe, f"spot instance request {request_id} to be {state}")


def assert_error(result, code, message=None):
    rc, out, err = result
    assert rc != 0, out
    assert f"({code})" in err, err
    if message:
        assert message in err, err


# Scenario (c): unmanaged CE -> ecs describe-clusters -> ec2 request-spot-instances with user data
# joining the cluster -> the waiting job runs; then the instance is seen and terminated.
def test_a_spot_request_joining_the_cluster_runs_the_waiting_job(aws, helpers, tmp_path):
    cluster_arn, queue, definition = create_unmanaged_stack(
        aws, helpers, ["sh", "-c", "echo ran on $AWS_BATCH_CE_NAME"])
    cluster_name = cluster_arn.split("cluster/", 1)[1]
    job_id = submit(aws, queue, definition)
    waiting = helpers.wait_for_status(job_id, "RUNNABLE")
    poll(lambda: "no instance serves" in (helpers.describe(job_id).get("statusReason") or ""),
         "the job to say no instance serves its queue")
    assert waiting["status"] == "RUNNABLE"

    rc, out, err = aws("ecs", "describe-clusters", "--clusters", cluster_arn)
    assert rc == 0, err
    assert out["failures"] == []
    cluster = out["clusters"][0]
    assert cluster["clusterArn"] == cluster_arn
    assert cluster["clusterName"] == cluster_name
    assert cluster["status"] == "ACTIVE"
    assert cluster["registeredContainerInstancesCount"] == 0

    request = request_spot(aws, write_spec(tmp_path, cluster_name))
    assert REQUEST_ID.match(request["SpotInstanceRequestId"])
    assert request["State"] == "active"
    assert request["Status"]["Code"] == "fulfilled"
    assert request["SpotPrice"] == "0.500000"
    assert request["LaunchSpecification"]["InstanceType"] == "m5.large"
    instance_id = request["InstanceId"]
    assert INSTANCE_ID.match(instance_id)

    done = helpers.wait_for_status(job_id, "SUCCEEDED", timeout=30)
    container_instance = done["container"]["containerInstanceArn"]
    assert container_instance.endswith(f"container-instance/{cluster_name}/{instance_id}")
    helpers.wait_for_log(done["container"]["logStreamName"], "ran on unmanaged-")

    rc, out, err = aws("ecs", "list-container-instances", "--cluster", cluster_name)
    assert rc == 0, err
    assert out["containerInstanceArns"] == [container_instance]
    rc, out, err = aws("ecs", "describe-container-instances", "--cluster", cluster_arn,
                       "--container-instances", container_instance)
    assert rc == 0, err
    described = out["containerInstances"][0]
    assert described["ec2InstanceId"] == instance_id
    assert described["status"] == "ACTIVE"
    assert described["agentConnected"] is True
    registered = {r["name"]: r for r in described["registeredResources"]}
    assert registered["CPU"]["integerValue"] == 2048  # m5.large: 2 vCPU x 1024
    assert registered["MEMORY"]["integerValue"] == 8192
    rc, out, err = aws("ecs", "describe-clusters", "--clusters", cluster_name)
    assert out["clusters"][0]["registeredContainerInstancesCount"] == 1

    rc, out, err = aws("ec2", "describe-spot-instance-requests", "--filters",
                       "Name=state,Values=active")
    assert rc == 0, err
    assert [r["SpotInstanceRequestId"] for r in out["SpotInstanceRequests"]] == \
        [request["SpotInstanceRequestId"]]

    rc, out, err = aws("ec2", "describe-instances", "--filters",
                       "Name=instance-lifecycle,Values=spot")
    assert rc == 0, err
    instances = [i for r in out["Reservations"] for i in r["Instances"]]
    assert [i["InstanceId"] for i in instances] == [instance_id]
    instance = instances[0]
    assert instance["InstanceLifecycle"] == "spot"
    assert instance["SpotInstanceRequestId"] == request["SpotInstanceRequestId"]
    assert instance["State"] == {"Code": 16, "Name": "running"}
    assert instance["InstanceType"] == "m5.large"
    assert instance["Placement"]["AvailabilityZone"] == request["LaunchedAvailabilityZone"]
    assert instance["ImageId"] == IMAGE_ID

    rc, out, err = aws("ec2", "terminate-instances", "--instance-ids", instance_id)
    assert rc == 0, err
    change = out["TerminatingInstances"][0]
    assert change["InstanceId"] == instance_id
    assert change["PreviousState"]["Name"] == "running"
    assert change["CurrentState"] == {"Code": 48, "Name": "terminated"}
    closed = wait_for_request_state(aws, request["SpotInstanceRequestId"], "closed")
    assert closed["Status"]["Code"] == "instance-terminated-by-user"
    rc, out, err = aws("ecs", "list-container-instances", "--cluster", cluster_name)
    assert out["containerInstanceArns"] == []
    rc, out, err = aws("ec2", "describe-instances", "--instance-ids", instance_id)
    assert out["Reservations"][0]["Instances"][0]["State"]["Name"] == "terminated"


# aws-batch-spot-block.txt, "Making a Spot Block Request": its launch specification (the braces
# the tutorial's text lost put back; UserData joins this test's cluster) and its command, literally.
# The subnet is one gleaner never heard of, named together with the zone it is in: it is in that
# zone (it used to be refused as "subnet-c8d30ae4 is in us-east-1f, not in us-east-1c").
TUTORIAL_SPOT_BLOCK_REQUEST = {
    "ImageId": "ami-a7a242da",
    "KeyName": "jewart",
    "SecurityGroupIds": ["sg-55964223"],
    "InstanceType": "t2.micro",
    "Placement": {"AvailabilityZone": "us-east-1c"},
    "IamInstanceProfile": {
        "Arn": "arn:aws:iam::332639962540:instance-profile/ecsInstanceRole"},
    "SubnetId": "subnet-c8d30ae4",
}


def test_the_spot_block_tutorials_request_runs_the_job_in_its_subnets_zone(aws, helpers,
                                                                          tmp_path):
    cluster_arn, queue, definition = create_unmanaged_stack(aws, helpers, ["echo", "hello"])
    cluster_name = cluster_arn.split("cluster/", 1)[1]
    job_id = submit(aws, queue, definition)
    helpers.wait_for_status(job_id, "RUNNABLE")

    spec = dict(TUTORIAL_SPOT_BLOCK_REQUEST, UserData=user_data_joining(cluster_name))
    (tmp_path / "spot-block-request.json").write_text(json.dumps(spec, indent=4))
    rc, out, err = aws("ec2", "request-spot-instances",
                       "--spot-price", "0.03",
                       "--block-duration-minutes", "60",
                       "--instance-count", "1",
                       "--type", "one-time",
                       "--launch-specification",
                       f"file://{tmp_path / 'spot-block-request.json'}")
    assert rc == 0, err
    request = out["SpotInstanceRequests"][0]
    assert request["State"] == "active", request
    assert request["LaunchedAvailabilityZone"] == "us-east-1c"
    assert request["LaunchSpecification"]["SubnetId"] == "subnet-c8d30ae4"
    helpers.wait_for_status(job_id, "SUCCEEDED", timeout=30)

    # The subnet is in us-east-1c from now on: a request placing it elsewhere is refused.
    moved = dict(spec, Placement={"AvailabilityZone": "us-east-1a"})
    (tmp_path / "moved.json").write_text(json.dumps(moved))
    assert_error(aws("ec2", "request-spot-instances", "--spot-price", "0.03",
                     "--launch-specification", f"file://{tmp_path / 'moved.json'}"),
                 "InvalidParameterValue",
                 "The subnet subnet-c8d30ae4 is in us-east-1c, not in us-east-1a.")


def test_a_reclaimed_instance_ends_its_attempt_and_closes_the_one_time_request(
        aws, helpers, gleaner_cli, tmp_path):
    cluster_arn, queue, definition = create_unmanaged_stack(
        aws, helpers, ["sh", "-c", "echo ready; sleep 60"])
    job_id = submit(aws, queue, definition)
    helpers.wait_for_status(job_id, "RUNNABLE")
    request = request_spot(aws, write_spec(tmp_path, cluster_arn))  # the ARN works too
    running = helpers.wait_for_status(job_id, "RUNNING")
    helpers.wait_for_log(running["container"]["logStreamName"], "ready")

    result = gleaner_cli("interrupt", "--instance-id", request["InstanceId"], "--notice", "1s",
                         "--endpoint", helpers.server.endpoint)
    assert result.returncode == 0, result.stderr
    done = helpers.wait_for_status(job_id, "FAILED", timeout=20)
    assert done["statusReason"] == f"Host EC2 (instance {request['InstanceId']}) terminated."
    closed = wait_for_request_state(aws, request["SpotInstanceRequestId"], "closed")
    assert closed["Status"]["Code"] == "instance-terminated-no-capacity"
    rc, out, err = aws("ec2", "describe-spot-instance-requests", "--filters",
                       "Name=state,Values=closed",
                       "Name=status-code,Values=instance-terminated-by-price,"
                       "instance-terminated-by-service,instance-terminated-no-capacity")
    assert rc == 0, err
    assert [r["SpotInstanceRequestId"] for r in out["SpotInstanceRequests"]] == \
        [request["SpotInstanceRequestId"]]


def test_cancel_spot_instance_requests(aws, tmp_path):
    spec = write_spec(tmp_path)
    rc, out, err = aws("ec2", "request-spot-instances", "--spot-price", "0.000001",
                       "--launch-specification", spec)
    assert rc == 0, err
    waiting = out["SpotInstanceRequests"][0]
    assert waiting["State"] == "open"
    assert waiting["Status"]["Code"] == "price-too-low"
    assert "InstanceId" not in waiting
    running = request_spot(aws, spec)
    assert running["State"] == "active"

    rc, out, err = aws("ec2", "cancel-spot-instance-requests", "--spot-instance-request-ids",
                       waiting["SpotInstanceRequestId"], running["SpotInstanceRequestId"])
    assert rc == 0, err
    assert {r["SpotInstanceRequestId"]: r["State"] for r in out["CancelledSpotInstanceRequests"]} \
        == {waiting["SpotInstanceRequestId"]: "cancelled",
            running["SpotInstanceRequestId"]: "cancelled"}
    assert describe_request(aws, waiting["SpotInstanceRequestId"])["Status"]["Code"] == \
        "canceled-before-fulfillment"
    assert describe_request(aws, running["SpotInstanceRequestId"])["Status"]["Code"] == \
        "request-canceled-and-instance-running"
    rc, out, err = aws("ec2", "describe-instances", "--instance-ids", running["InstanceId"])
    assert rc == 0, err
    assert out["Reservations"][0]["Instances"][0]["State"]["Name"] == "running", \
        "cancelling a request leaves its instance running, as on AWS"

    assert_error(aws("ec2", "cancel-spot-instance-requests", "--spot-instance-request-ids",
                     "sir-00000000"), "InvalidSpotInstanceRequestID.NotFound", "sir-00000000")


def test_describe_spot_price_history(aws):
    rc, out, err = aws("ec2", "describe-spot-price-history", "--instance-types", "m5.large",
                       "--product-descriptions", "Linux/UNIX", "--availability-zone",
                       "us-east-1a")
    assert rc == 0, err
    history = out["SpotPriceHistory"]
    assert 3 <= len(history) <= 4, "the last three hours, one price per UTC hour"
    stamps = [entry["Timestamp"] for entry in history]
    assert stamps == sorted(stamps, reverse=True), "newest first"
    for entry in history:
        assert entry["InstanceType"] == "m5.large"
        assert entry["AvailabilityZone"] == "us-east-1a"
        assert entry["ProductDescription"] == "Linux/UNIX"
        assert re.match(r"^0\.\d{6}$", entry["SpotPrice"]), entry
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:00:00(\.000)?(Z|\+00:00)$", entry["Timestamp"])
        assert float(entry["SpotPrice"]) < 0.096, "below the on-demand price of m5.large"

    yesterday = datetime.datetime.now(datetime.timezone.utc).replace(
        minute=0, second=0, microsecond=0) - datetime.timedelta(days=1)
    window = (yesterday.strftime("%Y-%m-%dT%H:%M:%SZ"),
              (yesterday + datetime.timedelta(hours=2, minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    rc, out, err = aws("ec2", "describe-spot-price-history", "--instance-types", "c5.large",
                       "m5.large", "--start-time", window[0], "--end-time", window[1], "--filters",
                       "Name=availability-zone,Values=us-east-1a,us-east-1b")
    assert rc == 0, err
    assert len(out["SpotPriceHistory"]) == 3 * 2 * 2  # hours 0, 1, 2 x types x zones

    assert_error(aws("ec2", "describe-spot-price-history", "--instance-types", "m5.gigantic"),
                 "InvalidParameterValue", "m5.gigantic")


def test_ec2_errors(aws, helpers, tmp_path):
    assert_error(aws("ec2", "terminate-instances", "--instance-ids", "i-0123456789abcdef0"),
                 "InvalidInstanceID.NotFound",
                 "The instance ID 'i-0123456789abcdef0' does not exist")
    assert_error(aws("ec2", "describe-instances", "--instance-ids", "i-0123456789abcdef0"),
                 "InvalidInstanceID.NotFound")
    assert_error(aws("ec2", "request-spot-instances", "--block-duration-minutes", "45",
                     "--launch-specification", write_spec(tmp_path)),
                 "InvalidParameterValue", "blockDurationMinutes")
    assert_error(aws("ec2", "request-spot-instances", "--launch-specification",
                     write_spec(tmp_path, InstanceType=None)),
                 "MissingParameter", "LaunchSpecification.InstanceType")
    assert_error(aws("ec2", "request-spot-instances", "--launch-specification",
                     write_spec(tmp_path, InstanceType="m5.gigantic")),
                 "InvalidParameterValue", "m5.gigantic")
    assert_error(aws("ec2", "describe-spot-instance-requests", "--filters",
                     "Name=colour,Values=red"), "InvalidParameterValue", "'colour'")

    # An action gleaner does not simulate, and a value that must be escaped in the XML error.
    endpoint = helpers.server.endpoint
    form = "application/x-www-form-urlencoded; charset=utf-8"
    status, headers, body = signed_request(endpoint, "POST", "/",
                                           b"Action=RunInstances&Version=2016-11-15",
                                           content_type=form, service="ec2")
    assert status == 400
    error = ElementTree.fromstring(body).find("Errors/Error")
    assert error.findtext("Code") == "InvalidAction"
    assert "RequestSpotInstances" in error.findtext("Message")
    assert ElementTree.fromstring(body).findtext("RequestID") == headers["x-amzn-requestid"]
    status, headers, body = signed_request(
        endpoint, "POST", "/",
        b"Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=%3Cb%26d%3E"
        b"&Filter.1.Value.1=x", content_type=form, service="ec2")
    assert status == 400
    assert ElementTree.fromstring(body).findtext("Errors/Error/Message") == \
        "The filter '<b&d>' is invalid"

    status, headers, body = signed_request(endpoint, "POST", "/",
                                           b"Action=DescribeInstances&Version=2016-11-15",
                                           content_type=form, service="ec2")
    assert status == 200
    root = ElementTree.fromstring(body)
    assert root.tag == f"{EC2_NS}DescribeInstancesResponse"
    assert root.findtext(f"{EC2_NS}requestId") == headers["x-amzn-requestid"]


def test_ecs_errors(aws):
    rc, out, err = aws("ecs", "describe-clusters", "--clusters", "no-such-cluster")
    assert rc == 0, err
    assert out["clusters"] == []
    assert out["failures"] == [
        {"arn": "arn:aws:ecs:us-east-1:123456789012:cluster/no-such-cluster", "reason": "MISSING"}]
    rc, out, err = aws("ecs", "describe-clusters")
    assert out["failures"][0]["arn"].endswith(":cluster/default"), "no clusters: ECS's default"
    assert_error(aws("ecs", "list-container-instances", "--cluster", "no-such-cluster"),
                 "ClusterNotFoundException", "Cluster not found.")
    assert_error(aws("ecs", "list-container-instances"), "ClusterNotFoundException")
    assert_error(aws("ecs", "list-services"), "InvalidParameterException", "DescribeClusters")
    assert_error(aws("ecs", "describe-tasks", "--tasks", "x"), "ClusterNotFoundException")


@pytest.mark.gleaner_args("--capacity", "local")
def test_local_capacity_has_ecs_clusters_but_no_ec2(aws, helpers):
    ce = helpers.create_ce()
    cluster_arn = helpers.batch.describe_compute_environments(
        computeEnvironments=[ce["computeEnvironmentName"]])["computeEnvironments"][0][
        "ecsClusterArn"]
    rc, out, err = aws("ecs", "describe-clusters", "--clusters", cluster_arn)
    assert rc == 0, err
    assert out["clusters"][0]["registeredContainerInstancesCount"] == 1, "this machine serves it"
    rc, out, err = aws("ecs", "list-container-instances", "--cluster", cluster_arn)
    assert len(out["containerInstanceArns"]) == 1
    assert_error(aws("ec2", "describe-instances"), "UnsupportedOperation", "--capacity simspot")


# A running job is a task of its compute environment's cluster, as AWS Batch runs it on ECS:
# `aws ecs list-tasks` / `describe-tasks` find it from the attempt's taskArn, and TerminateJob
# makes its desired status STOPPED.
@pytest.mark.gleaner_args("--capacity", "local")
def test_running_jobs_are_tasks_of_their_cluster(aws, helpers):
    stack = helpers.stack(command=["sleep", "60"])
    cluster_arn = helpers.batch.describe_compute_environments(
        computeEnvironments=[stack.ce_name])["computeEnvironments"][0]["ecsClusterArn"]
    rc, out, err = aws("ecs", "list-clusters")
    assert rc == 0, err
    assert cluster_arn in out["clusterArns"]

    job_id = helpers.submit(stack.queue_name, stack.definition_name)
    running = helpers.wait_for_status(job_id, "RUNNING")
    task_arn = running["container"]["taskArn"]
    instance_arn = running["container"]["containerInstanceArn"]

    rc, out, err = aws("ecs", "list-tasks", "--cluster", cluster_arn)
    assert rc == 0, err
    assert out["taskArns"] == [task_arn]
    rc, out, err = aws("ecs", "list-tasks", "--cluster", cluster_arn,
                       "--container-instance", instance_arn, "--launch-type", "EC2")
    assert out["taskArns"] == [task_arn]
    rc, out, err = aws("ecs", "list-tasks", "--cluster", cluster_arn, "--launch-type", "FARGATE")
    assert out["taskArns"] == []
    rc, out, err = aws("ecs", "list-tasks", "--cluster", cluster_arn, "--desired-status", "PENDING")
    assert out["taskArns"] == [], "ECS never sets a desired status of PENDING"

    task_id = task_arn.rsplit("/", 1)[1]
    rc, out, err = aws("ecs", "describe-tasks", "--cluster", cluster_arn,
                       "--tasks", task_id, "arn:aws:ecs:us-east-1:123456789012:task/gone")
    assert rc == 0, err
    assert out["failures"] == [
        {"arn": "arn:aws:ecs:us-east-1:123456789012:task/gone", "reason": "MISSING"}]
    task = out["tasks"][0]
    assert task["taskArn"] == task_arn
    assert task["clusterArn"] == cluster_arn
    assert task["containerInstanceArn"] == instance_arn
    assert task["lastStatus"] == "RUNNING"
    assert task["desiredStatus"] == "RUNNING"
    assert task["launchType"] == "EC2"
    assert task["cpu"] == "1024" and task["memory"] == "64"
    assert task["containers"][0]["image"] == running["container"]["image"]
    assert task["containers"][0]["lastStatus"] == "RUNNING"

    helpers.batch.terminate_job(jobId=job_id, reason="enough")
    rc, out, err = aws("ecs", "list-tasks", "--cluster", cluster_arn, "--desired-status", "STOPPED")
    assert out["taskArns"] in ([task_arn], []), "being stopped, or stopped already"
    helpers.wait_for_status(job_id, "FAILED")
    rc, out, err = aws("ecs", "list-tasks", "--cluster", cluster_arn)
    assert out["taskArns"] == []
    assert_error(aws("ecs", "list-tasks", "--cluster", cluster_arn, "--started-by", "x"),
                 "InvalidParameterException", "not supported yet")
    assert_error(aws("ecs", "list-tasks", "--cluster", cluster_arn, "--desired-status", "DONE"),
                 "InvalidParameterException")


# AWS keeps a deleted compute environment's cluster describable as INACTIVE for a while.
@pytest.mark.gleaner_args("--capacity", "local")
def test_a_deleted_compute_environments_cluster_is_inactive(aws, helpers):
    ce = helpers.create_ce()
    name = ce["computeEnvironmentName"]
    cluster_arn = helpers.batch.describe_compute_environments(
        computeEnvironments=[name])["computeEnvironments"][0]["ecsClusterArn"]
    helpers.batch.update_compute_environment(computeEnvironment=name, state="DISABLED")
    helpers.batch.delete_compute_environment(computeEnvironment=name)
    helpers.poll(lambda: not helpers.batch.describe_compute_environments(
        computeEnvironments=[name])["computeEnvironments"], 15, "the deletion")
    cluster_name = cluster_arn.split("cluster/", 1)[1]
    for reference in (cluster_arn, cluster_name):
        rc, out, err = aws("ecs", "describe-clusters", "--clusters", reference)
        assert rc == 0, err
        assert out["failures"] == []
        cluster = out["clusters"][0]
        assert cluster["clusterArn"] == cluster_arn
        assert cluster["status"] == "INACTIVE"
        assert cluster["registeredContainerInstancesCount"] == 0
    rc, out, err = aws("ecs", "list-clusters")
    assert cluster_arn not in out["clusterArns"]
