"""Array jobs through the AWS API: children "<parent>:<i>" and what they see, the parent's status
and arrayProperties.statusSummary, ListJobs --array-job-id with paging, SEQUENTIAL and N_TO_N, and
cancel/terminate of a whole array."""

import time

import pytest
from botocore.exceptions import ClientError

from gleaner_testlib import TERMINAL, client_error, process_alive, unique

STATUSES = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED")

PRINT_INDEX = ('echo "index=$AWS_BATCH_JOB_ARRAY_INDEX size=$AWS_BATCH_JOB_ARRAY_SIZE '
               'id=$AWS_BATCH_JOB_ID"')


def child_ids(parent_id, size):
    return [f"{parent_id}:{i}" for i in range(size)]


def describe_many(batch, ids):
    """DescribeJobs in batches of 100, in the order asked; every id must be found."""
    found = {}
    for start in range(0, len(ids), 100):
        for job in batch.describe_jobs(jobs=ids[start:start + 100])["jobs"]:
            found[job["jobId"]] = job
    missing = [i for i in ids if i not in found]
    assert not missing, f"DescribeJobs omitted {missing}"
    return [found[i] for i in ids]


def summary_of(parent):
    """statusSummary, checked to name every status and to sum to the array size."""
    properties = parent["arrayProperties"]
    summary = properties["statusSummary"]
    assert set(summary) == set(STATUSES), summary
    assert sum(summary.values()) == properties["size"], (
        f"statusSummary {summary} does not sum to size {properties['size']}")
    return {status: count for status, count in summary.items() if count}


def gate_command(gate, extra=""):
    """Waits until the test creates `gate` (a file), then runs `extra`."""
    return ["sh", "-c", f"while [ ! -e {gate} ]; do sleep 0.1; done; {extra}"]


def wait_until(helpers, what, probe, timeout=30):
    return helpers.poll(probe, timeout, what)


def list_children(batch, parent_id, status=None, max_results=None):
    """All children a ListJobs --array-job-id returns, following nextToken; and the page sizes."""
    ids, pages, token = [], [], None
    for _ in range(100):
        request = {"arrayJobId": parent_id}
        if status:
            request["jobStatus"] = status
        if max_results:
            request["maxResults"] = max_results
        if token:
            request["nextToken"] = token
        response = batch.list_jobs(**request)
        page = response["jobSummaryList"]
        pages.append(len(page))
        ids.extend(summary["jobId"] for summary in page)
        token = response.get("nextToken")
        if not token:
            return ids, pages
    raise AssertionError("nextToken never ran out")


def test_children_see_their_index_and_size(aws, batch, helpers, stack, wait_for_status):
    definition = helpers.register(command=["sh", "-c", PRINT_INDEX])
    rc, out, err = aws("batch", "submit-job", "--job-name", "array-env", "--job-queue",
                       stack.queue_name, "--job-definition", definition["jobDefinitionName"],
                       "--array-properties", "size=4")
    assert rc == 0, err
    parent_id = out["jobId"]
    assert out["jobName"] == "array-env"
    assert ":" not in parent_id

    parent = wait_for_status(parent_id, "SUCCEEDED", timeout=60)
    assert parent["arrayProperties"]["size"] == 4
    assert "index" not in parent["arrayProperties"]
    assert summary_of(parent) == {"SUCCEEDED": 4}
    assert parent.get("stoppedAt")

    children = describe_many(batch, child_ids(parent_id, 4))
    for index, child in enumerate(children):
        assert child["jobId"] == f"{parent_id}:{index}"
        assert child["jobArn"].endswith(f":job/{parent_id}:{index}"), child["jobArn"]
        assert child["jobName"] == "array-env"
        assert child["status"] == "SUCCEEDED"
        assert child["arrayProperties"] == {"index": index, "size": 4}
        assert len(child["attempts"]) == 1
        lines = helpers.wait_for_log(child["container"]["logStreamName"], "index=")
        assert f"index={index} size=4 id={parent_id}:{index}" in lines, lines
    streams = {child["container"]["logStreamName"] for child in children}
    assert len(streams) == 4, "every child has its own log stream"

    # The CLI describes children too.
    rc, out, err = aws("batch", "describe-jobs", "--jobs", f"{parent_id}:3", parent_id)
    assert rc == 0, err
    by_id = {job["jobId"]: job for job in out["jobs"]}
    assert by_id[f"{parent_id}:3"]["arrayProperties"] == {"index": 3, "size": 4}
    assert by_id[parent_id]["arrayProperties"]["statusSummary"]["SUCCEEDED"] == 4

    # Indexes past the end are not jobs: silently omitted, like any unknown id.
    assert batch.describe_jobs(jobs=[f"{parent_id}:4"])["jobs"] == []


@pytest.mark.gleaner_args("--vcpus", "2")
def test_status_summary_follows_the_children(batch, helpers, stack, gleaner, wait_for_status):
    gate = gleaner.workdir / unique("gate")
    definition = helpers.register(command=gate_command(gate))
    parent_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"],
                               arrayProperties={"size": 5})

    # Two vCPUs: two children run, three wait.
    def two_running():
        parent = helpers.describe(parent_id)
        summary = summary_of(parent)
        assert parent["status"] in ("SUBMITTED", "PENDING"), parent["status"]
        return parent if summary.get("RUNNING") == 2 else None
    parent = wait_until(helpers, "two children RUNNING", two_running)
    assert summary_of(parent) == {"RUNNING": 2, "RUNNABLE": 3}
    assert parent["status"] == "PENDING"

    running, _ = list_children(batch, parent_id)  # no jobStatus: RUNNING
    assert running == [f"{parent_id}:0", f"{parent_id}:1"]
    waiting, _ = list_children(batch, parent_id, "RUNNABLE")
    assert waiting == [f"{parent_id}:{i}" for i in (2, 3, 4)]
    last = helpers.describe(f"{parent_id}:4")
    assert last["status"] == "RUNNABLE"
    assert last["arrayProperties"] == {"index": 4, "size": 5}
    assert last.get("statusReason"), "a RUNNABLE child says why it waits"

    gate.touch()
    seen = []

    def done():
        parent = helpers.describe(parent_id)
        seen.append(summary_of(parent))  # sums to 5 at every step
        return parent if parent["status"] in TERMINAL else None
    parent = wait_until(helpers, "the array to finish", done, timeout=60)
    assert parent["status"] == "SUCCEEDED", parent.get("statusReason")
    assert summary_of(parent) == {"SUCCEEDED": 5}
    succeeded, _ = list_children(batch, parent_id, "SUCCEEDED")
    assert succeeded == child_ids(parent_id, 5)


def test_any_child_failing_fails_the_parent(batch, helpers, stack, wait_for_status):
    definition = helpers.register(
        command=["sh", "-c", 'sleep 1; test "$AWS_BATCH_JOB_ARRAY_INDEX" -ne 2'])
    parent_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"],
                               arrayProperties={"size": 4})
    parent = wait_for_status(parent_id, "FAILED", timeout=60)
    assert summary_of(parent) == {"SUCCEEDED": 3, "FAILED": 1}
    children = describe_many(batch, child_ids(parent_id, 4))
    assert [c["status"] for c in children] == ["SUCCEEDED", "SUCCEEDED", "FAILED", "SUCCEEDED"]
    assert children[2]["container"]["exitCode"] == 1
    # The others ran to the end even though child 2 failed.
    assert all(len(c["attempts"]) == 1 for c in children)


def test_list_jobs_array_job_id_pages(aws, batch, helpers, stack, wait_for_status):
    definition = helpers.register(command=["true"])
    parent_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"],
                               arrayProperties={"size": 7})
    wait_for_status(parent_id, "SUCCEEDED", timeout=60)

    ids, pages = list_children(batch, parent_id, "SUCCEEDED", max_results=3)
    assert ids == child_ids(parent_id, 7), "children in index order, each once"
    assert pages == [3, 3, 1]
    page = batch.list_jobs(arrayJobId=parent_id, jobStatus="SUCCEEDED", maxResults=2)
    for summary in page["jobSummaryList"]:
        index = int(summary["jobId"].rsplit(":", 1)[1])
        assert summary["arrayProperties"] == {"index": index, "size": 7}
        assert summary["status"] == "SUCCEEDED"
        assert summary["jobName"] == helpers.describe(parent_id)["jobName"]
    assert batch.list_jobs(arrayJobId=parent_id)["jobSummaryList"] == [], "RUNNING: none"
    assert batch.list_jobs(arrayJobId=parent_id, jobStatus="FAILED")["jobSummaryList"] == []

    # boto3's paginator.
    paginator = batch.get_paginator("list_jobs")
    seen = [s["jobId"] for p in paginator.paginate(arrayJobId=parent_id, jobStatus="SUCCEEDED",
                                                   PaginationConfig={"PageSize": 2})
            for s in p["jobSummaryList"]]
    assert seen == child_ids(parent_id, 7)

    # The CLI follows the pages itself ...
    rc, out, err = aws("batch", "list-jobs", "--array-job-id", parent_id, "--job-status",
                       "SUCCEEDED", "--page-size", "2")
    assert rc == 0, err
    assert [s["jobId"] for s in out["jobSummaryList"]] == child_ids(parent_id, 7)
    # ... and hands out a token that resumes where --max-items stopped.
    rc, out, err = aws("batch", "list-jobs", "--array-job-id", parent_id, "--job-status",
                       "SUCCEEDED", "--max-items", "4", "--page-size", "3")
    assert rc == 0, err
    first = [s["jobId"] for s in out["jobSummaryList"]]
    assert first == child_ids(parent_id, 7)[:4]
    assert out.get("NextToken"), out
    rc, out, err = aws("batch", "list-jobs", "--array-job-id", parent_id, "--job-status",
                       "SUCCEEDED", "--starting-token", out["NextToken"], "--page-size", "3")
    assert rc == 0, err
    assert [s["jobId"] for s in out["jobSummaryList"]] == child_ids(parent_id, 7)[4:]


def test_list_and_describe_children_not_made_yet(batch, helpers, stack):
    # 16 vCPUs never fit on the 8-vCPU host: every child waits, none is made.
    definition = helpers.register(command=["true"])
    parent_id = helpers.submit(
        stack.queue_name, definition["jobDefinitionName"], arrayProperties={"size": 10},
        containerOverrides={"resourceRequirements": [{"type": "VCPU", "value": "16"}]})
    ids, pages = list_children(batch, parent_id, "RUNNABLE", max_results=4)
    assert ids == child_ids(parent_id, 10)
    assert pages == [4, 4, 2]
    child = helpers.describe(f"{parent_id}:7")
    assert child["status"] == "RUNNABLE"
    assert child["arrayProperties"] == {"index": 7, "size": 10}
    assert "JOB_RESOURCE_REQUIREMENT" in child.get("statusReason", ""), child.get("statusReason")
    parent = helpers.describe(parent_id)
    assert parent["status"] == "PENDING"
    assert summary_of(parent) == {"RUNNABLE": 10}
    batch.cancel_job(jobId=parent_id, reason="cleanup")
    parent = helpers.wait_for_status(parent_id, "FAILED")
    assert summary_of(parent) == {"FAILED": 10}


def test_a_million_children_gleaner_extension(aws, batch, helpers, stack):
    # AWS stops at 10,000 children; gleaner takes a million and stores one record until children
    # can run. 16 vCPUs never fit on the 8-vCPU host, so none is made here.
    definition = helpers.register(command=["true"])
    parent_id = helpers.submit(
        stack.queue_name, definition["jobDefinitionName"], arrayProperties={"size": 1_000_000},
        containerOverrides={"resourceRequirements": [{"type": "VCPU", "value": "16"}]})
    parent = helpers.describe(parent_id)
    assert parent["arrayProperties"]["size"] == 1_000_000
    assert summary_of(parent) == {"RUNNABLE": 1_000_000}
    last = helpers.describe(f"{parent_id}:999999")
    assert last["status"] == "RUNNABLE"
    assert last["arrayProperties"] == {"index": 999999, "size": 1_000_000}
    rc, out, err = aws("batch", "list-jobs", "--array-job-id", parent_id, "--job-status",
                       "RUNNABLE", "--max-items", "3")
    assert rc == 0, err
    assert [s["jobId"] for s in out["jobSummaryList"]] == child_ids(parent_id, 3)
    # One child that exists only as its parent's counters cannot be stopped on its own yet.
    with pytest.raises(ClientError) as excinfo:
        batch.cancel_job(jobId=f"{parent_id}:5", reason="just this one")
    status, code, message = client_error(excinfo)
    assert (status, code) == (400, "ClientException")
    assert "not supported yet" in message, message
    batch.cancel_job(jobId=parent_id, reason="cleanup")
    parent = helpers.wait_for_status(parent_id, "FAILED")
    assert summary_of(parent) == {"FAILED": 1_000_000}


def test_sequential_children_run_in_order(aws, batch, helpers, stack, wait_for_status):
    definition = helpers.register(command=["sh", "-c", PRINT_INDEX + "; sleep 1"])
    rc, out, err = aws("batch", "submit-job", "--job-name", "seq", "--job-queue",
                       stack.queue_name, "--job-definition", definition["jobDefinitionName"],
                       "--array-properties", "size=4", "--depends-on", "type=SEQUENTIAL")
    assert rc == 0, err
    parent_id = out["jobId"]

    # While it runs, never more than one child is active.
    active_counts = []

    def finished():
        parent = helpers.describe(parent_id)
        summary = summary_of(parent)
        active_counts.append(summary.get("STARTING", 0) + summary.get("RUNNING", 0))
        return parent if parent["status"] in TERMINAL else None
    parent = wait_until(helpers, "the sequential array to finish", finished, timeout=60)
    assert parent["status"] == "SUCCEEDED", parent.get("statusReason")
    assert max(active_counts) == 1, active_counts

    children = describe_many(batch, child_ids(parent_id, 4))
    for previous, child in zip(children, children[1:]):
        assert child["startedAt"] >= previous["stoppedAt"], (
            f"{child['jobId']} started at {child['startedAt']}, before {previous['jobId']} "
            f"stopped at {previous['stoppedAt']}")
    for index, child in enumerate(children):
        lines = helpers.wait_for_log(child["container"]["logStreamName"], "index=")
        assert f"index={index} size=4 id={parent_id}:{index}" in lines


def test_sequential_failure_fails_the_rest(batch, helpers, stack, wait_for_status):
    definition = helpers.register(
        command=["sh", "-c", 'test "$AWS_BATCH_JOB_ARRAY_INDEX" -ne 1'],
        retryStrategy={"attempts": 2})
    parent_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"],
                               arrayProperties={"size": 4}, dependsOn=[{"type": "SEQUENTIAL"}])
    parent = wait_for_status(parent_id, "FAILED", timeout=60)
    assert f"{parent_id}:1" in parent.get("statusReason", ""), parent.get("statusReason")
    assert summary_of(parent) == {"SUCCEEDED": 1, "FAILED": 3}
    children = describe_many(batch, child_ids(parent_id, 4))
    assert [c["status"] for c in children] == ["SUCCEEDED", "FAILED", "FAILED", "FAILED"]
    assert len(children[1]["attempts"]) == 2, "the failing child used its retry"
    for child in children[2:]:
        assert not child.get("attempts"), f"{child['jobId']} must never run"
        assert not child.get("startedAt")
        assert f"{parent_id}:1" in child.get("statusReason", ""), child.get("statusReason")


def test_n_to_n(batch, helpers, stack, gleaner, wait_for_status):
    marks = gleaner.workdir / unique("marks")
    marks.mkdir()
    # A: child i sleeps a little (the last one least, so they end out of order), leaves a mark,
    # and child 1 fails. B: child i checks A's child i left its mark.
    a_definition = helpers.register(command=[
        "sh", "-c", f'i=$AWS_BATCH_JOB_ARRAY_INDEX; sleep $((3 - i)); touch {marks}/a-$i; '
                    'test "$i" -ne 1'])
    b_definition = helpers.register(command=[
        "sh", "-c", f'test -e {marks}/a-$AWS_BATCH_JOB_ARRAY_INDEX'])
    a_id = helpers.submit(stack.queue_name, a_definition["jobDefinitionName"],
                          arrayProperties={"size": 3})
    b_id = helpers.submit(stack.queue_name, b_definition["jobDefinitionName"],
                          arrayProperties={"size": 3},
                          dependsOn=[{"jobId": a_id, "type": "N_TO_N"}])

    a = wait_for_status(a_id, "FAILED", timeout=60)
    b = wait_for_status(b_id, "FAILED", timeout=60)
    assert summary_of(a) == {"SUCCEEDED": 2, "FAILED": 1}
    assert summary_of(b) == {"SUCCEEDED": 2, "FAILED": 1}
    a_children = describe_many(batch, child_ids(a_id, 3))
    b_children = describe_many(batch, child_ids(b_id, 3))
    for a_child, b_child in zip(a_children, b_children):
        if a_child["status"] == "SUCCEEDED":
            assert b_child["status"] == "SUCCEEDED"
            assert b_child["startedAt"] >= a_child["stoppedAt"]
    assert b_children[1]["status"] == "FAILED"
    assert f"{a_id}:1" in b_children[1].get("statusReason", ""), b_children[1]
    assert not b_children[1].get("attempts"), "b:1 never ran: a:1 failed"
    # b:2 did not wait for the whole of A: it ran as soon as a:2 (the quickest) succeeded, while
    # a:0 still slept.
    assert b_children[2]["startedAt"] < a_children[0]["stoppedAt"], (b_children[2], a_children[0])


def test_n_to_n_on_a_source_child_that_never_runs(batch, helpers, stack, wait_for_status):
    # A is SEQUENTIAL and a:1 fails, so a:2 never runs; b:2 waits on it and must fail, not hang.
    a_definition = helpers.register(command=["sh", "-c", 'test "$AWS_BATCH_JOB_ARRAY_INDEX" -ne 1'])
    a_id = helpers.submit(stack.queue_name, a_definition["jobDefinitionName"],
                          arrayProperties={"size": 3}, dependsOn=[{"type": "SEQUENTIAL"}])
    b_id = helpers.submit(stack.queue_name, stack.definition_name, arrayProperties={"size": 3},
                          dependsOn=[{"jobId": a_id, "type": "N_TO_N"}])
    wait_for_status(a_id, "FAILED", timeout=30)
    b = wait_for_status(b_id, "FAILED", timeout=30)
    assert summary_of(b) == {"SUCCEEDED": 1, "FAILED": 2}
    b_children = describe_many(batch, child_ids(b_id, 3))
    assert [c["status"] for c in b_children] == ["SUCCEEDED", "FAILED", "FAILED"]
    for child in b_children[1:]:
        assert not child.get("attempts"), child
        assert a_id in child.get("statusReason", ""), child.get("statusReason")


def test_n_to_n_size_mismatch_rejected(aws, batch, helpers, stack):
    a_id = helpers.submit(stack.queue_name, stack.definition_name, arrayProperties={"size": 3})
    with pytest.raises(ClientError) as excinfo:
        helpers.submit(stack.queue_name, stack.definition_name, arrayProperties={"size": 4},
                       dependsOn=[{"jobId": a_id, "type": "N_TO_N"}])
    status, code, message = client_error(excinfo)
    assert (status, code) == (400, "ClientException")
    assert "N_TO_N" in message, message

    rc, _, err = aws("batch", "submit-job", "--job-name", "seq-plain", "--job-queue",
                     stack.queue_name, "--job-definition", stack.definition_name,
                     "--depends-on", "type=SEQUENTIAL")
    assert rc != 0
    assert "ClientException" in err and "SEQUENTIAL" in err, err


@pytest.mark.gleaner_args("--vcpus", "2")
def test_cancel_array(batch, helpers, stack, gleaner, wait_for_status):
    gate = gleaner.workdir / unique("gate")
    definition = helpers.register(command=gate_command(gate))
    parent_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"],
                               arrayProperties={"size": 5})
    wait_for_status(f"{parent_id}:0", "RUNNING")
    wait_for_status(f"{parent_id}:1", "RUNNING")

    batch.cancel_job(jobId=parent_id, reason="array cancelled")
    # Children that had not started fail at once; running ones are left to finish.
    def cancelled():
        parent = helpers.describe(parent_id)
        return parent if summary_of(parent) == {"RUNNING": 2, "FAILED": 3} else None
    parent = wait_until(helpers, "three children cancelled", cancelled)
    assert parent["status"] == "PENDING"
    for child in describe_many(batch, child_ids(parent_id, 5)[2:]):
        assert child["status"] == "FAILED"
        assert child["statusReason"] == "array cancelled"
        assert not child.get("attempts")
    time.sleep(1)
    assert helpers.describe(f"{parent_id}:0")["status"] == "RUNNING"

    gate.touch()
    parent = wait_for_status(parent_id, "FAILED", timeout=30)
    assert parent["statusReason"] == "array cancelled"
    assert summary_of(parent) == {"SUCCEEDED": 2, "FAILED": 3}


@pytest.mark.gleaner_args("--vcpus", "2", "--stop-grace-seconds", "2")
def test_terminate_array(batch, helpers, stack, gleaner, wait_for_status):
    pid_dir = gleaner.pid_dir
    definition = helpers.register(command=[
        "sh", "-c", f"echo $$ > {pid_dir}/array-$AWS_BATCH_JOB_ARRAY_INDEX.pid; exec sleep 120"])
    parent_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"],
                               arrayProperties={"size": 4}, retryStrategy={"attempts": 3})
    wait_for_status(f"{parent_id}:0", "RUNNING")
    wait_for_status(f"{parent_id}:1", "RUNNING")
    pids = [helpers.wait_for_pid(f"array-{i}") for i in (0, 1)]

    started = time.monotonic()
    batch.terminate_job(jobId=parent_id, reason="array terminated")
    parent = wait_for_status(parent_id, "FAILED", timeout=20)
    assert time.monotonic() - started < 15, "SIGTERM ends `sleep` at once"
    assert parent["statusReason"] == "array terminated"
    assert summary_of(parent) == {"FAILED": 4}
    children = describe_many(batch, child_ids(parent_id, 4))
    for child in children:
        assert child["status"] == "FAILED"
        assert child["statusReason"] == "array terminated"
    for child in children[:2]:
        assert len(child["attempts"]) == 1, "terminated children are not retried"
        assert child["attempts"][0]["container"].get("exitCode") in (143, None), child["attempts"]
    for child in children[2:]:
        assert not child.get("attempts")
    for pid in pids:
        assert not process_alive(pid), f"child process {pid} survived TerminateJob"
