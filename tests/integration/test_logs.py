"""Job output through the CloudWatch Logs API (aws logs get-log-events, boto3) and through
`gleaner logs`."""

import re

import pytest
from botocore.exceptions import ClientError

from gleaner_testlib import assert_epoch_millis, client_error

OUTPUT = 'echo "line one"; echo "line two"; echo "to-stderr" >&2; echo "line three"'


@pytest.fixture
def finished(helpers, stack, wait_for_status):
    definition = helpers.register(command=["sh", "-c", OUTPUT])
    job_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"])
    return wait_for_status(job_id, "SUCCEEDED"), definition["jobDefinitionName"]


def test_log_stream_name(finished):
    job, definition_name = finished
    stream = job["container"]["logStreamName"]
    assert re.match(rf"^{re.escape(definition_name)}/default/[A-Za-z0-9:#_-]+$", stream), stream
    assert job["attempts"][0]["container"]["logStreamName"] == stream


def test_get_log_events_cli(aws, helpers, finished):
    job, _ = finished
    stream = job["container"]["logStreamName"]
    helpers.wait_for_log(stream, "line three")
    rc, out, err = aws("logs", "get-log-events", "--log-group-name", "/aws/batch/job",
                       "--log-stream-name", stream, "--start-from-head")
    assert rc == 0, err
    messages = [event["message"].rstrip("\n") for event in out["events"]]
    assert [m for m in messages if m.startswith("line")] == ["line one", "line two", "line three"]
    assert "to-stderr" in messages, "stderr goes to the same stream"
    for event in out["events"]:
        assert_epoch_millis(event["timestamp"], "event timestamp")
        assert job["createdAt"] - 1000 <= event["timestamp"] <= job["stoppedAt"] + 1000
    assert out.get("nextForwardToken") and out.get("nextBackwardToken"), out


def test_get_log_events_boto3(helpers, logs, finished):
    job, _ = finished
    lines = helpers.wait_for_log(job["container"]["logStreamName"], "line three")
    assert [line for line in lines if line.startswith("line")] == [
        "line one", "line two", "line three"]
    assert "to-stderr" in lines


def test_unknown_stream_is_resource_not_found(logs, gleaner):
    with pytest.raises(ClientError) as excinfo:
        logs.get_log_events(logGroupName="/aws/batch/job", logStreamName="nope/default/none")
    status, code, _ = client_error(excinfo)
    assert (status, code) == (400, "ResourceNotFoundException")


def test_many_lines_page_in_order(helpers, stack, wait_for_status):
    definition = helpers.register(command=["sh", "-c", "seq 1 3000"])
    job = wait_for_status(helpers.submit(stack.queue_name, definition["jobDefinitionName"]),
                          "SUCCEEDED")
    stream = job["container"]["logStreamName"]
    helpers.wait_for_log(stream, "3000")
    assert helpers.log_lines(stream) == [str(i) for i in range(1, 3001)]


def test_logs_of_a_running_job(batch, helpers, stack, wait_for_status):
    definition = helpers.register(command=["sh", "-c", "echo started; exec sleep 60"])
    job_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"])
    job = wait_for_status(job_id, "RUNNING")
    assert job["container"].get("logStreamName"), "a RUNNING job already has its stream"
    helpers.wait_for_log(job["container"]["logStreamName"], "started")
    batch.terminate_job(jobId=job_id, reason="seen enough")
    wait_for_status(job_id, "FAILED")


def test_gleaner_logs_command(gleaner, gleaner_cli, finished):
    job, _ = finished
    result = gleaner_cli("logs", job["jobId"], "--endpoint", gleaner.endpoint)
    assert result.returncode == 0, result.stderr
    output = result.stdout.splitlines()
    assert [line for line in output if line.startswith("line")] == [
        "line one", "line two", "line three"], result.stdout
    assert "to-stderr" in result.stdout
    explicit = gleaner_cli("logs", job["jobId"], "--attempt", "1", "--endpoint", gleaner.endpoint)
    assert explicit.returncode == 0, explicit.stderr
    assert explicit.stdout == result.stdout


def test_gleaner_logs_per_attempt(gleaner, gleaner_cli, helpers, stack, wait_for_status):
    definition = helpers.register(command=["sh", "-c", 'echo "attempt=$AWS_BATCH_JOB_ATTEMPT"; '
                                                       'test "$AWS_BATCH_JOB_ATTEMPT" = 2'])
    job_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"],
                            retryStrategy={"attempts": 2})
    job = wait_for_status(job_id, "SUCCEEDED", timeout=45)
    assert len(job["attempts"]) == 2

    first = gleaner_cli("logs", job_id, "--attempt", "1", "--endpoint", gleaner.endpoint)
    second = gleaner_cli("logs", job_id, "--attempt", "2", "--endpoint", gleaner.endpoint)
    latest = gleaner_cli("logs", job_id, "--endpoint", gleaner.endpoint)
    for result in (first, second, latest):
        assert result.returncode == 0, result.stderr
    assert "attempt=1" in first.stdout and "attempt=2" not in first.stdout, first.stdout
    assert "attempt=2" in second.stdout and "attempt=1" not in second.stdout, second.stdout
    assert "attempt=2" in latest.stdout, latest.stdout

    # Each attempt's own stream is readable through the Logs API too.
    streams = [a["container"]["logStreamName"] for a in job["attempts"]]
    assert helpers.wait_for_log(streams[1], "attempt=2")
    if streams[0] != streams[1]:
        assert "attempt=1" in helpers.log_lines(streams[0])


def test_gleaner_logs_unknown_job(gleaner, gleaner_cli):
    result = gleaner_cli("logs", "00000000-0000-4000-8000-000000000000", "--endpoint",
                         gleaner.endpoint)
    assert result.returncode != 0
    assert result.stderr.strip(), "an unknown job should be reported on stderr"


def test_gleaner_logs_follow_waits_for_a_job_that_has_not_started(gleaner, helpers, stack,
                                                                 gleaner_cli):
    first = helpers.register(command=["sh", "-c", "sleep 2"])
    blocker = helpers.submit(stack.queue_name, first["jobDefinitionName"])
    later = helpers.register(command=["sh", "-c", "echo after the blocker"])
    job_id = helpers.submit(stack.queue_name, later["jobDefinitionName"],
                            dependsOn=[{"jobId": blocker}])
    assert helpers.describe(job_id)["status"] == "PENDING"
    result = gleaner_cli("logs", job_id, "--follow", "--endpoint", gleaner.endpoint)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "after the blocker\n"
    assert result.stderr.startswith(f"gleaner logs: waiting: job {job_id} is PENDING")
    assert result.stderr.count("\n") == 1  # said once

    # Without --follow, a job that has not run says so at once.
    waiting = helpers.submit(stack.queue_name, later["jobDefinitionName"],
                             dependsOn=[{"jobId": helpers.submit(stack.queue_name,
                                                                 first["jobDefinitionName"])}])
    result = gleaner_cli("logs", waiting, "--endpoint", gleaner.endpoint)
    assert result.returncode != 0
    assert "is PENDING" in result.stderr and "has no log yet" in result.stderr


def test_gleaner_logs_of_an_array_follows_its_children(gleaner, helpers, stack, gleaner_cli):
    blocker = helpers.submit(stack.queue_name, helpers.register(
        command=["sh", "-c", "sleep 1"])["jobDefinitionName"])
    children = helpers.register(command=["sh", "-c", 'echo "child $AWS_BATCH_JOB_ARRAY_INDEX"; '
                                         'sleep 0.2; echo "bye $AWS_BATCH_JOB_ARRAY_INDEX"'])
    array = helpers.submit(stack.queue_name, children["jobDefinitionName"],
                           arrayProperties={"size": 3}, dependsOn=[{"jobId": blocker}])
    # Followed from before any child started, until the last one has ended.
    result = gleaner_cli("logs", array, "--follow", "--endpoint", gleaner.endpoint)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert sorted(lines) == sorted(f"[{i}] {word} {i}" for i in range(3)
                                   for word in ("child", "bye"))
    for i in range(3):  # each child's lines in their order
        assert lines.index(f"[{i}] child {i}") < lines.index(f"[{i}] bye {i}")
    helpers.wait_for_status(array, "SUCCEEDED")
    # Once ended, the same lines without --follow, child by child.
    result = gleaner_cli("logs", array, "--endpoint", gleaner.endpoint)
    assert result.stdout.splitlines() == [f"[{i}] {word} {i}" for i in range(3)
                                          for word in ("child", "bye")]
