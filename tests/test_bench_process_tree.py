"""benchmarks/process_tree.py: every process of a command's tree is reported, children included."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "process_tree.py"
# A parent that keeps a child busy for about a second of CPU, then waits for it.
BUSY_CHILD = (
    "import subprocess, sys, time; "
    "child = subprocess.Popen([sys.executable, '-c', 'import time; t = time.process_time()\\n"
    "while time.process_time() - t < 1.0: pass']); "
    "child.wait(); time.sleep(0.5)"
)


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="needs Linux /proc with smaps_rollup")
def test_the_child_process_and_its_cpu_time_are_reported(tmp_path):
    log = tmp_path / "samples.log"
    done = subprocess.run([sys.executable, str(SCRIPT), "--every", "0.2", "--log", str(log), "--",
                           sys.executable, "-c", BUSY_CHILD], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if re.match(r"\s*\d+\s+\d+\.\d", line)]
    assert len(rows) == 2  # the command and its child
    cpu = sorted(float(row.split()[1]) for row in rows)
    assert cpu[-1] >= 0.6  # the busy child, sampled before it ended
    assert "exit status 0" in done.stdout
    assert "total_pss" in log.read_text()


def test_a_missing_command_is_a_usage_error():
    done = subprocess.run([sys.executable, str(SCRIPT), "--"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "give a command" in done.stderr
