"""A job's own network (issue 12, item 1): on a simulated instance, with gleaner as root, each
attempt runs in a network namespace of its own where 169.254.169.254:80 is its instance's
metadata service, gleaner's endpoint answers on the attempt's own loopback at the address
AWS_ENDPOINT_URL names, and outbound traffic leaves through slirp4netns -- while the host's network
(its own service at 169.254.169.254 included) stays exactly as it was."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import threading
import urllib.error
import urllib.request

import pytest

from gleaner_testlib import (ACCESS_KEY_ID, FARGATE_RESOURCES, SECRET_ACCESS_KEY, SIMSPOT_ARGS,
                             unique)
from test_containers import (CONTAINER_ARGS, SPOT_RESILIENT_JOB, TEST_IMAGE,  # noqa: F401
                             images)  # a fixture
from test_spot import create_spot_stack, run_until_interrupted, submit

pytestmark = [
    pytest.mark.gleaner_args(*SIMSPOT_ARGS),
    pytest.mark.skipif(os.geteuid() != 0, reason="a network namespace per attempt needs root"),
]

# The worker of ../shared/tutorials/spot-preemptible-setup.txt, its function verbatim (the text
# there lost its indentation), polled the way its docstring says, but every 0.2 s instead of 5.
TUTORIAL_WORKER = '''import requests
import signal
import sys
def check_spot_interruption():
    """Call every 5 seconds from worker"""
    try:
        response = requests.get(
            'http://169.254.169.254/latest/meta-data/spot/interruption-notice',
            timeout=1
        )
        if response.status_code == 200:
            return True # Interruption expected
    except requests.exceptions.RequestException:
        pass
    return False
import time
print('ready', flush=True)
while not check_spot_interruption():
    time.sleep(0.2)
print('interruption notice seen', flush=True)
sys.exit(0) # Graceful exit, task will restart
'''


def host_network() -> dict:
    """What must not change on the host: its addresses, its routes, and what its own
    169.254.169.254 answers (this machine has a service there)."""
    def run(*command):
        return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout
    try:
        answer = urllib.request.urlopen("http://169.254.169.254/", timeout=2).status
    except urllib.error.HTTPError as error:
        answer = error.code
    except (urllib.error.URLError, OSError) as error:
        answer = type(error).__name__
    return {"addresses": run("ip", "-o", "address"), "routes": run("ip", "route"),
            "169.254.169.254": answer}


def run_job(aws, helpers, command, timeout=30) -> tuple[dict, list[str]]:
    _, _, queue, definition = create_spot_stack(aws, helpers, command, retry=False)
    job_id = submit(aws, queue, definition)
    done = helpers.wait_for_status(job_id, ("SUCCEEDED", "FAILED"), timeout=timeout)
    return done, helpers.log_lines(done["container"]["logStreamName"])


def test_the_tutorial_worker_polls_the_literal_address_and_sees_the_notice(aws, helpers,
                                                                          gleaner_cli):
    before = host_network()
    job_id, stream = run_until_interrupted(
        aws, helpers, gleaner_cli, ["/usr/bin/python3", "-c", TUTORIAL_WORKER], "60s")
    done = helpers.wait_for_status(job_id, ("SUCCEEDED", "FAILED"), timeout=30)
    assert done["status"] == "SUCCEEDED", done.get("statusReason")
    assert len(done["attempts"]) == 1
    assert helpers.log_lines(stream)[-1] == "interruption notice seen"
    assert host_network() == before


def test_the_literal_address_is_the_jobs_instance_and_the_host_keeps_its_own(aws, helpers):
    before = host_network()
    script = ("curl -s -m 5 http://169.254.169.254/latest/meta-data/instance-id; echo; "
              "curl -s -m 5 http://169.254.169.254/latest/meta-data/instance-life-cycle; echo; "
              "echo ${AWS_EC2_METADATA_SERVICE_ENDPOINT##*/}")
    done, lines = run_job(aws, helpers, ["sh", "-c", script])
    assert done["status"] == "SUCCEEDED", done.get("statusReason")
    assert re.fullmatch(r"i-[0-9a-f]{17}", lines[0]), lines
    # The instance the job was placed on: the one gleaner's own metadata endpoint names too.
    assert lines[1:] == ["spot", lines[0]]
    assert host_network() == before


def test_gleaners_endpoint_answers_inside_at_aws_endpoint_url(aws, helpers, gleaner):
    bucket = unique("bucket").lower()
    program = (
        "import os, boto3\n"
        "s3 = boto3.client('s3', endpoint_url=os.environ['AWS_ENDPOINT_URL'])\n"
        f"s3.create_bucket(Bucket='{bucket}')\n"
        f"s3.put_object(Bucket='{bucket}', Key='from-the-job', Body=b'written inside')\n"
        "print('region', os.environ['AWS_REGION'], os.environ['AWS_EXECUTION_ENV'])\n")
    _, _, queue, definition = create_spot_stack(
        aws, helpers, ["/usr/bin/python3", "-c", program], retry=False)
    rc, out, err = aws("batch", "submit-job", "--job-name", unique("job"), "--job-queue", queue,
                       "--job-definition", definition, "--container-overrides", json.dumps({
                           "environment": [{"name": "AWS_ACCESS_KEY_ID", "value": ACCESS_KEY_ID},
                                           {"name": "AWS_SECRET_ACCESS_KEY",
                                            "value": SECRET_ACCESS_KEY}]}))
    assert rc == 0, err
    done = helpers.wait_for_status(out["jobId"], ("SUCCEEDED", "FAILED"), timeout=30)
    lines = helpers.log_lines(done["container"]["logStreamName"])
    assert done["status"] == "SUCCEEDED", (done.get("statusReason"), lines)
    assert lines == ["region us-east-1 AWS_ECS_EC2"]
    rc, out, err = aws("s3", "cp", f"s3://{bucket}/from-the-job", "-")
    assert (rc, out) == (0, "written inside"), err


def host_address() -> str | None:
    """An IPv4 address of this machine that is not loopback, or None."""
    listed = subprocess.run(["ip", "-4", "-o", "address", "show", "scope", "global"],
                            capture_output=True, text=True, timeout=10).stdout
    match = re.search(r"inet (\d+\.\d+\.\d+\.\d+)/", listed)
    return match.group(1) if match else None


def test_outbound_traffic_leaves_but_the_hosts_loopback_is_out_of_reach(aws, helpers):
    address = host_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to connect to")
    received = []
    servers = []
    for host in (address, "127.0.0.1"):
        server = socket.create_server((host, 0))
        server.settimeout(30)
        servers.append(server)
    # Only the non-loopback one ever accepts: the job cannot reach the host's 127.0.0.1.
    def serve():
        try:
            connection, _ = servers[0].accept()
            with connection:
                received.append(connection.recv(100))
        except OSError:
            pass
    thread = threading.Thread(target=serve)
    thread.start()
    program = (
        "import socket, sys\n"
        f"with socket.create_connection(('{address}', {servers[0].getsockname()[1]}), 5) as s:\n"
        "    s.sendall(b'hello from the job')\n"
        "try:\n"
        f"    socket.create_connection(('127.0.0.1', {servers[1].getsockname()[1]}), 2)\n"
        "    print('reached the host loopback')\n"
        "except OSError:\n"
        "    print('host loopback out of reach')\n")
    try:
        done, lines = run_job(aws, helpers, ["/usr/bin/python3", "-c", program])
    finally:
        thread.join(timeout=30)
        for server in servers:
            server.close()
    assert done["status"] == "SUCCEEDED", (done.get("statusReason"), lines)
    assert received == [b"hello from the job"]
    assert lines == ["host loopback out of reach"]


@pytest.mark.gleaner_args(*SIMSPOT_ARGS, "--job-network", "host")
def test_job_network_host_keeps_the_machines_network(aws, helpers, gleaner):
    assert any("job network: this machine's" in line for line in gleaner._stdout_lines[:6])
    done, lines = run_job(aws, helpers, ["sh", "-c", "ip -4 -o address | grep -c 169.254 || true"])
    assert done["status"] == "SUCCEEDED", done.get("statusReason")
    assert lines == ["0"]


@pytest.mark.gleaner_args(*SIMSPOT_ARGS, *CONTAINER_ARGS)
def test_a_container_sees_its_instance_at_the_literal_address(images, aws, helpers):  # noqa: F811
    _, _, queue, definition = create_spot_stack(
        aws, helpers, ["wget", "-q", "-O", "-",
                       "http://169.254.169.254/latest/meta-data/instance-life-cycle"],
        retry=False)
    rc, out, err = aws("batch", "register-job-definition", "--job-definition-name", definition,
                       "--type", "container", "--container-properties", json.dumps({
                           "image": TEST_IMAGE,
                           "command": ["wget", "-q", "-O", "-", "http://169.254.169.254/latest/"
                                       "meta-data/instance-life-cycle"],
                           "resourceRequirements": [{"type": "VCPU", "value": "2"},
                                                    {"type": "MEMORY", "value": "1024"}]}))
    assert rc == 0, err
    job_id = submit(aws, queue, definition)
    done = helpers.wait_for_status(job_id, ("SUCCEEDED", "FAILED"), timeout=60)
    assert done["status"] == "SUCCEEDED", done.get("statusReason")
    assert helpers.log_lines(done["container"]["logStreamName"]) == ["spot"]


# ---- the job's credentials (issue 12, item 2) ----

# Debian's boto3 with no configuration at all but the endpoint (it predates AWS_ENDPOINT_URL):
# its default credential chain finds what gleaner gives the job.
CREDENTIAL_CHAIN = (
    "import os, boto3\n"
    "session = boto3.session.Session()\n"
    "credentials = session.get_credentials()\n"
    "print('method', credentials.method, credentials.access_key[:4], bool(credentials.token))\n"
    "s3 = session.client('s3', endpoint_url=os.environ['AWS_ENDPOINT_URL'])\n"
    "s3.put_object(Bucket=os.environ['BUCKET'], Key=os.environ['AWS_BATCH_JOB_ID'], Body=b'ok')\n"
    "print('stored')\n")


def run_with_bucket(aws, s3, helpers, job_role: str | None) -> tuple[dict, list[str], str]:
    bucket = unique("creds").lower()
    s3.create_bucket(Bucket=bucket)
    _, _, queue, definition = create_spot_stack(
        aws, helpers, ["/usr/bin/python3", "-c", CREDENTIAL_CHAIN], retry=False)
    properties = {"image": "busybox", "command": ["/usr/bin/python3", "-c", CREDENTIAL_CHAIN],
                  "environment": [{"name": "BUCKET", "value": bucket}],
                  "resourceRequirements": [{"type": "VCPU", "value": "2"},
                                           {"type": "MEMORY", "value": "1024"}]}
    if job_role:
        properties["jobRoleArn"] = job_role
    rc, out, err = aws("batch", "register-job-definition", "--job-definition-name", definition,
                       "--type", "container", "--container-properties", json.dumps(properties))
    assert rc == 0, err
    job_id = submit(aws, queue, definition)
    done = helpers.wait_for_status(job_id, ("SUCCEEDED", "FAILED"), timeout=30)
    return done, helpers.log_lines(done["container"]["logStreamName"]), bucket


def test_a_job_role_gets_task_credentials_at_169_254_170_2(aws, s3, helpers):
    done, lines, bucket = run_with_bucket(aws, s3, helpers,
                                          "arn:aws:iam::123456789012:role/checkpointer")
    assert done["status"] == "SUCCEEDED", (done.get("statusReason"), lines)
    assert lines == ["method container-role ASIA True", "stored"]
    assert s3.get_object(Bucket=bucket, Key=done["jobId"])["Body"].read() == b"ok"


def test_without_a_job_role_the_instance_profile_serves_credentials(aws, s3, helpers):
    done, lines, bucket = run_with_bucket(aws, s3, helpers, None)
    assert done["status"] == "SUCCEEDED", (done.get("statusReason"), lines)
    assert lines == ["method iam-role ASIA True", "stored"]
    assert s3.get_object(Bucket=bucket, Key=done["jobId"])["Body"].read() == b"ok"


def test_credentials_endpoint_refuses_a_path_it_did_not_make(gleaner):
    for path in ("/gleaner/v1/credentials/job/1/forged-tag", "/gleaner/v1/credentials/x"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(gleaner.endpoint + path, timeout=5)
        assert refused.value.code == 404


def test_a_forged_or_tokenless_temporary_key_is_refused(s3, gleaner):
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError
    for token in (None, "not-the-token"):
        client = boto3.session.Session(
            aws_access_key_id="ASIAAAAAAAAAAAAAAAAA", aws_secret_access_key="x" * 40,
            aws_session_token=token, region_name="us-east-1").client(
                "s3", endpoint_url=gleaner.endpoint,
                config=Config(retries={"total_max_attempts": 1}))
        with pytest.raises(ClientError) as refused:
            client.list_buckets()
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


@pytest.mark.gleaner_args("--capacity", "local")
def test_on_local_capacity_a_job_role_gets_credentials_on_gleaners_endpoint(s3, helpers, stack,
                                                                           wait_for_status):
    bucket = unique("local").lower()
    s3.create_bucket(Bucket=bucket)
    command = ["sh", "-c", 'env | grep ^AWS_CONTAINER_ | sort; exec /usr/bin/python3 -c "$0"',
               CREDENTIAL_CHAIN]
    definition = helpers.register(command=command, container={
        "jobRoleArn": "arn:aws:iam::123456789012:role/checkpointer",
        "environment": [{"name": "BUCKET", "value": bucket}]})
    done = wait_for_status(helpers.submit(stack.queue_name, definition["jobDefinitionName"]),
                           ("SUCCEEDED", "FAILED"))
    lines = helpers.log_lines(done["container"]["logStreamName"])
    assert done["status"] == "SUCCEEDED", (done.get("statusReason"), lines)
    # No namespace here (no instance metadata to serve): the machine's network, and the full URI.
    assert len(lines) == 3 and lines[1:] == ["method container-role ASIA True", "stored"], lines
    assert lines[0].startswith("AWS_CONTAINER_CREDENTIALS_FULL_URI=" + helpers.server.endpoint +
                               "/gleaner/v1/credentials/"), lines


# ---- the tutorial's checkpointing job (issue 12, item 5) ----

# aws-batch-spot-cost-savings.md's retry strategy, verbatim: the one in its step 3 command.
TUTORIAL_RETRY_STRATEGY = re.search(r"--retry-strategy '(\{.*?\n  \})'", SPOT_RESILIENT_JOB,
                                    re.S).group(1)


def interrupt_and_check_resumed(helpers, gleaner_cli, job_id: str, first: str, items: int,
                                after: int = 100) -> None:
    """Interrupts the tutorial's checkpointing job (running, its log stream `first`) once it saved
    `after` items; checks that it checkpointed on SIGTERM, that the `Host EC2*` rule retried it on
    another instance, and that the second attempt resumed from the checkpoint and finished."""
    helpers.wait_for_log(first, f"Checkpoint saved: processed {after} items", timeout=30)
    result = gleaner_cli("interrupt", "--job-id", job_id, "--notice", "3s", "--endpoint",
                         helpers.server.endpoint)
    assert result.returncode == 0, result.stderr
    done = helpers.wait_for_status(job_id, ("SUCCEEDED", "FAILED"), timeout=60)
    assert done["status"] == "SUCCEEDED", done.get("statusReason")
    assert len(done["attempts"]) == 2
    assert done["attempts"][0]["statusReason"].startswith("Host EC2 (instance i-")
    lines = helpers.log_lines(first)
    notice = "Received SIGTERM (likely Spot interruption). Saving checkpoint..."
    assert notice in lines, lines
    # The saves from the notice on: the handler's, the last thing the Python program does; the
    # JavaScript port's loop runs on while its handler's PutObject is in flight and may save once
    # more, and then either of the two can be the one S3 kept.
    after_notice = [int(found.group(1)) for line in lines[lines.index(notice):]
                    if (found := re.fullmatch(r"Checkpoint saved: processed (\d+) items", line))]
    assert after_notice and lines[-1] == f"Checkpoint saved: processed {after_notice[-1]} items"
    assert after <= min(after_notice) and max(after_notice) < items, after_notice
    second = helpers.log_lines(done["attempts"][1]["container"]["logStreamName"])
    # (Node 20 also hears the SDK's NodeVersionSupportWarning on stderr, which shares the log.)
    progress = [line for line in second if line.startswith(("Resuming", "Checkpoint saved"))]
    resumed = re.fullmatch(r"Resuming from checkpoint: (\d+) items already done", progress[0])
    assert resumed and int(resumed.group(1)) in after_notice, (after_notice, second)
    assert not any(line.startswith("Resuming") for line in lines), lines
    assert second[-1] == f"Done! Processed {items} items total"
    assert done["attempts"][0]["container"]["containerInstanceArn"] != \
        done["attempts"][1]["container"]["containerInstanceArn"]


@pytest.mark.gleaner_args(*SIMSPOT_ARGS, "--stop-grace-seconds", "2")
def test_the_tutorials_checkpointing_job_resumes_after_an_interruption(aws, s3, helpers,
                                                                      gleaner_cli):
    """The JavaScript SDK v3 port of the tutorial's job (tests/js/checkpoint_job.mjs): interrupted
    by `gleaner interrupt`, it checkpoints to gleaner's S3 on SIGTERM with its job role's
    credentials, the retry strategy's `Host EC2*` rule retries it on a new instance, and the next
    attempt resumes from the checkpoint."""
    from test_js_sdk import JS
    bucket = unique("my-checkpoint-bucket").lower()
    s3.create_bucket(Bucket=bucket)
    spot, _, queue, definition = create_spot_stack(aws, helpers, ["true"], retry=False)
    rc, out, err = aws(
        "batch", "register-job-definition", "--job-definition-name", definition,
        "--type", "container", "--retry-strategy", TUTORIAL_RETRY_STRATEGY,
        "--container-properties", json.dumps({
            "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/processor:latest",
            "command": ["node", str(JS / "checkpoint_job.mjs")],
            "jobRoleArn": "arn:aws:iam::123456789012:role/spot-resilient-job",
            "environment": [{"name": "CHECKPOINT_BUCKET", "value": bucket},
                            {"name": "ITEMS", "value": "1000"},
                            {"name": "ITEM_MS", "value": "10"}],
            "resourceRequirements": [{"type": "VCPU", "value": "4"},
                                     {"type": "MEMORY", "value": "8192"}]}))
    assert rc == 0, err
    job_id = submit(aws, queue, definition)
    first = helpers.wait_for_status(job_id, "RUNNING")["container"]["logStreamName"]
    interrupt_and_check_resumed(helpers, gleaner_cli, job_id, first, items=1000)


@pytest.mark.gleaner_args("--capacity", "local")
def test_aws_execution_env_says_how_ecs_would_run_the_job(helpers, wait_for_status):
    fargate = unique("fargate")
    helpers.create_ce(fargate, computeResources=dict(FARGATE_RESOURCES))
    queue = helpers.create_queue(ces=[fargate])["jobQueueName"]
    definition = helpers.batch.register_job_definition(
        jobDefinitionName=unique("jd"), type="container", platformCapabilities=["FARGATE"],
        containerProperties={"image": "busybox", "command": ["sh", "-c", "echo $AWS_EXECUTION_ENV"],
                             "resourceRequirements": [{"type": "VCPU", "value": "0.25"},
                                                      {"type": "MEMORY", "value": "512"}],
                             "networkConfiguration": {"assignPublicIp": "ENABLED"}})
    done = wait_for_status(helpers.submit(queue, definition["jobDefinitionName"]),
                           ("SUCCEEDED", "FAILED"))
    assert done["status"] == "SUCCEEDED", done.get("statusReason")
    assert helpers.log_lines(done["container"]["logStreamName"]) == ["AWS_ECS_FARGATE"]


# ---- ECS task metadata v4 (and v3) ----

TASK_METADATA = """
import json, os, urllib.request, urllib.error
base = os.environ['ECS_CONTAINER_METADATA_URI_V4']
print(base.rsplit('/', 3)[0], os.environ['ECS_CONTAINER_METADATA_URI'].rsplit('/', 3)[0])
def get(path):
    with urllib.request.urlopen(base + path, timeout=5) as answer:
        return json.load(answer)
container = get('')
task = get('/task')
tagged = get('/taskWithTags')
print(json.dumps({'container': container, 'task': task, 'tags': tagged.get('TaskTags')}))
try:
    urllib.request.urlopen(base + '/stats', timeout=5)
except urllib.error.HTTPError as error:
    print('stats', error.code)
"""


def check_task_metadata(done: dict, lines: list[str], base: str, launch_type: str):
    assert done["status"] == "SUCCEEDED", (done.get("statusReason"), lines)
    assert lines[0] == f"{base}/v4 {base}/v3", lines
    seen = json.loads(lines[1])
    container, task = seen["container"], seen["task"]
    task_arn = done["container"]["taskArn"]
    assert task["TaskARN"] == task_arn and container["Labels"]["com.amazonaws.ecs.task-arn"] == \
        task_arn
    assert container["Name"] == "default" and container["Image"] == "busybox"
    assert container["LogOptions"]["awslogs-stream"] == done["container"]["logStreamName"]
    assert container["Limits"] == {"CPU": 2048, "Memory": 1024}
    assert task["Limits"] == {"CPU": 2.0, "Memory": 1024}
    assert task["LaunchType"] == launch_type and task["Containers"] == [container]
    assert task["Cluster"].startswith("arn:aws:ecs:us-east-1:")
    assert seen["tags"] == {"project": "genomics"}
    assert lines[2] == "stats 501"


def test_task_metadata_v4_at_169_254_170_2(aws, helpers):
    _, _, queue, definition = create_spot_stack(aws, helpers, ["true"], retry=False)
    rc, out, err = aws("batch", "register-job-definition", "--job-definition-name", definition,
                       "--type", "container", "--container-properties", json.dumps({
                           "image": "busybox",
                           "command": ["/usr/bin/python3", "-c", TASK_METADATA],
                           "resourceRequirements": [{"type": "VCPU", "value": "2"},
                                                    {"type": "MEMORY", "value": "1024"}]}))
    assert rc == 0, err
    rc, out, err = aws("batch", "submit-job", "--job-name", unique("meta"), "--job-queue", queue,
                       "--job-definition", definition, "--tags", "project=genomics")
    assert rc == 0, err
    done = helpers.wait_for_status(out["jobId"], ("SUCCEEDED", "FAILED"), timeout=30)
    lines = helpers.log_lines(done["container"]["logStreamName"])
    check_task_metadata(done, lines, "http://169.254.170.2", "EC2")


@pytest.mark.gleaner_args("--capacity", "local")
def test_on_local_capacity_task_metadata_is_on_gleaners_endpoint(helpers, stack,
                                                                   wait_for_status, gleaner):
    definition = helpers.register(command=["/usr/bin/python3", "-c", TASK_METADATA],
                                  container={"image": "busybox", "resourceRequirements": [
                                      {"type": "VCPU", "value": "2"},
                                      {"type": "MEMORY", "value": "1024"}]})
    job_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"],
                            tags={"project": "genomics"})
    done = wait_for_status(job_id, ("SUCCEEDED", "FAILED"))
    lines = helpers.log_lines(done["container"]["logStreamName"])
    check_task_metadata(done, lines, gleaner.endpoint + "/gleaner/v1/task-metadata", "EC2")
    # A path gleaner did not make is refused.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(gleaner.endpoint + "/gleaner/v1/task-metadata/v4/"
                               f"{job_id}/1/forged/task", timeout=5)
    assert refused.value.code == 404
