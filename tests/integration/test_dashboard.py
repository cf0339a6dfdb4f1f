"""The web dashboard at /ui in a real browser (Debian's chromium driven by playwright-core,
installed with npm ci into ui/ by scripts/build.sh): sign-in, the overview, the jobs table with
server-side filters, array children, grouping and bulk cancel, a job's page with its log and live
status, a compute environment's page; and the API the dashboard reads, without a browser.
Screenshots of every step are kept in build/test-artifacts/dashboard."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.request

import pytest

from gleaner_testlib import ACCESS_KEY_ID, COMPUTE_RESOURCES, REPO, SECRET_ACCESS_KEY, SIMSPOT_ARGS, unique
from test_cost import interrupted_then_succeeded
from test_spot import interrupt_running_spot_job

UI = REPO / "ui"


@pytest.fixture(autouse=True)
def _browser_installed():
    if not (UI / "node_modules" / "playwright-core").is_dir():
        pytest.fail("playwright-core is not installed: scripts/build.sh runs `npm ci --prefix ui`")
    if not shutil.which("chromium"):
        pytest.fail("chromium is not installed: scripts/install-deps.sh installs it")


def browse(gleaner, scenario: str, **args):
    """Runs one scenario of ui/tests/browser.mjs against the server; its JSON result."""
    args.update(endpoint=gleaner.endpoint, accessKeyId=ACCESS_KEY_ID,
                secretAccessKey=SECRET_ACCESS_KEY)
    node = shutil.which("node") or "/usr/bin/node"
    result = subprocess.run([node, str(UI / "tests" / "browser.mjs"), scenario, json.dumps(args)],
                            capture_output=True, text=True, timeout=120, cwd=UI)
    lines = result.stdout.strip().splitlines()
    outcome = json.loads(lines[-1]) if lines else {"ok": False, "error": result.stderr}
    assert result.returncode == 0 and outcome["ok"], outcome.get("error", "") + result.stderr
    return outcome


def http(gleaner, method: str, path: str, body: bytes | None = None, headers=None):
    request = urllib.request.Request(gleaner.endpoint + path, data=body, method=method,
                                     headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def sign_in(gleaner) -> str:
    status, headers, body = http(
        gleaner, "POST", "/gleaner/v1/session",
        json.dumps({"accessKeyId": ACCESS_KEY_ID, "secretAccessKey": SECRET_ACCESS_KEY}).encode())
    assert status == 200, body
    return headers["Set-Cookie"].split(";")[0]


def test_the_page_is_public_and_the_data_is_behind_the_sign_in(gleaner):
    status, headers, body = http(gleaner, "GET", "/ui/jobs/anything")
    assert status == 200 and b'id="app"' in body, body
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    # The API refuses unsigned readers and browsers without a session ...
    assert http(gleaner, "GET", "/gleaner/v1/jobs")[0] == 403
    status, _, body = http(gleaner, "POST", "/gleaner/v1/session",
                           json.dumps({"accessKeyId": ACCESS_KEY_ID,
                                       "secretAccessKey": "wrong"}).encode())
    assert status == 401 and b"AccessDeniedException" in body
    # ... and admits a signed-in one, for reads; a write also needs the dashboard's header, which
    # another site's form cannot send.
    cookie = sign_in(gleaner)
    assert http(gleaner, "GET", "/gleaner/v1/jobs", headers={"Cookie": cookie})[0] == 200
    body = json.dumps({"jobQueues": []}).encode()
    assert http(gleaner, "POST", "/v1/describejobqueues", body, {"Cookie": cookie})[0] == 403
    assert http(gleaner, "POST", "/v1/describejobqueues", body,
                {"Cookie": cookie, "X-Gleaner-Session": "1"})[0] == 200
    assert http(gleaner, "DELETE", "/gleaner/v1/session", headers={"Cookie": cookie})[0] == 200
    assert http(gleaner, "GET", "/gleaner/v1/jobs", headers={"Cookie": cookie})[0] == 403


def test_the_jobs_listing_pages_across_queues_and_statuses(gleaner, helpers, stack):
    other = helpers.create_queue(ces=[stack.ce_arn])["jobQueueName"]
    ids = [helpers.submit(stack.queue_name, stack.definition_name, name=f"page-{i}")
           for i in range(5)]
    ids.append(helpers.submit(other, stack.definition_name, name="elsewhere"))
    for job_id in ids:
        helpers.wait_for_status(job_id, "SUCCEEDED")
    cookie = {"Cookie": sign_in(gleaner)}

    def listing(query):
        status, _, body = http(gleaner, "GET", "/gleaner/v1/jobs?" + query, headers=cookie)
        assert status == 200, body
        return json.loads(body)

    everything = listing("maxResults=4")
    assert [job["jobId"] for job in everything["jobs"]] == ids[::-1][:4], "newest first"
    rest = listing("maxResults=4&nextToken=" + everything["nextToken"])
    assert [job["jobId"] for job in rest["jobs"]] == ids[::-1][4:] and "nextToken" not in rest
    assert {job["jobQueueName"] for job in everything["jobs"]} == {stack.queue_name, other}
    only = listing(f"jobQueue={other}&jobStatus=SUCCEEDED,FAILED")
    assert [job["jobName"] for job in only["jobs"]] == ["elsewhere"]
    assert [job["jobName"] for job in listing("jobName=PAGE-3")["jobs"]] == ["page-3"]
    assert len(listing("jobName=page-*")["jobs"]) == 5
    assert listing("jobStatus=RUNNABLE")["jobs"] == []
    status, _, body = http(gleaner, "GET", "/gleaner/v1/jobs?jobStatus=DONE", headers=cookie)
    assert status == 400 and b"jobStatus" in body
    status, _, body = http(gleaner, "GET", "/gleaner/v1/jobs?maxResults=0", headers=cookie)
    assert status == 400 and b"maxResults" in body


def test_signing_in_and_out_in_the_browser(gleaner, stack):
    browse(gleaner, "sign-in", queue=stack.queue_name)


def test_the_overview_counts_jobs_and_links_to_them(gleaner, helpers):
    stack = helpers.stack(command=["sh", "-c", "exit 0"])
    failing = helpers.register(command=["sh", "-c", "exit 3"])["jobDefinitionName"]
    done = [helpers.submit(stack.queue_name, stack.definition_name) for _ in range(3)]
    failed = [helpers.submit(stack.queue_name, failing) for _ in range(2)]
    for job_id in done + failed:
        helpers.wait_for_status(job_id, ("SUCCEEDED", "FAILED"))
    browse(gleaner, "overview", queue=stack.queue_name, succeeded=3, failed=2,
           computeEnvironment=stack.ce_name)


def test_the_jobs_table_filters_expands_and_groups(gleaner, helpers, stack):
    failing = helpers.register(command=["sh", "-c", "exit 3"])["jobDefinitionName"]
    jobs = [helpers.submit(stack.queue_name, stack.definition_name, name=f"alpha-{i}")
            for i in range(3)]
    jobs += [helpers.submit(stack.queue_name, stack.definition_name, name="beta")]
    jobs += [helpers.submit(stack.queue_name, failing, name="broken")]
    array_name = unique("fan")
    array_id = helpers.submit(stack.queue_name, stack.definition_name, name=array_name,
                              arrayProperties={"size": 3})
    for job_id in jobs + [array_id]:
        helpers.wait_for_status(job_id, ("SUCCEEDED", "FAILED"))
    # The queue's counts (the SUCCEEDED group's) hold array children too: 4 + the parent + 3.
    browse(gleaner, "jobs", queue=stack.queue_name, total=6, alpha=3, failed=1, succeeded=8,
           arrayName=array_name, arrayJobId=array_id, arraySize=3)


def test_bulk_cancel_from_the_jobs_table(gleaner, helpers, batch):
    stack = helpers.stack(command=["sh", "-c", "sleep 30"])
    blocker = helpers.submit(stack.queue_name, stack.definition_name, name="blocker")
    waiting = [helpers.submit(stack.queue_name, stack.definition_name, name=f"after-{i}",
                              dependsOn=[{"jobId": blocker}]) for i in range(3)]
    for job_id in waiting:
        helpers.wait_for_status(job_id, "PENDING")
    browse(gleaner, "bulk-cancel", queue=stack.queue_name, cancel=waiting[:2])
    described = {job["jobId"]: job for job in
                 batch.describe_jobs(jobs=waiting)["jobs"]}
    for job_id in waiting[:2]:
        assert described[job_id]["status"] == "FAILED"
        assert "not needed any more" in described[job_id]["statusReason"]
    assert described[waiting[2]]["status"] == "PENDING"
    batch.terminate_job(jobId=blocker, reason="test over")


def test_a_jobs_page_shows_its_attempts_log_and_end_live(gleaner, helpers, tmp_path):
    gate = tmp_path / "finish"
    stack = helpers.stack(command=["sh", "-c", f"echo first line; while [ ! -e {gate} ]; do "
                                   "sleep 0.1; done; echo last line"])
    job_id = helpers.submit(stack.queue_name, stack.definition_name,
                            containerOverrides={"environment": [{"name": "DASHBOARD_SEES",
                                                                 "value": "yes"}]})
    helpers.wait_for_status(job_id, "RUNNING")
    helpers.wait_for_log(helpers.batch.describe_jobs(jobs=[job_id])["jobs"][0]["container"]
                         ["logStreamName"], "first line")
    # The browser opens the running job's page, then ends the job by making the gate.
    browse(gleaner, "job", jobId=job_id, logLine="first line", lastLogLine="last line",
           environmentName="DASHBOARD_SEES", gate=str(gate))


def test_a_waiting_job_says_why(gleaner, helpers):
    ce = helpers.create_ce(computeResources=dict(COMPUTE_RESOURCES, maxvCpus=2))
    queue = helpers.create_queue(ces=[ce["computeEnvironmentArn"]])["jobQueueName"]
    big = helpers.register(container={"resourceRequirements": [{"type": "VCPU", "value": "4"},
                                                                {"type": "MEMORY",
                                                                 "value": "64"}]})
    job_id = helpers.submit(queue, big["jobDefinitionName"])
    helpers.wait_for_status(job_id, "RUNNABLE")
    browse(gleaner, "job-waiting", jobId=job_id, reasonIncludes="cannot meet the CPU requirement of the job")


def test_a_new_job_is_announced_live(gleaner, stack):
    browse(gleaner, "live-new-job", queue=stack.queue_name, definition=stack.definition_name)


@pytest.mark.gleaner_args(*SIMSPOT_ARGS)
def test_a_compute_environments_instances_history_and_interruption(gleaner, aws, helpers,
                                                                   gleaner_cli):
    spot, _, _, instance_id = interrupt_running_spot_job(aws, helpers, gleaner_cli, notice="60s")
    browse(gleaner, "compute-environment", computeEnvironment=spot, instanceId=instance_id)


@pytest.mark.gleaner_args(*SIMSPOT_ARGS)
def test_a_jobs_cost_and_the_cost_page(gleaner, aws, helpers, gleaner_cli):
    queue, job_id, _ = interrupted_then_succeeded(aws, helpers, gleaner_cli)
    result = browse(gleaner, "cost", jobId=job_id, queue=queue,
                    outcomes=["interrupted", "succeeded"])
    assert "saved" in result["summary"]
