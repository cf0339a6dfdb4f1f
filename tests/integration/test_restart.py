"""Durability: what the server acknowledged survives kill -9, and attempts caught running are
found again: still running (re-attached), or ended by their own exit while no server ran."""

import os
import re
import signal

from gleaner_testlib import TERMINAL, process_alive

LOST = re.compile(r"restart|lost|attempt|server|host|terminated", re.IGNORECASE)


def describe_all(batch, job_ids):
    found = {}
    for start in range(0, len(job_ids), 100):
        for job in batch.describe_jobs(jobs=job_ids[start:start + 100])["jobs"]:
            found[job["jobId"]] = job
    return found


def waiting_command(pid_file, release_file, exit_code: int = 0) -> list[str]:
    """Records its pid, then runs until `release_file` exists and exits `exit_code`."""
    return ["sh", "-c", f"echo $$ > {pid_file}; echo ready; "
                        f"while [ ! -e {release_file} ]; do sleep 0.05; done; exit {exit_code}"]


def test_kill9_keeps_every_acknowledged_job_and_every_running_attempt(
        gleaner, batch, helpers, stack, wait_for_status):
    pids, released = gleaner.pid_dir, gleaner.workdir / "released"
    released.mkdir()
    # Still running after the restart: re-attached, and its own exit decides.
    runner_def = helpers.register(command=waiting_command(pids / "runner.pid",
                                                          released / "runner"))
    runner = helpers.submit(stack.queue_name, runner_def["jobDefinitionName"], name="runner")
    # Ends with exit code 3 while the server is down: that exit is recorded, nothing is retried.
    ender_def = helpers.register(command=waiting_command(pids / "ender.pid", released / "ender", 3))
    ender = helpers.submit(stack.queue_name, ender_def["jobDefinitionName"], name="ender",
                           retryStrategy={"attempts": 1})
    # Killed (SIGKILL to its process group) while the server is down: its retry strategy decides.
    killed_def = helpers.register(command=[
        "sh", "-c", f'echo $$ > {pids}/killed-$AWS_BATCH_JOB_ATTEMPT.pid; '
                    f'if [ "$AWS_BATCH_JOB_ATTEMPT" = 1 ]; then exec sleep 60; fi'])
    killed = helpers.submit(stack.queue_name, killed_def["jobDefinitionName"], name="killed",
                            retryStrategy={"attempts": 2})
    done = helpers.submit(stack.queue_name, stack.definition_name, name="done-before")
    for job_id in (runner, ender, killed):
        wait_for_status(job_id, "RUNNING")
    wait_for_status(done, "SUCCEEDED")
    runner_pid = helpers.wait_for_pid("runner")
    ender_pid = helpers.wait_for_pid("ender")
    killed_pid = helpers.wait_for_pid("killed-1")
    done_before = helpers.describe(done)

    # A burst of submissions, then kill -9 right after the last acknowledgement.
    burst = [helpers.submit(stack.queue_name, stack.definition_name, name=f"burst-{i}")
             for i in range(25)]
    gleaner.kill9()
    (released / "ender").touch()
    helpers.poll(lambda: not process_alive(ender_pid), 15, "the ender to exit")
    os.killpg(os.getpgid(killed_pid), signal.SIGKILL)
    helpers.poll(lambda: not process_alive(killed_pid), 15, "the killed attempt to die")
    gleaner.start()

    everything = [runner, ender, killed, done, *burst]
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

    # The runner's attempt runs on, the same process, and ends by its own exit.
    assert found[runner]["status"] == "RUNNING", found[runner]
    assert process_alive(runner_pid), "the runner's process is left running"
    (released / "runner").touch()
    runner_job = wait_for_status(runner, "SUCCEEDED", timeout=30)
    assert len(runner_job["attempts"]) == 1, runner_job["attempts"]
    assert runner_job["attempts"][0]["container"]["exitCode"] == 0

    # The ender's exit, made while no server ran, is its attempt's.
    ender_job = wait_for_status(ender, "FAILED", timeout=30)
    assert [a["container"].get("exitCode") for a in ender_job["attempts"]] == [3], ender_job

    # The killed attempt counts as killed by SIGKILL; the retry succeeds.
    killed_job = wait_for_status(killed, "SUCCEEDED", timeout=30)
    first = killed_job["attempts"][0]
    assert len(killed_job["attempts"]) == 2, killed_job["attempts"]
    assert first["container"].get("exitCode") == 137, first
    assert first["container"].get("reason") == "Container killed by signal 9", first

    # Every burst job ends (SUCCEEDED, or FAILED with a reason if it was caught starting).
    for job_id in burst:
        job = wait_for_status(job_id, TERMINAL, timeout=30)
        if job["status"] == "FAILED":
            assert LOST.search(job.get("statusReason", "")), job

    # Every attempt's shim files go once its end is durable; only the marks of attempts given up
    # before their shim started stay, until the next start.
    def only_given_up_marks():
        return all(path.read_text() == "given-up\n"
                   for path in (gleaner.data_dir / "attempts").iterdir())
    helpers.poll(only_given_up_marks, 15, "the attempts directory to hold no attempt's files")
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
    # The blocker runs on (re-attached) and holds its vCPUs until it ends; then the queue runs.
    assert helpers.describe(blocker)["status"] == "RUNNING"
    for job_id in queued:
        assert helpers.describe(job_id)["status"] == "RUNNABLE"
    batch.terminate_job(jobId=blocker, reason="make room")
    assert wait_for_status(blocker, "FAILED", timeout=30)["statusReason"] == "make room"
    for job_id in queued:
        job = wait_for_status(job_id, "SUCCEEDED", timeout=30)
        assert len(job["attempts"]) == 1


def test_sigint_exits_cleanly_and_restarts(gleaner, batch, helpers, stack, wait_for_status):
    job_id = helpers.submit(stack.queue_name, stack.definition_name)
    wait_for_status(job_id, "SUCCEEDED")
    assert gleaner.interrupt() == 0, gleaner.stderr_tail()
    gleaner.start()
    assert helpers.describe(job_id)["status"] == "SUCCEEDED"
