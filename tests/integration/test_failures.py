"""Jobs that fail: non-zero exits, commands that cannot start, signals, and the retry strategy."""

import pytest

ESSENTIAL = "Essential container in task exited"


def reasons(job):
    """Everything a user would read to learn why a job failed."""
    parts = [job.get("statusReason", ""), job.get("container", {}).get("reason", "")]
    parts += [a.get("statusReason", "") for a in job.get("attempts", [])]
    parts += [a.get("container", {}).get("reason", "") for a in job.get("attempts", [])]
    return " | ".join(p for p in parts if p)


def test_nonzero_exit_fails_the_job(helpers, stack, wait_for_status):
    definition = helpers.register(command=["sh", "-c", "echo about to fail; exit 3"])
    job = wait_for_status(helpers.submit(stack.queue_name, definition["jobDefinitionName"]),
                          "FAILED")
    assert job["statusReason"] == ESSENTIAL
    assert job["container"]["exitCode"] == 3
    assert len(job["attempts"]) == 1
    attempt = job["attempts"][0]
    assert attempt["container"]["exitCode"] == 3
    assert attempt["statusReason"] == ESSENTIAL
    assert job["createdAt"] <= job["startedAt"] <= job["stoppedAt"]


def test_killed_by_signal_reports_128_plus_signal(helpers, stack, wait_for_status):
    definition = helpers.register(command=["sh", "-c", "kill -9 $$"])
    job = wait_for_status(helpers.submit(stack.queue_name, definition["jobDefinitionName"]),
                          "FAILED")
    assert job["container"]["exitCode"] == 137, job["container"]


def test_command_not_found(helpers, stack, wait_for_status):
    missing = "gleaner-no-such-command-7f3a"
    definition = helpers.register(command=[missing, "--flag"])
    job = wait_for_status(helpers.submit(stack.queue_name, definition["jobDefinitionName"]),
                          "FAILED", timeout=30)
    text = reasons(job)
    assert missing in text or "not found" in text.lower() or "no such file" in text.lower(), (
        f"the failure should say the command could not be started, got: {text!r}")
    assert job.get("stoppedAt"), job


def test_not_executable(helpers, stack, wait_for_status, tmp_path):
    script = tmp_path / "not-executable.sh"
    script.write_text("#!/bin/sh\necho never\n")
    script.chmod(0o644)
    definition = helpers.register(command=[str(script)])
    job = wait_for_status(helpers.submit(stack.queue_name, definition["jobDefinitionName"]),
                          "FAILED")
    text = reasons(job)
    assert str(script) in text or "permission" in text.lower(), text


def test_no_command_anywhere(helpers, stack, wait_for_status):
    definition = helpers.register()  # containerProperties without a command, no override either
    job = wait_for_status(helpers.submit(stack.queue_name, definition["jobDefinitionName"]),
                          "FAILED")
    assert "command" in reasons(job).lower(), (
        f"a job with no command should fail saying so, got: {reasons(job)!r}")


def test_override_supplies_missing_command(helpers, stack, wait_for_status):
    definition = helpers.register()
    job_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"],
                            containerOverrides={"command": ["sh", "-c", "exit 0"]})
    job = wait_for_status(job_id, "SUCCEEDED")
    assert job["container"]["command"] == ["sh", "-c", "exit 0"]


def test_retries_until_attempts_exhausted(helpers, stack, wait_for_status):
    definition = helpers.register(command=["sh", "-c", "exit 1"],
                                  retryStrategy={"attempts": 3})
    job = wait_for_status(helpers.submit(stack.queue_name, definition["jobDefinitionName"]),
                          "FAILED", timeout=45)
    assert len(job["attempts"]) == 3, job["attempts"]
    for attempt in job["attempts"]:
        assert attempt["container"]["exitCode"] == 1
        assert attempt["startedAt"] <= attempt["stoppedAt"]
    starts = [a["startedAt"] for a in job["attempts"]]
    assert starts == sorted(starts), "attempts must be oldest first"
    assert job["statusReason"] == ESSENTIAL


def test_retry_then_success(helpers, stack, wait_for_status):
    definition = helpers.register(
        command=["sh", "-c", 'echo "attempt=$AWS_BATCH_JOB_ATTEMPT"; '
                             'test "$AWS_BATCH_JOB_ATTEMPT" -ge 2'])
    job_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"],
                            retryStrategy={"attempts": 3})
    job = wait_for_status(job_id, "SUCCEEDED", timeout=45)
    assert [a["container"]["exitCode"] for a in job["attempts"]] == [1, 0]
    assert job["retryStrategy"]["attempts"] == 3
    assert job["container"]["exitCode"] == 0


@pytest.mark.parametrize("rules, expected_attempts", [
    # EXIT on the exact code stops at once.
    ([{"onExitCode": "42", "action": "EXIT"}], 1),
    # Lower-case action and a trailing '*' prefix match.
    ([{"onExitCode": "4*", "action": "exit"}], 1),
    # First matching rule wins: RETRY before EXIT.
    ([{"onExitCode": "42", "action": "RETRY"}, {"onExitCode": "4*", "action": "EXIT"}], 3),
    # Conditions in a rule are ANDed: the reason does not match, so the rule does not apply and
    # the default (retry) does.
    ([{"onExitCode": "42", "onStatusReason": "Host EC2*", "action": "EXIT"}], 3),
    # Matching on the status reason.
    ([{"onStatusReason": "Essential container*", "action": "EXIT"}], 1),
    # No rule matches (exit code differs): retried.
    ([{"onExitCode": "7", "action": "EXIT"}], 3),
])
def test_evaluate_on_exit(helpers, stack, wait_for_status, rules, expected_attempts):
    definition = helpers.register(command=["sh", "-c", "exit 42"])
    job_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"],
                            retryStrategy={"attempts": 3, "evaluateOnExit": rules})
    job = wait_for_status(job_id, "FAILED", timeout=45)
    assert len(job["attempts"]) == expected_attempts, (rules, job["attempts"])
    assert job["container"]["exitCode"] == 42
