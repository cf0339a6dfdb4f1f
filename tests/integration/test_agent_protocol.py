"""The server's side of the agent protocol (src/api/README.md, "Agent protocol"), driven directly
over HTTP the way `gleaner agent` drives it: registration into an UNMANAGED compute environment's
ECS cluster, assignments by long poll, log shipping, reports, lost agents, tokens and GPUs. The
agent daemon itself is exercised end to end in test_agent.py."""

from __future__ import annotations

import json
import re
import signal
import urllib.error
import urllib.parse
import urllib.request

import pytest

from gleaner_testlib import SIMSPOT_ARGS, unique

pytestmark = pytest.mark.gleaner_args(*SIMSPOT_ARGS)

INSTANCE_ID = re.compile(r"^i-[0-9a-f]{17}$")
HOST_TERMINATED = re.compile(r"^Host EC2 \(instance i-[0-9a-f]{17}\) terminated\.$")


# The credential the server gave with each instance id, which `call` sends as an agent does.
CREDENTIALS: dict[str, str] = {}


def call(gleaner, path, body, token=None, raw=False, query=None, credential=None):
    """POST to the agent protocol; returns (HTTP status, decoded JSON body). The request carries
    the credential of the instance id it names (from its registration), unless `credential` gives
    another ("" for none)."""
    if credential is None:
        named = (query or {}).get("instanceId") or (None if raw else body.get("instanceId"))
        credential = CREDENTIALS.get(named, "")
    url = gleaner.endpoint + "/gleaner/v1/agent/" + path
    if query:
        url += "?" + urllib.parse.urlencode(query)
    data = body if raw else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("Content-Type", "application/octet-stream" if raw else "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if credential:
        request.add_header("X-Gleaner-Agent-Credential", credential)
    try:
        with urllib.request.urlopen(request, timeout=40) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def unmanaged_stack(helpers, batch, resources=None):
    """An UNMANAGED CE, a queue on it and a definition; returns (cluster name, queue, definition)."""
    ce = unique("agents")
    batch.create_compute_environment(computeEnvironmentName=ce, type="UNMANAGED")
    environment = helpers.wait_for_ce(ce, "VALID")
    queue = helpers.create_queue(ces=[environment["computeEnvironmentArn"]])["jobQueueName"]
    container = {"resourceRequirements": resources} if resources else None
    definition = helpers.register(command=["sh", "-c", "echo hi"], container=container)
    return environment["ecsClusterArn"].split("cluster/", 1)[1], queue, definition["jobDefinitionName"]


def register(gleaner, cluster, gpus=0, token=None, instance_id=None, attempts=()):
    body = {"cluster": cluster, "hostname": "test-host",
            "resources": {"millivcpus": 4000, "memoryMib": 8192, "gpus": gpus},
            "attempts": [{"jobId": job, "attempt": n} for job, n in attempts]}
    if instance_id:
        body["instanceId"] = instance_id
    status, reply = call(gleaner, "register", body, token=token)
    assert status == 200, reply
    assert INSTANCE_ID.match(reply["instanceId"]), reply
    assert re.fullmatch(r"[0-9a-f]{64}", reply["agentCredential"]), reply
    CREDENTIALS[reply["instanceId"]] = reply["agentCredential"]
    return reply


def poll_assignments(gleaner, instance_id, count=1):
    """Long-polls until `count` assignments arrived; returns them."""
    assignments = []
    for _ in range(6):
        status, work = call(gleaner, "poll", {"instanceId": instance_id, "waitMillis": 5000})
        assert status == 200, work
        assignments += work["assignments"]
        if len(assignments) >= count:
            return assignments
    raise AssertionError(f"{len(assignments)} of {count} assignments arrived")


def poll_assignment(gleaner, instance_id):
    return poll_assignments(gleaner, instance_id)[0]


def report(gleaner, instance_id, *attempts):
    status, reply = call(gleaner, "report", {"instanceId": instance_id, "attempts": list(attempts)})
    assert status == 200, reply
    return reply


def test_an_agent_runs_an_assigned_attempt_to_success(gleaner, batch, helpers, aws):
    cluster, queue, definition = unmanaged_stack(helpers, batch)
    job_id = helpers.submit(queue, definition)
    helpers.wait_for_status(job_id, "RUNNABLE")

    joined = register(gleaner, cluster)
    instance_id = joined["instanceId"]
    assert joined["computeEnvironmentArn"].endswith(":compute-environment/" + cluster.split("_Batch_")[0])
    rc, out, err = aws("ecs", "list-container-instances", "--cluster", cluster)
    assert rc == 0, err
    assert out["containerInstanceArns"] == [joined["containerInstanceArn"]]

    assignment = poll_assignment(gleaner, instance_id)
    assert assignment["jobId"] == job_id and assignment["attempt"] == 1
    assert assignment["argv"] == ["sh", "-c", "echo hi"]
    assert f"AWS_BATCH_JOB_ID={job_id}" in assignment["environment"]
    assert not any(variable.startswith("PATH=") for variable in assignment["environment"])
    assert helpers.describe(job_id)["status"] == "STARTING"

    reply = report(gleaner, instance_id, {"jobId": job_id, "attempt": 1, "state": "RUNNING",
                                          "pid": 4242, "startTicks": 1})
    assert reply == {"acknowledged": [], "signals": []}
    assert helpers.describe(job_id)["status"] == "RUNNING"

    stream = assignment["logStreamName"]
    query = {"instanceId": instance_id, "logStreamName": stream, "offset": 0}
    assert call(gleaner, "logs", b"hi\nthere\n", raw=True, query=query) == (200, {"size": 9})
    # A resend from an earlier offset only adds what the server lacks.
    query["offset"] = 3
    assert call(gleaner, "logs", b"there\nagain\n", raw=True, query=query) == (200, {"size": 15})

    reply = report(gleaner, instance_id, {"jobId": job_id, "attempt": 1, "state": "EXITED",
                                          "exitCode": 0, "signal": 0})
    assert reply["acknowledged"] == [{"jobId": job_id, "attempt": 1}]
    job = helpers.wait_for_status(job_id, "SUCCEEDED")
    assert job["container"]["exitCode"] == 0
    assert helpers.log_lines(stream) == ["hi", "there", "again"]


@pytest.mark.gleaner_args(*SIMSPOT_ARGS, "--agent-lost-after", "1")
def test_a_silent_agent_is_declared_lost_and_its_attempt_ends_as_a_terminated_host(
        gleaner, batch, helpers):
    cluster, queue, definition = unmanaged_stack(helpers, batch)
    job_id = helpers.submit(queue, definition)
    instance_id = register(gleaner, cluster)["instanceId"]
    poll_assignment(gleaner, instance_id)
    report(gleaner, instance_id, {"jobId": job_id, "attempt": 1, "state": "RUNNING", "pid": 1,
                                  "startTicks": 1})
    # --agent-lost-after 1: one silent second later the host is gone.
    job = helpers.wait_for_status(job_id, "FAILED", timeout=15)
    assert HOST_TERMINATED.match(job["statusReason"]), job["statusReason"]
    assert instance_id in job["statusReason"]
    status, error = call(gleaner, "poll", {"instanceId": instance_id, "waitMillis": 0})
    assert status == 404 and error["__type"] == "AgentNotRegisteredException", error

    # It comes back with the same id and still runs that attempt: the server has it killed.
    register(gleaner, cluster, instance_id=instance_id, attempts=[(job_id, 1)])
    reply = report(gleaner, instance_id, {"jobId": job_id, "attempt": 1, "state": "RUNNING",
                                          "pid": 1, "startTicks": 1})
    assert reply["signals"] == [{"jobId": job_id, "attempt": 1, "signal": signal.SIGKILL}]


def test_assignments_lost_with_an_agent_restart_are_sent_again(gleaner, batch, helpers):
    cluster, queue, definition = unmanaged_stack(helpers, batch)
    job_id = helpers.submit(queue, definition)
    instance_id = register(gleaner, cluster)["instanceId"]
    first = poll_assignment(gleaner, instance_id)
    # The agent died before starting it, and registers again holding nothing.
    register(gleaner, cluster, instance_id=instance_id)
    again = poll_assignment(gleaner, instance_id)
    assert again == first


def test_gpu_jobs_get_their_own_devices(gleaner, batch, helpers):
    resources = [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "64"},
                 {"type": "GPU", "value": "1"}]
    cluster, queue, definition = unmanaged_stack(helpers, batch, resources)
    first, second = helpers.submit(queue, definition), helpers.submit(queue, definition)
    instance_id = register(gleaner, cluster, gpus=2)["instanceId"]
    devices = {}
    for assignment in poll_assignments(gleaner, instance_id, 2):
        variables = dict(variable.split("=", 1) for variable in assignment["environment"])
        assert variables["CUDA_VISIBLE_DEVICES"] == variables["NVIDIA_VISIBLE_DEVICES"]
        devices[assignment["jobId"]] = variables["CUDA_VISIBLE_DEVICES"]
    assert sorted(devices.values()) == ["0", "1"]
    assert set(devices) == {first, second}


def test_protocol_errors_are_client_errors(gleaner, batch, helpers):
    status, error = call(gleaner, "register", {"cluster": "nope", "resources": {
        "millivcpus": 1000, "memoryMib": 512}})
    assert status == 400 and error["__type"] == "ClientException"
    assert "cluster" in error["message"] and "nope" in error["message"]
    cluster, _, _ = unmanaged_stack(helpers, batch)
    status, error = call(gleaner, "register", {"cluster": cluster, "resources": {
        "millivcpus": 0, "memoryMib": 512}})
    assert status == 400 and "resources" in error["message"]
    status, error = call(gleaner, "register", {"cluster": cluster, "instanceId": "host-1",
                                               "resources": {"millivcpus": 1000, "memoryMib": 1}})
    assert status == 400 and "instanceId" in error["message"]
    # An id nobody proved is refused before anything is said of it.
    status, error = call(gleaner, "report", {"instanceId": "i-0123456789abcdef0", "attempts": []})
    assert status == 403 and error["__type"] == "AgentIdentityException"
    instance_id = register(gleaner, cluster)["instanceId"]
    status, error = call(gleaner, "logs", b"x", raw=True, query={
        "instanceId": instance_id, "logStreamName": "jd/default/abc", "offset": 0})
    assert status == 400 and "logStreamName" in error["message"]
    status, error = call(gleaner, "logs", b"x", raw=True, query={
        "instanceId": instance_id, "logStreamName": "jd/default/abc", "offset": -1})
    assert status == 400 and "offset" in error["message"]
    # A report about an attempt the server never gave this agent: stop it.
    reply = report(gleaner, instance_id, {"jobId": "no-such-job", "attempt": 1, "state": "RUNNING",
                                          "pid": 7, "startTicks": 7})
    assert reply["signals"] == [{"jobId": "no-such-job", "attempt": 1, "signal": signal.SIGKILL}]


@pytest.mark.gleaner_args(*SIMSPOT_ARGS, "--agent-token", "s3cret")
def test_a_server_with_a_token_admits_only_agents_presenting_it(gleaner, batch, helpers):
    cluster, _, _ = unmanaged_stack(helpers, batch)
    body = {"cluster": cluster, "resources": {"millivcpus": 1000, "memoryMib": 512}}
    status, error = call(gleaner, "register", body)
    assert status == 403 and "agent-token" in error["message"], error
    status, error = call(gleaner, "register", body, token="wrong")
    assert status == 403
    register(gleaner, cluster, token="s3cret")


@pytest.mark.gleaner_args(*SIMSPOT_ARGS, "--agent-lost-after", "5")
def test_an_assignment_whose_poll_answer_was_lost_is_sent_again(gleaner, batch, helpers):
    cluster, queue, definition = unmanaged_stack(helpers, batch)
    job_id = helpers.submit(queue, definition)
    instance_id = register(gleaner, cluster)["instanceId"]
    first = poll_assignment(gleaner, instance_id)  # ... and the agent never got this answer
    status, work = call(gleaner, "poll", {"instanceId": instance_id, "waitMillis": 0})
    assert status == 200 and work["assignments"] == [], "not sent again at once"
    again = None
    for _ in range(40):  # sent again once two heartbeats (2 × 1 s here) passed unconfirmed
        report(gleaner, instance_id)
        status, work = call(gleaner, "poll", {"instanceId": instance_id, "waitMillis": 250})
        assert status == 200, work
        if work["assignments"]:
            again = work["assignments"][0]
            break
    assert again == first
    report(gleaner, instance_id, {"jobId": job_id, "attempt": 1, "state": "RUNNING", "pid": 9,
                                  "startTicks": 9})
    assert helpers.describe(job_id)["status"] == "RUNNING"


def test_a_running_attempt_the_agent_stops_reporting_ends(gleaner, batch, helpers):
    cluster, queue, definition = unmanaged_stack(helpers, batch)
    job_id = helpers.submit(queue, definition)
    instance_id = register(gleaner, cluster)["instanceId"]
    poll_assignment(gleaner, instance_id)
    report(gleaner, instance_id, {"jobId": job_id, "attempt": 1, "state": "RUNNING", "pid": 9,
                                  "startTicks": 9})
    report(gleaner, instance_id)  # it lost track of it (its work directory was wiped, say)
    job = helpers.wait_for_status(job_id, "FAILED")
    assert job["statusReason"] == (f"CannotInspectContainerError: the agent on instance "
                                   f"{instance_id} no longer reports this attempt")


def test_an_agent_cannot_take_an_instance_id_that_is_not_its_own(gleaner, batch, helpers, aws):
    first_cluster, _, _ = unmanaged_stack(helpers, batch)
    second_cluster, _, _ = unmanaged_stack(helpers, batch)
    instance_id = register(gleaner, first_cluster)["instanceId"]
    status, error = call(gleaner, "register", {
        "cluster": second_cluster, "instanceId": instance_id,
        "resources": {"millivcpus": 1000, "memoryMib": 512}})
    assert status == 400 and error["message"].startswith(f"instanceId: {instance_id}"), error
    # Its own agent registering again (a restart) is welcome, with what it offers now.
    status, again = call(gleaner, "register", {
        "cluster": first_cluster, "instanceId": instance_id,
        "resources": {"millivcpus": 6000, "memoryMib": 1024}})
    assert status == 200 and again["instanceId"] == instance_id, again
    rc, out, err = aws("ecs", "describe-container-instances", "--cluster", first_cluster,
                       "--container-instances", instance_id)
    assert rc == 0, err
    registered = {r["name"]: r.get("integerValue")
                  for r in out["containerInstances"][0]["registeredResources"]}
    assert registered["CPU"] == 6144 and registered["MEMORY"] == 1024, registered


def test_reports_missing_what_their_state_needs_are_refused(gleaner, batch, helpers):
    cluster, _, _ = unmanaged_stack(helpers, batch)
    instance_id = register(gleaner, cluster)["instanceId"]
    for attempt, field in [({"state": "RUNNING"}, "pid"),
                           ({"state": "EXITED", "signal": 0}, "exitCode"),
                           ({"state": "LAUNCH_FAILED"}, "reason")]:
        status, error = call(gleaner, "report", {"instanceId": instance_id, "attempts": [
            {"jobId": "j", "attempt": 1, **attempt}]})
        assert status == 400 and field in error["message"], (attempt, error)


# ---- identity: an instance id belongs to the agent that registered it (issue 10, item 5) ----

def test_an_agent_cannot_impersonate_another(gleaner, batch, helpers):
    cluster, queue, definition = unmanaged_stack(helpers, batch)
    victim = register(gleaner, cluster)["instanceId"]
    job_id = helpers.submit(queue, definition)
    assignment = poll_assignment(gleaner, victim)
    forged = "0" * 64
    for credential in ("", forged, CREDENTIALS[victim][:-1]):
        # Taking over the id, with more resources,
        status, error = call(gleaner, "register", {
            "cluster": cluster, "instanceId": victim,
            "resources": {"millivcpus": 64000, "memoryMib": 65536}}, credential=credential)
        assert status == 403 and error["__type"] == "AgentIdentityException", error
        # receiving its assignments,
        status, error = call(gleaner, "poll", {"instanceId": victim, "waitMillis": 0},
                             credential=credential)
        assert status == 403 and error["__type"] == "AgentIdentityException", error
        # reporting its job done,
        status, error = call(gleaner, "report", {"instanceId": victim, "attempts": [
            {"jobId": job_id, "attempt": 1, "state": "EXITED", "exitCode": 0, "signal": 0}]},
                             credential=credential)
        assert status == 403 and error["__type"] == "AgentIdentityException", error
        # or writing its log are all refused.
        status, error = call(gleaner, "logs", b"forged\n", raw=True, credential=credential,
                             query={"instanceId": victim,
                                    "logStreamName": assignment["logStreamName"], "offset": 0})
        assert status == 403 and error["__type"] == "AgentIdentityException", error
    assert helpers.describe(job_id)["status"] in ("STARTING", "RUNNING")
    # Another agent's credential does not prove this id either.
    other = register(gleaner, cluster)["instanceId"]
    status, error = call(gleaner, "poll", {"instanceId": victim, "waitMillis": 0},
                         credential=CREDENTIALS[other])
    assert status == 403, error
    # The real agent goes on.
    report(gleaner, victim, {"jobId": job_id, "attempt": 1, "state": "EXITED", "exitCode": 0,
                             "signal": 0})
    assert helpers.wait_for_status(job_id, "SUCCEEDED")["status"] == "SUCCEEDED"


def test_a_credential_holds_across_a_server_restart(gleaner, batch, helpers):
    cluster, _, _ = unmanaged_stack(helpers, batch)
    instance_id = register(gleaner, cluster)["instanceId"]
    gleaner.restart()
    again = register(gleaner, cluster, instance_id=instance_id)
    assert again["instanceId"] == instance_id
    assert again["agentCredential"] == CREDENTIALS[instance_id]
    assert (gleaner.data_dir / "agent-key").stat().st_mode & 0o777 == 0o600


def test_the_token_can_come_from_a_file(tmp_path, batch_for_token_file):
    server, token = batch_for_token_file
    status, error = call(server, "register", {"cluster": "x", "resources": {
        "millivcpus": 1000, "memoryMib": 512}}, token="wrong")
    assert status == 403, error
    status, error = call(server, "register", {"cluster": "no-such-cluster", "resources": {
        "millivcpus": 1000, "memoryMib": 512}}, token=token)
    assert status == 400 and "no-such-cluster" in error["message"], error


@pytest.fixture
def batch_for_token_file(tmp_path):
    from gleaner_testlib import start_gleaner
    token = "file-token-0123"
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    server = start_gleaner(tmp_path / "server", ["--agent-token-file", str(token_file)])
    try:
        yield server, token
    finally:
        server.shutdown()
