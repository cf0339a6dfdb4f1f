"""What existing clients expect of AWS (issue 14), through the AWS CLI v2 and boto3."""

from __future__ import annotations

import pytest

from gleaner_testlib import FARGATE_RESOURCES, unique

pytestmark = pytest.mark.gleaner_args("--capacity", "local")


# ---- item 1: a type on the dependency of a job that is not an array job ----

@pytest.mark.parametrize("kind", ["N_TO_N", "SEQUENTIAL"])
def test_a_typed_dependency_of_a_plain_job_is_a_plain_dependency(aws, helpers, stack, gleaner,
                                                                  kind):
    gate = gleaner.workdir / unique("gate")
    definition = helpers.register(command=["sh", "-c", f"while [ ! -e {gate} ]; do sleep 0.05; "
                                                       "done; echo first"])
    first = helpers.submit(stack.queue_name, definition["jobDefinitionName"])
    rc, out, err = aws("batch", "submit-job", "--job-name", unique("second"), "--job-queue",
                       stack.queue_name, "--job-definition", stack.definition_name,
                       "--depends-on", f"jobId={first},type={kind}")
    assert rc == 0, err
    second = out["jobId"]
    waiting = helpers.describe(second)
    assert waiting["status"] == "PENDING"
    assert waiting["dependsOn"] == [{"jobId": first, "type": kind}]
    gate.touch()
    helpers.wait_for_status(first, "SUCCEEDED")
    assert helpers.wait_for_status(second, "SUCCEEDED")["startedAt"] >= \
        helpers.describe(first)["stoppedAt"]


def test_a_sequential_dependency_without_a_job_id_still_needs_an_array_job(aws, stack):
    rc, _, err = aws("batch", "submit-job", "--job-name", unique("seq"), "--job-queue",
                     stack.queue_name, "--job-definition", stack.definition_name,
                     "--depends-on", "type=SEQUENTIAL")
    assert rc != 0
    assert "ClientException" in err and "dependsOn[0].jobId is required" in err, err


# ---- item 4: what CreateComputeEnvironment refuses at once ----

def test_a_managed_ec2_environment_needs_an_instance_role(aws):
    for kind in ("EC2", "SPOT"):
        rc, _, err = aws("batch", "create-compute-environment", "--compute-environment-name",
                         unique("norole"), "--type", "MANAGED", "--compute-resources",
                         f"type={kind},maxvCpus=4,subnets=subnet-1")
        assert rc != 0
        assert ("An error occurred (ClientException) when calling the CreateComputeEnvironment "
                "operation: computeResources.instanceRole is required: Instance role is "
                "required.") in err, err


def test_a_bare_service_role_name_becomes_its_arn(aws, helpers):
    name = unique("role")
    rc, _, err = aws("batch", "create-compute-environment", "--compute-environment-name", name,
                     "--type", "UNMANAGED", "--service-role", "AWSBatchServiceRole")
    assert rc == 0, err
    described = helpers.wait_for_ce(name, "VALID")
    assert described["serviceRole"] == "arn:aws:iam::123456789012:role/AWSBatchServiceRole"
    rc, _, err = aws("batch", "update-compute-environment", "--compute-environment", name,
                     "--service-role", "arn:aws:iam::123456789012:role/service-role/Mine")
    assert rc == 0, err
    assert helpers.wait_for_ce(name, "VALID")["serviceRole"] == \
        "arn:aws:iam::123456789012:role/service-role/Mine"


# ---- item 3: stopping a job that does not exist ----

@pytest.mark.parametrize("operation", ["cancel-job", "terminate-job"])
def test_stopping_an_unknown_job_answers_200_as_aws_does(aws, batch, operation):
    rc, out, err = aws("batch", operation, "--job-id", "8f0c3b0e-0000-4000-8000-000000000000",
                       "--reason", "cleanup")
    assert rc == 0, err
    response = batch.cancel_job(jobId="no-such-job", reason="r")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


# ---- item 15: services gleaner does not simulate say so ----

@pytest.mark.parametrize("command, operation, service", [
    (["iam", "create-policy", "--policy-name", "p", "--policy-document", "{}"], "CreatePolicy",
     "AWS Identity and Access Management (iam)"),
    (["sts", "get-caller-identity"], "GetCallerIdentity", "AWS Security Token Service (sts)"),
    (["dynamodb", "list-tables"], "ListTables", "Amazon DynamoDB (dynamodb)"),
    (["lambda", "list-functions"], "ListFunctions", "AWS Lambda (lambda)"),
])
def test_a_service_gleaner_does_not_simulate_is_named(aws, command, operation, service):
    rc, _, err = aws(*command)
    assert rc != 0
    assert (f"An error occurred (UnsupportedService) when calling the {operation} operation: "
            f"gleaner does not simulate {service}") in err, err


# ---- item 7: ARNs in the aws-cn and aws-us-gov partitions ----

@pytest.mark.parametrize("region,partition", [
    pytest.param("cn-north-1", "aws-cn",
                 marks=pytest.mark.gleaner_args("--capacity", "local", "--region", "cn-north-1")),
    pytest.param("us-gov-west-1", "aws-us-gov",
                 marks=pytest.mark.gleaner_args("--capacity", "local", "--region",
                                                "us-gov-west-1"))])
def test_arns_of_a_china_or_govcloud_region_are_in_its_partition(aws, region, partition):
    account = "123456789012"
    ce, queue, definition = unique("ce"), unique("jq"), unique("jd")
    rc, out, err = aws("batch", "create-compute-environment", "--region", region,
                       "--compute-environment-name", ce, "--type", "UNMANAGED",
                       "--service-role", "AWSBatchServiceRole")
    assert rc == 0, err
    assert out["computeEnvironmentArn"] == \
        f"arn:{partition}:batch:{region}:{account}:compute-environment/{ce}"
    rc, out, err = aws("batch", "describe-compute-environments", "--region", region,
                       "--compute-environments", ce)
    assert rc == 0, err
    described = out["computeEnvironments"][0]
    assert described["serviceRole"] == f"arn:{partition}:iam::{account}:role/AWSBatchServiceRole"
    assert described["ecsClusterArn"].startswith(f"arn:{partition}:ecs:{region}:{account}:cluster/")
    rc, out, err = aws("batch", "create-job-queue", "--region", region, "--job-queue-name", queue,
                       "--priority", "1", "--compute-environment-order",
                       f"order=1,computeEnvironment={ce}")
    assert rc == 0, err
    assert out["jobQueueArn"] == f"arn:{partition}:batch:{region}:{account}:job-queue/{queue}"
    rc, out, err = aws("batch", "register-job-definition", "--region", region,
                       "--job-definition-name", definition, "--type", "container",
                       "--container-properties",
                       '{"image": "busybox", "command": ["true"], "resourceRequirements": '
                       '[{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "64"}]}')
    assert rc == 0, err
    assert out["jobDefinitionArn"] == \
        f"arn:{partition}:batch:{region}:{account}:job-definition/{definition}:1"
    rc, out, err = aws("batch", "submit-job", "--region", region, "--job-name", unique("job"),
                       "--job-queue", queue, "--job-definition", definition)
    assert rc == 0, err
    assert out["jobArn"] == f"arn:{partition}:batch:{region}:{account}:job/{out['jobId']}"


# ---- item 5: a job its queue's platform cannot run is refused at SubmitJob ----

def test_submit_job_refuses_what_the_queues_platform_cannot_run(aws, helpers):
    fargate = unique("fargate")
    helpers.create_ce(fargate, computeResources=dict(FARGATE_RESOURCES))
    fargate_queue = helpers.create_queue(ces=[fargate])["jobQueueName"]
    ec2_queue = helpers.create_queue()["jobQueueName"]
    ec2_definition = helpers.register()["jobDefinitionName"]
    fargate_definition = helpers.batch.register_job_definition(
        jobDefinitionName=unique("jd"), type="container", platformCapabilities=["FARGATE"],
        containerProperties={"image": "busybox", "command": ["true"],
                             "resourceRequirements": [{"type": "VCPU", "value": "0.25"},
                                                      {"type": "MEMORY", "value": "512"}]}
    )["jobDefinitionName"]
    rc, out, err = aws("batch", "register-job-definition", "--job-definition-name",
                       unique("mnp"), "--type", "multinode", "--node-properties",
                       '{"numNodes": 2, "mainNode": 0, "nodeRangeProperties": [{"targetNodes": '
                       '"0:", "container": {"image": "busybox", "command": ["true"], '
                       '"resourceRequirements": [{"type": "VCPU", "value": "1"}, '
                       '{"type": "MEMORY", "value": "64"}]}}]}')
    assert rc == 0, err
    multinode = out["jobDefinitionName"]

    def refused(queue, definition):
        rc, out, err = aws("batch", "submit-job", "--job-name", unique("job"), "--job-queue",
                           queue, "--job-definition", definition)
        assert rc != 0, out
        assert "(ClientException)" in err, err
        return err

    assert f'has platformCapabilities [EC2], which job queue "{fargate_queue}" cannot run: ' \
           "its compute environments are FARGATE" in refused(fargate_queue, ec2_definition)
    assert f'has platformCapabilities [FARGATE], which job queue "{ec2_queue}" cannot run: ' \
           "its compute environments are EC2" in refused(ec2_queue, fargate_definition)
    assert "multi-node parallel jobs run on EC2 only" in refused(fargate_queue, multinode)
    for queue, definition in [(fargate_queue, fargate_definition), (ec2_queue, ec2_definition),
                              (ec2_queue, multinode)]:
        rc, out, err = aws("batch", "submit-job", "--job-name", unique("job"), "--job-queue",
                           queue, "--job-definition", definition)
        assert rc == 0, err
