"""Progress reports during an indexing run: live, by bytes, reaching exactly 100%."""
from __future__ import annotations

import gzip
import json

import pytest

from newsearch.cli import ProgressLine
from newsearch.ingest import Progress, index_paths
from newsearch.sources import SourceFile, content_bytes


def _jsonl(count: int) -> bytes:
    return b"".join(
        json.dumps({"id": f"p{i}", "title": f"Story {i}", "body": "word " * 40}).encode() + b"\n"
        for i in range(count)
    )


@pytest.mark.parametrize("jobs", [1, 2])
def test_progress_counts_bytes_and_articles_up_to_the_whole_input(tmp_path, jobs):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    plain = _jsonl(450)
    (corpus / "a.jsonl").write_bytes(plain)
    (corpus / "b.jsonl.gz").write_bytes(gzip.compress(_jsonl(300)))
    (corpus / "c.txt").write_text("Cormorant headline\n\nThe cormorant story.\n")
    seen: list[Progress] = []
    report = index_paths([corpus], index=tmp_path / "ix", jobs=jobs, batch_size=200, progress=seen.append)
    assert report.ok and report.articles == 751
    expected_total = len(plain) + len(_jsonl(300)) + (corpus / "c.txt").stat().st_size
    assert {p.bytes_total for p in seen} == {expected_total}
    assert seen[-1].bytes_done == expected_total and seen[-1].files_done == 3 and seen[-1].articles == 751
    done = [p.bytes_done for p in seen]
    assert done == sorted(done)  # never backwards
    if jobs == 1:  # in-process, every finished unit reports: the bar moves in steps
        assert len(set(done)) > 3


def test_a_gzip_files_content_size_comes_from_its_trailer(tmp_path):
    data = _jsonl(100)
    path = tmp_path / "x.jsonl.gz"
    path.write_bytes(gzip.compress(data))
    source = SourceFile(str(path), "jsonl", size=path.stat().st_size)
    assert content_bytes(source) == len(data)
    broken = tmp_path / "y.jsonl.gz"
    broken.write_bytes(b"\x1f\x8b")
    assert content_bytes(SourceFile(str(broken), "jsonl", size=2)) == 2


def test_the_progress_line_shows_percent_rate_and_eta_from_bytes(capsys):
    line = ProgressLine(enabled=True)
    line(Progress(files_done=0, files_total=1, articles=500, failures=0, elapsed=10.0,
                  bytes_done=250, bytes_total=1000))
    shown = capsys.readouterr().err
    assert "25.0%" in shown and "500 articles" in shown and "50/s" in shown and "ETA 0:30" in shown
