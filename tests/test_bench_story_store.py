"""benchmarks/story_store.py: a row per few batches, and the copies it plants are found."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "story_store.py"


def test_rows_for_the_batches_and_the_planted_copies_join(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), "--articles", "3000", "--batch", "1000", "--every", "1",
                           "--folder", str(tmp_path / "store")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines() if re.match(r"\s*[\d,]+\s+\d+\.\d+s", line)]
    assert [row[0] for row in rows] == ["1,000", "2,000", "3,000"]
    joined = int(re.search(r"([\d,]+) articles joined", done.stdout).group(1).replace(",", ""))
    # One article in twenty after the first batch copies an earlier one (about 100 of 2,000).
    assert 50 <= joined <= 170
    assert (tmp_path / "store" / "stories.sqlite").stat().st_size > 0
