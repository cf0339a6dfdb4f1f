"""TLS (issue 10, item 8): `gleaner up --tls-cert/--tls-key` serves HTTPS that the AWS CLI, boto3,
gleaner's own commands and agents (`--ca`) use with a certificate the test makes; plain HTTP and
clients that do not trust the certificate get nowhere."""

from __future__ import annotations

import socket
import ssl
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from gleaner_testlib import binary_path, start_gleaner
from test_agent import Agent, unmanaged_queue


def make_certificate(directory: Path, name: str = "gleaner") -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 (its own CA) and its key."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / f"{name}.pem", directory / f"{name}-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return str(cert), str(key)


@pytest.fixture
def tls_server(tmp_path):
    cert, key = make_certificate(tmp_path / "tls")
    server = start_gleaner(tmp_path / "gleaner", ["--tls-cert", cert, "--tls-key", key])
    try:
        yield server
    finally:
        server.shutdown()


def test_https_end_to_end_with_the_aws_cli_and_boto3(tls_server, tmp_path):
    assert tls_server.endpoint.startswith("https://127.0.0.1:")
    # The fixtures' clients trust the test's certificate (boto3 verify=, AWS_CA_BUNDLE for the CLI).
    from gleaner_testlib import AwsCli, Batch, FollowingClient
    batch = FollowingClient(tls_server, "batch")
    helpers = Batch(tls_server, batch, FollowingClient(tls_server, "logs"))
    stack = helpers.stack()
    job = helpers.wait_for_status(helpers.submit(stack.queue_name, stack.definition_name),
                                  "SUCCEEDED")
    aws = AwsCli(tls_server, tmp_path / "home")
    rc, out, err = aws("batch", "describe-jobs", "--jobs", job["jobId"])
    assert rc == 0, err
    assert out["jobs"][0]["status"] == "SUCCEEDED"
    logs = subprocess.run([str(binary_path()), "logs", job["jobId"], "--endpoint",
                           tls_server.endpoint],
                          env={**_client_env(tls_server), "AWS_CA_BUNDLE": tls_server.ca_file},
                          capture_output=True, text=True, timeout=30)
    assert logs.returncode == 0 and logs.stdout == "hi\n", logs.stderr


def _client_env(server):
    from gleaner_testlib import client_env
    return client_env(server.workdir / "home")


def test_clients_that_do_not_trust_the_certificate_and_plain_http_are_refused(tls_server,
                                                                               tmp_path):
    with pytest.raises(urllib.error.URLError) as error:
        urllib.request.urlopen(tls_server.endpoint + "/healthz", timeout=10)
    assert isinstance(error.value.reason, ssl.SSLCertVerificationError), error.value
    # Another certificate for the same address is not the one the server has.
    other_cert, _ = make_certificate(tmp_path / "other", "other")
    untrusting = subprocess.run(
        [str(binary_path()), "logs", "any", "--endpoint", tls_server.endpoint],
        env={**_client_env(tls_server), "AWS_CA_BUNDLE": other_cert},
        capture_output=True, text=True, timeout=30)
    assert untrusting.returncode != 0 and "certificate verify failed" in untrusting.stderr, \
        untrusting.stderr
    # Plain HTTP to the TLS port: the server closes the connection, the process lives on.
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as plain:
        plain.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert not plain.recv(4096).startswith(b"HTTP/1.1 200")
    tls_server.check_alive()


def test_an_agent_joins_over_https_with_its_ca(tls_server, tmp_path):
    from gleaner_testlib import Batch, FollowingClient
    batch = FollowingClient(tls_server, "batch")
    helpers = Batch(tls_server, batch, FollowingClient(tls_server, "logs"))
    cluster, queue = unmanaged_queue(helpers, batch)
    refused = Agent(tls_server, cluster, tmp_path / "no-ca")
    refused.start(expect_join=False)
    try:  # without --ca it cannot trust the server, says so, and keeps trying
        helpers.poll(lambda: "certificate verify failed" in
                     refused.stderr_path.read_text(errors="replace"), 20,
                     "the agent to report the untrusted certificate")
    finally:
        refused.kill()
    agent = Agent(tls_server, cluster, tmp_path / "with-ca", "--ca", tls_server.ca_file)
    agent.start()
    try:
        definition = helpers.register(command=["sh", "-c", "echo over tls"])
        job = helpers.wait_for_status(helpers.submit(queue, definition["jobDefinitionName"]),
                                      "SUCCEEDED")
        # It ran on the agent, which shipped its output back over TLS.
        helpers.wait_for_log(job["container"]["logStreamName"], "over tls")
    finally:
        agent.kill()


def test_a_key_that_is_not_the_certificates_is_refused_at_start(tmp_path):
    cert, _ = make_certificate(tmp_path / "a", "a")
    _, other_key = make_certificate(tmp_path / "b", "b")
    result = subprocess.run([str(binary_path()), "up", "--listen", "127.0.0.1:0", "--data-dir",
                             str(tmp_path / "data"), "--tls-cert", cert, "--tls-key", other_key],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "is not the private key of the certificate" in result.stderr, result.stderr
