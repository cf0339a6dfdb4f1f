"""What jobs cost: `gleaner cost` and /gleaner/v1/cost on the simulated spot cloud, driven with
/usr/bin/aws -- split cost per attempt, on-demand equivalent and savings, work lost to an
interruption, idle instance time -- kept across a restart, and in /metrics."""

from __future__ import annotations

import json

import pytest

from gleaner_testlib import SIMSPOT_ARGS, signed_request
from test_metrics import samples, scrape
from test_spot import create_spot_stack, submit

pytestmark = pytest.mark.gleaner_args(*SIMSPOT_ARGS, "--scale-in-idle-seconds", "1")

# Waits to be interrupted on its first attempt; the retry succeeds after a second of work.
INTERRUPTIBLE = ('if [ "$AWS_BATCH_JOB_ATTEMPT" = 1 ]; then echo ready; '
                 'while true; do sleep 0.1; done; else sleep 1; echo done; fi')


def cost(gleaner_cli, server, *args):
    result = gleaner_cli("cost", *args, "--endpoint", server.endpoint)
    assert result.returncode == 0, result.stderr
    return result.stdout


def cost_json(gleaner_cli, server, *args):
    return json.loads(cost(gleaner_cli, server, *args, "--output", "json"))


def interrupted_then_succeeded(aws, helpers, gleaner_cli):
    """A job on the spot stack, interrupted once, then SUCCEEDED: (queue, job id, instance)."""
    _, _, queue, definition = create_spot_stack(aws, helpers, ["sh", "-c", INTERRUPTIBLE])
    job_id = submit(aws, queue, definition)
    running = helpers.wait_for_status(job_id, "RUNNING")
    helpers.wait_for_log(running["container"]["logStreamName"], "ready")
    result = gleaner_cli("interrupt", "--job-id", job_id, "--notice", "2s", "--endpoint",
                         helpers.server.endpoint)
    assert result.returncode == 0, result.stderr
    helpers.wait_for_status(job_id, "SUCCEEDED", timeout=30)
    return queue, job_id, result.stdout.split()[0]


def test_a_jobs_attempts_each_have_their_cost_and_the_interrupted_one_is_lost_work(
        aws, helpers, gleaner, gleaner_cli):
    queue, job_id, reclaimed = interrupted_then_succeeded(aws, helpers, gleaner_cli)

    report = cost_json(gleaner_cli, gleaner, "--job", job_id)
    first, second = report["attempts"]
    assert first["instanceId"] == reclaimed and first["outcome"] == "interrupted"
    assert first["lifecycle"] == "spot" and first["instanceType"]
    assert second["outcome"] == "succeeded" and second["instanceId"] != reclaimed
    assert second["lifecycle"] in ("spot", "on-demand")
    for attempt in (first, second):
        assert 0 < attempt["splitRatio"] <= 1
        assert attempt["to"] > attempt["from"]
        assert 0 < attempt["usd"] <= attempt["onDemandUsd"]
    total = report["total"]
    assert total["lostUsd"] == pytest.approx(first["usd"])
    assert total["usd"] >= first["usd"] + second["usd"] - 1e-12, "idle shares only add"
    assert total["onDemandUsd"] > total["usd"]

    # The queue's line says the same; its table has the tutorial's columns.
    by_queue = cost_json(gleaner_cli, gleaner, "--by", "queue")
    row = next(r for r in by_queue["rows"] if r["group"] == queue)
    assert (row["jobs"], row["attempts"], row["interruptedAttempts"]) == (1, 2, 1)
    assert row["lostUsd"] == pytest.approx(first["usd"])
    assert 0 < row["savingsPercent"] < 100
    table = cost(gleaner_cli, gleaner, "--by", "queue")
    header = table.splitlines()[0].split()
    assert header[:3] == ["QUEUE", "JOBS", "ATTEMPTS"], table
    assert "SAVINGS" in header and "IDLE" in header and "INTERRUPTIONS" in header
    assert any(line.startswith(queue) for line in table.splitlines()), table
    assert table.splitlines()[-1].startswith("total"), table

    # Nothing a client has seen is taken back by a restart: the costs are in the job's record.
    gleaner.restart()
    again = cost_json(gleaner_cli, gleaner, "--job", job_id)
    assert [a["usd"] for a in again["attempts"]] == [first["usd"], second["usd"]]
    assert again["attempts"][0]["outcome"] == "interrupted"


def test_an_instance_nobody_used_fully_leaves_idle_cost_and_groups_add_up(
        aws, helpers, gleaner, gleaner_cli):
    # One 2-vCPU job on the smallest spot type that fits it: the instance outlives the job until
    # it is scaled in, and that time is idle.
    spot, _, queue, definition = create_spot_stack(aws, helpers, ["sh", "-c", "sleep 1"],
                                                   spot_types=["c5.xlarge"])
    job_id = submit(aws, queue, definition)
    done = helpers.wait_for_status(job_id, "SUCCEEDED", timeout=30)
    instance = done["attempts"][0]["container"]["containerInstanceArn"]
    assert spot in instance

    # Once it is scaled in, its bill is final.
    used = cost_json(gleaner_cli, gleaner, "--job", job_id)["attempts"][0]["instanceId"]
    helpers.poll(lambda: used not in gleaner_cli("instances", "--endpoint",
                                                      gleaner.endpoint).stdout or None,
                 20, f"{used} scaled in")

    by_environment = cost_json(gleaner_cli, gleaner, "--by", "compute-environment")
    row = next(r for r in by_environment["rows"] if r["group"] == spot)
    assert row["idleUsd"] > 0, row
    assert row["usd"] > row["idleUsd"]
    job = cost_json(gleaner_cli, gleaner, "--job", job_id)["total"]
    assert job["idleUsd"] > 0, "the job that ran on it carries its idle time"
    assert job["attempts"] == 1 and job["usd"] > 0

    by_lifecycle = cost_json(gleaner_cli, gleaner, "--by", "lifecycle")
    assert "spot" in {r["group"] for r in by_lifecycle["rows"]}
    # A later window has nothing of this job.
    later = cost_json(gleaner_cli, gleaner, "--since", "2099-01-01T00:00:00Z")
    assert later["rows"] == [] and later["total"]["usd"] == 0


def test_costs_group_by_a_tag_and_show_in_metrics(aws, helpers, gleaner, gleaner_cli):
    _, _, queue, definition = create_spot_stack(aws, helpers, ["true"])
    ids = {}
    for project in ("genomics", "render"):
        rc, out, err = aws("batch", "submit-job", "--job-name", project, "--job-queue", queue,
                           "--job-definition", definition, "--tags", f"project={project}")
        assert rc == 0, err
        ids[project] = out["jobId"]
    rc, out, err = aws("batch", "submit-job", "--job-name", "untagged", "--job-queue", queue,
                       "--job-definition", definition)
    assert rc == 0, err
    for job_id in [*ids.values(), out["jobId"]]:
        helpers.wait_for_status(job_id, "SUCCEEDED", timeout=30)
    by_tag = cost_json(gleaner_cli, gleaner, "--by", "tag:project")
    groups = {r["group"]: r for r in by_tag["rows"]}
    assert groups["genomics"]["jobs"] == 1 and groups["render"]["jobs"] == 1
    assert groups["(untagged)"]["jobs"] >= 1
    assert cost(gleaner_cli, gleaner, "--by", "tag:project").splitlines()[0].startswith(
        "TAG project")

    found = samples(scrape(gleaner))
    spent = [value for (name, labels), value in found.items()
             if name == "gleaner_attempt_cost_usd_total" and ("queue", queue) in labels
             and ("outcome", "succeeded") in labels]
    assert spent and sum(spent) > 0
    baseline = [value for (name, labels), value in found.items()
                if name == "gleaner_attempt_on_demand_cost_usd_total" and ("queue", queue) in labels]
    assert sum(baseline) >= sum(spent)


def test_bad_questions_get_clear_errors(gleaner, gleaner_cli, helpers):
    for args, named in ((("--by", "colour"), "by \"colour\""),
                        (("--since", "yesterday"), "since \"yesterday\""),
                        (("--job", "no-such-job"), "no-such-job")):
        result = gleaner_cli("cost", *args, "--endpoint", helpers.server.endpoint)
        assert result.returncode == 1
        assert named in result.stderr, result.stderr


def raw_describe(server, job_id):
    """DescribeJobs' JSON as sent (botocore drops members its model does not know)."""
    status, _, reply = signed_request(server.endpoint, "POST", "/v1/describejobs",
                                      json.dumps({"jobs": [job_id]}).encode())
    assert status == 200, reply
    return json.loads(reply)["jobs"][0]


def test_interruptions_tagged_apart_from_attempts_do_not_spend_them(
        aws, helpers, gleaner, gleaner_cli):
    # No retry strategy: one attempt. On AWS Batch the first interruption would fail the job;
    # with gleaner:preemption-retries it is requeued, twice here, and the third run finishes.
    script = ('echo "attempt $AWS_BATCH_JOB_ATTEMPT"; '
              'if [ "$AWS_BATCH_JOB_ATTEMPT" -lt 3 ]; then while true; do sleep 0.1; done; fi')
    _, _, queue, definition = create_spot_stack(aws, helpers, ["sh", "-c", script], retry=False)
    rc, out, err = aws("batch", "submit-job", "--job-name", "patient", "--job-queue", queue,
                       "--job-definition", definition, "--tags",
                       "gleaner:preemption-retries=unlimited")
    assert rc == 0, err
    job_id = out["jobId"]
    for attempt in (1, 2):
        running = helpers.wait_for_status(job_id, "RUNNING")
        helpers.wait_for_log(running["container"]["logStreamName"], f"attempt {attempt}")
        result = gleaner_cli("interrupt", "--job-id", job_id, "--notice", "1s", "--endpoint",
                             gleaner.endpoint)
        assert result.returncode == 0, result.stderr
        helpers.poll(lambda: len(raw_describe(gleaner, job_id)["attempts"]) == attempt, 20,
                     f"attempt {attempt} ended")
    done = helpers.wait_for_status(job_id, ("SUCCEEDED", "FAILED"), timeout=30)
    assert done["status"] == "SUCCEEDED", done.get("statusReason")
    assert len(done["attempts"]) == 3
    summary = raw_describe(gleaner, job_id)["preemptionSummary"]
    assert summary["preemptedAttemptCount"] == 2
    assert [a["statusReason"].startswith("Host EC2 (instance ") for a in
            summary["recentPreemptedAttempts"]] == [True, True]
    outcomes = [a["outcome"] for a in cost_json(gleaner_cli, gleaner, "--job", job_id)["attempts"]]
    assert outcomes == ["interrupted", "interrupted", "succeeded"]

    # The same job without the tag fails at its first interruption, as on AWS Batch.
    job_id = submit(aws, queue, definition)
    running = helpers.wait_for_status(job_id, "RUNNING")
    helpers.wait_for_log(running["container"]["logStreamName"], "attempt 1")
    assert gleaner_cli("interrupt", "--job-id", job_id, "--notice", "1s", "--endpoint",
                       gleaner.endpoint).returncode == 0
    failed = helpers.wait_for_status(job_id, "FAILED", timeout=30)
    assert failed["statusReason"].startswith("Host EC2 (instance ")


def test_a_preemption_budget_that_is_not_one_is_refused_naming_the_tag(aws, helpers):
    _, _, queue, definition = create_spot_stack(aws, helpers, ["true"], retry=False)
    rc, out, err = aws("batch", "submit-job", "--job-name", "x", "--job-queue", queue,
                       "--job-definition", definition, "--tags",
                       "gleaner:preemption-retries=forever")
    assert rc != 0
    assert "ClientException" in err and "gleaner:preemption-retries" in err, err
    assert '"unlimited"' in err, err
