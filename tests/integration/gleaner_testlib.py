"""Shared machinery for gleaner's integration tests: the server process, the AWS clients, and
helpers that create resources and wait for jobs. conftest.py turns these into fixtures; test modules
import the helpers they need from here (pytest puts this directory on sys.path)."""

from __future__ import annotations

import itertools
import json
import os
import queue
import re
import signal
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[2]
AWS_CLI = "/usr/bin/aws"
REGION = "us-east-1"
ACCOUNT = "123456789012"
# The key pair every test client signs with, and every test server accepts (--credentials).
ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
READY_LINE = re.compile(r"^gleaner listening on (https?://127\.0\.0\.1:(\d+))\s*$")
START_TIMEOUT = float(os.environ.get("GLEANER_START_TIMEOUT", "20"))
STOP_TIMEOUT = 20.0
TERMINAL = ("SUCCEEDED", "FAILED")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# Keep the clients away from whatever ~/.aws holds on the machine running the tests.
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
for _variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
    os.environ.pop(_variable, None)

# A managed EC2 CE: what `gleaner up` backs with the local machine's capacity.
COMPUTE_RESOURCES = {
    "type": "EC2",
    "minvCpus": 0,
    "maxvCpus": 64,
    "instanceTypes": ["optimal"],
    "subnets": ["subnet-0123456789abcdef0"],
    "securityGroupIds": ["sg-0123456789abcdef0"],
    "instanceRole": "ecsInstanceRole",
}
# A Fargate compute environment's: no instance types, roles or minimum.
FARGATE_RESOURCES = {"type": "FARGATE", "maxvCpus": 4, "subnets": ["subnet-0123456789abcdef0"],
                     "securityGroupIds": ["sg-0123456789abcdef0"]}
IMAGE = "public.ecr.aws/docker/library/busybox:latest"
SMALL_JOB = [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "64"}]


def binary_path() -> Path:
    return Path(os.environ.get("GLEANER_BINARY") or REPO / "build" / "gleaner")


def client_env(home: Path | None = None) -> dict:
    """The environment for the AWS CLI and the gleaner client commands: dummy credentials, a region,
    no config files, no pager. The CLI keeps its default retry mode (it never retries a 400), so its
    error lines read exactly as a user sees them."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
    }
    if home is not None:
        env["HOME"] = str(home)
    return env


def _tail(path: Path, limit: int = 4000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "<no stderr captured>"
    return text[-limit:] if text else "<empty>"


class GleanerServer:
    """One `gleaner up` process on a free loopback port with its own data directory."""

    def __init__(self, binary: Path, workdir: Path, args: list[str],
                 test_credentials: bool = True):
        self.binary = binary
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.pid_dir = workdir / "pids"  # jobs write their pids here, so teardown can clean up
        self.args = list(args)
        if "--runtime" not in self.args:
            # The suites' jobs are host commands; the container suite asks for containers.
            self.args += ["--runtime", "process"]
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.pid_dir.mkdir(parents=True, exist_ok=True)
        if test_credentials and not any(f in self.args for f in ("--credentials", "--no-auth")):
            credentials = workdir / "credentials"
            credentials.write_text(f"[default]\naws_access_key_id = {ACCESS_KEY_ID}\n"
                                   f"aws_secret_access_key = {SECRET_ACCESS_KEY}\n")
            self.args += ["--credentials", str(credentials)]
        self.proc: subprocess.Popen | None = None
        self.endpoint: str | None = None
        self.port: int | None = None
        self.starts = 0
        self.listen = "127.0.0.1:0"  # any free port, unless a restart keeps the one it had
        self.stderr_path: Path | None = None
        self._expected_exit = False
        # HTTPS (--tls-cert): the certificate clients trust the server with.
        self.ca_file = args[args.index("--tls-cert") + 1] if "--tls-cert" in args else None

    # ----- lifecycle -----
    def start(self) -> None:
        if not self.binary.exists():
            raise AssertionError(
                f"gleaner binary not found at {self.binary} (set GLEANER_BINARY or build it)")
        self.starts += 1
        self.stderr_path = self.workdir / f"server-{self.starts}.stderr"
        command = [str(self.binary), "up", "--listen", self.listen, "--data-dir",
                   str(self.data_dir), *self.args]
        stderr = open(self.stderr_path, "wb")
        try:
            self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=stderr, cwd=self.workdir)
        finally:
            stderr.close()
        self._expected_exit = False
        lines: queue.Queue = queue.Queue()
        self._stdout_lines: list[str] = []

        def pump(stream, sink):
            for raw in iter(stream.readline, b""):
                line = raw.decode(errors="replace").rstrip("\n")
                self._stdout_lines.append(line)
                sink.put(line)
            stream.close()
            sink.put(None)

        threading.Thread(target=pump, args=(self.proc.stdout, lines), daemon=True).start()

        deadline = time.monotonic() + START_TIMEOUT
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._kill_quietly()
                raise AssertionError(
                    f"gleaner did not print its ready line within {START_TIMEOUT:.0f}s "
                    f"(command: {' '.join(command)}); stdout so far: {self._stdout_lines!r}; "
                    f"stderr:\n{_tail(self.stderr_path)}")
            try:
                line = lines.get(timeout=min(remaining, 0.2))
            except queue.Empty:
                continue
            if line is None:
                rc = self.proc.wait()
                self._expected_exit = True  # reported here, not again at teardown
                raise AssertionError(
                    f"gleaner exited (rc={rc}) before it was ready "
                    f"(command: {' '.join(command)}); stdout: {self._stdout_lines!r}; "
                    f"stderr:\n{_tail(self.stderr_path)}")
            match = READY_LINE.match(line)
            if match:
                self.endpoint = match.group(1)
                self.port = int(match.group(2))
                break

        status = None
        while time.monotonic() < deadline:
            try:
                context = ssl.create_default_context(cafile=self.ca_file) if self.ca_file else None
                with urllib.request.urlopen(self.endpoint + "/healthz", timeout=2,
                                            context=context) as response:
                    status = response.status
                    break
            except urllib.error.HTTPError as error:
                status = error.code
                break
            except OSError:
                self.check_alive()
                time.sleep(0.05)
        if status != 200:
            self._kill_quietly()
            raise AssertionError(f"GET /healthz answered {status}, expected 200; stderr:\n"
                                 f"{_tail(self.stderr_path)}")

    def check_alive(self) -> None:
        """Fails with the server's stderr when the process died without the test asking for it."""
        if self.proc is None or self._expected_exit:
            return
        rc = self.proc.poll()
        if rc is not None:
            self._expected_exit = True  # report once
            raise AssertionError(f"gleaner died unexpectedly (rc={rc}); stderr:\n"
                                 f"{_tail(self.stderr_path)}")

    def stop(self) -> int:
        """SIGTERM and wait; the contract is a clean exit 0."""
        assert self.proc is not None
        self.check_alive()
        self._expected_exit = True
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"gleaner did not exit within {STOP_TIMEOUT:.0f}s of SIGTERM; "
                                 f"stderr:\n{_tail(self.stderr_path)}")
        if rc != 0:
            raise AssertionError(f"gleaner exited with rc={rc} after SIGTERM, expected 0; "
                                 f"stderr:\n{_tail(self.stderr_path)}")
        return rc

    def interrupt(self) -> int:
        """SIGINT (Ctrl-C) and wait; the contract is a clean exit 0, like SIGTERM."""
        assert self.proc is not None
        self.check_alive()
        self._expected_exit = True
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"gleaner did not exit within {STOP_TIMEOUT:.0f}s of SIGINT")

    def kill9(self) -> None:
        assert self.proc is not None
        self.check_alive()
        self._expected_exit = True
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def restart(self, graceful: bool = True, same_port: bool = False) -> None:
        """Stops the server (SIGTERM, or SIGKILL when graceful=False) and starts it again on the
        same data directory. The port changes unless `same_port` (for clients that cannot follow,
        like agents); clients from the fixtures follow `endpoint`."""
        if same_port:
            self.listen = f"127.0.0.1:{self.port}"
        if self.proc is not None and self.proc.poll() is None:
            if graceful:
                self.stop()
            else:
                self.kill9()
        self.start()

    def _kill_quietly(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self._expected_exit = True
            self.proc.kill()
            self.proc.wait()

    def shutdown(self) -> list[str]:
        """Teardown: stop the server if it runs, then kill leftover job processes.
        Returns the problems found (empty when all is well)."""
        problems = []
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    self.stop()
                except AssertionError as error:
                    problems.append(str(error))
            elif not self._expected_exit:
                problems.append(f"gleaner died during the test (rc={self.proc.returncode}); "
                                f"stderr:\n{_tail(self.stderr_path)}")
        kill_leftover_jobs(self.pid_dir)
        return problems

    def stderr_tail(self) -> str:
        return _tail(self.stderr_path) if self.stderr_path else ""


def _is_live_job_process(pid: int) -> bool:
    """A live (not zombie) process that carries AWS_BATCH_JOB_ID: one of the jobs our server ran."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
        return b"AWS_BATCH_JOB_ID=" in Path(f"/proc/{pid}/environ").read_bytes()
    except (OSError, IndexError):
        return False


def process_alive(pid: int) -> bool:
    return _is_live_job_process(pid)


def kill_leftover_jobs(pid_dir: Path) -> None:
    for pidfile in pid_dir.glob("*.pid"):
        try:
            pid = int(pidfile.read_text().strip())
        except (OSError, ValueError):
            continue
        if _is_live_job_process(pid):
            try:
                group = os.getpgid(pid)  # the attempt's shim leads it
                if group == os.getpgid(0):
                    raise OSError("the job shares the test's own process group")
                os.killpg(group, signal.SIGKILL)
            except OSError:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass


# Flags every server gets unless a test overrides them: a fixed capacity so scheduling does not
# depend on the machine, and a short kill grace so terminated jobs end fast.
# Most tests run on local capacity (this machine serves every compute environment); the spot tests
# ask for the simulated cloud with SIMSPOT_ARGS.
DEFAULT_ARGS = ["--capacity", "local", "--vcpus", "8", "--memory", "8192", "--stop-grace-seconds",
                "5"]
SIMSPOT_ARGS = ("--capacity", "simspot", "--seed", "1", "--no-background-interruptions")


def merge_args(extra: list[str]) -> list[str]:
    """DEFAULT_ARGS with flags from `extra` replacing the default of the same name."""
    overridden = {flag for flag in extra if flag.startswith("--")}
    merged = []
    i = 0
    while i < len(DEFAULT_ARGS):
        flag, value = DEFAULT_ARGS[i], DEFAULT_ARGS[i + 1]
        if flag not in overridden:
            merged += [flag, value]
        i += 2
    return merged + list(extra)


def start_gleaner(workdir, extra_args=(), test_credentials: bool = True) -> GleanerServer:
    """A started server; it accepts the test key pair unless `test_credentials` is False (then it
    makes its own, as on a user's first start) or the flags say otherwise."""
    server = GleanerServer(binary_path(), workdir, merge_args(list(extra_args)), test_credentials)
    server.start()
    return server


# ----- clients -----
def _boto_config() -> Config:
    return Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5,
                  read_timeout=30)


def make_client(service: str, endpoint: str, region: str = REGION, verify=None):
    session = boto3.session.Session(aws_access_key_id=ACCESS_KEY_ID,
                                    aws_secret_access_key=SECRET_ACCESS_KEY, region_name=region)
    return session.client(service, endpoint_url=endpoint, config=_boto_config(), verify=verify)


class FollowingClient:
    """A boto3 client that follows the server's current endpoint (it changes on restart)."""

    def __init__(self, server: GleanerServer, service: str):
        self._server = server
        self._service = service
        self._client = None
        self._endpoint = None

    def _current(self):
        if self._client is None or self._endpoint != self._server.endpoint:
            self._endpoint = self._server.endpoint
            self._client = make_client(self._service, self._endpoint,
                                       verify=self._server.ca_file)
        return self._client

    def __getattr__(self, name):
        return getattr(self._current(), name)


class AwsCli:
    """Runs /usr/bin/aws against the server: aws("batch", "submit-job", ...) -> (rc, out, stderr),
    where out is the parsed JSON when stdout is JSON, else the raw stdout."""

    def __init__(self, server: GleanerServer, home: Path):
        self._server = server
        self._home = home
        home.mkdir(parents=True, exist_ok=True)

    def __call__(self, *args, timeout: float = 60):
        command = [AWS_CLI, "--endpoint-url", self._server.endpoint, "--output", "json",
                   "--no-cli-pager", *[str(arg) for arg in args]]
        environment = client_env(self._home)
        if self._server.ca_file:
            environment["AWS_CA_BUNDLE"] = self._server.ca_file
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                env=environment, stdin=subprocess.DEVNULL)
        out = result.stdout
        if out.strip():
            try:
                out = json.loads(out)
            except ValueError:
                pass
        return result.returncode, out, result.stderr


def run_gleaner_cli(server: GleanerServer, *args, timeout: float = 30):
    """Runs a gleaner client subcommand (e.g. `logs`) -> CompletedProcess with text output."""
    command = [str(server.binary), *[str(arg) for arg in args]]
    environment = client_env(server.workdir / "home")
    if server.ca_file:
        environment["AWS_CA_BUNDLE"] = server.ca_file
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env=environment, stdin=subprocess.DEVNULL)


def client_error(excinfo) -> tuple[int, str, str]:
    """(HTTP status, error code, message) of a botocore ClientError."""
    error = excinfo.value if hasattr(excinfo, "value") else excinfo
    assert isinstance(error, ClientError), f"expected a ClientError, got {error!r}"
    response = error.response
    return (response["ResponseMetadata"]["HTTPStatusCode"], response["Error"].get("Code", ""),
            response["Error"].get("Message", ""))


# ----- resources and jobs -----
_names = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{next(_names)}"


class Batch:
    """Helpers over a boto3 batch client: create resources, submit, wait, read logs."""

    def __init__(self, server: GleanerServer, batch, logs):
        self.server = server
        self.batch = batch
        self.logs = logs

    # resources
    def create_ce(self, name: str | None = None, wait: bool = True, **overrides) -> dict:
        name = name or unique("ce")
        request = {"computeEnvironmentName": name, "type": "MANAGED", "state": "ENABLED",
                   "computeResources": dict(COMPUTE_RESOURCES)}
        request.update(overrides)
        response = self.batch.create_compute_environment(**request)
        if wait:
            self.wait_for_ce(name, "VALID")
        return response

    def wait_for_ce(self, name: str, status: str, timeout: float = 15) -> dict:
        def probe():
            found = self.batch.describe_compute_environments(computeEnvironments=[name])
            envs = found["computeEnvironments"]
            return envs[0] if envs and envs[0].get("status") == status else None
        return self.poll(probe, timeout, f"compute environment {name} to be {status}")

    def create_queue(self, name: str | None = None, ces: list[str] | None = None,
                     wait: bool = True, priority: int = 1, **overrides) -> dict:
        name = name or unique("jq")
        if ces is None:
            ces = [self.create_ce()["computeEnvironmentArn"]]
        request = {"jobQueueName": name, "state": "ENABLED", "priority": priority,
                   "computeEnvironmentOrder": [{"order": i + 1, "computeEnvironment": ce}
                                               for i, ce in enumerate(ces)]}
        request.update(overrides)
        response = self.batch.create_job_queue(**request)
        if wait:
            self.wait_for_queue(name, "VALID")
        return response

    def wait_for_queue(self, name: str, status: str, timeout: float = 15) -> dict:
        def probe():
            found = self.batch.describe_job_queues(jobQueues=[name])["jobQueues"]
            return found[0] if found and found[0].get("status") == status else None
        return self.poll(probe, timeout, f"job queue {name} to be {status}")

    def register(self, name: str | None = None, command: list[str] | None = None,
                 container: dict | None = None, **overrides) -> dict:
        name = name or unique("jd")
        properties = {"image": IMAGE, "resourceRequirements": [dict(r) for r in SMALL_JOB]}
        if command is not None:
            properties["command"] = command
        properties.update(container or {})
        request = {"jobDefinitionName": name, "type": "container",
                   "containerProperties": properties}
        request.update(overrides)
        return self.batch.register_job_definition(**request)

    def stack(self, command: list[str] | None = None) -> "Stack":
        """A CE, a queue on it and a job definition, all with fresh names."""
        ce_name = unique("ce")
        ce = self.create_ce(ce_name)
        queue_name = unique("jq")
        queue = self.create_queue(queue_name, ces=[ce["computeEnvironmentArn"]])
        definition = self.register(command=command or ["sh", "-c", "echo hi"])
        return Stack(ce_name, ce["computeEnvironmentArn"], queue_name, queue["jobQueueArn"],
                     definition["jobDefinitionName"], definition["jobDefinitionArn"])

    # jobs
    def submit(self, queue: str, definition: str, name: str | None = None, **kwargs) -> str:
        response = self.batch.submit_job(jobName=name or unique("job"), jobQueue=queue,
                                         jobDefinition=definition, **kwargs)
        return response["jobId"]

    def describe(self, job_id: str) -> dict:
        jobs = self.batch.describe_jobs(jobs=[job_id])["jobs"]
        assert len(jobs) == 1, f"DescribeJobs returned {len(jobs)} jobs for {job_id}"
        return jobs[0]

    def wait_for_status(self, job_id: str, statuses, timeout: float = 30) -> dict:
        """Polls DescribeJobs until the job's status is one of `statuses`; fails early when the job
        ends in a terminal status that is not wanted."""
        if isinstance(statuses, str):
            statuses = (statuses,)
        statuses = tuple(statuses)
        deadline = time.monotonic() + timeout
        last = None
        while True:
            self.server.check_alive()
            last = self.describe(job_id)
            if last["status"] in statuses:
                return last
            if last["status"] in TERMINAL:
                raise AssertionError(
                    f"job {job_id} ended {last['status']} while waiting for {statuses}: "
                    f"statusReason={last.get('statusReason')!r} "
                    f"container={json.dumps(last.get('container', {}), default=str)[:1500]}")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"job {job_id} still {last['status']} after {timeout}s waiting for {statuses} "
                    f"(statusReason={last.get('statusReason')!r}); server stderr:\n"
                    f"{self.server.stderr_tail()[-1500:]}")
            time.sleep(0.1)

    def poll(self, probe, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while True:
            self.server.check_alive()
            result = probe()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            time.sleep(0.1)

    # logs
    def log_lines(self, stream: str) -> list[str]:
        """All events of a stream, oldest first, following nextForwardToken to the end."""
        lines, token = [], None
        for _ in range(1000):
            kwargs = {"logGroupName": "/aws/batch/job", "logStreamName": stream,
                      "startFromHead": True}
            if token:
                kwargs["nextToken"] = token
            page = self.logs.get_log_events(**kwargs)
            lines.extend(event["message"].rstrip("\n") for event in page["events"])
            if not page["events"] or page.get("nextForwardToken") in (None, token):
                return lines
            token = page["nextForwardToken"]
        raise AssertionError(f"log stream {stream} never stopped paging")

    def wait_for_log(self, stream: str, needle: str, timeout: float = 15) -> list[str]:
        def probe():
            try:
                lines = self.log_lines(stream)
            except ClientError:
                return None
            return lines if any(needle in line for line in lines) else None
        return self.poll(probe, timeout, f"{needle!r} in log stream {stream}")

    def job_env(self, job: dict) -> dict:
        """The `env` a job printed (one NAME=value per line) read back from its log."""
        stream = job["container"]["logStreamName"]
        lines = self.wait_for_log(stream, "AWS_BATCH_JOB_ID=")
        env = {}
        for line in lines:
            if "=" in line:
                key, value = line.split("=", 1)
                env[key] = value
        return env

    def pid_command(self, tag: str, seconds: int = 60) -> list[str]:
        """A long-running job that records its pid for the test to check (its process group is
        its attempt shim's: os.getpgid(pid))."""
        pidfile = self.server.pid_dir / f"{tag}.pid"
        return ["sh", "-c", f"echo $$ > {pidfile}; echo ready; exec sleep {seconds}"]

    def wait_for_pid(self, tag: str, timeout: float = 15) -> int:
        pidfile = self.server.pid_dir / f"{tag}.pid"

        def probe():
            try:
                text = pidfile.read_text().strip()
            except OSError:
                return None
            return int(text) if text else None
        return self.poll(probe, timeout, f"pid file {pidfile}")


class Stack:
    def __init__(self, ce_name, ce_arn, queue_name, queue_arn, definition_name, definition_arn):
        self.ce_name = ce_name
        self.ce_arn = ce_arn
        self.queue_name = queue_name
        self.queue_arn = queue_arn
        self.definition_name = definition_name
        self.definition_arn = definition_arn


def assert_epoch_millis(value, what: str) -> None:
    assert isinstance(value, int), f"{what} should be an integer (epoch ms), got {value!r}"
    now_ms = time.time() * 1000
    assert now_ms - 86_400_000 < value <= now_ms + 60_000, (
        f"{what}={value} is not epoch milliseconds near now ({int(now_ms)})")


# ----- raw HTTP -----
def signed_request(endpoint: str, method: str, path: str, body: bytes = b"",
                   content_type: str = "application/json", service: str = "batch"):
    """Sends a SigV4-signed request the way botocore would, but with any body or path.
    Returns (status, headers with lower-case names, body bytes)."""
    import http.client
    from urllib.parse import urlsplit

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = endpoint + path
    request = AWSRequest(method=method, url=url, data=body,
                         headers={"Content-Type": content_type})
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), service, REGION).add_auth(request)
    parts = urlsplit(endpoint)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=dict(request.headers.items()))
        response = connection.getresponse()
        data = response.read()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers, data
    finally:
        connection.close()
