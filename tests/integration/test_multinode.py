"""Multi-node parallel jobs through the AWS API: registering type multinode, node jobs "<id>#<n>"
and the AWS_BATCH_JOB_* variables each node sees, the main node first and the others once it runs,
the job's outcome the main node's, retries of the main node, nodeOverrides, ListJobs
--multi-node-job-id, and cancel/terminate of the whole job."""

import json

import pytest
from botocore.exceptions import ClientError

from gleaner_testlib import IMAGE, SMALL_JOB, client_error, unique

PRINT_NODE = ('echo "node=$AWS_BATCH_JOB_NODE_INDEX num=$AWS_BATCH_JOB_NUM_NODES '
              'main=$AWS_BATCH_JOB_MAIN_NODE_INDEX '
              'ip=${AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS-none} '
              'id=$AWS_BATCH_JOB_ID attempt=$AWS_BATCH_JOB_ATTEMPT"')


def node_ids(parent_id, count):
    return [f"{parent_id}#{i}" for i in range(count)]


def container(command):
    return {"image": IMAGE, "command": ["sh", "-c", command],
            "resourceRequirements": [dict(r) for r in SMALL_JOB]}


def main_command(gate_dir, others, then="exit 0"):
    """The main node: prints its variables, waits until `others` nodes have started (each
    leaves a file in `gate_dir`), then runs `then`."""
    return (f"{PRINT_NODE}; "
            f"while [ $(ls {gate_dir} | grep -c \"^started-$AWS_BATCH_JOB_ATTEMPT-\") -lt {others} ]; "
            f"do sleep 0.1; done; {then}")


def worker_command(gate_dir, then="exec sleep 60"):
    """Another node: prints its variables, says it started, then runs `then`."""
    return (f"{PRINT_NODE}; touch {gate_dir}/started-$AWS_BATCH_JOB_ATTEMPT-"
            f"$AWS_BATCH_JOB_NODE_INDEX; {then}")


def node_properties(gate_dir, main_then="exit 0", worker_then="exec sleep 60", num_nodes=3):
    return {"numNodes": num_nodes, "mainNode": 0, "nodeRangeProperties": [
        {"targetNodes": "0", "container": container(main_command(gate_dir, num_nodes - 1,
                                                                 main_then))},
        {"targetNodes": "1:", "container": container(worker_command(gate_dir, worker_then))},
    ]}


def describe_all(batch, ids):
    found = {job["jobId"]: job for job in batch.describe_jobs(jobs=ids)["jobs"]}
    missing = [i for i in ids if i not in found]
    assert not missing, f"DescribeJobs omitted {missing}"
    return [found[i] for i in ids]


def node_line(helpers, job, attempt=None):
    """The line a node printed (from its last attempt, or the given one's log stream)."""
    stream = (job["attempts"][attempt]["container"]["logStreamName"] if attempt is not None
              else job["container"]["logStreamName"])
    lines = helpers.wait_for_log(stream, "node=")
    return next(line for line in lines if line.startswith("node="))


def list_nodes(batch, parent_id, status=None, max_results=None):
    ids, token = [], None
    for _ in range(50):
        request = {"multiNodeJobId": parent_id}
        if status:
            request["jobStatus"] = status
        if max_results:
            request["maxResults"] = max_results
        if token:
            request["nextToken"] = token
        response = batch.list_jobs(**request)
        ids.extend(summary["jobId"] for summary in response["jobSummaryList"])
        token = response.get("nextToken")
        if not token:
            return ids
    raise AssertionError("nextToken never ran out")


@pytest.fixture
def gate_dir(gleaner):
    path = gleaner.workdir / unique("gate")
    path.mkdir()
    return path


def test_nodes_see_their_variables_and_the_main_node_decides(aws, batch, helpers, stack, gate_dir,
                                                             wait_for_status):
    name = unique("mnp")
    rc, out, err = aws("batch", "register-job-definition", "--job-definition-name", name,
                       "--type", "multinode", "--node-properties",
                       json.dumps(node_properties(gate_dir)))
    assert rc == 0, err
    assert out["revision"] == 1
    rc, out, err = aws("batch", "submit-job", "--job-name", "mpi", "--job-queue",
                       stack.queue_name, "--job-definition", name)
    assert rc == 0, err
    parent_id = out["jobId"]
    assert "#" not in parent_id

    parent = wait_for_status(parent_id, "SUCCEEDED", timeout=60)
    assert parent["nodeProperties"]["numNodes"] == 3
    assert parent["nodeProperties"]["mainNode"] == 0
    assert [r["targetNodes"] for r in parent["nodeProperties"]["nodeRangeProperties"]] == \
        ["0", "1:2"]
    assert "nodeDetails" not in parent
    assert parent["container"]["exitCode"] == 0
    assert parent.get("startedAt") and parent.get("stoppedAt")
    assert len(parent["attempts"]) == 1

    rc, out, err = aws("batch", "describe-jobs", "--jobs", *node_ids(parent_id, 3))
    assert rc == 0, err
    nodes = {job["jobId"]: job for job in out["jobs"]}
    assert set(nodes) == set(node_ids(parent_id, 3))
    main = nodes[f"{parent_id}#0"]
    assert main["nodeDetails"] == {"nodeIndex": 0, "isMainNode": True}
    assert main["status"] == "SUCCEEDED"
    assert main["jobArn"].endswith(f":job/{parent_id}#0")
    assert node_line(helpers, main) == \
        f"node=0 num=3 main=0 ip=none id={parent_id}#0 attempt=1"
    for index in (1, 2):
        node = nodes[f"{parent_id}#{index}"]
        assert node["nodeDetails"] == {"nodeIndex": index, "isMainNode": False}
        # The main node exited while the others still ran: they were stopped.
        assert node["status"] == "FAILED"
        assert node["statusReason"] == "Main node exited"
        assert node["startedAt"] >= main["startedAt"], "the others start once the main node runs"
        assert node_line(helpers, node) == \
            f"node={index} num=3 main=0 ip=127.0.0.1 id={parent_id}#{index} attempt=1"

    rc, out, err = aws("batch", "list-jobs", "--multi-node-job-id", parent_id,
                       "--job-status", "FAILED")
    assert rc == 0, err
    assert [s["jobId"] for s in out["jobSummaryList"]] == node_ids(parent_id, 3)[1:]
    assert out["jobSummaryList"][0]["nodeProperties"] == \
        {"isMainNode": False, "numNodes": 3, "nodeIndex": 1}
    # The queue lists the job, not its nodes.
    for status in ("SUCCEEDED", "FAILED"):
        listed = batch.list_jobs(jobQueue=stack.queue_name, jobStatus=status)["jobSummaryList"]
        assert all("#" not in summary["jobId"] for summary in listed), listed
    listed = batch.list_jobs(jobQueue=stack.queue_name, jobStatus="SUCCEEDED")["jobSummaryList"]
    assert [s["jobId"] for s in listed] == [parent_id]
    assert listed[0]["nodeProperties"] == {"numNodes": 3}


def test_main_node_failure_is_retried_with_every_node(batch, helpers, stack, gate_dir,
                                                      wait_for_status):
    # Attempt 1: the main node fails once the others have started; attempt 2 succeeds.
    definition = batch.register_job_definition(
        jobDefinitionName=unique("mnp"), type="multinode",
        nodeProperties=node_properties(
            # (the pause lets the other nodes end on their own before the main node does)
            gate_dir, main_then='[ "$AWS_BATCH_JOB_ATTEMPT" = 1 ] && exit 3; sleep 1; exit 0',
            worker_then="exit 0"),
        retryStrategy={"attempts": 2})
    parent_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"])
    parent = wait_for_status(parent_id, "SUCCEEDED", timeout=90)
    assert len(parent["attempts"]) == 2, parent["attempts"]
    assert parent["attempts"][0]["container"]["exitCode"] == 3
    assert parent["attempts"][0]["statusReason"] == "Essential container in task exited"
    assert parent["attempts"][1]["container"]["exitCode"] == 0

    main, first, second = describe_all(batch, node_ids(parent_id, 3))
    assert main["retryStrategy"]["attempts"] == 2
    assert [a["container"]["exitCode"] for a in main["attempts"]] == [3, 0]
    assert node_line(helpers, main, attempt=0).endswith("attempt=1")
    assert node_line(helpers, main, attempt=1).endswith("attempt=2")
    for index, node in ((1, first), (2, second)):
        assert "retryStrategy" not in node, "only the main node's failures are retried"
        # Every node ran in both attempts of the job.
        assert len(node["attempts"]) == 2, node["attempts"]
        assert node["status"] == "SUCCEEDED"
        assert node_line(helpers, node, attempt=1) == (
            f"node={index} num=3 main=0 ip=127.0.0.1 id={parent_id}#{index} attempt=2")
    assert sorted(p.name for p in gate_dir.iterdir()) == \
        ["started-1-1", "started-1-2", "started-2-1", "started-2-2"]


def test_node_overrides_and_listing_running_nodes(batch, helpers, stack, gate_dir,
                                                  wait_for_status):
    release = gate_dir / "release"
    definition = batch.register_job_definition(
        jobDefinitionName=unique("mnp"), type="multinode",
        nodeProperties=node_properties(
            gate_dir, main_then=f"while [ ! -e {release} ]; do sleep 0.1; done; exit 0"))
    parent_id = helpers.submit(
        stack.queue_name, definition["jobDefinitionName"],
        nodeOverrides={"numNodes": 4, "nodePropertyOverrides": [
            {"targetNodes": "3", "containerOverrides": {
                "environment": [{"name": "EXTRA", "value": "yes"}],
                "command": ["sh", "-c", f'{PRINT_NODE}; echo "extra=$EXTRA"; '
                                        f"touch {gate_dir}/started-1-3; exec sleep 60"]}}]})
    ids = node_ids(parent_id, 4)

    def all_running():
        jobs = describe_all(batch, ids)
        return jobs if all(job["status"] == "RUNNING" for job in jobs) else None
    helpers.poll(all_running, 30, "every node to be RUNNING")
    assert helpers.describe(parent_id)["status"] == "RUNNING"
    # ListJobs --multi-node-job-id: RUNNING by default, in index order, paged.
    assert list_nodes(batch, parent_id) == ids
    assert list_nodes(batch, parent_id, max_results=1) == ids
    assert list_nodes(batch, parent_id, status="SUCCEEDED") == []

    fourth = helpers.describe(ids[3])
    assert fourth["nodeDetails"] == {"nodeIndex": 3, "isMainNode": False}
    assert {"name": "EXTRA", "value": "yes"} in fourth["container"]["environment"]
    lines = helpers.wait_for_log(fourth["container"]["logStreamName"], "extra=")
    assert "extra=yes" in lines
    assert node_line(helpers, fourth).startswith("node=3 num=4 main=0 ip=127.0.0.1")

    release.touch()
    wait_for_status(parent_id, "SUCCEEDED", timeout=30)
    helpers.poll(lambda: all(j["status"] == "FAILED" for j in describe_all(batch, ids[1:])), 30,
                 "the other nodes to be stopped")


def test_terminate_stops_every_node(batch, helpers, stack, gate_dir, wait_for_status):
    definition = batch.register_job_definition(
        jobDefinitionName=unique("mnp"), type="multinode",
        nodeProperties=node_properties(gate_dir, main_then="exec sleep 60"))
    parent_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"])
    ids = node_ids(parent_id, 3)
    helpers.poll(lambda: all(j["status"] == "RUNNING" for j in describe_all(batch, ids)), 30,
                 "every node to be RUNNING")
    batch.cancel_job(jobId=parent_id, reason="cancel does not stop a running job")
    assert helpers.describe(parent_id)["status"] == "RUNNING"

    batch.terminate_job(jobId=parent_id, reason="stop everything")
    parent = wait_for_status(parent_id, "FAILED", timeout=30)
    assert parent["statusReason"] == "stop everything"
    helpers.poll(lambda: all(j["status"] == "FAILED" for j in describe_all(batch, ids)), 30,
                 "every node to end")
    assert [j["statusReason"] for j in describe_all(batch, ids)] == ["stop everything"] * 3


def test_multinode_validation(batch, helpers, stack, gate_dir):
    definition = batch.register_job_definition(
        jobDefinitionName=unique("mnp"), type="multinode",
        nodeProperties=node_properties(gate_dir))
    name = definition["jobDefinitionName"]

    def rejected(**kwargs):
        with pytest.raises(ClientError) as excinfo:
            batch.submit_job(jobName="bad", jobQueue=stack.queue_name, **kwargs)
        status, code, message = client_error(excinfo)
        assert (status, code) == (400, "ClientException"), (status, code, message)
        return message

    assert "cannot be an array job" in rejected(jobDefinition=name, arrayProperties={"size": 2})
    assert "nodeOverrides is invalid" in rejected(jobDefinition=stack.definition_name,
                                                  nodeOverrides={"numNodes": 2})
    assert "does not fit in 1 nodes" in rejected(jobDefinition=name, nodeOverrides={"numNodes": 1})
    assert 'targetNodes "5"' in rejected(
        jobDefinition=name,
        nodeOverrides={"nodePropertyOverrides": [{"targetNodes": "5", "containerOverrides": {}}]})

    no_memory = node_properties(gate_dir)
    no_memory["nodeRangeProperties"][1]["container"]["resourceRequirements"] = [
        {"type": "VCPU", "value": "1"}]
    bare = batch.register_job_definition(jobDefinitionName=unique("mnp"), type="multinode",
                                         nodeProperties=no_memory)
    message = rejected(jobDefinition=bare["jobDefinitionName"])
    assert 'nodeRangeProperties[1] (targetNodes "1:")' in message, message

    with pytest.raises(ClientError) as excinfo:
        batch.register_job_definition(
            jobDefinitionName=unique("mnp"), type="multinode",
            nodeProperties={"numNodes": 3, "mainNode": 0, "nodeRangeProperties": [
                {"targetNodes": "0", "container": container("true")}]})
    status, code, message = client_error(excinfo)
    assert status == 400 and "node 1 is in no range" in message, message
