"""`gleaner jobs` and `gleaner queues`: tables a user reads, JSON a script reads, and one clear
line when the server cannot be reached or refuses the credentials."""

import json
import subprocess

import pytest

from gleaner_testlib import SIMSPOT_ARGS, client_env
from test_spot import interrupt_running_spot_job


def rows(output: str) -> list[list[str]]:
    """The table's rows split on runs of two or more spaces (cells hold single spaces)."""
    import re
    return [re.split(r"\s{2,}", line.strip()) for line in output.strip().splitlines()]


def test_jobs_and_queues_as_tables_and_json(gleaner, helpers, stack, gleaner_cli):
    done = helpers.submit(stack.queue_name, stack.definition_name, name="nightly-done")
    failing = helpers.register(command=["sh", "-c", "echo boom; exit 3"])
    failed = helpers.submit(stack.queue_name, failing["jobDefinitionName"], name="nightly-fail")
    array = helpers.submit(stack.queue_name, stack.definition_name, name="render-frames",
                           arrayProperties={"size": 3})
    too_big = helpers.register(container={"resourceRequirements": [
        {"type": "VCPU", "value": "64"}, {"type": "MEMORY", "value": "512"}]})
    waiting = helpers.submit(stack.queue_name, too_big["jobDefinitionName"], name="waits")
    for job_id in (done, array):
        helpers.wait_for_status(job_id, "SUCCEEDED")
    helpers.wait_for_status(failed, "FAILED")
    helpers.wait_for_status(waiting, "RUNNABLE")

    result = gleaner_cli("jobs", "--endpoint", gleaner.endpoint)
    assert result.returncode == 0, result.stderr
    assert "\033[" not in result.stdout  # no colour when stdout is not a terminal
    table = rows(result.stdout)
    assert table[0] == ["JOB ID", "NAME", "QUEUE", "STATUS", "ATTEMPT", "AGE", "REASON"]
    by_id = {row[0]: row for row in table[1:]}
    assert set(by_id) == {done, failed, array, waiting}  # array children are not listed
    assert by_id[done][1:5] == ["nightly-done", stack.queue_name, "SUCCEEDED", "1"]
    assert by_id[array][1] == "render-frames [array 3: 3 SUCCEEDED]"
    assert by_id[failed][3] == "FAILED"
    assert by_id[waiting][3:5] == ["RUNNABLE", "-"]

    result = gleaner_cli("jobs", "--status", "FAILED", "--status", "RUNNABLE", "--name",
                         "nightly-*", "--endpoint", gleaner.endpoint)
    assert [row[0] for row in rows(result.stdout)[1:]] == [failed]

    result = gleaner_cli("jobs", "--array-job-id", array, "--output", "json",
                         "--endpoint", gleaner.endpoint)
    assert result.returncode == 0, result.stderr
    children = json.loads(result.stdout)["jobs"]
    assert sorted(job["jobId"] for job in children) == [f"{array}:{i}" for i in range(3)]

    result = gleaner_cli("queues", "--endpoint", gleaner.endpoint)
    assert result.returncode == 0, result.stderr
    table = rows(result.stdout)
    assert table[0] == ["QUEUE", "STATE", "PRIORITY", "SUBMITTED", "PENDING", "RUNNABLE",
                        "STARTING", "RUNNING", "SUCCEEDED", "FAILED", "VCPUS", "OLDEST WAITING"]
    queue_row = next(row for row in table[1:] if row[0] == stack.queue_name)
    # SUCCEEDED counts the array's children and the array itself, as the queue holds them.
    assert queue_row[1] == "ENABLED/VALID"
    assert queue_row[5] == "1" and queue_row[10] == "0"
    assert queue_row[9] == "1" and int(queue_row[8]) >= 2
    assert queue_row[11].endswith("(waits)")
    summary = json.loads(gleaner_cli("queues", "--output", "json", "--endpoint",
                                     gleaner.endpoint).stdout)
    queue = next(q for q in summary["queues"] if q["jobQueueName"] == stack.queue_name)
    assert queue["jobCounts"]["RUNNABLE"] == 1
    assert queue["oldestRunnable"]["jobId"] == waiting


def test_client_errors_are_one_clear_line(gleaner, gleaner_cli):
    result = gleaner_cli("jobs", "--endpoint", "http://127.0.0.1:1")
    assert result.returncode != 0
    assert result.stderr.startswith("gleaner jobs: cannot reach gleaner at http://127.0.0.1:1: ")
    assert result.stderr.count("\n") == 1

    environment = client_env(gleaner.workdir / "home")
    environment["AWS_SECRET_ACCESS_KEY"] = "not-the-secret"
    result = subprocess.run([str(gleaner.binary), "queues", "--endpoint", gleaner.endpoint],
                            capture_output=True, text=True, timeout=30, env=environment,
                            stdin=subprocess.DEVNULL)
    assert result.returncode != 0
    assert result.stderr.startswith("gleaner queues: ")
    assert "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in result.stderr
    assert result.stderr.count("\n") == 1

    result = gleaner_cli("jobs", "--status", "DONE", "--endpoint", gleaner.endpoint)
    assert result.returncode != 0 and "--status DONE is not a job status" in result.stderr


@pytest.mark.gleaner_args(*SIMSPOT_ARGS)
def test_instances_with_their_jobs_and_interruption_state(gleaner, aws, helpers, gleaner_cli):
    spot, _, job_id, instance = interrupt_running_spot_job(aws, helpers, gleaner_cli,
                                                           notice="60s", retry=False)
    result = gleaner_cli("instances", "--endpoint", gleaner.endpoint)
    assert result.returncode == 0, result.stderr
    table = rows(result.stdout)
    assert table[0] == ["INSTANCE ID", "COMPUTE ENVIRONMENT", "TYPE", "ZONE", "LIFECYCLE",
                        "STATE", "$/HOUR", "AGE", "JOBS", "INTERRUPTION"]
    row = next(r for r in table[1:] if r[0] == instance)
    assert row[1] == spot and row[4] == "spot" and row[5] == "running"
    assert float(row[6]) > 0 and row[8] == "1"
    assert row[9].startswith("notice, reclaimed in ")
    listed = json.loads(gleaner_cli("instances", "--output", "json", "--endpoint",
                                    gleaner.endpoint).stdout)["instances"]
    described = next(i for i in listed if i["instanceId"] == instance)
    assert described["terminatesAt"] > described["interruptionNoticeAt"] > described["launchedAt"]


def test_describe_shows_why_a_job_waits_and_its_attempts(gleaner, helpers, stack, gleaner_cli):
    flaky = helpers.register(command=["sh", "-c", 'test "$AWS_BATCH_JOB_ATTEMPT" = 2 || exit 7'],
                             retryStrategy={"attempts": 2})
    retried = helpers.submit(stack.queue_name, flaky["jobDefinitionName"], name="flaky")
    helpers.wait_for_status(retried, "SUCCEEDED")
    result = gleaner_cli("describe", retried, "--endpoint", gleaner.endpoint)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"Job         flaky ({retried})"
    assert "Status      SUCCEEDED" in lines
    attempts = rows("\n".join(lines[lines.index("Attempts") + 1:]))
    assert attempts[0] == ["#", "INSTANCE", "STARTED", "STOPPED", "RAN", "EXIT", "REASON"]
    assert [row[0] for row in attempts[1:]] == ["1", "2"]
    assert attempts[1][5] == "7" and attempts[2][5] == "0"

    too_big = helpers.register(container={"resourceRequirements": [
        {"type": "VCPU", "value": "64"}, {"type": "MEMORY", "value": "512"}]})
    waiting = helpers.submit(stack.queue_name, too_big["jobDefinitionName"])
    reason = helpers.wait_for_status(waiting, "RUNNABLE")["statusReason"]
    assert reason
    result = gleaner_cli("describe", waiting, "--endpoint", gleaner.endpoint)
    assert f"Status      RUNNABLE: {reason}" in result.stdout.splitlines()
    assert "Attempts    none" in result.stdout.splitlines()


def test_watch_follows_jobs_to_their_end_and_exits_with_their_status(gleaner, helpers, stack,
                                                                    gleaner_cli):
    array = helpers.submit(stack.queue_name, stack.definition_name, arrayProperties={"size": 4})
    result = gleaner_cli("watch", array, "--interval-ms", "100", "--endpoint", gleaner.endpoint)
    assert result.returncode == 0, result.stderr
    last = result.stdout.splitlines()[-1]
    assert f"({array}) SUCCEEDED [{'#' * 30}] 4/4 done (4 SUCCEEDED)" in last

    failing = helpers.register(command=["sh", "-c", "sleep 1; exit 3"])
    failed = helpers.submit(stack.queue_name, failing["jobDefinitionName"], name="fails")
    result = gleaner_cli("watch", failed, "--interval-ms", "100", "--endpoint", gleaner.endpoint)
    assert result.returncode == 3
    told = [line.split("  ", 1)[1] for line in result.stdout.splitlines()]
    assert told[-1].startswith(f"fails ({failed}) FAILED")
    assert any(f"({failed}) RUNNING" in line for line in told)

    result = gleaner_cli("watch", "no-such-job", "--endpoint", gleaner.endpoint)
    assert result.returncode == 1
    assert result.stderr == "gleaner watch: job no-such-job does not exist\n"


def test_jobs_shows_the_newest_few_and_says_more_match(gleaner, helpers, stack, gleaner_cli):
    ids = [helpers.submit(stack.queue_name, stack.definition_name, name=f"batch-{i}")
           for i in range(3)]
    for job_id in ids:
        helpers.wait_for_status(job_id, "SUCCEEDED")
    result = gleaner_cli("jobs", "--max-items", "2", "--name", "batch-*", "--endpoint",
                         gleaner.endpoint)
    assert result.returncode == 0, result.stderr
    assert [row[0] for row in rows(result.stdout)[1:]] == ids[1:]  # the newest two, oldest first
    assert "the newest 2 matching jobs; more match" in result.stderr
    # --name is a glob on the whole name, even though the listing it reads matches by "contains".
    result = gleaner_cli("jobs", "--name", "batch", "--endpoint", gleaner.endpoint)
    assert rows(result.stdout)[1:] == [] and result.stderr == ""


def test_watch_a_queue_until_its_jobs_are_done(gleaner, helpers, stack, gleaner_cli):
    # It fails well after the watch has begun (the command starts in milliseconds).
    failing = helpers.register(command=["sh", "-c", "sleep 2; exit 3"])["jobDefinitionName"]
    for _ in range(3):
        helpers.submit(stack.queue_name, stack.definition_name)
    helpers.submit(stack.queue_name, failing)
    result = gleaner_cli("watch", "--queue", stack.queue_name, "--interval-ms", "100",
                         "--endpoint", gleaner.endpoint)
    assert result.returncode == 1, result.stdout + result.stderr  # one job failed meanwhile
    last = result.stdout.splitlines()[-1].split("  ", 1)[1]
    assert last.startswith(f"{stack.queue_name} [{'#' * 30}] ")
    assert last.endswith(" done since the watch began: 1 FAILED 3 SUCCEEDED"), last

    result = gleaner_cli("watch", "--queue", stack.queue_name, "--endpoint", gleaner.endpoint)
    assert result.returncode == 0, result.stderr  # nothing unfinished, nothing failed since
    result = gleaner_cli("watch", "--endpoint", gleaner.endpoint)
    assert result.returncode == 1 and "give job ids or --queue" in result.stderr
