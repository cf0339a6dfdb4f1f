"""The server says what happens: one line per notable event on its log (stderr), as text or as
JSON lines (--log-format json)."""

import json
import subprocess

import pytest

from gleaner_testlib import SIMSPOT_ARGS, binary_path
from test_spot import interrupt_running_spot_job


def log_records(gleaner) -> list[dict]:
    records = []
    for line in gleaner.stderr_path.read_text().splitlines():
        record = json.loads(line)  # every line is one JSON object
        assert set(record) == {"time", "level", "message"}, record
        records.append(record)
    return records


def wait_for_record(helpers, gleaner, needle: str) -> dict:
    def probe():
        return next((r for r in log_records(gleaner) if needle in r["message"]), None)
    return helpers.poll(probe, 20, f"{needle!r} on the server's log")


@pytest.mark.gleaner_args(*SIMSPOT_ARGS, "--log-format", "json")
def test_a_reclaimed_instance_and_the_job_it_failed_are_told(gleaner, aws, helpers, gleaner_cli):
    spot, _, job_id, instance = interrupt_running_spot_job(aws, helpers, gleaner_cli,
                                                           retry=False)
    helpers.wait_for_status(job_id, "FAILED")
    launched = wait_for_record(helpers, gleaner, f"instance {instance} launched: ")
    assert launched["level"] == "info"
    assert f" spot in us-east-1" in launched["message"]
    assert launched["message"].endswith(f"compute environment {spot}")
    assert wait_for_record(helpers, gleaner, f"compute environment {spot} scaled out to 1 "
                                             "instance(s)")["level"] == "info"
    notice = wait_for_record(helpers, gleaner, f"instance {instance} (")
    assert notice["level"] == "warning" and "interruption notice: reclaimed at " in notice["message"]
    failed = wait_for_record(helpers, gleaner, f"({job_id}) failed: ")
    assert failed["level"] == "warning"
    assert failed["message"].endswith(f"failed: Host EC2 (instance {instance}) terminated.")
    assert wait_for_record(helpers, gleaner, f"instance {instance} terminated: ")
    assert all(r["time"].endswith("Z") for r in log_records(gleaner))


def test_a_log_level_or_format_gleaner_does_not_know_is_refused(tmp_path):
    for flag, value in (("--log-level", "loud"), ("--log-format", "xml")):
        result = subprocess.run([str(binary_path()), "up", "--listen", "127.0.0.1:0",
                                 "--data-dir", str(tmp_path / value), flag, value],
                                capture_output=True, text=True, timeout=30,
                                stdin=subprocess.DEVNULL)
        assert result.returncode != 0
        assert f"{flag} must be" in result.stderr, result.stderr
