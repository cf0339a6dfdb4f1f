"""timeout.attemptDurationSeconds on real processes: SIGTERM to the attempt's process group when the
time is up (SIGKILL after the grace period), reason "Job attempt duration exceeded timeout", not
retried.

The smallest timeout AWS accepts is 60 s, so the jobs here take a minute; both run at once."""

import time

import pytest

from gleaner_testlib import process_alive

TIMED_OUT = "Job attempt duration exceeded timeout"
GRACE = 2  # --stop-grace-seconds: SIGKILL would come this long after SIGTERM
TIMEOUT = 60


@pytest.mark.gleaner_args("--stop-grace-seconds", str(GRACE))
def test_attempt_duration_exceeded(batch, helpers, stack, gleaner, wait_for_status):
    pid_dir = gleaner.pid_dir
    # Traps nothing: SIGTERM ends it (sh and its sleep are one process group).
    plain = helpers.register(command=["sh", "-c", f"echo $$ > {pid_dir}/plain.pid; sleep 600"],
                             timeout={"attemptDurationSeconds": TIMEOUT},
                             retryStrategy={"attempts": 2})
    # Traps TERM, says so and exits 0: proof that SIGTERM (not SIGKILL) came first. Exiting 0
    # after a timeout is still a failure.
    trapping = helpers.register(command=[
        "sh", "-c", f"echo $$ > {pid_dir}/trapping.pid; "
                    "trap 'echo got-sigterm; exit 0' TERM; echo ready; sleep 600 & wait $!"])
    plain_id = helpers.submit(stack.queue_name, plain["jobDefinitionName"], name="plain")
    # The timeout given at submission (overriding none on the definition).
    trapping_id = helpers.submit(stack.queue_name, trapping["jobDefinitionName"], name="trapping",
                                 timeout={"attemptDurationSeconds": TIMEOUT},
                                 retryStrategy={"attempts": 3})
    plain_running = wait_for_status(plain_id, "RUNNING")
    trapping_running = wait_for_status(trapping_id, "RUNNING")
    helpers.wait_for_log(trapping_running["container"]["logStreamName"], "ready")
    pids = {tag: helpers.wait_for_pid(tag) for tag in ("plain", "trapping")}
    watch_started = time.monotonic()

    # Still running just before the deadline.
    remaining = plain_running["startedAt"] / 1000 + TIMEOUT - 3 - time.time()
    if remaining > 0:
        time.sleep(remaining)
        assert helpers.describe(plain_id)["status"] == "RUNNING"
        assert helpers.describe(trapping_id)["status"] == "RUNNING"

    plain_job = wait_for_status(plain_id, "FAILED", timeout=TIMEOUT + 15)
    trapping_job = wait_for_status(trapping_id, "FAILED", timeout=TIMEOUT + 15)
    assert time.monotonic() - watch_started <= TIMEOUT + 5

    for job in (plain_job, trapping_job):
        assert job["statusReason"] == TIMED_OUT, job["statusReason"]
        assert len(job["attempts"]) == 1, "a timed-out attempt is not retried"
        attempt = job["attempts"][0]
        assert attempt["statusReason"] == TIMED_OUT
        took = attempt["stoppedAt"] - attempt["startedAt"]
        assert TIMEOUT * 1000 <= took <= (TIMEOUT + 2) * 1000, (
            f"{job['jobName']}: the attempt lasted {took} ms; the timeout is {TIMEOUT} s")
        assert job["stoppedAt"] - job["startedAt"] <= (TIMEOUT + 2) * 1000

    # The plain job died of SIGTERM (128 + 15), not of the SIGKILL that would follow.
    assert plain_job["container"]["exitCode"] == 143, plain_job["container"]
    assert plain_job["timeout"] == {"attemptDurationSeconds": TIMEOUT}
    # The trapping job saw SIGTERM and left by itself.
    assert trapping_job["container"]["exitCode"] == 0, trapping_job["container"]
    assert trapping_job["timeout"] == {"attemptDurationSeconds": TIMEOUT}
    lines = helpers.wait_for_log(trapping_job["container"]["logStreamName"], "got-sigterm")
    assert "got-sigterm" in lines
    for tag, pid in pids.items():
        assert not process_alive(pid), f"the {tag} job's process {pid} outlived its timeout"
