"""Jobs run in their container image (`gleaner up --runtime container`) on real podman.

No registry is reachable here: the images are made from Debian's busybox-static with `podman import`
into a podman store of the test's own (CONTAINERS_STORAGE_CONF), under the names the tutorials'
job definitions use. scripts/install-deps.sh installs podman; CI sets GLEANER_REQUIRE_CONTAINERS, so
these tests fail there instead of skipping when podman does not work."""

import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import threading
import time
from pathlib import Path

import pytest

from gleaner_testlib import AWS_CLI, COMPUTE_RESOURCES, SIMSPOT_ARGS, client_env, unique
from test_agent import agents, unmanaged_queue  # noqa: F401 (agents is a fixture)

BUSYBOX = "/bin/busybox"
TEST_IMAGE = "localhost/gleaner-busybox:latest"
# The tutorials' images, made locally under their names.
TUTORIAL_PROCESSOR = "123456789012.dkr.ecr.us-east-1.amazonaws.com/processor:latest"
TUTORIAL_HELLO = "hello-world"
CMD_TEXT = "hello from the CMD of the image"
OUT_OF_MEMORY = "OutOfMemoryError: Container killed due to memory usage"

CONTAINER_ARGS = ("--runtime", "container", "--image-pull", "prefer-cached")


def podman_env(storage_conf: Path) -> dict:
    env = dict(os.environ)
    env["CONTAINERS_STORAGE_CONF"] = str(storage_conf)
    return env


def rootfs_tar() -> bytes:
    """busybox-static with every applet, /tmp, and a passwd naming root and nobody."""
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        def add_dir(name, mode=0o755):
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, mode
            tar.addfile(info)
        def add_file(name, data: bytes, mode=0o644):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
        for directory in ("bin", "etc", "data"):
            add_dir(directory)
        add_dir("tmp", 0o1777)
        add_file("bin/busybox", Path(BUSYBOX).read_bytes(), 0o755)
        for applet in applets:
            if applet != "busybox":
                info = tarfile.TarInfo(f"bin/{applet}")
                info.type, info.linkname = tarfile.SYMTYPE, "busybox"
                tar.addfile(info)
        add_file("etc/passwd", b"root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """A podman store of the module's own with the test images; its storage.conf goes to every
    `gleaner up` of the module through the environment."""
    podman = shutil.which("podman")
    problem = None
    if podman is None:
        problem = "podman is not installed (scripts/install-deps.sh installs it)"
    elif not Path(BUSYBOX).exists():
        problem = f"{BUSYBOX} is missing (Debian's busybox-static)"
    if problem:
        if os.environ.get("GLEANER_REQUIRE_CONTAINERS"):
            pytest.fail(problem)
        pytest.skip(problem)
    root = tmp_path_factory.mktemp("podman-store")
    storage_conf = root / "storage.conf"
    storage_conf.write_text(f'[storage]\ndriver = "overlay"\ngraphroot = "{root}/graph"\n'
                            f'runroot = "{root}/run"\n')
    (root / "rootfs.tar").write_bytes(rootfs_tar())
    env = podman_env(storage_conf)
    # gleaner's own podman settings (CONTAINERS_CONF) come from its data directory; for the import
    # these are enough.
    conf = root / "containers.conf"
    conf.write_text('[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n')
    env["CONTAINERS_CONF"] = str(conf)
    cmd = json.dumps(["sh", "-c", f"echo {CMD_TEXT}: job $AWS_BATCH_JOB_ID attempt "
                                  "$AWS_BATCH_JOB_ATTEMPT"])
    subprocess.run([podman, "import", "--change", f"CMD {cmd}", str(root / "rootfs.tar"),
                    TEST_IMAGE], env=env, check=True, capture_output=True, timeout=120)
    for name in (TUTORIAL_PROCESSOR, TUTORIAL_HELLO):
        subprocess.run([podman, "tag", TEST_IMAGE, name], env=env, check=True,
                       capture_output=True, timeout=60)
    previous = os.environ.get("CONTAINERS_STORAGE_CONF")
    os.environ["CONTAINERS_STORAGE_CONF"] = str(storage_conf)  # for the servers started here
    try:
        yield {"podman": podman, "env": env, "root": root}
    finally:
        if previous is None:
            os.environ.pop("CONTAINERS_STORAGE_CONF", None)
        else:
            os.environ["CONTAINERS_STORAGE_CONF"] = previous
        # Only this store's containers and images (never `podman system reset`, which would also
        # remove the machine's own networks).
        subprocess.run([podman, "rm", "--all", "--force"], env=env, capture_output=True,
                       timeout=120)
        subprocess.run([podman, "rmi", "--all", "--force"], env=env, capture_output=True,
                       timeout=120)


def containers_left(images) -> list[str]:
    listed = subprocess.run([images["podman"], "ps", "--all", "--format", "{{.Names}}",
                             "--filter", "label=io.gleaner.attempt"], env=images["env"],
                            capture_output=True, text=True, timeout=60)
    return listed.stdout.split()


def wait_until_no_containers_left(images, timeout: float = 30) -> None:
    """Containers are removed once their attempt's end is concluded, just after the job ends."""
    deadline = time.monotonic() + timeout
    while containers_left(images) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert containers_left(images) == []


def run_literally(gleaner, tmp_path, script: str) -> subprocess.CompletedProcess:
    """A tutorial's shell text as it is, with only --endpoint-url added to its `aws` commands."""
    env = client_env(tmp_path)
    env["GLEANER_ENDPOINT"] = gleaner.endpoint
    prelude = f'aws() {{ {AWS_CLI} --endpoint-url "$GLEANER_ENDPOINT" "$@"; }}\n'
    return subprocess.run(["bash", "-c", prelude + script], env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.gleaner_args(*CONTAINER_ARGS)
def test_up_says_which_runtime_it_uses(images, gleaner):
    lines = gleaner._stdout_lines
    assert any(line.strip().startswith("runtime: container (podman ") for line in lines[:4]), lines


@pytest.mark.gleaner_args(*CONTAINER_ARGS)
def test_an_image_without_a_command_runs_its_cmd(images, helpers, stack, wait_for_status):
    definition = helpers.register(container={"image": TEST_IMAGE})
    job_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"])
    job = wait_for_status(job_id, "SUCCEEDED", timeout=60)
    assert job["container"]["exitCode"] == 0
    helpers.wait_for_log(job["container"]["logStreamName"], f"{CMD_TEXT}: job {job_id} attempt 1")
    assert containers_left(images) == []


# aws-batch-spot-cost-savings.md, step 3, as it is.
SPOT_RESILIENT_JOB = """
aws batch register-job-definition \\
  --job-definition-name spot-resilient-job \\
  --type container \\
  --container-properties '{
    "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/processor:latest",
    "resourceRequirements": [
      {"type": "VCPU", "value": "4"},
      {"type": "MEMORY", "value": "8192"}
    ]
  }' \\
  --retry-strategy '{
    "attempts": 5,
    "evaluateOnExit": [
      {
        "onStatusReason": "Host EC2*",
        "action": "RETRY"
      },
      {
        "onStatusReason": "Cannot pull container*",
        "action": "RETRY"
      },
      {
        "onReason": "*spot*",
        "action": "RETRY"
      },
      {
        "onExitCode": "0",
        "action": "EXIT"
      },
      {
        "action": "EXIT"
      }
    ]
  }'
"""


@pytest.mark.gleaner_args(*CONTAINER_ARGS)
def test_the_tutorials_spot_resilient_job_runs_verbatim(images, gleaner, helpers, stack,
                                                        wait_for_status, tmp_path):
    registered = run_literally(gleaner, tmp_path, SPOT_RESILIENT_JOB)
    assert registered.returncode == 0, (registered.stdout, registered.stderr)
    assert json.loads(registered.stdout)["jobDefinitionName"] == "spot-resilient-job"
    job_id = helpers.submit(stack.queue_name, "spot-resilient-job")
    job = wait_for_status(job_id, "SUCCEEDED", timeout=60)
    assert len(job["attempts"]) == 1
    helpers.wait_for_log(job["container"]["logStreamName"], f"{CMD_TEXT}: job {job_id}")


@pytest.mark.gleaner_args(*CONTAINER_ARGS)
def test_the_tutorials_hello_world_definition_runs(images, batch, helpers, stack,
                                                   wait_for_status):
    # aws-batch-spot-block.txt's AWS::Batch::JobDefinition, its properties as CloudFormation sends
    # them.
    batch.register_job_definition(
        jobDefinitionName="hello-world", type="container",
        containerProperties={"memory": 256, "privileged": False, "vcpus": 1,
                             "image": "hello-world"})
    job_id = helpers.submit(stack.queue_name, "hello-world", name="TestSpotBlock")
    job = wait_for_status(job_id, "SUCCEEDED", timeout=60)
    helpers.wait_for_log(job["container"]["logStreamName"], CMD_TEXT)


@pytest.mark.gleaner_args("--runtime", "container", "--image-pull", "default")
def test_an_image_that_cannot_be_pulled_fails_with_awss_reason(images, gleaner, helpers, stack,
                                                               wait_for_status, tmp_path):
    # The tutorial's retry strategy: its "Cannot pull container*" does not match AWS's
    # "CannotPullContainerError: ...", so its last rule (EXIT) ends the job after one attempt.
    script = SPOT_RESILIENT_JOB.replace("spot-resilient-job", "unpullable").replace(
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/processor:latest",
        "localhost/gleaner-no-such-image:1")
    assert run_literally(gleaner, tmp_path, script).returncode == 0
    job_id = helpers.submit(stack.queue_name, "unpullable")
    job = wait_for_status(job_id, "FAILED", timeout=90)
    assert job["statusReason"].startswith("CannotPullContainerError: "), job["statusReason"]
    assert len(job["attempts"]) == 1
    # A cached image is used when its registry cannot be reached (ECS's default pull behaviour).
    cached = helpers.register(container={"image": TEST_IMAGE}, command=["echo", "from cache"])
    cached_id = helpers.submit(stack.queue_name, cached["jobDefinitionName"])
    helpers.wait_for_log(wait_for_status(cached_id, "SUCCEEDED", timeout=90)["container"]
                         ["logStreamName"], "from cache")


@pytest.mark.gleaner_args(*CONTAINER_ARGS)
def test_a_memory_hog_is_killed_with_awss_out_of_memory_reason(images, helpers, stack,
                                                                wait_for_status):
    definition = helpers.register(
        container={"image": TEST_IMAGE,
                   "resourceRequirements": [{"type": "VCPU", "value": "1"},
                                            {"type": "MEMORY", "value": "32"}]},
        command=["sh", "-c", "head -c 300000000 /dev/zero | tr '\\0' a | sort"],
        retryStrategy={"attempts": 2, "evaluateOnExit": [
            {"onStatusReason": "OutOfMemoryError*", "action": "EXIT"}]})
    job_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"])
    job = wait_for_status(job_id, "FAILED", timeout=60)
    assert job["statusReason"] == OUT_OF_MEMORY
    assert job["container"]["exitCode"] == 137
    assert job["container"]["reason"] == OUT_OF_MEMORY
    assert len(job["attempts"]) == 1  # the rule on the reason held


@pytest.mark.gleaner_args(*CONTAINER_ARGS)
def test_a_missing_executable_cannot_start(images, helpers, stack, wait_for_status):
    definition = helpers.register(container={"image": TEST_IMAGE},
                                  command=["/opt/app/process.py"])
    job = wait_for_status(helpers.submit(stack.queue_name, definition["jobDefinitionName"]),
                          "FAILED", timeout=60)
    assert job["statusReason"].startswith("CannotStartContainerError: "), job["statusReason"]
    assert "/opt/app/process.py" in job["statusReason"]


@pytest.mark.gleaner_args(*CONTAINER_ARGS)
def test_the_definitions_limits_mounts_and_user_are_applied(images, helpers, stack,
                                                             wait_for_status, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "input.txt").write_text("from the host\n")
    script = "; ".join([
        "echo user=$(id -u)",
        "echo memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes "
        "2>/dev/null || cat /sys/fs/cgroup/memory.max)",
        "echo shares=$(cat /sys/fs/cgroup/cpu/cpu.shares 2>/dev/null || echo none)",
        "echo nofile=$(ulimit -n)",
        "echo input=$(cat /input/input.txt)",
        "touch /rootfile 2>/dev/null && echo root=writable || echo root=read-only",
        "echo shm=$(df -k /dev/shm | tail -1 | awk '{print $2}')",
        "touch /scratch/x && echo scratch=writable",
    ])
    definition = helpers.register(
        container={
            "image": TEST_IMAGE, "user": "65534", "readonlyRootFilesystem": True,
            "resourceRequirements": [{"type": "VCPU", "value": "2"},
                                     {"type": "MEMORY", "value": "96"}],
            "volumes": [{"name": "in", "host": {"sourcePath": str(shared)}}],
            "mountPoints": [{"sourceVolume": "in", "containerPath": "/input", "readOnly": True}],
            "ulimits": [{"name": "nofile", "softLimit": 512, "hardLimit": 1024}],
            "linuxParameters": {"sharedMemorySize": 16,
                                "tmpfs": [{"containerPath": "/scratch", "size": 8,
                                           "mountOptions": ["mode=1777"]}]},
        },
        command=["sh", "-c", script])
    job = wait_for_status(helpers.submit(stack.queue_name, definition["jobDefinitionName"]),
                          "SUCCEEDED", timeout=60)
    lines = helpers.wait_for_log(job["container"]["logStreamName"], "scratch=")
    values = dict(line.split("=", 1) for line in lines if "=" in line)
    assert values["user"] == "65534"
    assert int(values["memory"]) == 96 * 1024 * 1024
    assert values["shares"] in ("2048", "none")  # cgroup v1: ECS's 1024 per vCPU
    assert values["nofile"] == "512"
    assert values["input"] == "from the host"
    assert values["root"] == "read-only"
    assert values["shm"] == str(16 * 1024)
    assert values["scratch"] == "writable"


@pytest.mark.gleaner_args(*CONTAINER_ARGS)
def test_what_gleaner_cannot_do_yet_is_refused_at_registration(images, aws):
    rc, _, err = aws("batch", "register-job-definition", "--job-definition-name", "efs",
                     "--type", "container", "--container-properties", json.dumps({
                         "image": TEST_IMAGE, "vcpus": 1, "memory": 64,
                         "volumes": [{"name": "v", "efsVolumeConfiguration":
                                      {"fileSystemId": "fs-12345678"}}]}))
    assert rc != 0
    assert "ClientException" in err and "efsVolumeConfiguration is not supported yet" in err
    rc, _, err = aws("batch", "register-job-definition", "--job-definition-name", "secrets",
                     "--type", "container", "--container-properties", json.dumps({
                         "image": TEST_IMAGE, "vcpus": 1, "memory": 64,
                         "secrets": [{"name": "TOKEN", "valueFrom": "arn:aws:ssm:x"}]}))
    assert rc != 0
    assert "ClientException" in err and "secrets is not supported yet" in err


@pytest.mark.gleaner_args(*CONTAINER_ARGS, "--stop-grace-seconds", "2")
def test_terminate_job_stops_the_container(images, batch, helpers, stack, wait_for_status):
    definition = helpers.register(
        container={"image": TEST_IMAGE},
        command=["sh", "-c", "trap 'echo got-sigterm; exit 143' TERM; echo ready; "
                             "while true; do sleep 0.1; done"])
    job_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"])
    running = wait_for_status(job_id, "RUNNING", timeout=60)
    helpers.wait_for_log(running["container"]["logStreamName"], "ready")
    batch.terminate_job(jobId=job_id, reason="stopped by the test")
    job = wait_for_status(job_id, "FAILED", timeout=30)
    assert job["statusReason"] == "stopped by the test"
    helpers.wait_for_log(job["container"]["logStreamName"], "got-sigterm")
    wait_until_no_containers_left(images)


@pytest.mark.gleaner_args(*CONTAINER_ARGS)
def test_a_container_outlives_a_crash_of_the_server(images, gleaner, helpers, stack,
                                                    wait_for_status):
    marker = gleaner.workdir / "release"
    definition = helpers.register(
        container={"image": TEST_IMAGE,
                   "volumes": [{"name": "w", "host": {"sourcePath": str(gleaner.workdir)}}],
                   "mountPoints": [{"sourceVolume": "w", "containerPath": "/w"}]},
        command=["sh", "-c", "echo ready; while [ ! -e /w/release ]; do sleep 0.1; done; "
                             "echo released; exit 7"])
    job_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"])
    running = wait_for_status(job_id, "RUNNING", timeout=60)
    helpers.wait_for_log(running["container"]["logStreamName"], "ready")
    gleaner.kill9()
    gleaner.start()
    assert helpers.describe(job_id)["status"] == "RUNNING"  # re-attached, not lost
    marker.write_text("go")
    job = wait_for_status(job_id, "FAILED", timeout=60)
    assert job["container"]["exitCode"] == 7
    assert job["statusReason"] == "Essential container in task exited"
    helpers.wait_for_log(job["container"]["logStreamName"], "released")
    wait_until_no_containers_left(images)


@pytest.mark.gleaner_args("--capacity", "simspot", "--seed", "1", "--no-background-interruptions",
                          *CONTAINER_ARGS, "--stop-grace-seconds", "2")
def test_a_timeout_and_an_interruption_stop_their_containers(images, helpers, stack,
                                                             wait_for_status, gleaner_cli):
    trapping = ["sh", "-c", "trap 'echo got-sigterm; exit 143' TERM; echo ready; "
                            "while true; do sleep 0.1; done"]
    timed = helpers.register(container={"image": TEST_IMAGE}, command=trapping,
                             timeout={"attemptDurationSeconds": 60})  # AWS's smallest
    interrupted = helpers.register(container={"image": TEST_IMAGE}, command=trapping)
    timed_id = helpers.submit(stack.queue_name, timed["jobDefinitionName"])
    # A queue of its own, so that its instance is not the timed job's; spot, as only spot
    # instances are interrupted.
    spot = helpers.create_ce(computeResources=dict(COMPUTE_RESOURCES, type="SPOT"))
    other_queue = helpers.create_queue(ces=[spot["computeEnvironmentArn"]])["jobQueueName"]
    interrupted_id = helpers.submit(other_queue, interrupted["jobDefinitionName"])
    streams = {}
    for job_id in (timed_id, interrupted_id):
        streams[job_id] = wait_for_status(job_id, "RUNNING", timeout=60)["container"][
            "logStreamName"]
        helpers.wait_for_log(streams[job_id], "ready")
    result = gleaner_cli("interrupt", "--job-id", interrupted_id, "--notice", "3s",
                         "--endpoint", helpers.server.endpoint)
    assert result.returncode == 0, result.stderr
    # The instance's shutdown: SIGTERM 2 s (the stop grace) before the deadline, in the container.
    job = wait_for_status(interrupted_id, "FAILED", timeout=30)
    assert job["statusReason"].startswith("Host EC2 (instance i-"), job["statusReason"]
    helpers.wait_for_log(streams[interrupted_id], "got-sigterm")
    job = wait_for_status(timed_id, "FAILED", timeout=90)
    assert job["statusReason"] == "Job attempt duration exceeded timeout"
    helpers.wait_for_log(streams[timed_id], "got-sigterm")
    wait_until_no_containers_left(images)


@pytest.mark.gleaner_args(*CONTAINER_ARGS)
def test_a_restart_removes_the_containers_of_lost_attempts(images, gleaner, helpers, stack,
                                                           wait_for_status):
    # A container left running by a server whose attempt is gone (here: created by hand with the
    # server's owner label, as one created just before a crash would be).
    left = subprocess.run([images["podman"], "create", "--name", "gleaner-left-over-1",
                           "--label", f"io.gleaner.owner={gleaner.data_dir}", TEST_IMAGE,
                           "sleep", "600"], env=images["env"], capture_output=True, text=True,
                          timeout=60)
    assert left.returncode == 0, left.stderr
    other = subprocess.run([images["podman"], "create", "--name", "not-gleaners",
                            "--label", "io.gleaner.owner=/some/other/data-dir", TEST_IMAGE,
                            "true"], env=images["env"], capture_output=True, text=True,
                           timeout=60)
    assert other.returncode == 0, other.stderr
    try:
        gleaner.restart()
        definition = helpers.register(container={"image": TEST_IMAGE})
        wait_for_status(helpers.submit(stack.queue_name, definition["jobDefinitionName"]),
                        "SUCCEEDED", timeout=60)
        names = subprocess.run([images["podman"], "ps", "--all", "--format", "{{.Names}}"],
                               env=images["env"], capture_output=True, text=True,
                               timeout=60).stdout.split()
        assert "gleaner-left-over-1" not in names
        assert "not-gleaners" in names  # another data directory's are left alone
    finally:
        subprocess.run([images["podman"], "rm", "--force", "not-gleaners"], env=images["env"],
                       capture_output=True, timeout=60)


class StallingRegistry:
    """A 'registry' that accepts connections and never answers, until released: a pull from it
    is in progress for as long as the test wants."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        self.released = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        self.listener.settimeout(0.1)
        while not self.released.is_set():
            try:
                connection, _ = self.listener.accept()
                self.held.append(connection)
            except socket.timeout:
                pass
        for connection in self.held:
            connection.close()
        self.listener.close()  # later attempts are refused: the pull fails

    def release(self):
        self.released.set()
        self.thread.join(timeout=10)


@pytest.mark.gleaner_args("--runtime", "container", "--image-pull", "always")
def test_a_pull_in_progress_shows_in_the_jobs_status_reason(images, helpers, stack,
                                                             wait_for_status):
    registry = StallingRegistry()
    image = f"127.0.0.1:{registry.port}/stalled/app:1"
    try:
        definition = helpers.register(container={"image": image}, command=["true"])
        job_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"])

        def pulling():
            job = helpers.describe(job_id)
            return job if job["status"] == "STARTING" and job.get("statusReason") else None

        job = helpers.poll(pulling, timeout=60, what="a STARTING job with a status reason")
        assert job["statusReason"] == f"Pulling image {image}"
    finally:
        registry.release()
    job = wait_for_status(job_id, "FAILED", timeout=90)
    assert job["statusReason"].startswith("CannotPullContainerError: "), job["statusReason"]


@pytest.mark.gleaner_args(*SIMSPOT_ARGS)  # UNMANAGED compute environments are the agents' own
def test_an_agent_runs_the_tutorials_image_only_definition_in_its_image(images, batch, helpers,
                                                                       agents):
    cluster, queue_name = unmanaged_queue(helpers, batch)
    agent = agents(cluster, "--runtime", "container", "--image-pull", "prefer-cached")
    assert any(line.startswith("  runtime: container (podman ") for line in agent.stdout_lines), \
        agent.stdout_lines
    # aws-batch-spot-block.txt's definition (image only): the image's CMD runs on the agent.
    batch.register_job_definition(
        jobDefinitionName="hello-world", type="container",
        containerProperties={"memory": 256, "privileged": False, "vcpus": 1,
                             "image": "hello-world"})
    job_id = helpers.submit(queue_name, "hello-world", name="TestSpotBlock")
    job = helpers.wait_for_status(job_id, "SUCCEEDED", timeout=60)
    assert job["container"]["containerInstanceArn"].endswith("/" + agent.instance_id)
    helpers.wait_for_log(job["container"]["logStreamName"],
                         f"{CMD_TEXT}: job {job_id} attempt 1")
    # A memory hog there ends as on AWS, with its reason.
    hog = helpers.register(
        container={"image": TEST_IMAGE,
                   "resourceRequirements": [{"type": "VCPU", "value": "1"},
                                            {"type": "MEMORY", "value": "32"}]},
        command=["sh", "-c", "head -c 300000000 /dev/zero | tr '\\0' a | sort"])
    hog_job = helpers.wait_for_status(helpers.submit(queue_name, hog["jobDefinitionName"]),
                                      "FAILED", timeout=60)
    assert hog_job["statusReason"] == OUT_OF_MEMORY
    assert hog_job["container"]["exitCode"] == 137
    wait_until_no_containers_left(images)


@pytest.mark.gleaner_args(*CONTAINER_ARGS)
def test_a_multinode_jobs_containers_reach_the_main_node(images, batch, helpers, stack,
                                                          wait_for_status):
    with socket.socket() as probe:  # a port free now, for the main node to listen on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    node = {"image": TEST_IMAGE, "resourceRequirements": [{"type": "VCPU", "value": "1"},
                                                           {"type": "MEMORY", "value": "64"}]}
    definition = batch.register_job_definition(
        jobDefinitionName=unique("mnp"), type="multinode",
        nodeProperties={"numNodes": 2, "mainNode": 0, "nodeRangeProperties": [
            {"targetNodes": "0", "container": {
                **node, "command": ["sh", "-c", f"echo got $(nc -l -p {port})"]}},
            {"targetNodes": "1", "container": {
                **node, "command": ["sh", "-c",
                                    "until echo hello-from-node-$AWS_BATCH_JOB_NODE_INDEX | nc "
                                    f"$AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS {port}; "
                                    "do sleep 0.2; done"]}}]})
    job_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"])
    job = wait_for_status(job_id, "SUCCEEDED", timeout=60)
    helpers.wait_for_log(job["container"]["logStreamName"], "got hello-from-node-1")
    wait_until_no_containers_left(images)


@pytest.mark.gleaner_args(*CONTAINER_ARGS)
def test_an_array_jobs_children_run_in_their_containers(images, helpers, stack, wait_for_status):
    definition = helpers.register(container={"image": TEST_IMAGE},
                                  command=["sh", "-c", "echo child $AWS_BATCH_JOB_ARRAY_INDEX of "
                                                       "$AWS_BATCH_JOB_ARRAY_SIZE"])
    parent = helpers.submit(stack.queue_name, definition["jobDefinitionName"],
                            arrayProperties={"size": 3})
    wait_for_status(parent, "SUCCEEDED", timeout=60)
    for index in range(3):
        child = wait_for_status(f"{parent}:{index}", "SUCCEEDED", timeout=30)
        helpers.wait_for_log(child["container"]["logStreamName"], f"child {index} of 3")
    wait_until_no_containers_left(images)
