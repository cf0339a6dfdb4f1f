"""maxResults + nextToken on the paginated operations, by hand, with boto3's paginators and with the
AWS CLI's (which follow nextToken themselves, and hand out their own tokens with --max-items)."""

import json

from gleaner_testlib import unique


def pages_by_hand(call, result_key, max_results, **kwargs):
    """Follows nextToken; returns the list of pages (each a list of items)."""
    pages, token = [], None
    for _ in range(100):
        request = dict(kwargs, maxResults=max_results)
        if token:
            request["nextToken"] = token
        response = call(**request)
        items = response[result_key]
        assert len(items) <= max_results, f"page of {len(items)} > maxResults {max_results}"
        pages.append(items)
        token = response.get("nextToken")
        if not token:
            return pages
    raise AssertionError("nextToken never ran out")


def test_describe_job_definitions_pages(batch, helpers, aws):
    prefix = unique("pg")
    names = [f"{prefix}-a", f"{prefix}-b"]
    expected = set()
    for name in names:
        for revision in range(1, 5):
            registered = helpers.register(name, command=["true"])
            assert registered["revision"] == revision
            expected.add(registered["jobDefinitionArn"])

    for name in names:  # 4 revisions each, pages of 3: 3 + 1
        pages = pages_by_hand(batch.describe_job_definitions, "jobDefinitions", 3,
                              jobDefinitionName=name)
        arns = [d["jobDefinitionArn"] for page in pages for d in page]
        assert len(arns) == len(set(arns)) == 4, pages
        assert [len(p) for p in pages if p] == [3, 1]

    everything = pages_by_hand(batch.describe_job_definitions, "jobDefinitions", 3)
    arns = [d["jobDefinitionArn"] for page in everything for d in page]
    assert len(arns) == len(set(arns)), "a definition appeared on two pages"
    assert expected <= set(arns)

    paginator = batch.get_paginator("describe_job_definitions")
    seen = [d["jobDefinitionArn"]
            for page in paginator.paginate(jobDefinitionName=names[0],
                                           PaginationConfig={"PageSize": 2})
            for d in page["jobDefinitions"]]
    assert sorted(seen) == sorted(a for a in expected if f"/{names[0]}:" in a)

    # The CLI pages through everything itself with --page-size ...
    rc, out, err = aws("batch", "describe-job-definitions", "--job-definition-name", names[1],
                       "--page-size", "1")
    assert rc == 0, err
    assert sorted(d["revision"] for d in out["jobDefinitions"]) == [1, 2, 3, 4]
    # ... and with --max-items hands out a token that resumes where it stopped.
    rc, first, err = aws("batch", "describe-job-definitions", "--job-definition-name", names[1],
                         "--page-size", "1", "--max-items", "3")
    assert rc == 0, err
    assert len(first["jobDefinitions"]) == 3 and first.get("NextToken"), first
    rc, rest, err = aws("batch", "describe-job-definitions", "--job-definition-name", names[1],
                        "--page-size", "1", "--starting-token", first["NextToken"])
    assert rc == 0, err
    revisions = [d["revision"] for d in first["jobDefinitions"] + rest["jobDefinitions"]]
    assert sorted(revisions) == [1, 2, 3, 4]


def test_list_jobs_pages(batch, helpers, stack, wait_for_status, aws):
    job_ids = [helpers.submit(stack.queue_name, stack.definition_name, name=f"pj-{i}")
               for i in range(7)]
    for job_id in job_ids:
        wait_for_status(job_id, "SUCCEEDED")

    pages = pages_by_hand(batch.list_jobs, "jobSummaryList", 3, jobQueue=stack.queue_name,
                          jobStatus="SUCCEEDED")
    summaries = [s for page in pages for s in page]
    assert sorted(s["jobId"] for s in summaries) == sorted(job_ids)
    assert [len(p) for p in pages if p] == [3, 3, 1]
    created = [s["createdAt"] for s in summaries]
    assert created == sorted(created, reverse=True), "ListJobs lists newest first"

    paginator = batch.get_paginator("list_jobs")
    seen = [s["jobId"] for page in paginator.paginate(jobQueue=stack.queue_arn,
                                                      jobStatus="SUCCEEDED",
                                                      PaginationConfig={"PageSize": 2})
            for s in page["jobSummaryList"]]
    assert sorted(seen) == sorted(job_ids)

    rc, out, err = aws("batch", "list-jobs", "--job-queue", stack.queue_name, "--job-status",
                       "SUCCEEDED", "--page-size", "2")
    assert rc == 0, err
    assert sorted(s["jobId"] for s in out["jobSummaryList"]) == sorted(job_ids)


def test_list_jobs_filters(batch, helpers, stack, wait_for_status):
    jobs = {name: helpers.submit(stack.queue_name, stack.definition_name, name=name)
            for name in ("Render-1", "render-2", "other-3")}
    for job_id in jobs.values():
        wait_for_status(job_id, "SUCCEEDED")
    # JOB_NAME: case-insensitive, trailing '*' is a prefix match; filters imply every status.
    found = batch.list_jobs(jobQueue=stack.queue_name,
                            filters=[{"name": "JOB_NAME", "values": ["render*"]}])
    assert sorted(s["jobName"] for s in found["jobSummaryList"]) == ["Render-1", "render-2"]
    found = batch.list_jobs(jobQueue=stack.queue_name,
                            filters=[{"name": "JOB_NAME", "values": ["OTHER-3"]}])
    assert [s["jobId"] for s in found["jobSummaryList"]] == [jobs["other-3"]]
    paged = pages_by_hand(batch.list_jobs, "jobSummaryList", 1, jobQueue=stack.queue_name,
                          filters=[{"name": "JOB_NAME", "values": ["render*"]}])
    assert sorted(s["jobName"] for page in paged for s in page) == ["Render-1", "render-2"]


def test_describe_compute_environments_and_queues_pages(batch, helpers, aws):
    names = [helpers.create_ce(unique("pce"))["computeEnvironmentName"] for _ in range(5)]
    pages = pages_by_hand(batch.describe_compute_environments, "computeEnvironments", 2)
    seen = [c["computeEnvironmentName"] for page in pages for c in page]
    assert len(seen) == len(set(seen)), pages
    assert set(names) <= set(seen)
    assert [len(p) for p in pages if p] == [2, 2, 1]

    paginator = batch.get_paginator("describe_compute_environments")
    via_paginator = [c["computeEnvironmentName"]
                     for page in paginator.paginate(PaginationConfig={"PageSize": 3})
                     for c in page["computeEnvironments"]]
    assert sorted(via_paginator) == sorted(names)

    rc, out, err = aws("batch", "describe-compute-environments", "--page-size", "2")
    assert rc == 0, err
    assert sorted(c["computeEnvironmentName"] for c in out["computeEnvironments"]) == sorted(names)
    rc, first, err = aws("batch", "describe-compute-environments", "--max-items", "2")
    assert rc == 0, err
    assert len(first["computeEnvironments"]) == 2 and first.get("NextToken"), json.dumps(first)
    rc, rest, err = aws("batch", "describe-compute-environments", "--starting-token",
                        first["NextToken"])
    assert rc == 0, err
    both = [c["computeEnvironmentName"]
            for c in first["computeEnvironments"] + rest["computeEnvironments"]]
    assert sorted(both) == sorted(names)

    queues = [helpers.create_queue(unique("pq"), ces=[names[0]])["jobQueueName"]
              for _ in range(3)]
    pages = pages_by_hand(batch.describe_job_queues, "jobQueues", 2)
    assert sorted(q["jobQueueName"] for page in pages for q in page) == sorted(queues)
