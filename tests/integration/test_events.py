"""Amazon EventBridge on gleaner's endpoint: the tutorials' `aws events put-rule` commands
verbatim, rules matched against gleaner's own events and PutEvents, delivered to HTTP endpoints
and Batch job queues, with retries, a dead-letter file and rules that survive a restart."""

import http.server
import json
import os
import queue as queue_module
import subprocess
import threading

import pytest
from botocore.exceptions import ClientError

from gleaner_testlib import AWS_CLI, SIMSPOT_ARGS, client_env, client_error, make_client
from test_spot import interrupt_running_spot_job

# aws-batch-reference.txt, "Monitor job state changes", verbatim.
REFERENCE_TUTORIAL_PUT_RULE = """aws events put-rule \\
  --name batch-job-events \\
  --event-pattern '{
    "source": ["aws.batch"],
    "detail-type": ["AWS Batch Job State Change"]
  }'
"""

# spot-preemptible-setup.txt, "AWS EventBridge for Spot Interruption", verbatim.
SPOT_TUTORIAL_PATTERN = """{
"source": ["aws.ec2"],
"detail-type": ["EC2 Spot Instance Interruption Warning"],
"detail": {
"instance-action": ["terminate"]
}
}"""


def run_tutorial_text(gleaner, text: str, tmp_path):
    """Runs a tutorial's shell text as written, its `aws` pointed at gleaner (the CLI v2 in
    Debian predates AWS_ENDPOINT_URL, so a shell function adds --endpoint-url)."""
    script = (f'aws() {{ {AWS_CLI} --endpoint-url {gleaner.endpoint} --output json '
              f'--no-cli-pager "$@"; }}\n' + text)
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60,
                          env=client_env(tmp_path / "home"), stdin=subprocess.DEVNULL)


class Receiver:
    """An HTTP endpoint on loopback that keeps what is POSTed to it; answers `status`."""

    def __init__(self, status: int = 200):
        self.received = queue_module.Queue()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                receiver.received.put({"path": self.path, "headers": dict(self.headers),
                                       "body": self.rfile.read(length).decode()})
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.status = status
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, timeout: float = 20) -> dict:
        return self.received.get(timeout=timeout)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


@pytest.fixture
def events(gleaner):
    return make_client("events", gleaner.endpoint)


def test_the_reference_tutorials_put_rule_runs_verbatim(gleaner, aws, tmp_path):
    result = run_tutorial_text(gleaner, REFERENCE_TUTORIAL_PUT_RULE, tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "RuleArn": "arn:aws:events:us-east-1:123456789012:rule/batch-job-events"}
    rc, rule, err = aws("events", "describe-rule", "--name", "batch-job-events")
    assert rc == 0, err
    assert rule["State"] == "ENABLED"
    assert json.loads(rule["EventPattern"]) == {"source": ["aws.batch"],
                                                "detail-type": ["AWS Batch Job State Change"]}
    rc, listed, err = aws("events", "list-rules", "--name-prefix", "batch-")
    assert [r["Name"] for r in listed["Rules"]] == ["batch-job-events"]
    # The tutorial's detail type is the one AWS used to send; today's events do not match it.
    event = {"id": "1", "account": "123456789012", "source": "aws.batch",
             "time": "2026-12-07T10:00:00Z", "region": "us-east-1", "resources": [],
             "detail-type": "Batch Job State Change", "detail": {"status": "RUNNING"}}
    rc, out, err = aws("events", "test-event-pattern", "--event-pattern", rule["EventPattern"],
                       "--event", json.dumps(event))
    assert rc == 0, err
    assert out == {"Result": False}
    event["detail-type"] = "AWS Batch Job State Change"
    rc, out, err = aws("events", "test-event-pattern", "--event-pattern", rule["EventPattern"],
                       "--event", json.dumps(event))
    assert out == {"Result": True}


def test_a_job_state_change_reaches_an_http_target(gleaner, aws, helpers, receiver, events):
    stack = helpers.stack(["sh", "-c", "echo done"])
    events.put_rule(Name="succeeded", EventPattern=json.dumps({
        "source": ["aws.batch"], "detail-type": ["Batch Job State Change"],
        "detail": {"status": ["SUCCEEDED"], "jobQueue": [stack.queue_arn]}}))
    answer = events.put_targets(Rule="succeeded", Targets=[{
        "Id": "hook", "Arn": receiver.url + "/hooks/batch",
        "HttpParameters": {"HeaderParameters": {"X-Team": "etl"},
                           "QueryStringParameters": {"source": "gleaner"}}}])
    assert answer["FailedEntryCount"] == 0
    job_id = helpers.submit(stack.queue_name, stack.definition_name)
    helpers.wait_for_status(job_id, "SUCCEEDED")
    delivered = receiver.next()
    assert delivered["path"] == "/hooks/batch?source=gleaner"
    assert delivered["headers"]["X-Team"] == "etl"
    event = json.loads(delivered["body"])
    assert event["detail-type"] == "Batch Job State Change"
    assert event["detail"]["jobId"] == job_id
    assert event["detail"]["status"] == "SUCCEEDED"
    assert receiver.received.empty(), "only the SUCCEEDED change matches"
    targets = events.list_targets_by_rule(Rule="succeeded")["Targets"]
    assert [t["Id"] for t in targets] == ["hook"]


@pytest.mark.gleaner_args(*SIMSPOT_ARGS)
def test_the_spot_tutorials_interruption_rule_hears_a_reclaim(gleaner, aws, helpers, receiver,
                                                              events, gleaner_cli):
    events.put_rule(Name="spot-interruption", EventPattern=SPOT_TUTORIAL_PATTERN)
    events.put_targets(Rule="spot-interruption", Targets=[{
        "Id": "notice", "Arn": receiver.url,
        "InputTransformer": {"InputPathsMap": {"instance": "$.detail.instance-id"},
                             "InputTemplate": '{"reclaimed": "<instance>"}'}}])
    states = Receiver()
    events.put_rule(Name="instance-states", EventPattern=json.dumps({
        "source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]}))
    events.put_targets(Rule="instance-states", Targets=[
        {"Id": "states", "Arn": states.url, "InputPath": "$.detail"}])
    try:
        _, _, _, instance = interrupt_running_spot_job(aws, helpers, gleaner_cli, "2s")
        assert json.loads(receiver.next()["body"]) == {"reclaimed": instance}
        # The instance's life, as EC2 tells it: launched, running, then gone at the deadline.
        told = []
        while "terminated" not in told:
            detail = json.loads(states.next()["body"])
            if detail["instance-id"] == instance:
                told.append(detail["state"])
        assert told[0] in ("pending", "running") and told[-1] == "terminated", told
        assert "running" in told
    finally:
        states.close()


def test_put_events_submits_a_job_with_the_event_as_its_parameters(gleaner, helpers, events):
    stack = helpers.stack(["sh", "-c", "echo processing Ref::key"])
    helpers.batch.register_job_definition(
        jobDefinitionName=stack.definition_name, type="container",
        parameters={"key": "nothing"},
        containerProperties={"image": "busybox", "command": ["echo", "processing", "Ref::key"],
                             "resourceRequirements": [{"type": "VCPU", "value": "1"},
                                                      {"type": "MEMORY", "value": "512"}]})
    events.put_rule(Name="uploads", EventPattern=json.dumps(
        {"source": ["my.uploader"], "detail": {"key": [{"suffix": ".csv"}]}}))
    events.put_targets(Rule="uploads", Targets=[{
        "Id": "process", "Arn": stack.queue_arn,
        "RoleArn": "arn:aws:iam::123456789012:role/events-submit",
        "BatchParameters": {"JobDefinition": stack.definition_name, "JobName": "process-upload",
                            "RetryStrategy": {"Attempts": 2}},
        "InputTransformer": {"InputPathsMap": {"key": "$.detail.key"},
                             "InputTemplate": '{"Parameters": {"key": "<key>"}}'}}])
    answer = events.put_events(Entries=[
        {"Source": "my.uploader", "DetailType": "Object Created",
         "Detail": json.dumps({"key": "data/2026-12-07.csv"})},
        {"Source": "my.uploader", "DetailType": "Object Created",
         "Detail": json.dumps({"key": "data/readme.txt"})},
        {"Source": "aws.batch", "DetailType": "x", "Detail": "{}"},
        {"Source": "my.uploader", "DetailType": "x", "Detail": "not json"}])
    assert answer["FailedEntryCount"] == 2
    assert "EventId" in answer["Entries"][0] and "EventId" in answer["Entries"][1]
    assert answer["Entries"][2]["ErrorCode"] == "NotAuthorizedForSourceException"
    assert answer["Entries"][3]["ErrorCode"] == "MalformedDetail"

    def submitted():
        jobs = helpers.batch.list_jobs(jobQueue=stack.queue_name, jobStatus="SUCCEEDED")
        return jobs["jobSummaryList"]
    jobs = helpers.poll(submitted, 30, "the job the event submitted to succeed")
    assert [j["jobName"] for j in jobs] == ["process-upload"]
    job = helpers.describe(jobs[0]["jobId"])
    assert job["parameters"] == {"key": "data/2026-12-07.csv"}
    assert job["retryStrategy"]["attempts"] == 2
    helpers.wait_for_log(job["container"]["logStreamName"], "processing data/2026-12-07.csv")


def test_an_endpoint_that_keeps_failing_ends_in_the_dead_letter_file(gleaner, events):
    failing = Receiver(status=503)
    try:
        events.put_rule(Name="flaky", EventPattern='{"source": ["my.app"]}')
        events.put_targets(Rule="flaky", Targets=[{
            "Id": "down", "Arn": failing.url + "/x",
            "RetryPolicy": {"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 60}}])
        events.put_events(Entries=[{"Source": "my.app", "DetailType": "ping",
                                    "Detail": '{"n": 1}'}])
        failing.next()
        failing.next()  # one retry, a second later
        dead_letters = gleaner.data_dir / "event-dead-letters.jsonl"
        record = None
        for _ in range(100):
            if dead_letters.exists() and dead_letters.read_text().strip():
                record = json.loads(dead_letters.read_text().splitlines()[0])
                break
            threading.Event().wait(0.1)
        assert record is not None, "no dead letter was written"
        assert record["rule"] == "flaky" and record["targetId"] == "down"
        assert record["reason"] == "the endpoint answered HTTP 503 (after 2 tries)"
        assert record["event"]["detail"] == {"n": 1}
        assert oct(os.stat(dead_letters).st_mode & 0o777) == "0o600"
        assert failing.received.empty()
    finally:
        failing.close()


def test_rules_and_targets_survive_a_restart(gleaner, events, receiver):
    events.put_rule(Name="kept", EventPattern='{"source": ["my.app"]}', State="DISABLED",
                    Description="kept across restarts")
    events.put_targets(Rule="kept", Targets=[{"Id": "hook", "Arn": receiver.url}])
    gleaner.restart()
    events = make_client("events", gleaner.endpoint)
    rule = events.describe_rule(Name="kept")
    assert rule["State"] == "DISABLED" and rule["Description"] == "kept across restarts"
    events.put_events(Entries=[{"Source": "my.app", "DetailType": "a", "Detail": '{"n": 1}'}])
    events.enable_rule(Name="kept")
    events.put_events(Entries=[{"Source": "my.app", "DetailType": "b", "Detail": '{"n": 2}'}])
    assert json.loads(receiver.next()["body"])["detail"] == {"n": 2}
    assert receiver.received.empty(), "a disabled rule delivers nothing"


def test_a_delivery_cut_short_by_a_crash_is_made_after_the_restart(gleaner, events):
    failing = Receiver(status=503)
    try:
        events.put_rule(Name="later", EventPattern='{"source": ["my.app"]}')
        events.put_targets(Rule="later", Targets=[{"Id": "hook", "Arn": failing.url + "/in"}])
        events.put_events(Entries=[{"Source": "my.app", "DetailType": "ping",
                                    "Detail": '{"n": 42}'}])
        assert json.loads(failing.next()["body"])["detail"] == {"n": 42}  # refused: 503
        failing.status = 200
        gleaner.restart(graceful=False)  # kill -9 while the delivery waits for its retry
        again = json.loads(failing.next()["body"])
        assert again["detail"] == {"n": 42} and again["source"] == "my.app"
    finally:
        failing.close()


def test_bad_rules_and_targets_are_refused_with_the_reason(events, aws):
    with pytest.raises(ClientError) as refused:
        events.put_rule(Name="bad", EventPattern='{"source": "aws.batch"}')
    status, code, message = client_error(refused)
    assert (status, code) == (400, "InvalidEventPatternException")
    assert message == ("Event pattern is not valid. Reason: source: the value must be an array "
                       "or an object")
    with pytest.raises(ClientError) as refused:
        events.put_rule(Name="no pattern")
    assert client_error(refused)[1] == "ValidationException"
    assert "Member must satisfy regular expression pattern" in client_error(refused)[2]
    with pytest.raises(ClientError) as refused:
        events.describe_rule(Name="nothing")
    assert client_error(refused)[1:] == ("ResourceNotFoundException",
                                         "Rule nothing does not exist on EventBus default.")

    events.put_rule(Name="r", EventPattern='{"source": ["a"]}')
    answer = events.put_targets(Rule="r", Targets=[
        {"Id": "fn", "Arn": "arn:aws:lambda:us-east-1:123456789012:function:save-checkpoint"},
        {"Id": "batch", "Arn": "arn:aws:batch:us-east-1:123456789012:job-queue/q"}])
    assert answer["FailedEntryCount"] == 2
    failures = {entry["TargetId"]: entry["ErrorMessage"] for entry in answer["FailedEntries"]}
    assert failures["fn"].startswith("gleaner cannot deliver to lambda targets: they need AWS.")
    assert "BatchParameters" in failures["batch"]
    events.put_targets(Rule="r", Targets=[{"Id": f"t{i}", "Arn": f"http://127.0.0.1:9/{i}"}
                                          for i in range(5)])
    with pytest.raises(ClientError) as refused:
        events.put_targets(Rule="r", Targets=[{"Id": "sixth", "Arn": "http://127.0.0.1:9/"}])
    assert client_error(refused)[1] == "LimitExceededException"
    rc, _, err = aws("events", "delete-rule", "--name", "r")
    assert rc != 0 and "(ValidationException)" in err and "has targets" in err
    events.remove_targets(Rule="r", Ids=[f"t{i}" for i in range(5)])
    events.delete_rule(Name="r")
    events.delete_rule(Name="r")  # again: nothing to delete, and no error, as on AWS
    with pytest.raises(ClientError) as refused:
        events.put_rule(Name="sched", ScheduleExpression="rate(5 minutes)")
    assert "not supported yet" in client_error(refused)[2]
    with pytest.raises(ClientError) as refused:
        events.list_rules(EventBusName="other-bus")
    assert client_error(refused)[1] == "ResourceNotFoundException"


class EventStream:
    """GET /gleaner/v1/events as a Server-Sent Events client does (signed, as every request)."""

    def __init__(self, gleaner, last_event_id: str | None = None):
        import http.client
        from urllib.parse import urlsplit

        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        from gleaner_testlib import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        request = AWSRequest(method="GET", url=gleaner.endpoint + "/gleaner/v1/events",
                             headers=headers)
        SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "batch", REGION).add_auth(request)
        parts = urlsplit(gleaner.endpoint)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
        self.connection.request("GET", "/gleaner/v1/events", headers=dict(request.headers.items()))
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type") == "text/event-stream"

    def next_event(self) -> tuple[str, dict]:
        """(id, event) of the next event, past comments and the retry line."""
        event_id, data = None, None
        while True:
            line = self.response.fp.readline().decode()
            assert line, "the stream ended"
            line = line.rstrip("\n")
            if line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
            elif line == "" and data is not None:
                return event_id, data

    def close(self):
        self.connection.close()


def job_events_until(stream: EventStream, job_id: str, status: str) -> list[tuple[str, dict]]:
    seen = []
    while True:
        event_id, event = stream.next_event()
        seen.append((event_id, event))
        if event["detail"].get("jobId") == job_id and event["detail"]["status"] == status:
            return seen


def test_the_event_stream_follows_and_resumes_from_the_last_event_id(gleaner, helpers, stack):
    stream = EventStream(gleaner)
    first = helpers.submit(stack.queue_name, stack.definition_name)
    seen = job_events_until(stream, first, "SUCCEEDED")
    statuses = [event["detail"]["status"] for _, event in seen if
                event["detail"].get("jobId") == first]
    assert statuses == ["RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED"]
    assert all(event["detail-type"] == "Batch Job State Change" for _, event in seen)
    assert all(int(event_id) == event["gleanerSequence"] for event_id, event in seen)
    last_id = seen[-1][0]
    stream.close()

    second = helpers.submit(stack.queue_name, stack.definition_name)
    helpers.wait_for_status(second, "SUCCEEDED")
    # Resumed: what came after the last id seen, nothing before it.
    resumed = EventStream(gleaner, last_event_id=last_id)
    missed = job_events_until(resumed, second, "SUCCEEDED")
    resumed.close()
    assert [event["detail"]["jobId"] for _, event in missed] == [second] * 4
    assert int(missed[0][0]) == int(last_id) + 1

    gleaner.restart()  # the numbers keep growing across a restart
    third = helpers.submit(stack.queue_name, stack.definition_name)
    resumed = EventStream(gleaner, last_event_id=last_id)
    later = job_events_until(resumed, third, "SUCCEEDED")
    resumed.close()
    ids = [int(event_id) for event_id, _ in later]
    assert ids == sorted(ids) and ids[0] > int(last_id)
    jobs = [event["detail"]["jobId"] for _, event in later]
    assert first not in jobs and third in jobs
