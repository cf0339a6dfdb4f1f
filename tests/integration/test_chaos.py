"""Chaos (issue 10, item 12): clients submit jobs while `gleaner up` is killed with kill -9 at
random moments and restarted on the same data directory, round after round. Afterwards, once the
server stays up:

- every acknowledged job (SubmitJob returned a jobId) exists;
- a job observed terminal by DescribeJobs (SUCCEEDED, or FAILED) is still so, with the same
  attempts, and its process never started again (each start appends a line to
  <workdir>/runs/<jobId>.runs);
- every job ends SUCCEEDED or FAILED (FAILED only when every attempt its retry strategy allows was
  lost in a crash: a job's own command always exits 0);
- no process ran without its attempt on record, and no attempt number ran twice.

2-4 client threads submit (3 attempts allowed, or 1 for a quarter of the jobs); one more thread
polls DescribeJobs. The server runs with --inject-commit-delay-ms 20, so kills land between changes
and their durability.

Seeded and bounded: the kill plan (how many acknowledgements to wait for, how long to sleep before
the kill, how long the server stays down) and each thread's choices come from random.Random(seed);
where the kills land among the requests still depends on timing. A CI run is 8 rounds (under 15 s);
GLEANER_CHAOS_ROUNDS and GLEANER_CHAOS_SEED run it longer by hand, e.g.

    GLEANER_CHAOS_ROUNDS=100 GLEANER_CHAOS_SEED=7 GLEANER_CHAOS_REPORT=/tmp/chaos.json \\
        /usr/bin/python3 -m pytest tests/integration/test_chaos.py -q -p no:cacheprovider

The totals are printed and, when GLEANER_CHAOS_REPORT names a file, written to it as one JSON line.
"""

from __future__ import annotations

import collections
import json
import os
import random
import threading
import time
import traceback

import pytest

from gleaner_testlib import TERMINAL, FollowingClient

DEFAULT_SEED = 20261206
DEFAULT_ROUNDS = 8
SEED = int(os.environ.get("GLEANER_CHAOS_SEED", DEFAULT_SEED))
ROUNDS = int(os.environ.get("GLEANER_CHAOS_ROUNDS", DEFAULT_ROUNDS))
RETRY_ATTEMPTS = 3
SINGLE_ATTEMPT_SHARE = 0.25  # of submissions without a retry strategy
ACK_TIMEOUT = 20.0     # seconds a round may wait for its drawn number of acknowledgements
SETTLE_TIMEOUT = 60.0  # seconds the last server gets to finish every job
LOST = "Job attempt lost"


def attempts_summary(job: dict) -> list[tuple]:
    return [(a.get("startedAt"), a.get("stoppedAt"), a.get("container", {}).get("exitCode"),
             a.get("statusReason")) for a in job.get("attempts", [])]


def read_runs(path) -> list[str]:
    try:
        return [line for line in path.read_text().splitlines() if line.strip()]
    except FileNotFoundError:
        return []


class Chaos:
    """What the clients saw: acknowledged submissions, failed ones, terminal observations."""

    def __init__(self, gleaner, queue: str, definition: str, runs_dir):
        self.gleaner = gleaner
        self.queue = queue
        self.definition = definition
        self.runs_dir = runs_dir
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.acked: dict[str, dict] = {}        # jobId -> {name, thread, life, at}
        self.submissions = 0
        self.failures: collections.Counter = collections.Counter()  # exception type -> count
        self.observed: dict[str, dict] = {}     # jobId -> what DescribeJobs showed, first terminal
        self.observer_errors: collections.Counter = collections.Counter()
        self.kill_times: list[float] = []
        self.thread_crashes: list[str] = []  # a bug in this test, never the server's

    def guarded(self, body, *args) -> None:
        try:
            body(*args)
        except BaseException:  # reported by the test
            self.thread_crashes.append(traceback.format_exc())
            raise

    def ack_count(self) -> int:
        with self.lock:
            return len(self.acked)

    def runs_path(self, job_id: str):
        return self.runs_dir / f"{job_id}.runs"

    # ----- threads -----
    def submitter(self, index: int, rng: random.Random) -> None:
        client = FollowingClient(self.gleaner, "batch")
        sequence = 0
        while not self.stop.is_set():
            sequence += 1
            name = f"chaos-{index}-{sequence}"
            life = self.gleaner.starts
            # Most jobs may retry an attempt lost in a crash; some have one attempt only, so a lost
            # attempt ends them FAILED.
            allowed = 1 if rng.random() < SINGLE_ATTEMPT_SHARE else RETRY_ATTEMPTS
            retry = {"retryStrategy": {"attempts": allowed}} if allowed > 1 else {}
            with self.lock:
                self.submissions += 1
            try:
                job_id = client.submit_job(jobName=name, jobQueue=self.queue,
                                           jobDefinition=self.definition, **retry)["jobId"]
            except Exception as error:  # the server died under it: not acknowledged
                code = (getattr(error, "response", None) or {}).get("Error", {}).get("Code")
                with self.lock:
                    self.failures[code or type(error).__name__] += 1
                time.sleep(0.02)
                continue
            with self.lock:
                self.acked[job_id] = {"name": name, "thread": index, "life": life,
                                      "allowed": allowed, "at": time.monotonic()}
            time.sleep(rng.uniform(0.01, 0.06))

    def observer(self) -> None:
        """Polls DescribeJobs for acknowledged jobs not yet seen terminal; records the first
        terminal sight of each, with the process starts its marker file shows at that moment."""
        client = FollowingClient(self.gleaner, "batch")
        while not self.stop.is_set():
            with self.lock:
                pending = [job_id for job_id in self.acked if job_id not in self.observed]
            if not pending:
                time.sleep(0.02)
                continue
            for start in range(0, len(pending), 100):
                try:
                    jobs = client.describe_jobs(jobs=pending[start:start + 100])["jobs"]
                except Exception as error:
                    self.observer_errors[type(error).__name__] += 1
                    time.sleep(0.02)
                    break
                seen_at = time.monotonic()
                for job in jobs:
                    if job["status"] in TERMINAL:
                        record = {"status": job["status"], "attempts": attempts_summary(job),
                                  "stoppedAt": job.get("stoppedAt"), "at": seen_at,
                                  "life": self.gleaner.starts,
                                  "runs": read_runs(self.runs_path(job["jobId"]))}
                        with self.lock:
                            self.observed.setdefault(job["jobId"], record)
            time.sleep(0.01)


def describe_all(batch, job_ids: list[str]) -> dict[str, dict]:
    found = {}
    for start in range(0, len(job_ids), 100):
        for job in batch.describe_jobs(jobs=job_ids[start:start + 100])["jobs"]:
            found[job["jobId"]] = job
    return found


@pytest.mark.gleaner_args("--inject-commit-delay-ms", "20")
def test_kill9_at_random_moments_loses_and_repeats_nothing(gleaner, batch, helpers):
    began = time.monotonic()
    rng = random.Random(SEED)
    tag = f"[chaos seed={SEED} rounds={ROUNDS}]"
    stack = helpers.stack()
    runs_dir = gleaner.workdir / "runs"
    runs_dir.mkdir()
    definition = helpers.register(command=[
        "sh", "-c",
        f'echo "$AWS_BATCH_JOB_ATTEMPT $$" >> {runs_dir}/$AWS_BATCH_JOB_ID.runs; '
        f'echo $$ > {gleaner.pid_dir}/$AWS_BATCH_JOB_ID-$AWS_BATCH_JOB_ATTEMPT.pid; '
        f'sleep 0.05'])
    chaos = Chaos(gleaner, stack.queue_name, definition["jobDefinitionName"], runs_dir)

    # The whole plan is drawn up front, so a seed names one sequence of kills.
    thread_count = rng.randint(2, 4)
    thread_rngs = [random.Random(rng.getrandbits(64)) for _ in range(thread_count)]
    plan = [(rng.randint(0, 15), rng.uniform(0.05, 0.6), rng.uniform(0.0, 0.1))
            for _ in range(ROUNDS)]
    print(f"{tag} {thread_count} submitters; plan (acks to wait for, sleep before kill -9, "
          f"downtime): {[(a, round(s, 3), round(d, 3)) for a, s, d in plan]}")

    threads = [threading.Thread(target=chaos.guarded, args=(chaos.submitter, i, thread_rngs[i]),
                                daemon=True) for i in range(thread_count)]
    threads.append(threading.Thread(target=chaos.guarded, args=(chaos.observer,), daemon=True))
    for thread in threads:
        thread.start()
    try:
        for number, (acks, sleep, downtime) in enumerate(plan, 1):
            target = chaos.ack_count() + acks
            deadline = time.monotonic() + ACK_TIMEOUT
            while chaos.ack_count() < target:
                gleaner.check_alive()
                assert not chaos.thread_crashes, "a client thread crashed:\n" + \
                    chaos.thread_crashes[0]
                assert time.monotonic() < deadline, (
                    f"round {number}: only {chaos.ack_count()} of {target} submissions "
                    f"acknowledged after {ACK_TIMEOUT}s; failures {dict(chaos.failures)}")
                time.sleep(0.005)
            time.sleep(sleep)
            gleaner.kill9()
            chaos.kill_times.append(time.monotonic())
            time.sleep(downtime)
            gleaner.start()
        # The last server stays up: a few more submissions on it, then the clients stop.
        target = chaos.ack_count() + 5
        deadline = time.monotonic() + ACK_TIMEOUT
        while chaos.ack_count() < target:
            gleaner.check_alive()
            assert not chaos.thread_crashes, "a client thread crashed:\n" + chaos.thread_crashes[0]
            assert time.monotonic() < deadline, (
                f"the last server acknowledged only {chaos.ack_count() - target + 5} of 5 "
                f"submissions in {ACK_TIMEOUT}s; failures {dict(chaos.failures)}")
            time.sleep(0.01)
    except AssertionError as error:
        raise AssertionError(f"{tag} {error}") from error
    finally:
        chaos.stop.set()
        for thread in threads:
            thread.join(timeout=35)
    chaos_seconds = time.monotonic() - began
    assert not chaos.thread_crashes, f"{tag} a client thread crashed:\n" + chaos.thread_crashes[0]

    # ----- settle: every acknowledged job must end while the server stays up -----
    acked = list(chaos.acked)
    settle_began = time.monotonic()
    while True:
        gleaner.check_alive()
        found = describe_all(batch, acked)
        open_jobs = [job_id for job_id in acked
                     if job_id in found and found[job_id]["status"] not in TERMINAL]
        if not open_jobs or time.monotonic() - settle_began > SETTLE_TIMEOUT:
            break
        time.sleep(0.2)
    time.sleep(0.3)  # a process that would start again late gets the chance to show itself
    found = describe_all(batch, acked)
    settle_seconds = time.monotonic() - settle_began

    # ----- checks -----
    violations: list[str] = []
    lost_attempts = retried = runs_total = 0
    for job_id in acked:
        job = found.get(job_id)
        info = chaos.acked[job_id]
        where = (f"job {job_id} ({info['name']}, {info['allowed']} attempt(s) allowed, "
                 f"acknowledged by server life {info['life']})")
        if job is None:
            violations.append(f"{where}: acknowledged but missing after restart")
            continue
        runs = read_runs(chaos.runs_path(job_id))
        runs_total += len(runs)
        attempts = job.get("attempts", [])
        lost_attempts += sum(1 for a in attempts if a.get("statusReason", "").startswith(LOST))
        retried += len(attempts) > 1
        if job["status"] not in TERMINAL:
            violations.append(f"{where}: still {job['status']} {settle_seconds:.0f}s after the "
                              f"last restart (attempts {attempts_summary(job)}, runs {runs})")
        seen = chaos.observed.get(job_id)
        if seen is not None:
            now = {"status": job["status"], "attempts": attempts_summary(job),
                   "stoppedAt": job.get("stoppedAt"), "runs": runs}
            for key, value in now.items():
                if seen[key] != value:
                    violations.append(
                        f"{where}: observed {seen['status']} (server life {seen['life']}) with "
                        f"{key}={seen[key]!r}, now {key}={value!r} (status {job['status']})")
        # Each process start must belong to an attempt on record, each attempt number once.
        numbers = [line.split()[0] for line in runs]
        if len(runs) > len(attempts) and job["status"] in TERMINAL:
            violations.append(f"{where}: {len(runs)} process starts {runs} but "
                              f"{len(attempts)} attempts on record {attempts_summary(job)}")
        duplicated = sorted({n for n in numbers if numbers.count(n) > 1})
        if duplicated:
            violations.append(f"{where}: attempt number(s) {duplicated} started more than once "
                              f"(runs {runs}, attempts {attempts_summary(job)})")
        if job["status"] == "SUCCEEDED" and str(len(attempts)) not in numbers:
            violations.append(f"{where}: SUCCEEDED on attempt {len(attempts)} but that attempt's "
                              f"process never started (runs {runs})")
        if len(attempts) > info["allowed"] or (job["status"] == "FAILED"
                                               and len(attempts) != info["allowed"]):
            violations.append(f"{where}: {job['status']} after {len(attempts)} attempts, "
                              f"{info['allowed']} allowed: {attempts_summary(job)}")
        if job["status"] == "FAILED" and not (
                job.get("statusReason", "").startswith(LOST)
                and all(a.get("statusReason", "").startswith(LOST) for a in attempts)):
            violations.append(f"{where}: FAILED other than by lost attempts: "
                              f"{job.get('statusReason')!r} {attempts_summary(job)}")

    last_kill = chaos.kill_times[-1] if chaos.kill_times else float("-inf")

    def seen_before_kill(record, within=None) -> bool:
        after = [t for t in chaos.kill_times if t > record["at"]]
        return bool(after) and (within is None or after[0] - record["at"] <= within)

    observed_succeeded = [r for r in chaos.observed.values() if r["status"] == "SUCCEEDED"]
    totals = {
        "date": time.strftime("%Y-%m-%d"),
        "seed": SEED,
        "rounds": ROUNDS,
        "kills": len(chaos.kill_times),
        "submitters": thread_count,
        "submissions": chaos.submissions,
        "acknowledged": len(acked),
        "unacknowledged": sum(chaos.failures.values()),
        "unacknowledged_by_error": dict(chaos.failures),
        "acknowledged_before_last_kill": sum(1 for i in chaos.acked.values()
                                             if i["at"] < last_kill),
        "observed_succeeded": len(observed_succeeded),
        "observed_succeeded_before_a_kill": sum(seen_before_kill(r) for r in observed_succeeded),
        "observed_succeeded_within_100ms_before_a_kill": sum(seen_before_kill(r, 0.1)
                                                             for r in observed_succeeded),
        "observed_failed": sum(1 for r in chaos.observed.values() if r["status"] == "FAILED"),
        "final_succeeded": sum(1 for j in found.values() if j["status"] == "SUCCEEDED"),
        "final_failed": sum(1 for j in found.values() if j["status"] == "FAILED"),
        "single_attempt_jobs": sum(1 for i in chaos.acked.values() if i["allowed"] == 1),
        "jobs_retried": retried,
        "attempts_lost": lost_attempts,
        "process_starts": runs_total,
        "violations": len(violations),
        "chaos_seconds": round(chaos_seconds, 1),
        "settle_seconds": round(settle_seconds, 1),
        "wall_seconds": round(time.monotonic() - began, 1),
    }
    line = json.dumps(totals, sort_keys=False)
    print(f"{tag} totals: {line}")
    report = os.environ.get("GLEANER_CHAOS_REPORT")
    if report:
        with open(report, "w") as out:
            out.write(line + "\n")

    assert len(acked) > 0, f"{tag} no submission was ever acknowledged: {dict(chaos.failures)}"
    assert not violations, (f"{tag} {len(violations)} violation(s) (totals {line}):\n" +
                            "\n".join(violations[:40]))
