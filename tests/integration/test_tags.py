"""TagResource / UntagResource / ListTagsForResource on every taggable resource (the ARN travels
percent-encoded in the path), plus tags given at creation."""

import pytest
from botocore.exceptions import ClientError

from gleaner_testlib import client_error, unique


def make_ce(helpers, stack, tags):
    return helpers.create_ce(unique("tce"), tags=tags)["computeEnvironmentArn"]


def make_queue(helpers, stack, tags):
    return helpers.create_queue(unique("tjq"), ces=[stack.ce_arn], tags=tags)["jobQueueArn"]


def make_definition(helpers, stack, tags):
    return helpers.register(command=["true"], tags=tags)["jobDefinitionArn"]


def make_job(helpers, stack, tags):
    job_id = helpers.submit(stack.queue_name, stack.definition_name, tags=tags)
    return helpers.describe(job_id)["jobArn"]


def make_policy(helpers, stack, tags):
    return helpers.batch.create_scheduling_policy(name=unique("tsp"), tags=tags)["arn"]


MAKERS = {"compute-environment": make_ce, "job-queue": make_queue,
          "job-definition": make_definition, "job": make_job, "scheduling-policy": make_policy}


@pytest.mark.parametrize("kind", list(MAKERS))
def test_tag_untag_list(kind, batch, helpers, stack):
    arn = MAKERS[kind](helpers, stack, {"created": "at-birth", "team": "a"})
    assert f":{kind}/" in arn, arn
    assert batch.list_tags_for_resource(resourceArn=arn)["tags"] == {
        "created": "at-birth", "team": "a"}

    batch.tag_resource(resourceArn=arn, tags={"team": "b", "cost-center": "42",
                                              "with space": "a value / with: symbols"})
    assert batch.list_tags_for_resource(resourceArn=arn)["tags"] == {
        "created": "at-birth", "team": "b", "cost-center": "42",
        "with space": "a value / with: symbols"}

    batch.untag_resource(resourceArn=arn, tagKeys=["team", "with space", "never-there"])
    assert batch.list_tags_for_resource(resourceArn=arn)["tags"] == {
        "created": "at-birth", "cost-center": "42"}

    batch.untag_resource(resourceArn=arn, tagKeys=["created", "cost-center"])
    assert batch.list_tags_for_resource(resourceArn=arn)["tags"] == {}


def test_tags_show_in_describe(batch, helpers, stack, wait_for_status):
    ce = helpers.create_ce(unique("tce"), tags={"k": "ce"})
    batch.tag_resource(resourceArn=ce["computeEnvironmentArn"], tags={"added": "later"})
    described = batch.describe_compute_environments(
        computeEnvironments=[ce["computeEnvironmentArn"]])["computeEnvironments"][0]
    assert described["tags"] == {"k": "ce", "added": "later"}

    queue = helpers.create_queue(unique("tjq"), ces=[stack.ce_arn], tags={"k": "queue"})
    assert batch.describe_job_queues(jobQueues=[queue["jobQueueArn"]])["jobQueues"][0][
        "tags"] == {"k": "queue"}

    definition = helpers.register(command=["true"], tags={"k": "definition"})
    assert batch.describe_job_definitions(jobDefinitions=[definition["jobDefinitionArn"]])[
        "jobDefinitions"][0]["tags"] == {"k": "definition"}

    job_id = helpers.submit(stack.queue_name, definition["jobDefinitionArn"], tags={"k": "job"})
    assert wait_for_status(job_id, "SUCCEEDED")["tags"] == {"k": "job"}


def test_definition_revisions_are_tagged_separately(batch, helpers):
    first = helpers.register("tag-rev", command=["true"], tags={"rev": "1"})
    second = helpers.register("tag-rev", command=["true"], tags={"rev": "2"})
    batch.tag_resource(resourceArn=first["jobDefinitionArn"], tags={"only": "first"})
    assert batch.list_tags_for_resource(resourceArn=first["jobDefinitionArn"])["tags"] == {
        "rev": "1", "only": "first"}
    assert batch.list_tags_for_resource(resourceArn=second["jobDefinitionArn"])["tags"] == {
        "rev": "2"}


def test_tags_with_the_cli(aws, stack):
    rc, out, err = aws("batch", "tag-resource", "--resource-arn", stack.queue_arn, "--tags",
                       "env=prod,owner=ops")
    assert rc == 0, err
    rc, out, err = aws("batch", "list-tags-for-resource", "--resource-arn", stack.queue_arn)
    assert rc == 0, err
    assert out == {"tags": {"env": "prod", "owner": "ops"}}
    rc, out, err = aws("batch", "untag-resource", "--resource-arn", stack.queue_arn,
                       "--tag-keys", "env", "owner")
    assert rc == 0, err
    rc, out, err = aws("batch", "list-tags-for-resource", "--resource-arn", stack.queue_arn)
    assert rc == 0, err
    assert out == {"tags": {}}


@pytest.mark.parametrize("call, fields", [
    (lambda b, arn: b.tag_resource(resourceArn=arn, tags={f"k{i}": "v" for i in range(51)}),
     ("tags",)),
    (lambda b, arn: b.tag_resource(resourceArn=arn, tags={"k" * 129: "v"}), ("tags", "key")),
    (lambda b, arn: b.tag_resource(resourceArn=arn, tags={"k": "v" * 257}), ("tags", "value")),
    (lambda b, arn: b.tag_resource(resourceArn=arn.replace("job-queue/", "job-queue/missing-"),
                                   tags={"k": "v"}), ("resourceArn",)),
    (lambda b, arn: b.list_tags_for_resource(resourceArn="not-an-arn"), ("resourceArn",)),
], ids=["51-tags", "key-129", "value-257", "unknown-arn", "not-an-arn"])
def test_bad_tags_rejected(call, fields, batch, stack):
    with pytest.raises(ClientError) as excinfo:
        call(batch, stack.queue_arn)
    status, code, message = client_error(excinfo)
    assert (status, code) == (400, "ClientException"), (status, code, message)
    assert any(f.lower() in message.lower() for f in fields), message


def test_too_many_tags_in_total(batch, stack):
    batch.tag_resource(resourceArn=stack.queue_arn, tags={f"a{i}": "v" for i in range(30)})
    with pytest.raises(ClientError) as excinfo:
        batch.tag_resource(resourceArn=stack.queue_arn, tags={f"b{i}": "v" for i in range(21)})
    status, code, message = client_error(excinfo)
    assert (status, code) == (400, "ClientException")
    assert "tags" in message.lower(), message
    assert len(batch.list_tags_for_resource(resourceArn=stack.queue_arn)["tags"]) == 30
