"""Trust (issue 10): hostile bytes never take the server down, nothing a client saw is taken back by
a crash, and one data directory has one server."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import threading
import time

import pytest

import gleaner_testlib
from gleaner_testlib import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, binary_path

TAG_ARN = "arn:aws:batch:us-east-1:123456789012:job/"


def raw_request(port: int, method: str, target: bytes, body: bytes = b"",
                headers: dict | None = None) -> tuple[int, bytes]:
    """Sends exactly these bytes (no client library cleans them up) and reads the answer. A target
    that is ASCII is signed (SigV4) with the test key pair, as botocore would sign it."""
    headers = dict(headers or {})
    host = f"127.0.0.1:{port}"
    if target.isascii():
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        request = AWSRequest(method=method, url=f"http://{host}{target.decode()}", data=body,
                             headers=headers)
        SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "batch", REGION).add_auth(request)
        headers = {name: value for name, value in request.headers.items() if name != "Host"}
    head = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: " + host.encode(),
            b"Connection: close", b"Content-Length: " + str(len(body)).encode()]
    for name, value in headers.items():
        head.append(name.encode() + b": " + value.encode())
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"\r\n".join(head) + b"\r\n\r\n" + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_a_tag_arn_that_is_not_utf8_is_a_client_error(gleaner, method):
    # The review's reproduction: this aborted the server, even an empty one.
    body = b'{"tags":{"a":"b"}}' if method == "POST" else b""
    query = b"?tagKeys=a" if method == "DELETE" else b""
    status, answer = raw_request(gleaner.port, method, b"/v1/tags/" + TAG_ARN.encode() + b"%FF" +
                                 query, body)
    assert status == 400, answer
    assert b'"__type":"ClientException"' in answer
    assert b"UTF-8" in answer
    gleaner.check_alive()
    status, _ = raw_request(gleaner.port, "GET", b"/healthz")
    assert status == 200


def test_an_operation_name_that_is_not_utf8_is_a_client_error(gleaner):
    for target in (b"/v1/describejobs\xff", b"/v1/%FFdescribejobs", b"/v1/describejobs?x=%C0"):
        status, answer = raw_request(gleaner.port, "POST", target, b"{}")
        assert status == 400, (target, answer)
        assert b'"__type":"ClientException"' in answer
    gleaner.check_alive()


def test_a_nul_byte_after_a_valid_body_is_refused(gleaner, batch):
    body = b'{"computeEnvironments":[]}\x00{"ignored":true}'
    status, answer = raw_request(gleaner.port, "POST", b"/v1/describecomputeenvironments", body,
                                 {"Content-Type": "application/json"})
    assert status == 400, answer
    assert b'"__type":"ClientException"' in answer and b"NUL" in answer
    # The other JSON protocols refuse it too.
    status, answer = raw_request(gleaner.port, "POST", b"/", b'{}\x00',
                                 {"X-Amz-Target": "Logs_20140328.GetLogEvents",
                                  "Content-Type": "application/x-amz-json-1.1"})
    assert status == 400, answer
    gleaner.check_alive()


def test_hostile_bytes_everywhere_never_answer_500(gleaner):
    """A small sweep of shapes the review did not name: every one gets a 4xx, the server lives."""
    targets = [b"/v1/tags/%00", b"/v1/tags/" + b"\xc3\x28", b"/v1/submitjob", b"/v1/\xed\xa0\x80",
               b"/gleaner/v1/interrupt", b"/gleaner/v1/events?after=%FF", b"/imds/%FF/latest",
               b"/gleaner/v1/agent/register"]
    bodies = [b"", b"\xff\xfe", b'{"jobName":"\xff"}', b"[]", b"{}\x00", b'{"a":' * 2000]
    for target in targets:
        for body in bodies:
            status, answer = raw_request(gleaner.port, "POST", target, body)
            assert 400 <= status < 500, (target, body[:20], status, answer[:200])
    gleaner.check_alive()


# ---- durability of what clients see (item 2) ----

SLOW_COMMIT = ("--inject-commit-delay-ms", "400")


@pytest.mark.gleaner_args(*SLOW_COMMIT)
def test_a_job_seen_succeeded_is_succeeded_after_kill9(gleaner, batch, helpers, stack):
    job_id = helpers.submit(stack.queue_name, stack.definition_name, name="seen")
    deadline = time.monotonic() + 30
    while batch.describe_jobs(jobs=[job_id])["jobs"][0]["status"] != "SUCCEEDED":
        assert time.monotonic() < deadline, "the job did not succeed"
    gleaner.kill9()  # at once: before this fix the SUCCEEDED commit was often still in flight
    gleaner.start()
    job = batch.describe_jobs(jobs=[job_id])["jobs"][0]
    assert job["status"] == "SUCCEEDED", job
    assert len(job["attempts"]) == 1, job["attempts"]


@pytest.mark.gleaner_args(*SLOW_COMMIT)
def test_a_job_seen_by_list_jobs_exists_after_kill9(gleaner, batch, helpers, stack):
    seen: list[str] = []
    stop = threading.Event()

    def watch():
        while not stop.is_set() and not seen:
            for status in ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED"):
                jobs = batch.list_jobs(jobQueue=stack.queue_name, jobStatus=status)["jobSummaryList"]
                if jobs:
                    seen.append(jobs[0]["jobId"])
                    return

    watcher = threading.Thread(target=watch)
    watcher.start()
    submitter = threading.Thread(
        target=lambda: helpers.submit(stack.queue_name, stack.definition_name, name="listed"))
    submitter.start()
    watcher.join(timeout=30)
    stop.set()
    assert seen, "ListJobs never showed the job"
    gleaner.kill9()
    submitter.join(timeout=30)
    gleaner.start()
    assert batch.describe_jobs(jobs=seen)["jobs"], f"job {seen[0]} was listed, then lost in a crash"


@pytest.mark.gleaner_args(*SLOW_COMMIT)
def test_a_job_process_starts_only_after_its_start_is_durable(gleaner, batch, helpers, stack):
    """A job that ran must not vanish or run again as a fresh job: kill -9 as soon as its process
    has started, and its attempt must be on record, still running (re-attached)."""
    marker = gleaner.workdir / "ran"
    definition = helpers.register(command=["sh", "-c", f"touch {marker}; exec sleep 60"])
    threading.Thread(target=lambda: helpers.submit(stack.queue_name,
                                                   definition["jobDefinitionName"],
                                                   name="ran")).start()
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.005)
    gleaner.kill9()
    gleaner.start()
    jobs = [job for status in ("RUNNABLE", "STARTING", "RUNNING", "FAILED")
            for job in batch.list_jobs(jobQueue=stack.queue_name,
                                       jobStatus=status)["jobSummaryList"]]
    assert [job["jobName"] for job in jobs] == ["ran"], "a job whose process ran was lost"
    job = batch.describe_jobs(jobs=[jobs[0]["jobId"]])["jobs"][0]
    assert job["status"] == "RUNNING" and not job["attempts"], job


# ---- one server per data directory (item 3) ----

def test_a_second_server_on_the_same_data_directory_is_refused(gleaner):
    second = subprocess.run(
        [str(binary_path()), "up", "--listen", "127.0.0.1:0", "--data-dir", str(gleaner.data_dir),
         "--capacity", "local"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    assert second.returncode != 0
    assert str(gleaner.data_dir) in second.stderr, second.stderr
    assert f"pid {gleaner.proc.pid}" in second.stderr, second.stderr
    assert "listening" not in second.stdout
    gleaner.check_alive()


# What jobs read (mounted into their containers and their mount namespaces, whatever user they
# run as) holds nothing secret: gleaner's CA certificate, the bundle with it, their resolv.conf.
PUBLIC_FILES = {os.path.join("aws-endpoints", name)
                for name in ("ca.pem", "ca-bundle.pem", "resolv.conf")}


def test_the_data_directory_is_private(gleaner, helpers, stack, wait_for_status):
    wait_for_status(helpers.submit(stack.queue_name, stack.definition_name), "SUCCEEDED")
    assert stat.S_IMODE(os.stat(gleaner.data_dir).st_mode) == 0o700
    for directory, _, files in os.walk(gleaner.data_dir):
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700, directory
        for name in files:
            path = os.path.join(directory, name)
            public = os.path.relpath(path, gleaner.data_dir) in PUBLIC_FILES
            assert stat.S_IMODE(os.stat(path).st_mode) == (0o644 if public else 0o600), path


# ---- what finished jobs leave behind follows --job-retention-days (item 6) ----

@pytest.mark.gleaner_args("--job-retention-days", "0.0001")  # 8.64 s
def test_a_purged_jobs_log_goes_with_it(gleaner, batch, helpers, stack, wait_for_status):
    # Each attempt starts in a directory of its own, which goes with the job too.
    definition = helpers.register(command=["sh", "-c", "echo hi; echo kept > scratch.txt"])
    job = wait_for_status(helpers.submit(stack.queue_name, definition["jobDefinitionName"]),
                          "SUCCEEDED")
    log = gleaner.data_dir / "logs" / job["container"]["logStreamName"]
    assert log.read_text() == "hi\n"
    work = gleaner.data_dir / "work" / f"{job['jobId']}.1"
    assert (work / "scratch.txt").read_text() == "kept\n"
    gleaner.stop()
    # The purge runs at the first pass after a start, once the retention is over.
    time.sleep(max(0.0, job["stoppedAt"] / 1000 + 8.64 + 0.5 - time.time()))
    gleaner.start()
    helpers.poll(lambda: not batch.describe_jobs(jobs=[job["jobId"]])["jobs"], 15,
                 "the job to be purged")
    helpers.poll(lambda: not log.exists(), 15, f"{log} to be deleted with its job")
    helpers.poll(lambda: not work.exists(), 15, f"{work} to be deleted with its job")


# ---- who a job runs as (item 9) ----

WHO_AM_I = ["sh", "-c", "echo uid=$(id -u) gid=$(id -g) home=$HOME cwd=$(pwd)"]


@pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs the server to be root")
def test_a_job_runs_as_its_definitions_user(gleaner, helpers, stack, wait_for_status):
    def run_as(user):
        container = {"user": user} if user else None
        definition = helpers.register(command=WHO_AM_I, container=container)
        job = wait_for_status(helpers.submit(stack.queue_name, definition["jobDefinitionName"]),
                              ("SUCCEEDED", "FAILED"))
        return job

    job = run_as("nobody")
    assert job["status"] == "SUCCEEDED", job
    helpers.wait_for_log(job["container"]["logStreamName"],
                         "uid=65534 gid=65534 home=/nonexistent cwd=/")
    job = run_as("4321:4322")
    helpers.wait_for_log(job["container"]["logStreamName"], "uid=4321 gid=4322")
    # Without a user, the job is the server's own user, as the README says.
    job = run_as(None)
    helpers.wait_for_log(job["container"]["logStreamName"], f"uid={os.geteuid()}")
    unknown = run_as("no-such-user-here")
    assert unknown["status"] == "FAILED"
    assert unknown["statusReason"] == ("CannotStartContainerError: unable to find user "
                                       "no-such-user-here: no matching entries in passwd file"), \
        unknown


def test_stopping_says_what_happens_to_running_jobs(gleaner, helpers, stack, wait_for_status):
    release = gleaner.workdir / "release-sleeper"
    sleeper = helpers.register(command=[
        "sh", "-c", f"echo $$ > {gleaner.pid_dir}/sleeper.pid; "
                    f"while [ ! -e {release} ]; do sleep 0.05; done"])
    job_id = helpers.submit(stack.queue_name, sleeper["jobDefinitionName"])
    wait_for_status(job_id, "RUNNING")
    pid = helpers.wait_for_pid("sleeper")
    gleaner.stop()
    said = gleaner.stderr_path.read_text()
    assert "1 attempt(s) running on this machine are left running" in said, said
    assert "re-attaches" in said, said
    assert gleaner_testlib.process_alive(pid)
    gleaner.start()
    assert helpers.describe(job_id)["status"] == "RUNNING"
    release.touch()
    job = wait_for_status(job_id, ("SUCCEEDED", "FAILED"))
    assert job["status"] == "SUCCEEDED" and len(job["attempts"]) == 1, job
