"""A query from the shell loads only what searching needs: the parsers (BeautifulSoup,
the language detector), Dask's side, the archive-of-shards code and dateutil (for
queries naming no date) stay unloaded, a fifth of a cold query's time."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from newsearch import Archive
from newsearch.models import Article

PROBE = """
import json, sys
from click.testing import CliRunner
from newsearch.cli import main
result = CliRunner().invoke(main, ["query", "harbour", "--index", sys.argv[1], "--json"])
loaded = [name for name in ("newsearch.cluster", "newsearch.ingest", "newsearch.parse", "bs4", "py3langid",
                            "distributed", "dask", "dateutil", "newsearch.engine.sharded") if name in sys.modules]
print(json.dumps({"code": result.exit_code, "total": json.loads(result.output)["total"], "loaded": loaded}))
"""


def test_a_shell_query_does_not_load_parsers_or_dask(tmp_path):
    with Archive.create(tmp_path / "ix") as archive:
        archive.add([Article(id="a", title="Harbour reopens", body="The harbour reopened on Monday."),
                     Article(id="b", title="Council", body="The council met.")])
    done = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "ix")], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["code"] == 0 and found["total"] == 1
    assert found["loaded"] == []


BLAS_PROBE = """
import os, sys
import newsearch.cli
print(os.environ.get("OPENBLAS_NUM_THREADS"), "numpy" in sys.modules)
"""


def test_the_command_asks_numpy_for_one_blas_thread_unless_the_user_chose():
    # Set before numpy is imported, or it has no effect: numpy must not be loaded yet.
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run([sys.executable, "-c", BLAS_PROBE], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "False"]
    chosen = subprocess.run([sys.executable, "-c", BLAS_PROBE], capture_output=True, text=True, timeout=120,
                            env={**env, "OPENBLAS_NUM_THREADS": "4"})
    assert chosen.stdout.split() == ["4", "False"]
