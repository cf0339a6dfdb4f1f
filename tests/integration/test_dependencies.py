"""dependsOn through the AWS API: a job waits PENDING until every dependency SUCCEEDED; a failed or
cancelled dependency fails its dependents, transitively, without running them and with a reason
naming the dependency; dependencies on whole arrays and on single children; unknown ids are a
ClientException."""

import pytest
from botocore.exceptions import ClientError

from gleaner_testlib import client_error, unique


def gate_command(gate, extra="true"):
    return ["sh", "-c", f"while [ ! -e {gate} ]; do sleep 0.1; done; {extra}"]


def never_ran(job):
    assert job["status"] == "FAILED", job["status"]
    assert not job.get("attempts"), f"{job['jobId']} must not have run: {job.get('attempts')}"
    assert not job.get("startedAt"), job.get("startedAt")


def test_chain_runs_in_order(aws, helpers, stack, gleaner, wait_for_status):
    gate = gleaner.workdir / unique("gate")
    first_def = helpers.register(command=gate_command(gate))
    first = helpers.submit(stack.queue_name, first_def["jobDefinitionName"], name="first")
    rc, out, err = aws("batch", "submit-job", "--job-name", "second", "--job-queue",
                       stack.queue_name, "--job-definition", stack.definition_name,
                       "--depends-on", f"jobId={first}")
    assert rc == 0, err
    second = out["jobId"]
    third = helpers.submit(stack.queue_name, stack.definition_name, name="third",
                           dependsOn=[{"jobId": second}])

    wait_for_status(first, "RUNNING")
    for job_id in (second, third):
        job = helpers.describe(job_id)
        assert job["status"] == "PENDING", job["status"]
        assert not job.get("attempts")
    assert helpers.describe(second)["dependsOn"] == [{"jobId": first}]

    gate.touch()
    jobs = [wait_for_status(job_id, "SUCCEEDED", timeout=30) for job_id in (first, second, third)]
    for before, after in zip(jobs, jobs[1:]):
        assert after["startedAt"] >= before["stoppedAt"], (before, after)


def test_waits_for_every_dependency(helpers, stack, gleaner, wait_for_status):
    gate_a, gate_b = gleaner.workdir / unique("gate-a"), gleaner.workdir / unique("gate-b")
    a = helpers.submit(stack.queue_name, helpers.register(command=gate_command(gate_a))[
        "jobDefinitionName"])
    b = helpers.submit(stack.queue_name, helpers.register(command=gate_command(gate_b))[
        "jobDefinitionName"])
    both = helpers.submit(stack.queue_name, stack.definition_name,
                          dependsOn=[{"jobId": a}, {"jobId": b}])
    gate_a.touch()
    wait_for_status(a, "SUCCEEDED")
    assert helpers.describe(both)["status"] == "PENDING"
    gate_b.touch()
    job = wait_for_status(both, "SUCCEEDED")
    assert job["startedAt"] >= helpers.describe(b)["stoppedAt"]


def test_dependency_already_succeeded(helpers, stack, wait_for_status):
    done = helpers.submit(stack.queue_name, stack.definition_name)
    wait_for_status(done, "SUCCEEDED")
    later = helpers.submit(stack.queue_name, stack.definition_name, dependsOn=[{"jobId": done}])
    wait_for_status(later, "SUCCEEDED")


def test_failed_dependency_fails_dependents_transitively(helpers, stack, gleaner,
                                                         wait_for_status):
    marker = gleaner.workdir / unique("ran")
    gate = gleaner.workdir / unique("gate")
    failing_def = helpers.register(command=gate_command(gate, "exit 3"))
    leaves_mark = helpers.register(command=["sh", "-c", f"touch {marker}-$AWS_BATCH_JOB_ID"])
    root = helpers.submit(stack.queue_name, failing_def["jobDefinitionName"], name="root")
    child = helpers.submit(stack.queue_name, leaves_mark["jobDefinitionName"], name="child",
                           dependsOn=[{"jobId": root}])
    grandchild = helpers.submit(stack.queue_name, leaves_mark["jobDefinitionName"],
                                name="grandchild", dependsOn=[{"jobId": child}])
    independent = helpers.submit(stack.queue_name, stack.definition_name, name="independent")
    wait_for_status(independent, "SUCCEEDED")
    # Two dependencies: one that succeeds, one that fails further up.
    mixed = helpers.submit(stack.queue_name, leaves_mark["jobDefinitionName"], name="mixed",
                           dependsOn=[{"jobId": independent}, {"jobId": grandchild}])
    array = helpers.submit(stack.queue_name, leaves_mark["jobDefinitionName"], name="array",
                           arrayProperties={"size": 3}, dependsOn=[{"jobId": child}])
    for job_id in (child, grandchild, mixed, array):
        assert helpers.describe(job_id)["status"] == "PENDING"

    gate.touch()
    assert wait_for_status(root, "FAILED")["container"]["exitCode"] == 3
    child_job = wait_for_status(child, "FAILED")
    never_ran(child_job)
    assert root in child_job["statusReason"], child_job["statusReason"]
    grandchild_job = wait_for_status(grandchild, "FAILED")
    never_ran(grandchild_job)
    assert child in grandchild_job["statusReason"], grandchild_job["statusReason"]
    mixed_job = wait_for_status(mixed, "FAILED")
    never_ran(mixed_job)
    assert grandchild in mixed_job["statusReason"], mixed_job["statusReason"]
    array_job = wait_for_status(array, "FAILED")
    assert child in array_job["statusReason"], array_job["statusReason"]
    assert array_job["arrayProperties"]["statusSummary"]["FAILED"] == 3
    for index in range(3):
        never_ran(helpers.describe(f"{array}:{index}"))
    leftovers = list(gleaner.workdir.glob(marker.name + "-*"))
    assert not leftovers, f"dependents of a failed job ran: {leftovers}"


def test_cancelled_dependency_fails_dependents(batch, helpers, stack, gleaner, wait_for_status):
    gate = gleaner.workdir / unique("gate")
    blocker = helpers.submit(stack.queue_name, helpers.register(command=gate_command(gate))[
        "jobDefinitionName"])
    middle = helpers.submit(stack.queue_name, stack.definition_name, name="middle",
                            dependsOn=[{"jobId": blocker}])
    last = helpers.submit(stack.queue_name, stack.definition_name, name="last",
                          dependsOn=[{"jobId": middle}])
    assert helpers.describe(middle)["status"] == "PENDING"
    batch.cancel_job(jobId=middle, reason="not wanted any more")
    middle_job = wait_for_status(middle, "FAILED")
    assert middle_job["statusReason"] == "not wanted any more"
    last_job = wait_for_status(last, "FAILED")
    never_ran(last_job)
    assert middle in last_job["statusReason"], last_job["statusReason"]
    gate.touch()
    wait_for_status(blocker, "SUCCEEDED")
    assert helpers.describe(last)["status"] == "FAILED"


def test_job_depending_on_an_array_waits_for_all_children(aws, batch, helpers, stack, gleaner,
                                                          wait_for_status):
    # Child 0 ends at once; children 1 and 2 wait for a gate the test opens only after it has seen
    # the dependent still PENDING, so the check does not depend on timing.
    gate = gleaner.workdir / unique("gate")
    slow = helpers.register(command=[
        "sh", "-c",
        f'[ "$AWS_BATCH_JOB_ARRAY_INDEX" -eq 0 ] || while [ ! -e {gate} ]; do sleep 0.05; done'])
    array = helpers.submit(stack.queue_name, slow["jobDefinitionName"],
                           arrayProperties={"size": 3})
    rc, out, err = aws("batch", "submit-job", "--job-name", "after-array", "--job-queue",
                       stack.queue_name, "--job-definition", stack.definition_name,
                       "--depends-on", f"jobId={array}")
    assert rc == 0, err
    after = out["jobId"]
    wait_for_status(f"{array}:0", "SUCCEEDED", timeout=30)
    assert helpers.describe(after)["status"] == "PENDING", "one child is not the whole array"
    gate.touch()
    job = wait_for_status(after, "SUCCEEDED", timeout=60)
    children = batch.describe_jobs(jobs=[f"{array}:{i}" for i in range(3)])["jobs"]
    assert len(children) == 3
    assert job["startedAt"] >= max(c["stoppedAt"] for c in children)
    assert job["startedAt"] >= helpers.describe(array)["stoppedAt"]


def test_failed_array_fails_its_dependent(helpers, stack, wait_for_status):
    failing = helpers.register(command=["sh", "-c", 'test "$AWS_BATCH_JOB_ARRAY_INDEX" -ne 0'])
    array = helpers.submit(stack.queue_name, failing["jobDefinitionName"],
                           arrayProperties={"size": 2})
    after = helpers.submit(stack.queue_name, stack.definition_name, dependsOn=[{"jobId": array}])
    wait_for_status(array, "FAILED", timeout=30)
    job = wait_for_status(after, "FAILED")
    never_ran(job)
    assert array in job["statusReason"], job["statusReason"]


def test_dependency_on_a_single_child(helpers, stack, gleaner, wait_for_status):
    marks = gleaner.workdir / unique("marks")
    marks.mkdir()
    # Child 0 waits for a gate; child 1 ends at once.
    definition = helpers.register(command=[
        "sh", "-c", f'i=$AWS_BATCH_JOB_ARRAY_INDEX; if [ "$i" = 0 ]; then '
                    f'while [ ! -e {marks}/gate ]; do sleep 0.1; done; fi; touch {marks}/done-$i'])
    array = helpers.submit(stack.queue_name, definition["jobDefinitionName"],
                           arrayProperties={"size": 2})
    on_child = helpers.submit(stack.queue_name, helpers.register(
        command=["sh", "-c", f"test -e {marks}/done-1 && test ! -e {marks}/done-0"])[
        "jobDefinitionName"], dependsOn=[{"jobId": f"{array}:1"}])
    job = wait_for_status(on_child, "SUCCEEDED", timeout=30)
    assert job["dependsOn"] == [{"jobId": f"{array}:1"}]
    assert helpers.describe(array)["status"] == "PENDING", "child 0 still waits for its gate"
    assert job["startedAt"] >= helpers.describe(f"{array}:1")["stoppedAt"]
    (marks / "gate").touch()
    wait_for_status(array, "SUCCEEDED", timeout=30)


@pytest.mark.parametrize("how", ["boto3", "cli"])
def test_unknown_dependency_is_a_client_exception(aws, batch, helpers, stack, how):
    missing = "00000000-0000-7000-8000-00000000beef"
    if how == "boto3":
        with pytest.raises(ClientError) as excinfo:
            helpers.submit(stack.queue_name, stack.definition_name,
                           dependsOn=[{"jobId": missing}])
        status, code, message = client_error(excinfo)
        assert (status, code) == (400, "ClientException")
        assert missing in message, message
    else:
        rc, _, err = aws("batch", "submit-job", "--job-name", "orphan", "--job-queue",
                         stack.queue_name, "--job-definition", stack.definition_name,
                         "--depends-on", f"jobId={missing}")
        assert rc != 0
        assert "ClientException" in err and missing in err, err
    for status in ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED",
                   "FAILED"):
        listed = batch.list_jobs(jobQueue=stack.queue_name, jobStatus=status)["jobSummaryList"]
        assert listed == [], f"nothing was created, yet {status} lists {listed}"


def test_unknown_array_child_dependency_is_a_client_exception(helpers, stack):
    array = helpers.submit(stack.queue_name, stack.definition_name, arrayProperties={"size": 2})
    for missing in (f"{array}:2", f"{array}:x"):
        with pytest.raises(ClientError) as excinfo:
            helpers.submit(stack.queue_name, stack.definition_name,
                           dependsOn=[{"jobId": missing}])
        status, code, message = client_error(excinfo)
        assert (status, code) == (400, "ClientException"), message
        assert missing in message, message
