"""Prometheus metrics at /metrics: scraped as Prometheus does (a bearer token from a file),
checked with Debian's promtool, and read back sample by sample."""

import re
import subprocess
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from gleaner_testlib import SIMSPOT_ARGS
from test_spot import create_spot_stack, submit

PROMTOOL = "/usr/bin/promtool"
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(gleaner, token: str | None = None) -> str:
    token = token if token is not None else (gleaner.data_dir / "metrics-token").read_text().strip()
    request = urllib.request.Request(gleaner.endpoint + "/metrics",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return response.read().decode()


def samples(text: str) -> dict:
    """{(name, frozenset(labels)): value} of every sample line."""
    found = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        labels = frozenset(LABEL.findall(match.group(3) or ""))
        found[(match.group(1), labels)] = float(match.group(4))
    return found


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def promtool_check(text: str):
    result = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_job_shows_in_the_metrics_and_promtool_accepts_them(gleaner, helpers, stack):
    job_id = helpers.submit(stack.queue_name, stack.definition_name)
    helpers.wait_for_status(job_id, "SUCCEEDED")
    text = scrape(gleaner)
    promtool_check(text)
    found = samples(text)
    queue = stack.queue_name
    assert value(found, "gleaner_jobs", queue=queue, status="SUCCEEDED") == 1
    assert value(found, "gleaner_jobs", queue=queue, status="RUNNABLE") == 0
    assert value(found, "gleaner_job_submissions_total", queue=queue) == 1
    # A job without dependencies goes from SUBMITTED straight to RUNNABLE.
    for status in ("SUBMITTED", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED"):
        assert value(found, "gleaner_job_state_transitions_total", queue=queue,
                     status=status) == 1, status
    assert value(found, "gleaner_attempt_duration_seconds_count", queue=queue,
                 outcome="succeeded") == 1
    assert value(found, "gleaner_http_requests_total", service="batch", operation="SubmitJob",
                 code="200") == 1
    assert value(found, "gleaner_scheduler_pass_duration_seconds_count") > 0
    assert value(found, "gleaner_scheduler_decisions_total", decision="start") >= 1
    assert value(found, "gleaner_store_commit_duration_seconds_count") > 0
    assert value(found, "gleaner_store_commit_group_batches_count") > 0
    # Cumulative buckets end at the count.
    assert value(found, "gleaner_store_commit_duration_seconds_bucket", le="+Inf") == \
        value(found, "gleaner_store_commit_duration_seconds_count")


def test_refused_requests_are_counted_by_code(gleaner, batch):
    with pytest.raises(ClientError):
        batch.submit_job(jobName="j", jobQueue="no-such-queue", jobDefinition="no-such-definition")
    found = samples(scrape(gleaner))
    assert value(found, "gleaner_http_requests_total", service="batch",
                 operation="SubmitJob", code="400") == 1
    assert value(found, "gleaner_job_submissions_total", queue="no-such-queue") == 0


def test_metrics_need_the_token_or_a_signature(gleaner):
    for headers in ({}, {"Authorization": "Bearer not-the-token"}):
        request = urllib.request.Request(gleaner.endpoint + "/metrics", headers=headers)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 403
    token_file = gleaner.data_dir / "metrics-token"
    assert oct(token_file.stat().st_mode & 0o777) == "0o600"


@pytest.mark.gleaner_args(*SIMSPOT_ARGS)
def test_instances_and_interruptions_of_the_simulated_cloud(gleaner, aws, helpers, gleaner_cli):
    spot, _, queue, definition = create_spot_stack(aws, helpers, ["sh", "-c", "sleep 30"],
                                                   retry=False)
    job_id = submit(aws, queue, definition)
    helpers.wait_for_status(job_id, "RUNNING")
    found = samples(scrape(gleaner))
    spot_instances = sum(v for (name, labels), v in found.items()
                         if name == "gleaner_instances"
                         and ("compute_environment", spot) in labels
                         and ("lifecycle", "spot") in labels and ("state", "running") in labels)
    assert spot_instances == 1
    result = gleaner_cli("interrupt", "--job-id", job_id, "--notice", "1s", "--endpoint",
                         gleaner.endpoint)
    assert result.returncode == 0, result.stderr
    helpers.wait_for_status(job_id, "FAILED")
    text = scrape(gleaner)
    promtool_check(text)
    found = samples(text)
    assert value(found, "gleaner_instance_events_total",
                 detail_type="EC2 Spot Instance Interruption Warning") == 1
    assert value(found, "gleaner_attempt_duration_seconds_count", queue=queue,
                 outcome="failed") == 1
