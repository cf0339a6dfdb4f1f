"""AWS's own names inside a job's network (issue 12, item 3): for SDKs that ignore
AWS_ENDPOINT_URL (Debian's boto3 1.29, tools baked into images), the attempt's resolver at
169.254.169.253 resolves *.amazonaws.com to gleaner, which answers HTTPS there with a certificate
from its own authority; the job trusts it through AWS_CA_BUNDLE and the like, never through the
machine's trust store. Other names resolve as the machine resolves them, and nothing on the
machine changes."""

from __future__ import annotations

import json
import os
import re
import socket
from pathlib import Path

import pytest

from gleaner_testlib import SIMSPOT_ARGS, unique
from test_containers import CONTAINER_ARGS, TEST_IMAGE, images  # noqa: F401 (a fixture)
# The tutorial's retry strategy, verbatim (its step 3 command), and what its job must do.
from test_job_network import TUTORIAL_RETRY_STRATEGY, host_network, interrupt_and_check_resumed
from test_spot import create_spot_stack, submit

pytestmark = [
    pytest.mark.gleaner_args(*SIMSPOT_ARGS),
    pytest.mark.skipif(os.geteuid() != 0, reason="a network namespace per attempt needs root"),
]

TUTORIALS = Path(__file__).resolve().parents[3] / "shared" / "tutorials"


def register(aws, definition: str, properties: dict, retry: str | None = None):
    args = ["batch", "register-job-definition", "--job-definition-name", definition,
            "--type", "container", "--container-properties", json.dumps(properties)]
    if retry:
        args += ["--retry-strategy", retry]
    rc, out, err = aws(*args)
    assert rc == 0, err


def run_python(aws, helpers, program: str, environment=(), timeout=60) -> tuple[dict, list[str]]:
    """Runs `program` with Debian's python3 as a job on a spot instance."""
    _, _, queue, definition = create_spot_stack(aws, helpers, ["true"], retry=False)
    register(aws, definition, {
        "image": "busybox", "command": ["/usr/bin/python3", "-c", program],
        "environment": [{"name": k, "value": v} for k, v in environment],
        "resourceRequirements": [{"type": "VCPU", "value": "2"},
                                 {"type": "MEMORY", "value": "1024"}]})
    job_id = submit(aws, queue, definition)
    done = helpers.wait_for_status(job_id, ("SUCCEEDED", "FAILED"), timeout=timeout)
    return done, helpers.log_lines(done["container"]["logStreamName"])


# Debian's boto3 (1.29, which knows nothing of AWS_ENDPOINT_URL) with no configuration at all.
UNCONFIGURED_BOTO3 = """
import os, boto3, botocore
print('botocore', botocore.__version__)
s3 = boto3.client('s3')
s3.put_object(Bucket=os.environ['BUCKET'], Key='hello.txt', Body=b'from the job')
print('endpoint', s3.meta.endpoint_url)
batch = boto3.client('batch')
queues = batch.describe_job_queues()['jobQueues']
print('queues', len(queues) > 0, batch.meta.endpoint_url)
"""


def test_debians_boto3_reaches_gleaner_at_aws_names_over_tls(aws, s3, helpers):
    bucket = unique("names").lower()
    s3.create_bucket(Bucket=bucket)
    done, lines = run_python(aws, helpers, UNCONFIGURED_BOTO3, [("BUCKET", bucket)])
    assert done["status"] == "SUCCEEDED", (done.get("statusReason"), lines)
    assert lines[0].startswith("botocore 1.29"), lines
    assert lines[1:] == ["endpoint https://s3.amazonaws.com",
                         "queues True https://batch.us-east-1.amazonaws.com"], lines
    assert s3.get_object(Bucket=bucket, Key="hello.txt")["Body"].read() == b"from the job"


# ---- the tutorial's checkpointing job, in Python, verbatim (issue 12, item 5) ----

# aws-batch-spot-cost-savings.md, step 4, as it is (the tutorials live outside this repository;
# test_the_copy_is_the_tutorials_text checks the copy where they are at hand).
TUTORIAL_CHECKPOINT_PROGRAM = r'''import os
import json
import boto3
import signal
import sys

s3 = boto3.client('s3')
CHECKPOINT_BUCKET = os.environ.get('CHECKPOINT_BUCKET', 'my-checkpoint-bucket')
JOB_ID = os.environ.get('AWS_BATCH_JOB_ID', 'local')

def save_checkpoint(state):
    """Save processing state to S3 so we can resume after interruption"""
    s3.put_object(
        Bucket=CHECKPOINT_BUCKET,
        Key=f'checkpoints/{JOB_ID}.json',
        Body=json.dumps(state)
    )
    print(f"Checkpoint saved: processed {state['items_processed']} items")

def load_checkpoint():
    """Try to load a checkpoint from a previous run"""
    try:
        obj = s3.get_object(
            Bucket=CHECKPOINT_BUCKET,
            Key=f'checkpoints/{JOB_ID}.json'
        )
        state = json.loads(obj['Body'].read())
        print(f"Resuming from checkpoint: {state['items_processed']} items already done")
        return state
    except s3.exceptions.NoSuchKey:
        return {'items_processed': 0, 'last_offset': 0}

def handle_sigterm(signum, frame):
    """Handle SIGTERM gracefully - save checkpoint before exit"""
    print("Received SIGTERM (likely Spot interruption). Saving checkpoint...")
    save_checkpoint(current_state)
    sys.exit(0)

# Register signal handler for graceful shutdown
signal.signal(signal.SIGTERM, handle_sigterm)

# Main processing loop
current_state = load_checkpoint()
items = load_work_items()

for i in range(current_state['items_processed'], len(items)):
    process_item(items[i])
    current_state['items_processed'] = i + 1
    current_state['last_offset'] = i

    # Checkpoint every 100 items
    if (i + 1) % 100 == 0:
        save_checkpoint(current_state)

print(f"Done! Processed {current_state['items_processed']} items total")
'''


def tutorial_checkpoint_program() -> str:
    """The tutorial's program with the two helpers it leaves undefined put in front, and its
    SIGTERM handler's `sys.exit(0)` made non-zero so that the retry strategy applies (the
    tutorials README says why)."""
    program = TUTORIAL_CHECKPOINT_PROGRAM
    assert program.count("    sys.exit(0)") == 1
    program = program.replace("    sys.exit(0)", "    sys.exit(143)")
    helpers = ("import os as _os, time as _time\n"
               "def load_work_items():\n"
               "    return list(range(int(_os.environ['ITEMS'])))\n"
               "def process_item(item):\n"
               "    _time.sleep(int(_os.environ['ITEM_MS']) / 1000)\n")
    return helpers + program


def test_the_copy_is_the_tutorials_text():
    tutorial = TUTORIALS / "aws-batch-spot-cost-savings.md"
    if not tutorial.exists():
        pytest.skip(f"the tutorials are not at {TUTORIALS}")
    text = tutorial.read_text()
    step = text[text.index("## Step 4"):]
    assert re.search(r"```python\n(.*?)```", step, re.S).group(1) == TUTORIAL_CHECKPOINT_PROGRAM


def start_checkpoint_job(aws, s3, helpers, items: int, item_ms: int) -> tuple[str, str, str]:
    bucket = unique("my-checkpoint-bucket").lower()
    s3.create_bucket(Bucket=bucket)
    _, _, queue, definition = create_spot_stack(aws, helpers, ["true"], retry=False)
    register(aws, definition, {
        "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/processor:latest",
        "command": ["/usr/bin/python3", "-c", tutorial_checkpoint_program()],
        "jobRoleArn": "arn:aws:iam::123456789012:role/spot-resilient-job",
        "environment": [{"name": "CHECKPOINT_BUCKET", "value": bucket},
                        {"name": "ITEMS", "value": str(items)},
                        {"name": "ITEM_MS", "value": str(item_ms)},
                        # print() to a file is block-buffered: the log shows it at once.
                        {"name": "PYTHONUNBUFFERED", "value": "1"}],
        "resourceRequirements": [{"type": "VCPU", "value": "4"},
                                 {"type": "MEMORY", "value": "8192"}]},
        retry=TUTORIAL_RETRY_STRATEGY)
    job_id = submit(aws, queue, definition)
    stream = helpers.wait_for_status(job_id, "RUNNING")["container"]["logStreamName"]
    return job_id, stream, bucket


@pytest.mark.gleaner_args(*SIMSPOT_ARGS, "--stop-grace-seconds", "2")
def test_the_tutorials_python_checkpoint_job_resumes_after_an_interruption(aws, s3, helpers,
                                                                           gleaner_cli):
    job_id, first, bucket = start_checkpoint_job(aws, s3, helpers, items=1000, item_ms=10)
    interrupt_and_check_resumed(helpers, gleaner_cli, job_id, first, items=1000)
    stored = json.loads(s3.get_object(Bucket=bucket, Key=f"checkpoints/{job_id}.json")["Body"]
                        .read())
    assert stored["items_processed"] == 1000


@pytest.mark.gleaner_args(*SIMSPOT_ARGS, "--stop-grace-seconds", "2")
def test_the_checkpoint_job_keeps_its_network_across_a_restart_of_gleaner(aws, s3, helpers,
                                                                          gleaner, gleaner_cli):
    """gleaner restarts while the tutorial's job runs: the attempt runs on, re-attached, its
    network served again (its resolver, S3 at AWS's names, the instance's metadata); interrupted
    then, it checkpoints to S3 and the retry resumes from that checkpoint."""
    job_id, first, _ = start_checkpoint_job(aws, s3, helpers, items=3000, item_ms=10)
    helpers.wait_for_log(first, "Checkpoint saved: processed 100 items", timeout=30)
    gleaner.restart(same_port=True)  # the job was told AWS_ENDPOINT_URL with this port
    interrupt_and_check_resumed(helpers, gleaner_cli, job_id, first, items=3000, after=300)


# ---- containers: their own resolver and the CA bundle, mounted ----

CONTAINER_CHECK = (
    "nslookup my-checkpoint-bucket.s3.amazonaws.com | grep -A1 '^Name:' | tail -1; "
    "head -1 \"$AWS_CA_BUNDLE\"; head -1 \"$NODE_EXTRA_CA_CERTS\"; "
    "grep -c 'BEGIN CERTIFICATE' \"$SSL_CERT_FILE\" >/dev/null && echo bundle; "
    "test -e \"$(dirname \"$AWS_CA_BUNDLE\")/ca-key.pem\" || echo 'no authority key'; "
    "wget -q -O - http://my-checkpoint-bucket.s3.amazonaws.com/x 2>&1 | head -1")


@pytest.mark.gleaner_args(*SIMSPOT_ARGS, *CONTAINER_ARGS)
def test_a_container_resolves_aws_names_to_gleaner_and_gets_the_bundle(images, aws,  # noqa: F811
                                                                       helpers):
    _, _, queue, definition = create_spot_stack(aws, helpers, ["true"], retry=False)
    register(aws, definition, {
        "image": TEST_IMAGE, "command": ["sh", "-c", CONTAINER_CHECK],
        "resourceRequirements": [{"type": "VCPU", "value": "2"},
                                 {"type": "MEMORY", "value": "1024"}]})
    job_id = submit(aws, queue, definition)
    done = helpers.wait_for_status(job_id, ("SUCCEEDED", "FAILED"), timeout=60)
    assert done["status"] == "SUCCEEDED", done.get("statusReason")
    lines = helpers.log_lines(done["container"]["logStreamName"])
    assert lines[0] == "Address: 169.254.169.250", lines
    assert lines[1:5] == ["-----BEGIN CERTIFICATE-----", "-----BEGIN CERTIFICATE-----", "bundle",
                          "no authority key"], lines
    # Unsigned: gleaner's S3 answers (busybox wget shows only the status).
    assert "403" in lines[5], lines


# ---- other names, and the machine ----

RESOLVE = """
import socket, sys
print(open('/etc/resolv.conf').read().split('nameserver ')[1].split()[0])
for name in sys.argv[1:] if len(sys.argv) > 1 else ['sts.amazonaws.com', 'batch.us-east-1.amazonaws.com', 'HOST_NAME']:
    try:
        print(name, sorted({a[4][0] for a in socket.getaddrinfo(name, 443, socket.AF_INET)}))
    except OSError as error:
        print(name, 'unresolved', error)
"""


def test_other_names_resolve_as_the_machine_resolves_them_and_the_machine_is_unchanged(
        aws, helpers):
    # A name the machine's own resolver answers (the package archive is reachable here).
    name = "deb.debian.org"
    try:
        machine = sorted({a[4][0] for a in socket.getaddrinfo(name, 443, socket.AF_INET)})
    except OSError:
        pytest.skip(f"this machine cannot resolve {name}")
    resolv_conf = Path("/etc/resolv.conf").read_text()
    before = host_network()
    done, lines = run_python(aws, helpers, RESOLVE.replace("HOST_NAME", name))
    assert done["status"] == "SUCCEEDED", (done.get("statusReason"), lines)
    assert lines == ["169.254.169.253",
                     "sts.amazonaws.com ['169.254.169.250']",
                     "batch.us-east-1.amazonaws.com ['169.254.169.250']",
                     f"{name} {machine}"], lines
    assert host_network() == before
    assert Path("/etc/resolv.conf").read_text() == resolv_conf
    # And on the machine, AWS's names are not gleaner's.
    try:
        outside = {a[4][0] for a in socket.getaddrinfo("sts.amazonaws.com", 443, socket.AF_INET)}
    except OSError:
        outside = set()
    assert "169.254.169.250" not in outside


def test_a_job_that_names_its_own_ca_bundle_keeps_it(aws, helpers):
    done, lines = run_python(
        aws, helpers, "import os; print(os.environ['AWS_CA_BUNDLE'], "
        "os.environ['REQUESTS_CA_BUNDLE'].endswith('/aws-endpoints/ca-bundle.pem'))",
        [("AWS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")])
    assert done["status"] == "SUCCEEDED", (done.get("statusReason"), lines)
    assert lines == ["/etc/ssl/certs/ca-certificates.crt True"]
