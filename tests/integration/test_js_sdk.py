"""gleaner as seen by the AWS SDK for JavaScript v3 (@aws-sdk/client-batch, installed by
scripts/test.sh with npm ci into tests/js): signing, refusals and a job end to end."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from gleaner_testlib import ACCESS_KEY_ID, REPO, SECRET_ACCESS_KEY

JS = REPO / "tests" / "js"


def js(gleaner, operation, request=None, secret=SECRET_ACCESS_KEY, key=ACCESS_KEY_ID):
    node = shutil.which("node") or "/usr/bin/node"
    result = subprocess.run(
        [node, str(JS / "batch_client.mjs"), gleaner.endpoint, key, secret, operation,
         json.dumps(request or {})], capture_output=True, text=True, timeout=60, cwd=JS)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(autouse=True)
def _sdk_installed():
    if not (JS / "node_modules" / "@aws-sdk" / "client-batch").is_dir():
        pytest.fail("the JavaScript SDK is not installed: run `npm ci --prefix tests/js` "
                    "(scripts/test.sh does)")


def test_the_js_sdk_signs_as_gleaner_verifies(gleaner):
    assert js(gleaner, "DescribeJobQueues") == {"output": {"jobQueues": []}}


def test_the_js_sdk_hears_aws_refusals(gleaner):
    wrong = js(gleaner, "DescribeJobQueues", secret="wrong")
    assert wrong["error"] == "InvalidSignatureException" and wrong["status"] == 403, wrong
    unknown = js(gleaner, "DescribeJobQueues", key="AKIAUNKNOWNUNKNOWN00")
    assert unknown["error"] == "UnrecognizedClientException", unknown


def test_a_job_end_to_end_through_the_js_sdk(gleaner, helpers, stack, wait_for_status):
    submitted = js(gleaner, "SubmitJob", {"jobName": "from-js", "jobQueue": stack.queue_name,
                                          "jobDefinition": stack.definition_name})
    job_id = submitted["output"]["jobId"]
    wait_for_status(job_id, "SUCCEEDED")
    described = js(gleaner, "DescribeJobs", {"jobs": [job_id]})["output"]["jobs"][0]
    assert described["status"] == "SUCCEEDED" and described["jobName"] == "from-js"
    # A path parameter (the tag ARN) signed by the SDK's own encoding.
    arn = described["jobArn"]
    assert "error" not in js(gleaner, "TagResource", {"resourceArn": arn, "tags": {"k": "v"}})
    assert js(gleaner, "ListTagsForResource", {"resourceArn": arn})["output"]["tags"] == {"k": "v"}
