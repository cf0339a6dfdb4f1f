"""TerminateJob and CancelJob on real processes."""

import time

import pytest

from gleaner_testlib import process_alive

GRACE = 2  # --stop-grace-seconds for the stubborn job

STUBBORN = ('echo $$ > {pidfile}; trap "echo got-sigterm" TERM; echo ready; '
            'while true; do sleep 0.2; done')


@pytest.mark.gleaner_args("--stop-grace-seconds", str(GRACE))
def test_terminate_ignoring_sigterm_is_killed_after_grace(gleaner, batch, helpers, stack,
                                                          wait_for_status):
    pidfile = gleaner.pid_dir / "stubborn.pid"
    definition = helpers.register(command=["sh", "-c", STUBBORN.format(pidfile=pidfile)])
    job_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"],
                            retryStrategy={"attempts": 3})  # terminated attempts are not retried
    job = wait_for_status(job_id, "RUNNING")
    helpers.wait_for_log(job["container"]["logStreamName"], "ready")  # the trap is in place
    pid = helpers.wait_for_pid("stubborn")

    started = time.monotonic()
    batch.terminate_job(jobId=job_id, reason="Stopped by the test")
    job = wait_for_status(job_id, "FAILED", timeout=GRACE + 20)
    elapsed = time.monotonic() - started

    assert elapsed >= GRACE - 0.5, (
        f"the job ignored SIGTERM, so it can only end by SIGKILL after {GRACE}s, "
        f"but it ended after {elapsed:.1f}s")
    assert job["statusReason"] == "Stopped by the test"
    assert len(job["attempts"]) == 1, "a terminated job is not retried"
    assert job["container"].get("exitCode") in (None, 137), job["container"]
    lines = helpers.wait_for_log(job["container"]["logStreamName"], "got-sigterm")
    assert "got-sigterm" in lines, "the job should have received SIGTERM before SIGKILL"
    assert not process_alive(pid), f"the job's process {pid} survived TerminateJob"


@pytest.mark.gleaner_args("--stop-grace-seconds", "30")
def test_terminate_sends_sigterm_first(batch, helpers, stack, wait_for_status):
    """A job that exits on SIGTERM ends long before the 30 s grace."""
    definition = helpers.register(command=helpers.pid_command("polite"))
    job_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"])
    wait_for_status(job_id, "RUNNING")
    pid = helpers.wait_for_pid("polite")
    started = time.monotonic()
    batch.terminate_job(jobId=job_id, reason="polite stop")
    job = wait_for_status(job_id, "FAILED", timeout=20)
    assert time.monotonic() - started < 15, "SIGTERM should have ended `sleep` at once"
    assert job["statusReason"] == "polite stop"
    assert not process_alive(pid)


@pytest.mark.gleaner_args("--vcpus", "1", "--memory", "1024")
def test_cancel_runnable_but_not_running(batch, helpers, stack, wait_for_status):
    occupier_def = helpers.register(command=helpers.pid_command("occupier"))
    occupier = helpers.submit(stack.queue_name, occupier_def["jobDefinitionName"], name="occupier")
    wait_for_status(occupier, "RUNNING")
    helpers.wait_for_pid("occupier")

    waiting = helpers.submit(stack.queue_name, stack.definition_name, name="waiting")
    wait_for_status(waiting, "RUNNABLE")  # the only vCPU is taken

    # Cancel the RUNNING job first: no effect. The scheduler handles requests in order, so once
    # the second cancel has landed, the first one has been dealt with too.
    batch.cancel_job(jobId=occupier, reason="cancel has no effect on RUNNING")
    batch.cancel_job(jobId=waiting, reason="no longer needed")
    cancelled = wait_for_status(waiting, "FAILED")
    assert cancelled["statusReason"] == "no longer needed"
    assert not cancelled.get("attempts"), "a cancelled RUNNABLE job never ran"
    assert "startedAt" not in cancelled or not cancelled["startedAt"]
    assert helpers.describe(occupier)["status"] == "RUNNING"

    # Terminate frees the vCPU; the next job runs.
    batch.terminate_job(jobId=occupier, reason="make room")
    assert wait_for_status(occupier, "FAILED")["statusReason"] == "make room"
    follower = helpers.submit(stack.queue_name, stack.definition_name, name="follower")
    wait_for_status(follower, "SUCCEEDED")
    # The cancelled job stays cancelled.
    assert helpers.describe(waiting)["status"] == "FAILED"


@pytest.mark.gleaner_args("--vcpus", "1", "--memory", "1024")
def test_terminate_runnable(batch, helpers, stack, wait_for_status):
    occupier_def = helpers.register(command=helpers.pid_command("occupier2"))
    occupier = helpers.submit(stack.queue_name, occupier_def["jobDefinitionName"])
    wait_for_status(occupier, "RUNNING")
    waiting = helpers.submit(stack.queue_name, stack.definition_name)
    wait_for_status(waiting, "RUNNABLE")
    batch.terminate_job(jobId=waiting, reason="terminated while waiting")
    job = wait_for_status(waiting, "FAILED")
    assert job["statusReason"] == "terminated while waiting"
    batch.terminate_job(jobId=occupier, reason="done")
    wait_for_status(occupier, "FAILED")


def test_cancel_and_terminate_finished_job_change_nothing(batch, helpers, stack,
                                                          wait_for_status):
    job_id = helpers.submit(stack.queue_name, stack.definition_name)
    before = wait_for_status(job_id, "SUCCEEDED")
    batch.cancel_job(jobId=job_id, reason="too late")
    batch.terminate_job(jobId=job_id, reason="too late")
    after = helpers.describe(job_id)
    assert after["status"] == "SUCCEEDED"
    assert after["stoppedAt"] == before["stoppedAt"]
    assert after.get("statusReason") == before.get("statusReason")


def test_cli_terminate(aws, helpers, stack, wait_for_status):
    definition = helpers.register(command=helpers.pid_command("cli"))
    job_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"])
    wait_for_status(job_id, "RUNNING")
    rc, out, err = aws("batch", "terminate-job", "--job-id", job_id, "--reason", "from the CLI")
    assert rc == 0, err
    assert out in ("", {}), out
    assert wait_for_status(job_id, "FAILED")["statusReason"] == "from the CLI"
