"""Authentication (issue 10, item 7): SigV4 on every AWS-shaped request and gleaner's own routes,
with AWS's refusals per protocol, through the real clients (AWS CLI v2, boto3) and by hand."""

from __future__ import annotations

import datetime
import json
import os
import re
import stat
import subprocess
import time
import urllib.error
import urllib.request

import boto3
import botocore.auth
import pytest
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from gleaner_testlib import (ACCESS_KEY_ID, AWS_CLI, REGION, SECRET_ACCESS_KEY, binary_path,
                             client_env, signed_request, start_gleaner)


def cli(gleaner, *args, key=ACCESS_KEY_ID, secret=SECRET_ACCESS_KEY, env=None):
    environment = client_env()
    environment.update({"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret})
    environment.update(env or {})
    return subprocess.run([AWS_CLI, *args, "--endpoint-url", gleaner.endpoint, "--output", "json"],
                          env=environment, capture_output=True, text=True, timeout=60)


def boto(gleaner, service, key=ACCESS_KEY_ID, secret=SECRET_ACCESS_KEY):
    return boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                 region_name=REGION).client(
        service, endpoint_url=gleaner.endpoint,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def unsigned(gleaner, method, path, body=b"", headers=None):
    request = urllib.request.Request(gleaner.endpoint + path, data=body or None, method=method,
                                     headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_the_right_key_works_and_a_wrong_one_is_refused_by_the_aws_cli(gleaner):
    ok = cli(gleaner, "batch", "describe-job-queues")
    assert ok.returncode == 0, ok.stderr
    wrong_secret = cli(gleaner, "batch", "describe-job-queues", secret="not-the-secret")
    assert wrong_secret.returncode != 0
    assert "(InvalidSignatureException)" in wrong_secret.stderr, wrong_secret.stderr
    unknown = cli(gleaner, "batch", "describe-job-queues", key="AKIAUNKNOWNUNKNOWN00")
    assert unknown.returncode != 0
    assert "(UnrecognizedClientException)" in unknown.stderr, unknown.stderr
    # The other services on the endpoint, each in its own protocol's words.
    ecs = cli(gleaner, "ecs", "list-container-instances", "--cluster", "x", secret="wrong")
    assert "(InvalidSignatureException)" in ecs.stderr, ecs.stderr
    logs = cli(gleaner, "logs", "get-log-events", "--log-group-name", "/aws/batch/job",
               "--log-stream-name", "x", key="AKIAUNKNOWNUNKNOWN00")
    assert "(UnrecognizedClientException)" in logs.stderr, logs.stderr


@pytest.mark.gleaner_args("--capacity", "simspot", "--no-background-interruptions")
def test_ec2_refusals_are_ec2s_own(gleaner):
    assert cli(gleaner, "ec2", "describe-instances").returncode == 0
    wrong = cli(gleaner, "ec2", "describe-instances", secret="wrong")
    assert "(SignatureDoesNotMatch)" in wrong.stderr, wrong.stderr
    unknown = cli(gleaner, "ec2", "describe-instances", key="AKIAUNKNOWNUNKNOWN00")
    assert "(AuthFailure)" in unknown.stderr, unknown.stderr


def test_boto3_with_a_wrong_secret_gets_invalid_signature(gleaner):
    with pytest.raises(ClientError) as error:
        boto(gleaner, "batch", secret="wrong").describe_compute_environments()
    assert error.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert boto(gleaner, "batch").describe_compute_environments()["computeEnvironments"] == []


def test_unsigned_and_half_signed_requests_are_refused(gleaner):
    for path in ("/v1/describejobqueues", "/gleaner/v1/events", "/gleaner/v1/interrupt"):
        status, headers, body = unsigned(gleaner, "POST" if "v1/d" in path else "GET", path, b"{}"
                                         if "v1/d" in path else b"")
        assert status == 403, (path, body)
        assert json.loads(body)["__type"] == "MissingAuthenticationTokenException", body
        assert headers.get("X-Amzn-ErrorType") == "MissingAuthenticationTokenException"
    status, _, body = unsigned(gleaner, "POST", "/v1/describejobqueues", b"{}", {
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261206/us-east-1/"
                         "batch/aws4_request", "X-Amz-Date": "20261206T000000Z"})
    assert status == 403
    reply = json.loads(body)
    assert reply["__type"] == "IncompleteSignatureException" and "'Signature'" in reply["message"]
    # Health and instance metadata stay open, as on EC2.
    assert unsigned(gleaner, "GET", "/healthz")[0] == 200


def test_a_signature_more_than_five_minutes_old_has_expired(gleaner, monkeypatch):
    real = datetime.datetime

    class TenMinutesAgo(real):
        @classmethod
        def utcnow(cls):
            return real.utcnow() - datetime.timedelta(minutes=10)

    monkeypatch.setattr(botocore.auth.datetime, "datetime", TenMinutesAgo)
    status, _, body = signed_request(gleaner.endpoint, "POST", "/v1/describejobqueues", b"{}")
    reply = json.loads(body)
    assert status == 403 and reply["__type"] == "InvalidSignatureException", body
    assert re.match(r"^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z "
                    r"\(\d{8}T\d{6}Z - 5 min\.\)$", reply["message"]), reply


def test_a_presigned_url_works_until_it_expires(gleaner):
    def presigned(expires):
        request = AWSRequest(method="GET", url=gleaner.endpoint + "/gleaner/v1/events?after=0")
        SigV4QueryAuth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "batch", REGION,
                       expires=expires).add_auth(request)
        return request.url

    url = presigned(60)
    assert "X-Amz-Signature=" in url and "Authorization" not in url
    with urllib.request.urlopen(url, timeout=30) as response:
        assert "events" in json.load(response)
    tampered = url.replace("after=0", "after=1")
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(tampered, timeout=30)
    assert error.value.code == 403
    assert json.load(error.value)["__type"] == "InvalidSignatureException"


def test_gleaners_own_commands_sign_with_the_standard_chain(gleaner, tmp_path):
    shared = tmp_path / "credentials"
    shared.write_text(f"[ci]\naws_access_key_id = {ACCESS_KEY_ID}\n"
                      f"aws_secret_access_key = {SECRET_ACCESS_KEY}\n")
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
                   "AWS_SHARED_CREDENTIALS_FILE": str(shared), "AWS_PROFILE": "ci"}
    command = [str(binary_path()), "logs", "no-such-job", "--endpoint", gleaner.endpoint]
    signed = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=30)
    assert signed.returncode != 0 and "no-such-job" in signed.stderr, signed.stderr
    assert "Signature" not in signed.stderr and "Authentication" not in signed.stderr
    environment["AWS_PROFILE"] = "missing"  # no credentials: unsigned, and refused
    refused = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0 and "Missing Authentication Token" in refused.stderr, \
        refused.stderr


def printed(server, needle: str, timeout: float = 10) -> str:
    """What the server printed on stdout once `needle` is among it (lines after the ready line
    arrive a moment after start() returns)."""
    deadline = time.monotonic() + timeout
    while True:
        said = "\n".join(server._stdout_lines)
        if needle in said or time.monotonic() > deadline:
            return said
        time.sleep(0.02)


def test_a_new_server_makes_its_own_key_pair_and_says_how_to_use_it(tmp_path):
    server = start_gleaner(tmp_path / "own", test_credentials=False)
    try:
        made = server.data_dir / "credentials"
        assert stat.S_IMODE(made.stat().st_mode) == 0o600
        said = printed(server, "AWS_SECRET_ACCESS_KEY=")
        assert f"export AWS_SHARED_CREDENTIALS_FILE={made}" in said, said
        key_id = re.search(r"AWS_ACCESS_KEY_ID=(AKIA[A-Z2-7]{16}) AWS_SECRET_ACCESS_KEY=(\S{40})",
                           said)
        assert key_id, said
        ok = subprocess.run([AWS_CLI, "batch", "describe-job-queues", "--endpoint-url",
                             server.endpoint],
                            env={**client_env(), "AWS_SHARED_CREDENTIALS_FILE": str(made),
                                 "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""},
                            capture_output=True, text=True, timeout=60)
        assert ok.returncode == 0, ok.stderr
        # The same pair after a restart.
        server.restart()
        assert key_id.group(0) in printed(server, "AWS_SECRET_ACCESS_KEY=")
    finally:
        server.shutdown()


def test_no_auth_is_for_loopback_only(tmp_path):
    refused = subprocess.run([str(binary_path()), "up", "--listen", "0.0.0.0:0", "--data-dir",
                              str(tmp_path / "open"), "--no-auth", "--capacity", "local"],
                             stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0
    assert "--no-auth is refused on 0.0.0.0" in refused.stderr, refused.stderr
    server = start_gleaner(tmp_path / "loopback", ["--no-auth"])
    try:
        status, _, body = unsigned(server, "POST", "/v1/describejobqueues", b"{}")
        assert status == 200, body
    finally:
        server.shutdown()
