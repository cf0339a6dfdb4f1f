"""Ref:: parameter substitution, containerOverrides and the AWS_BATCH_* environment, observed from
inside the job (it prints to its log and the test reads the log back)."""

PRINT_ARGS = 'for a in "$@"; do echo "arg=$a"; done'


def args_in_log(helpers, job):
    lines = helpers.wait_for_log(job["container"]["logStreamName"], "arg=")
    return [line[len("arg="):] for line in lines if line.startswith("arg=")]


def test_ref_defaults_and_overrides(helpers, stack, wait_for_status):
    definition = helpers.register(
        command=["sh", "-c", PRINT_ARGS, "sh", "Ref::greeting", "Ref::target", "Ref::missing"],
        parameters={"greeting": "hello", "target": "world"})
    job_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"],
                            parameters={"target": "gleaner"})
    job = wait_for_status(job_id, "SUCCEEDED")
    # Submit parameters win over the definition's defaults; an unknown placeholder stays literal.
    expected = ["hello", "gleaner", "Ref::missing"]
    assert job["container"]["command"] == ["sh", "-c", PRINT_ARGS, "sh", *expected]
    assert job["parameters"] == {"greeting": "hello", "target": "gleaner"}
    assert args_in_log(helpers, job) == expected


def test_ref_defaults_only(helpers, stack, wait_for_status):
    definition = helpers.register(command=["sh", "-c", PRINT_ARGS, "sh", "Ref::greeting"],
                                  parameters={"greeting": "hello"})
    job = wait_for_status(helpers.submit(stack.queue_name, definition["jobDefinitionName"]),
                          "SUCCEEDED")
    assert args_in_log(helpers, job) == ["hello"]


def test_ref_from_submit_without_defaults(helpers, stack, wait_for_status):
    definition = helpers.register(command=["sh", "-c", PRINT_ARGS, "sh", "Ref::input_file",
                                           "Ref::mode"])
    job_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"],
                            parameters={"input_file": "s3://bucket/key with space", "mode": "fast"})
    job = wait_for_status(job_id, "SUCCEEDED")
    # A parameter value is one argument, whatever it contains.
    assert args_in_log(helpers, job) == ["s3://bucket/key with space", "fast"]


def test_ref_inside_an_argument(helpers, stack, wait_for_status):
    definition = helpers.register(command=["sh", "-c", PRINT_ARGS, "sh", "--to=Ref::target",
                                           "Ref::target/suffix"],
                                  parameters={"target": "world"})
    job = wait_for_status(helpers.submit(stack.queue_name, definition["jobDefinitionName"]),
                          "SUCCEEDED")
    assert args_in_log(helpers, job) == ["--to=world", "world/suffix"]


def test_container_overrides(helpers, stack, wait_for_status):
    definition = helpers.register(
        command=["sh", "-c", "echo from the definition"],
        container={"environment": [{"name": "FROM_DEF", "value": "def"},
                                   {"name": "SHARED", "value": "def"}]})
    job_id = helpers.submit(
        stack.queue_name, definition["jobDefinitionName"],
        containerOverrides={
            "command": ["sh", "-c", "env"],
            "environment": [{"name": "SHARED", "value": "override"},
                            {"name": "FROM_OVERRIDE", "value": "new value"}],
            "resourceRequirements": [{"type": "MEMORY", "value": "128"}],
        })
    job = wait_for_status(job_id, "SUCCEEDED")
    container = job["container"]
    assert container["command"] == ["sh", "-c", "env"]
    environment = {e["name"]: e["value"] for e in container["environment"]}
    assert environment["FROM_DEF"] == "def"
    assert environment["SHARED"] == "override"
    assert environment["FROM_OVERRIDE"] == "new value"
    requirements = {r["type"]: r["value"] for r in container["resourceRequirements"]}
    assert requirements == {"VCPU": "1", "MEMORY": "128"}

    env = helpers.job_env(job)
    assert env["FROM_DEF"] == "def"
    assert env["SHARED"] == "override"
    assert env["FROM_OVERRIDE"] == "new value"


def test_vcpu_override_up_to_capacity_runs(helpers, stack, wait_for_status):
    # The default test server has 8 vCPUs: a job asking for all of them still fits.
    job_id = helpers.submit(stack.queue_name, stack.definition_name,
                            containerOverrides={"resourceRequirements": [
                                {"type": "VCPU", "value": "8"}]})
    job = wait_for_status(job_id, "SUCCEEDED")
    requirements = {r["type"]: r["value"] for r in job["container"]["resourceRequirements"]}
    assert requirements["VCPU"] == "8"


def test_aws_batch_variables(helpers, stack, wait_for_status):
    definition = helpers.register(command=["sh", "-c", "env"])
    job_id = helpers.submit(stack.queue_name, definition["jobDefinitionName"])
    job = wait_for_status(job_id, "SUCCEEDED")
    env = helpers.job_env(job)
    assert env["AWS_BATCH_JOB_ID"] == job_id
    assert env["AWS_BATCH_JOB_ATTEMPT"] == "1"
    assert env["AWS_BATCH_JQ_NAME"] == stack.queue_name
    assert env["AWS_BATCH_CE_NAME"] == stack.ce_name
    assert "AWS_BATCH_JOB_ARRAY_INDEX" not in env  # not an array child


def test_queue_given_by_arn_still_names_the_queue(helpers, stack, wait_for_status):
    definition = helpers.register(command=["sh", "-c", "env"])
    job_id = helpers.submit(stack.queue_arn, definition["jobDefinitionArn"])
    env = helpers.job_env(wait_for_status(job_id, "SUCCEEDED"))
    assert env["AWS_BATCH_JQ_NAME"] == stack.queue_name
    assert env["AWS_BATCH_JOB_ID"] == job_id
