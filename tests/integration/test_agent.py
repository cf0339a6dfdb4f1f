"""`gleaner agent` end to end: agents join an UNMANAGED compute environment by its ECS cluster and
run its jobs as processes of their own; an agent that dies is declared lost and its attempt is
retried on another agent (scenario (e)); a restarted agent re-attaches to the attempts it left
running. Driven with /usr/bin/aws and boto3 like the other integration tests."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from gleaner_testlib import SIMSPOT_ARGS, binary_path, unique

pytestmark = pytest.mark.gleaner_args(*SIMSPOT_ARGS, "--agent-lost-after", "2")

JOINED = re.compile(r"^gleaner agent (i-[0-9a-f]{17}) joined (\S+)")
RETRY_ON_HOST_LOSS = {"attempts": 2, "evaluateOnExit": [
    {"onStatusReason": "Host EC2*", "action": "RETRY"},
    {"onReason": "*", "action": "EXIT"}]}


class Agent:
    """One `gleaner agent` process with its own work directory."""

    def __init__(self, server, cluster: str, work_dir: Path, *extra: str):
        self.server, self.cluster, self.work_dir, self.extra = server, cluster, work_dir, extra
        self.proc: subprocess.Popen | None = None
        self.instance_id: str | None = None
        self.starts = 0

    def start(self, expect_join: bool = True, timeout: float = 20):
        self.starts += 1
        stderr_path = self.work_dir.parent / f"{self.work_dir.name}-{self.starts}.stderr"
        self.stderr_path = stderr_path
        # Processes unless the test asks for containers (as the servers of these tests do).
        runtime = [] if "--runtime" in self.extra else ["--runtime", "process"]
        command = [str(binary_path()), "agent", "--server", self.server.endpoint, "--cluster",
                   self.cluster, "--work-dir", str(self.work_dir), "--vcpus", "2", "--memory",
                   "2048", *runtime, *self.extra]
        with open(stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=stderr)
        if not expect_join:
            return
        lines: queue.Queue = queue.Queue()

        def pump():
            for raw in iter(self.proc.stdout.readline, b""):
                lines.put(raw.decode(errors="replace").rstrip("\n"))
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        self.stdout_lines: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                break
            self.stdout_lines.append(line)
            match = JOINED.match(line)
            if match:
                self.instance_id = match.group(1)
                # The line after it says how attempts run.
                runtime_line = lines.get(timeout=timeout)
                if runtime_line is not None:
                    self.stdout_lines.append(runtime_line)
                return
        raise AssertionError(f"the agent did not join within {timeout}s; stderr:\n"
                             f"{stderr_path.read_text(errors='replace')[-3000:]}")

    def wait_exit(self, timeout: float = 20) -> int:
        return self.proc.wait(timeout=timeout)

    def kill(self, sig=signal.SIGKILL):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=20)


@pytest.fixture
def agents(gleaner, tmp_path):
    started: list[Agent] = []

    def start(cluster: str, *extra: str, name: str | None = None, expect_join: bool = True):
        agent = Agent(gleaner, cluster, tmp_path / (name or unique("agent")), *extra)
        started.append(agent)
        agent.start(expect_join=expect_join)
        return agent

    yield start
    for agent in started:
        agent.kill()


def unmanaged_queue(helpers, batch):
    """An UNMANAGED CE and a queue on it; returns (cluster name, queue name)."""
    ce = unique("fleet")
    batch.create_compute_environment(computeEnvironmentName=ce, type="UNMANAGED")
    environment = helpers.wait_for_ce(ce, "VALID")
    queue_name = helpers.create_queue(ces=[environment["computeEnvironmentArn"]])["jobQueueName"]
    return environment["ecsClusterArn"].split("cluster/", 1)[1], queue_name


def test_a_waiting_job_runs_on_the_agent_that_joins_its_cluster(gleaner, batch, helpers, aws,
                                                                  agents):
    cluster, queue_name = unmanaged_queue(helpers, batch)
    definition = helpers.register(command=["sh", "-c", "echo on $AWS_BATCH_CE_NAME; echo cwd=$(pwd); env"])
    job_id = helpers.submit(queue_name, definition["jobDefinitionName"])
    helpers.wait_for_status(job_id, "RUNNABLE")

    agent = agents(cluster)
    job = helpers.wait_for_status(job_id, "SUCCEEDED")
    rc, out, err = aws("ecs", "describe-container-instances", "--cluster", cluster,
                       "--container-instances", agent.instance_id)
    assert rc == 0, err
    [instance] = out["containerInstances"]
    assert instance["ec2InstanceId"] == agent.instance_id
    assert job["container"]["containerInstanceArn"] == instance["containerInstanceArn"]
    env = helpers.job_env(job)
    assert env["AWS_BATCH_JOB_ID"] == job_id
    assert env["AWS_BATCH_JOB_ATTEMPT"] == "1"
    assert env["PATH"]  # the agent's own, under the job's variables
    assert os.path.realpath(env["cwd"]).startswith(os.path.realpath(agent.work_dir))
    lines = helpers.log_lines(job["container"]["logStreamName"])
    assert lines[0] == "on " + cluster.split("_Batch_")[0]


# Scenario (e), with /usr/bin/aws as a user would drive it: the agent running an attempt dies with
# its machine; the server declares it lost after --agent-lost-after, the attempt ends as a terminated
# host, and the retry strategy runs it again on another agent.
def test_an_attempt_on_a_killed_agent_is_retried_on_another(gleaner, aws, helpers, agents):
    ce, queue_name, definition = unique("fleet"), unique("jq"), unique("jd")
    rc, out, err = aws("batch", "create-compute-environment", "--compute-environment-name", ce,
                       "--type", "UNMANAGED")
    assert rc == 0, err
    cluster = helpers.wait_for_ce(ce, "VALID")["ecsClusterArn"].split("cluster/", 1)[1]
    rc, out, err = aws("batch", "create-job-queue", "--job-queue-name", queue_name, "--priority",
                       "1", "--compute-environment-order",
                       json.dumps([{"order": 1, "computeEnvironment": ce}]))
    assert rc == 0, err
    helpers.wait_for_queue(queue_name, "VALID")
    pidfile = gleaner.pid_dir / "first-attempt.pid"
    command = ["sh", "-c", f'if [ "$AWS_BATCH_JOB_ATTEMPT" = 1 ]; then echo $$ > {pidfile}; '
                           f'exec sleep 300; fi; echo second attempt on $AWS_BATCH_JOB_ATTEMPT']
    rc, out, err = aws("batch", "register-job-definition", "--job-definition-name", definition,
                       "--type", "container", "--retry-strategy", json.dumps(RETRY_ON_HOST_LOSS),
                       "--container-properties",
                       json.dumps({"image": "busybox", "command": command,
                                   "resourceRequirements": [{"type": "VCPU", "value": "1"},
                                                            {"type": "MEMORY", "value": "256"}]}))
    assert rc == 0, err
    first = agents(cluster)
    rc, out, err = aws("batch", "submit-job", "--job-name", unique("job"), "--job-queue",
                       queue_name, "--job-definition", definition)
    assert rc == 0, err
    job_id = out["jobId"]
    helpers.wait_for_status(job_id, "RUNNING")
    pid = helpers.wait_for_pid("first-attempt")
    second = agents(cluster)

    # The machine goes away: the agent and everything it ran.
    first.kill()
    os.killpg(os.getpgid(pid), signal.SIGKILL)

    helpers.wait_for_status(job_id, "SUCCEEDED", timeout=30)
    rc, out, err = aws("batch", "describe-jobs", "--jobs", job_id)
    assert rc == 0, err
    [job] = out["jobs"]
    assert len(job["attempts"]) == 2
    lost, retried = job["attempts"]
    assert lost["statusReason"] == f"Host EC2 (instance {first.instance_id}) terminated."
    assert first.instance_id != second.instance_id
    assert retried["container"]["containerInstanceArn"].endswith("/" + second.instance_id)
    assert helpers.log_lines(retried["container"]["logStreamName"]) == ["second attempt on 2"]


def test_a_restarted_agent_reattaches_to_the_attempt_it_left_running(gleaner, batch, helpers,
                                                                     agents, tmp_path):
    cluster, queue_name = unmanaged_queue(helpers, batch)
    gate = tmp_path / "gate"
    command = ["sh", "-c", f"echo started; while [ ! -e {gate} ]; do sleep 0.05; done; "
                           "echo finished; exit 3"]
    definition = helpers.register(command=command)
    agent = agents(cluster, name="reattach")
    job_id = helpers.submit(queue_name, definition["jobDefinitionName"])
    job = helpers.wait_for_status(job_id, "RUNNING")
    helpers.wait_for_log(job["container"]["logStreamName"], "started")

    agent.kill(signal.SIGKILL)  # the agent crashes; the attempt goes on without it
    gate.touch()                 # ... and ends while no agent watches it
    agent.start()                # same work directory: same instance, re-attached
    job = helpers.wait_for_status(job_id, "FAILED", timeout=30)
    assert len(job["attempts"]) == 1
    assert job["container"]["exitCode"] == 3
    assert helpers.log_lines(job["container"]["logStreamName"]) == ["started", "finished"]


def test_an_attempt_on_an_agent_outlives_a_restart_of_the_server(gleaner, batch, helpers, agents,
                                                                 tmp_path):
    cluster, queue_name = unmanaged_queue(helpers, batch)
    gate = tmp_path / "gate"
    command = ["sh", "-c", f"echo started; while [ ! -e {gate} ]; do sleep 0.05; done; "
                           "echo finished"]
    definition = helpers.register(command=command)
    agent = agents(cluster)
    job_id = helpers.submit(queue_name, definition["jobDefinitionName"])
    job = helpers.wait_for_status(job_id, "RUNNING")
    helpers.wait_for_log(job["container"]["logStreamName"], "started")

    gleaner.restart(graceful=False, same_port=True)  # a crash: the agent finds the server back
    assert helpers.describe(job_id)["status"] == "RUNNING"
    gate.touch()
    job = helpers.wait_for_status(job_id, "SUCCEEDED", timeout=30)
    assert len(job["attempts"]) == 1
    assert job["container"]["containerInstanceArn"].endswith("/" + agent.instance_id)
    assert helpers.log_lines(job["container"]["logStreamName"]) == ["started", "finished"]


@pytest.mark.gleaner_args(*SIMSPOT_ARGS, "--agent-lost-after", "2")
def test_an_attempt_whose_agent_never_returns_after_a_restart_ends_with_its_host(
        gleaner, batch, helpers, agents):
    cluster, queue_name = unmanaged_queue(helpers, batch)
    definition = helpers.register(command=["sleep", "300"])
    agent = agents(cluster)
    job_id = helpers.submit(queue_name, definition["jobDefinitionName"])
    helpers.wait_for_status(job_id, "RUNNING")
    agent.kill()
    gleaner.restart(graceful=True)
    job = helpers.wait_for_status(job_id, "FAILED", timeout=30)
    assert job["statusReason"] == f"Host EC2 (instance {agent.instance_id}) terminated."


def test_terminate_job_signals_the_attempt_on_its_agent(gleaner, batch, helpers, agents):
    cluster, queue_name = unmanaged_queue(helpers, batch)
    command = ["sh", "-c", "trap 'echo got TERM; exit 0' TERM; echo ready; "
                           "while true; do sleep 0.05; done"]
    definition = helpers.register(command=command)
    agents(cluster)
    job_id = helpers.submit(queue_name, definition["jobDefinitionName"])
    job = helpers.wait_for_status(job_id, "RUNNING")
    helpers.wait_for_log(job["container"]["logStreamName"], "ready")
    batch.terminate_job(jobId=job_id, reason="stopped by the test")
    job = helpers.wait_for_status(job_id, "FAILED")
    assert job["statusReason"] == "stopped by the test"
    assert "got TERM" in helpers.log_lines(job["container"]["logStreamName"])


def test_gpu_jobs_run_only_on_an_agent_with_gpus_and_see_their_devices(gleaner, batch, helpers,
                                                                       agents):
    cluster, queue_name = unmanaged_queue(helpers, batch)
    definition = helpers.register(
        command=["sh", "-c", "echo cuda=$CUDA_VISIBLE_DEVICES nvidia=$NVIDIA_VISIBLE_DEVICES"],
        container={"resourceRequirements": [{"type": "VCPU", "value": "1"},
                                            {"type": "MEMORY", "value": "64"},
                                            {"type": "GPU", "value": "1"}]})
    agents(cluster, "--gpus", "0")
    job_id = helpers.submit(queue_name, definition["jobDefinitionName"])
    helpers.wait_for_status(job_id, "RUNNABLE")
    helpers.poll(lambda: "GPU" in (helpers.describe(job_id).get("statusReason") or ""), 10,
                 "the job to say it waits for a GPU")
    with_gpus = agents(cluster, "--gpus", "1")
    job = helpers.wait_for_status(job_id, "SUCCEEDED")
    assert job["container"]["containerInstanceArn"].endswith("/" + with_gpus.instance_id)
    assert helpers.log_lines(job["container"]["logStreamName"]) == ["cuda=0 nvidia=0"]


@pytest.mark.gleaner_args(*SIMSPOT_ARGS, "--agent-token", "s3cret")
def test_an_agent_without_the_servers_token_is_refused(gleaner, batch, helpers, agents):
    cluster, _ = unmanaged_queue(helpers, batch)
    refused = agents(cluster, "--token", "wrong", expect_join=False)
    assert refused.wait_exit() == 1
    assert "agent-token" in refused.stderr_path.read_text()
    admitted = agents(cluster, "--token", "s3cret")
    assert admitted.instance_id


def test_an_agent_for_an_unknown_cluster_says_so(gleaner, agents):
    agent = agents("no-such-cluster", expect_join=False)
    assert agent.wait_exit() == 1
    assert "no-such-cluster" in agent.stderr_path.read_text()


@pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs the agent to be root")
def test_an_agents_job_runs_as_its_definitions_user(gleaner, batch, helpers, agents):
    cluster, queue_name = unmanaged_queue(helpers, batch)
    agents(cluster)
    definition = helpers.register(command=["sh", "-c", "echo uid=$(id -u)"],
                                  container={"user": "nobody"})
    job = helpers.wait_for_status(helpers.submit(queue_name, definition["jobDefinitionName"]),
                                  "SUCCEEDED")
    helpers.wait_for_log(job["container"]["logStreamName"], "uid=65534")
    missing = helpers.register(command=["true"], container={"user": "no-such-user-here"})
    failed = helpers.wait_for_status(helpers.submit(queue_name, missing["jobDefinitionName"]),
                                     "FAILED")
    assert "unable to find user no-such-user-here" in failed["statusReason"], failed


def test_a_multinode_jobs_nodes_on_agents_reach_the_main_node_at_its_agents_address(
        gleaner, batch, helpers, agents, tmp_path):
    cluster, queue_name = unmanaged_queue(helpers, batch)
    # Two machines as two loopback addresses: each node takes a whole agent (2 vCPUs).
    addresses = {}
    for address in ("127.0.0.2", "127.0.0.3"):
        agent = agents(cluster, "--advertise-address", address)
        addresses[agent.instance_id] = address
    gate = tmp_path / "node-1-started"
    node = {"image": "busybox", "resourceRequirements": [{"type": "VCPU", "value": "2"},
                                                          {"type": "MEMORY", "value": "512"}]}
    definition = batch.register_job_definition(
        jobDefinitionName=unique("mnp"), type="multinode",
        nodeProperties={"numNodes": 2, "mainNode": 0, "nodeRangeProperties": [
            {"targetNodes": "0", "container": {
                **node, "command": ["sh", "-c", f"while [ ! -e {gate} ]; do sleep 0.1; done"]}},
            {"targetNodes": "1", "container": {
                **node, "command": ["sh", "-c", "echo main=$AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_"
                                                f"ADDRESS; touch {gate}"]}}]})
    job_id = helpers.submit(queue_name, definition["jobDefinitionName"])
    helpers.wait_for_status(job_id, "SUCCEEDED", timeout=60)
    nodes = {job["jobId"]: job for job in
             batch.describe_jobs(jobs=[f"{job_id}#0", f"{job_id}#1"])["jobs"]}
    main, other = nodes[f"{job_id}#0"], nodes[f"{job_id}#1"]
    main_instance = main["container"]["containerInstanceArn"].rsplit("/", 1)[1]
    other_instance = other["container"]["containerInstanceArn"].rsplit("/", 1)[1]
    assert main_instance != other_instance
    lines = helpers.wait_for_log(other["container"]["logStreamName"], "main=")
    assert f"main={addresses[main_instance]}" in lines
