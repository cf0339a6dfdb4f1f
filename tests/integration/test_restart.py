"""Durability: what the server acknowledged survives kill -9, and jobs caught RUNNING end FAILED or
are retried by their strategy."""

import re

from gleaner_testlib import TERMINAL, process_alive

LOST = re.compile(r"restart|lost|attempt|server|host|terminated", re.IGNORECASE)


def describe_all(batch, job_ids):
    found = {}
    for start in range(0, len(job_ids), 100):
        for job in batch.describe_jobs(jobs=job_ids[start:start + 100])["jobs"]:
            found[job["jobId"]] = job
    return found


def test_kill9_keeps_every_acknowledged_job(gleaner, batch, helpers, stack, wait_for_status):
    sleeper_def = helpers.register(command=helpers.pid_command("sleeper"))
    sleeper = helpers.submit(stack.queue_name, sleeper_def["jobDefinitionName"], name="sleeper")

    pidfile = gleaner.pid_dir / "retried-$AWS_BATCH_JOB_ATTEMPT.pid"
    retried_def = helpers.register(command=[
        "sh", "-c", f'echo $$ > {pidfile}; echo "attempt=$AWS_BATCH_JOB_ATTEMPT"; '
                    f'if [ "$AWS_BATCH_JOB_ATTEMPT" = 1 ]; then exec sleep 60; fi'])
    retried = helpers.submit(stack.queue_name, retried_def["jobDefinitionName"], name="retried",
                             retryStrategy={"attempts": 2})
    done = helpers.submit(stack.queue_name, stack.definition_name, name="done-before")
    wait_for_status(sleeper, "RUNNING")
    wait_for_status(retried, "RUNNING")
    wait_for_status(done, "SUCCEEDED")
    sleeper_pid = helpers.wait_for_pid("sleeper")
    retried_pid = helpers.wait_for_pid("retried-1")
    done_before = helpers.describe(done)

    # A burst of submissions, then kill -9 right after the last acknowledgement.
    burst = [helpers.submit(stack.queue_name, stack.definition_name, name=f"burst-{i}")
             for i in range(25)]
    gleaner.kill9()
    gleaner.start()

    everything = [sleeper, retried, done, *burst]
    found = describe_all(batch, everything)
    missing = [job_id for job_id in everything if job_id not in found]
    assert not missing, f"jobs acknowledged before kill -9 are gone after restart: {missing}"
    for job_id in burst:
        assert found[job_id]["jobName"].startswith("burst-")
        assert found[job_id]["jobQueue"] == stack.queue_arn

    # The finished job is exactly as it was.
    after = found[done]
    for key in ("status", "createdAt", "startedAt", "stoppedAt", "jobName", "jobDefinition"):
        assert after[key] == done_before[key], key

    # The plain sleeper was RUNNING when the server died: its attempt is lost and it fails.
    sleeper_job = wait_for_status(sleeper, "FAILED", timeout=30)
    assert LOST.search(sleeper_job.get("statusReason", "")), sleeper_job.get("statusReason")
    helpers.poll(lambda: not process_alive(sleeper_pid), 15,
                 f"the orphaned attempt (pid {sleeper_pid}) to be killed after restart")

    # The retried job gets its second attempt, which succeeds; the first one is recorded.
    retried_job = wait_for_status(retried, "SUCCEEDED", timeout=30)
    assert len(retried_job["attempts"]) == 2, retried_job["attempts"]
    assert LOST.search(retried_job["attempts"][0].get("statusReason", "")), retried_job["attempts"]
    helpers.poll(lambda: not process_alive(retried_pid), 15,
                 f"the orphaned first attempt (pid {retried_pid}) to be killed")

    # Every burst job ends (SUCCEEDED, or FAILED with a reason if it was caught running).
    for job_id in burst:
        job = wait_for_status(job_id, TERMINAL, timeout=30)
        if job["status"] == "FAILED":
            assert job.get("statusReason"), job

    # The restarted server keeps working and keeps the resources.
    assert batch.describe_compute_environments(computeEnvironments=[stack.ce_name])[
        "computeEnvironments"][0]["status"] == "VALID"
    assert wait_for_status(helpers.submit(stack.queue_name, stack.definition_name),
                           "SUCCEEDED")["status"] == "SUCCEEDED"


def test_graceful_restart_keeps_everything(gleaner, batch, helpers, stack, wait_for_status):
    tagged = helpers.register("jd-restart", command=["sh", "-c", "echo kept"],
                              tags={"keep": "yes"})
    helpers.register("jd-restart", command=["sh", "-c", "echo second"])
    batch.deregister_job_definition(jobDefinition="jd-restart:2")
    job_id = helpers.submit(stack.queue_name, "jd-restart", tags={"owner": "test"})
    before = wait_for_status(job_id, "SUCCEEDED")
    stream = before["container"]["logStreamName"]
    helpers.wait_for_log(stream, "kept")

    gleaner.restart()

    after = helpers.describe(job_id)
    for key in ("status", "createdAt", "startedAt", "stoppedAt", "attempts", "jobDefinition",
                "tags", "container"):
        assert after.get(key) == before.get(key), key
    definitions = {d["revision"]: d for d in batch.describe_job_definitions(
        jobDefinitionName="jd-restart")["jobDefinitions"]}
    assert definitions[1]["status"] == "ACTIVE"
    assert definitions[2]["status"] == "INACTIVE"
    assert batch.list_tags_for_resource(
        resourceArn=tagged["jobDefinitionArn"])["tags"] == {"keep": "yes"}
    queue = batch.describe_job_queues(jobQueues=[stack.queue_name])["jobQueues"][0]
    assert queue["computeEnvironmentOrder"][0]["computeEnvironment"] == stack.ce_arn
    assert "kept" in helpers.log_lines(stream), "logs survive a restart"
    # Revision numbering continues after the restart.
    assert helpers.register("jd-restart", command=["true"])["revision"] == 3


def test_kill9_with_queued_jobs_runs_them_after_restart(gleaner, batch, helpers,
                                                        wait_for_status):
    """Jobs waiting for capacity when the server dies still run afterwards."""
    stack = helpers.stack()
    blocker_def = helpers.register(command=helpers.pid_command("blocker"),
                                   container={"resourceRequirements": [
                                       {"type": "VCPU", "value": "8"},
                                       {"type": "MEMORY", "value": "64"}]})
    blocker = helpers.submit(stack.queue_name, blocker_def["jobDefinitionName"])
    wait_for_status(blocker, "RUNNING")
    queued = [helpers.submit(stack.queue_name, stack.definition_name) for _ in range(3)]
    for job_id in queued:
        wait_for_status(job_id, "RUNNABLE")
    gleaner.kill9()
    gleaner.start()
    assert wait_for_status(blocker, "FAILED", timeout=30)["status"] == "FAILED"
    for job_id in queued:
        job = wait_for_status(job_id, "SUCCEEDED", timeout=30)
        assert len(job["attempts"]) == 1


def test_sigint_exits_cleanly_and_restarts(gleaner, batch, helpers, stack, wait_for_status):
    job_id = helpers.submit(stack.queue_name, stack.definition_name)
    wait_for_status(job_id, "SUCCEEDED")
    assert gleaner.interrupt() == 0, gleaner.stderr_tail()
    gleaner.start()
    assert helpers.describe(job_id)["status"] == "SUCCEEDED"
