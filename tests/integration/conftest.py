"""Fixtures for gleaner's integration tests.

Every test that asks for `gleaner` gets its own `gleaner up` on a free loopback port with a fresh
data directory (extra command-line flags with `@pytest.mark.gleaner_args("--vcpus", "1")`). A
module may override `gleaner` with a module-scoped server built by `start_gleaner` (see
test_validation.py).

The binary is $GLEANER_BINARY or <repo>/build/gleaner.
"""

from __future__ import annotations

import pytest

from gleaner_testlib import AwsCli, Batch, FollowingClient, run_gleaner_cli, start_gleaner


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "gleaner_args(*flags): extra flags for `gleaner up` (replace the defaults given "
                   "for the same flag)")


@pytest.fixture
def gleaner(request, tmp_path):
    marker = request.node.get_closest_marker("gleaner_args")
    extra = list(marker.args) if marker else []
    server = start_gleaner(tmp_path / "gleaner", extra)
    try:
        yield server
    finally:
        problems = server.shutdown()
        if problems:
            pytest.fail("gleaner teardown: " + "\n".join(problems), pytrace=False)


@pytest.fixture(autouse=True)
def _gleaner_still_alive(request):
    """After each test using a server (module-scoped ones too), fail clearly if it died under it."""
    if "gleaner" not in request.fixturenames:
        yield
        return
    server = request.getfixturevalue("gleaner")
    if server.proc is not None and server.proc.poll() is not None and server._expected_exit:
        # A shared (module-scoped) server that died in an earlier test, which already failed for
        # it: start it again on the same data directory so the remaining tests still say something.
        server.start()
    yield
    server.check_alive()


@pytest.fixture
def batch(gleaner):
    """boto3 Batch client on the server (dummy credentials, us-east-1, no retries)."""
    return FollowingClient(gleaner, "batch")


@pytest.fixture
def logs(gleaner):
    """boto3 CloudWatch Logs client on the same endpoint."""
    return FollowingClient(gleaner, "logs")


@pytest.fixture
def s3(gleaner):
    """boto3 S3 client on the server (path-style, as botocore addresses an IP endpoint)."""
    return FollowingClient(gleaner, "s3")


@pytest.fixture
def bucket(s3, request):
    """A bucket made for the test, named by the module's BUCKET."""
    name = getattr(request.module, "BUCKET")
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def aws(gleaner, tmp_path_factory):
    """aws(*args) -> (rc, parsed JSON or stdout, stderr) with /usr/bin/aws on the server."""
    return AwsCli(gleaner, tmp_path_factory.mktemp("aws-home"))


@pytest.fixture
def helpers(gleaner, batch, logs):
    """Batch(...) helpers: create_ce/create_queue/register/stack/submit/wait_for_status/logs."""
    return Batch(gleaner, batch, logs)


@pytest.fixture
def stack(helpers):
    """A ready CE + queue + job definition (`sh -c 'echo hi'`)."""
    return helpers.stack()


@pytest.fixture
def wait_for_status(helpers):
    """wait_for_status(job_id, statuses, timeout=30) -> JobDetail."""
    return helpers.wait_for_status


@pytest.fixture
def gleaner_cli(gleaner):
    """gleaner_cli(*args) runs a client subcommand of the binary (e.g. "logs", job_id, ...)."""
    def run(*args, timeout: float = 30):
        return run_gleaner_cli(gleaner, *args, timeout=timeout)
    return run
