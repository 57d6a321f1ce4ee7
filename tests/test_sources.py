import gzip

import pytest

from newsearch.errors import ParseError
from newsearch.sources import find_sources, iter_lines, kind_from_name, read_bytes, sniff_kind


@pytest.mark.parametrize(
    "name,kind",
    [("a.html", "html"), ("a.HTM", "html"), ("a.html.gz", "html"), ("a.txt", "text"),
     ("a.jsonl.gz", "jsonl"), ("a.ndjson", "jsonl"), ("a.json", "json"), ("a.png", None)],
)
def test_kind_from_name(name, kind):
    assert kind_from_name(name) == kind


def test_sniffing_recognises_markup_json_text_and_binary():
    assert sniff_kind(b"<!DOCTYPE html><html>") == "html"
    assert sniff_kind(b'{"title": "x"}\n{"title": "y"}') == "jsonl"
    assert sniff_kind(b"Headline\n\nBody") == "text"
    assert sniff_kind(b"\x89PNG\x00\x00\x00") is None


def test_folders_are_walked_recursively_in_stable_order_skipping_non_articles(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.txt").write_text("Two\n\nbody")
    (tmp_path / "one.html").write_text("<html></html>")
    (tmp_path / "logo.png").write_bytes(b"\x89PNG")
    (tmp_path / "README.md").write_text("# not an article")
    (tmp_path / ".hidden.txt").write_text("x")
    found = list(find_sources([tmp_path]))
    assert [f.path.rsplit("/", 1)[-1] for f in found] == ["one.html", "two.txt"]
    assert found[1].section_hint == "b"


def test_globs_and_missing_paths(tmp_path):
    (tmp_path / "a.txt").write_text("A\n\nbody")
    (tmp_path / "b.txt").write_text("B\n\nbody")
    found = list(find_sources([str(tmp_path / "*.txt"), str(tmp_path / "nope")]))
    assert [getattr(f, "kind", None) for f in found] == ["text", "text", None]
    assert isinstance(found[2], ParseError) and "no such" in found[2].reason


def test_gzip_is_read_transparently_and_bombs_are_refused(tmp_path):
    page = tmp_path / "p.html.gz"
    page.write_bytes(gzip.compress(b"<html>hello</html>"))
    assert read_bytes(str(page)) == b"<html>hello</html>"
    bomb = tmp_path / "bomb.txt.gz"
    bomb.write_bytes(gzip.compress(b"\0" * 5_000_000))
    with pytest.raises(ParseError, match="decompresses to more than"):
        read_bytes(str(bomb), max_decompressed_bytes=1_000_000)


def test_jsonl_lines_are_numbered_and_blank_lines_skipped(tmp_path):
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a":1}\n\n{"a":2}\n'))
    assert [(n, line.strip()) for n, line in iter_lines(str(path))] == [(1, b'{"a":1}'), (3, b'{"a":2}')]


def test_future_dates_are_dropped_with_a_warning():
    from newsearch.parse.dispatch import parse_document
    from newsearch.sources import RawDocument

    line = b'{"title": "T", "body": "Body text.", "date": "3021-01-01"}'
    (article,) = parse_document(RawDocument("x.jsonl", "jsonl", line, line=1))
    assert article.date is None
    assert any("3021" in w for w in article.warnings)
    (past,) = parse_document(RawDocument("x.jsonl", "jsonl", line.replace(b"3021", b"1821"), line=1))
    assert past.date is not None and past.date.year == 1821  # archives reach back centuries
