"""A corpus of hostile files, written by the tests: every bad file is reported with a
reason, the run goes on, and every good file ends up searchable."""
from __future__ import annotations

import gzip
import json
import os
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsearch.archive import Archive
from newsearch.cli import main
from newsearch.ingest import IngestOptions, index_paths
from newsearch.parse.dispatch import ParseOptions, parse_document
from newsearch.sources import RawDocument, find_sources, iter_lines, read_bytes
from newsearch.errors import ParseError
from newsearch.models import Article
from newsearch.parse.encoding import decode, declared_encoding

MAX_FILE = 100_000
MAX_GUNZIPPED = 1_000_000
ARABIC = "أعلنت الحكومة اليوم عن خطة جديدة لدعم الاقتصاد الوطني"
JAPANESE = "東京の株式市場は今日大きく上昇しました"


def _page(title: str, body: str, head: str = "") -> str:
    return (f"<html><head>{head}<title>{title}</title></head><body><article><h1>{title}</h1>"
            f"<p>{body}</p><p>{body}</p></article></body></html>")


def _gzip_bomb(path: Path, size: int) -> None:
    """`size` bytes of zeros, gzipped in streaming chunks (a few KB on disk)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1 << 20)
    with open(path, "wb") as handle:
        for _ in range(size // len(chunk)):
            handle.write(packer.compress(chunk))
        handle.write(packer.flush())


# (file name, JSONL line or None, words in the reason)
BAD = {
    ("binary.html", None, "not html"),
    ("noextension", None, "binary"),
    ("huge.html", None, "limit"),
    ("empty.html", None, "empty"),
    ("empty.txt", None, "empty"),
    ("records.jsonl", 2, "invalid json"),
    ("notgzip.html.gz", None, "gzip"),
    ("bomb.txt.gz", None, "decompresses"),
    ("bomb.jsonl.gz", None, "decompresses"),
}
# marker word -> title of the article that must be found by it
GOOD = {
    "quokka": "Truncated report",
    "numbat": "Arabic page with charset",
    "bilby": "Arabic page without charset",
    "dingo": "Japanese page with charset",
    "wombat": "Japanese page without charset",
    "echidna": "Copper rally",
    "platypus": "Zinc slump",
    "kookaburra": "Tin talks",
    "wallaby": "Headline with NUL bytes",
    "cassowary": "Deeply nested page",
}


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "truncated.html").write_text(
        "<html><head><title>Truncated report</title></head><body><div><p>The quokka census was cut sh")
    (root / "binary.html").write_bytes(bytes(range(256)) * 64)
    (root / "noextension").write_bytes(b"\x7fELF\x00\x00\x01" + bytes(range(256)) * 8)
    for stem, text, charset, meta, words in (
        ("arabic", ARABIC, "cp1256", '<meta charset="windows-1256">', ("numbat", "bilby")),
        ("japanese", JAPANESE, "shift_jis",
         '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">', ("dingo", "wombat")),
    ):
        page = _page(stem.title() + " page {0}", text + " {1}")
        (root / f"{stem}-meta.html").write_bytes(
            page.format("with charset", words[0]).replace("<head>", "<head>" + meta).encode(charset))
        (root / f"{stem}-nometa.html").write_bytes(page.format("without charset", words[1]).encode(charset))
    (root / "huge.html").write_text(_page("Huge", "filler " * (MAX_FILE // 6)))
    (root / "empty.html").write_bytes(b"")
    (root / "empty.txt").write_bytes(b"  \n\n ")
    records = [
        json.dumps({"title": "Copper rally", "body": "Copper rallied, says the echidna desk."}),
        '{"title": "Broken", "body": "this line stops',
        json.dumps({"title": "Zinc slump", "body": "Zinc slumped; the platypus fund sold.",
                    "date": "31-MAR-1987 605:12:19"}),
        json.dumps({"title": "Tin talks", "body": "Tin talks resumed near the kookaburra mine.",
                    "date": "the day after the strike"}),
    ]
    (root / "records.jsonl").write_text("\n".join(records) + "\n")
    (root / "notgzip.html.gz").write_bytes(b"<html>plain text wearing a .gz name</html>")
    _gzip_bomb(root / "bomb.txt.gz", 64 * MAX_GUNZIPPED)
    _gzip_bomb(root / "bomb.jsonl.gz", 64 * MAX_GUNZIPPED)
    (root / "nul.txt").write_bytes(b"Headline with NUL bytes\n\nThe wallaby\x00 report\x00 ends here.\n")
    depth = 3000
    (root / "deep.html").write_text(
        "<html><head><title>Deeply nested page</title></head><body><p>cassowary sighting</p>"
        + "<div>" * depth + "<p>lost in the depths</p>" + "</div>" * depth + "</body></html>")
    return root


def _options() -> IngestOptions:
    return IngestOptions(max_file_bytes=MAX_FILE, max_decompressed_bytes=MAX_GUNZIPPED)


def _failures(report) -> set[tuple[str, int | None]]:
    return {(Path(f.path).name, f.line) for f in report.failures}


def test_every_bad_file_is_reported_and_every_good_file_is_searchable(hostile, tmp_path):
    report = index_paths([hostile], index=tmp_path / "ix", jobs=1, options=_options())
    assert _failures(report) == {(name, line) for name, line, _ in BAD}
    for name, line, words in BAD:
        failure = next(f for f in report.failures if Path(f.path).name == name)
        assert words in failure.reason.lower(), (name, failure.reason)
    assert not report.ok
    assert report.articles == len(GOOD)
    with Archive.open(tmp_path / "ix") as archive:
        assert len(archive) == len(GOOD)
        for word, title in GOOD.items():
            assert [h.title for h in archive.search(word).hits] == [title], word


def test_records_line_names_file_and_line(hostile, tmp_path):
    report = index_paths([hostile / "records.jsonl"], index=tmp_path / "ix", jobs=1)
    assert [str(f) for f in report.failures] == [f"{hostile / 'records.jsonl'}:2: " + report.failures[0].reason]
    assert report.articles == 3


def test_parallel_workers_report_the_same_failures(hostile, tmp_path):
    report = index_paths([hostile], index=tmp_path / "ix", jobs=2, options=_options())
    assert _failures(report) == {(name, line) for name, line, _ in BAD}
    assert report.articles == len(GOOD)


def test_legacy_encodings_are_decoded_with_or_without_a_declared_charset(hostile):
    titles = {}
    for name in ("arabic-meta.html", "arabic-nometa.html", "japanese-meta.html", "japanese-nometa.html"):
        raw = RawDocument(str(hostile / name), "html", (hostile / name).read_bytes())
        [article] = parse_document(raw)
        assert not isinstance(article, ParseError), article
        titles[name] = article
    for name in ("arabic-meta.html", "arabic-nometa.html"):
        assert "خطة جديدة" in titles[name].body, name
    for name in ("japanese-meta.html", "japanese-nometa.html"):
        assert JAPANESE in titles[name].body, name


def test_cli_reports_each_bad_file_continues_and_exits_1(hostile, tmp_path):
    result = CliRunner().invoke(main, [
        "index", str(hostile), "--index", str(tmp_path / "ix"), "-j", "1",
        "--max-file-size", str(MAX_FILE), "--max-decompressed-size", "1000000"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == len(BAD)
    for name, line, _ in BAD:
        where = f"{name}:{line}:" if line else f"{name}:"
        assert any(where in s for s in skipped), name
    assert f"{len(BAD)} failed" in result.stderr
    assert f"{len(GOOD)} new," in result.stderr and f"index holds {len(GOOD)} articles" in result.stderr


def _indexed_one_story(tmp_path):
    """A corpus folder of one story, indexed into tmp_path/ix; returns the folder."""
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "a.txt").write_text("Alpha headline\n\nThe first story mentions quokka.\n")
    first = CliRunner().invoke(main, ["index", str(root), "--index", str(tmp_path / "ix"), "-j", "1"])
    assert first.exit_code == 0, first.output
    return root


def test_fail_fast_stops_at_the_first_bad_file(tmp_path):
    root = _indexed_one_story(tmp_path)
    (root / "b.html").write_bytes(bytes(range(256)) * 16)
    (root / "c.txt").write_text("Gamma headline\n\nThe third story mentions numbat.\n")
    result = CliRunner().invoke(main, ["index", str(root), "--index", str(tmp_path / "ix"), "-j", "1",
                                       "--fail-fast"])
    assert result.exit_code == 1
    assert result.stderr.count("skipped ") == 1 and "b.html" in result.stderr
    with Archive.open(tmp_path / "ix") as archive:
        assert archive.search("quokka").total == 1
        assert archive.search("numbat").total == 0


def test_size_options_are_read_with_units(tmp_path):
    page = tmp_path / "p.html"
    page.write_text(_page("Sized page", "word " * 600))
    ok = CliRunner().invoke(main, ["index", str(page), "--index", str(tmp_path / "a"), "-j", "1",
                                   "--max-file-size", "1M", "--max-body-chars", "100"])
    assert ok.exit_code == 0, ok.output
    with Archive.open(tmp_path / "a") as archive:
        [hit] = archive.search("sized").hits
        assert len(archive.get(hit.id).body) == 100
    refused = CliRunner().invoke(main, ["index", str(page), "--index", str(tmp_path / "b"), "-j", "1",
                                        "--max-file-size", "1K"])
    assert refused.exit_code == 1 and "1,024-byte limit" in refused.stderr
    bad = CliRunner().invoke(main, ["index", str(page), "--max-file-size", "lots"])
    assert bad.exit_code == 2 and "not a size" in bad.output


def test_gzip_bomb_is_refused_without_being_expanded(tmp_path, monkeypatch):
    bomb = tmp_path / "bomb.html.gz"
    _gzip_bomb(bomb, 64 << 20)
    expanded = []
    original = gzip.GzipFile.read

    def counting_read(self, *args):
        data = original(self, *args)
        expanded.append(len(data))
        return data

    monkeypatch.setattr(gzip.GzipFile, "read", counting_read)
    with pytest.raises(ParseError, match="decompresses to more than"):
        read_bytes(str(bomb), max_decompressed_bytes=2 << 20)
    assert sum(expanded) <= 4 << 20
    expanded.clear()
    lines = tmp_path / "bomb.jsonl.gz"
    _gzip_bomb(lines, 64 << 20)
    with pytest.raises(ParseError, match="decompresses to more than"):
        list(iter_lines(str(lines), max_decompressed_bytes=2 << 20, max_line_bytes=1 << 30))


def test_dates_that_cannot_be_read_leave_date_empty_with_a_warning(hostile):
    result = CliRunner().invoke(main, ["parse", str(hostile / "records.jsonl"), "--json"])
    rows = {row["title"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert rows["Zinc slump"]["date"] in ("1987-03-31T00:00:00+00:00", None)
    assert rows["Tin talks"]["date"] is None
    assert any("date" in w for w in rows["Tin talks"]["warnings"])
    assert rows["Copper rally"]["warnings"] == []


def test_nul_bytes_and_control_characters_are_removed_from_text(hostile):
    raw = RawDocument(str(hostile / "nul.txt"), "text", (hostile / "nul.txt").read_bytes())
    [article] = parse_document(raw)
    assert "\x00" not in article.body and "wallaby report" in article.body


@pytest.mark.parametrize("code", [c for c in range(32) if chr(c) not in "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"])
def test_every_control_character_is_removed_from_title_and_body(code):
    char = chr(code)
    raw = RawDocument("controls.txt", "text",
                      f"Wallaby{char} report\n\nThe wallaby{char} count rose in the spring survey.".encode())
    [article] = parse_document(raw)
    assert char not in article.title and char not in article.body
    assert article.title == "Wallaby report" and "wallaby count rose" in article.body


def test_body_limit_truncates_and_says_so():
    raw = RawDocument("long.txt", "text", b"Long story\n\n" + b"word " * 1000)
    [article] = parse_document(raw, ParseOptions(max_body_chars=50))
    assert len(article.body) == 50
    assert any("truncated" in w for w in article.warnings)


# One sentence per legacy charset; decoded without any declaration.
UNDECLARED = [
    ("cp1256", "أعلنت الحكومة اليوم عن خطة جديدة لدعم الاقتصاد الوطني، وقال الوزير إن الخطة ستبدأ قريبا."),
    ("shift_jis", "東京の株式市場は今日大きく上昇しました。日経平均株価は前日比で三百円高となりました。"),
    ("euc_jp", "東京の株式市場は今日大きく上昇しました。日経平均株価は前日比で三百円高となりました。"),
    ("gb2312", "北京时间今天上午，国家统计局发布了最新的经济数据，显示经济增长稳定。"),
    ("big5", "台北股市今天開盤後持續上漲，成交量明顯放大，投資人信心回升。"),
    ("euc_kr", "서울 증시는 오늘 큰 폭으로 상승했습니다. 외국인 투자자들이 주식을 대량 매수했습니다."),
    ("cp1251", "Правительство объявило сегодня о новом плане поддержки национальной экономики."),
    ("koi8_r", "Правительство объявило сегодня о новом плане поддержки национальной экономики."),
    ("cp1253", "Η κυβέρνηση ανακοίνωσε σήμερα ένα νέο σχέδιο για την οικονομία της χώρας."),
    ("cp1250", "Rząd ogłosił dziś nowy plan wsparcia gospodarki narodowej. Łódź, Gdańsk, źródło."),
    ("cp1252", "Die Regierung kündigte heute einen Plan an: Straße, Müller, Größe, déjà vu, ações."),
    ("cp1252", "The deal was worth £5m (€7m) — “a record”, said the firm’s chief; up 5° to £12.5bn."),
]


@pytest.mark.parametrize("charset,text", UNDECLARED)
def test_undeclared_legacy_charsets_are_recognised(charset, text):
    assert decode(text.encode(charset)) == text


def test_undecodable_bytes_never_fail():
    assert isinstance(decode(bytes(range(256)) * 4), str)
    assert isinstance(decode(b"\xff\xfe\x00"), str)
    assert isinstance(decode(b"<meta charset='no-such-charset'>\xe9", sniff_markup=True), str)


def test_real_legacy_pages_decode_as_their_declaration_says(shared_dir):
    """Pages that declare a legacy charset: the guess made without the declaration agrees."""
    checked = 0
    for page in sorted((shared_dir / "corpus" / "extraction" / "pages").glob("*.html.gz")):
        data = gzip.decompress(page.read_bytes())
        declared = declared_encoding(data)
        if declared in (None, "utf-8") or data.decode("utf-8", "ignore").encode("utf-8") == data:
            continue
        expected = data.decode("cp1252" if declared == "iso8859-1" else declared, errors="replace")
        assert decode(data) == expected, page.name
        checked += 1
    assert checked >= 5



def test_fail_fast_stops_before_indexing_when_a_path_is_missing(tmp_path):
    root = _indexed_one_story(tmp_path)
    (root / "b.txt").write_text("Beta headline\n\nThe second story mentions numbat.\n")
    result = CliRunner().invoke(main, ["index", str(tmp_path / "missing.txt"), str(root), "--index",
                                       str(tmp_path / "ix"), "-j", "1", "--fail-fast"])
    assert result.exit_code == 1 and "missing.txt: no such file" in result.stderr
    with Archive.open(tmp_path / "ix") as archive:
        assert archive.search("numbat").total == 0


def test_an_overlong_jsonl_line_is_skipped_without_being_held_whole(tmp_path):
    import tracemalloc

    path = tmp_path / "long.jsonl"
    with open(path, "wb") as handle:
        handle.write(b'{"title": "Before", "body": "First."}\n{"title": "Huge", "body": "')
        for _ in range(24):
            handle.write(b"z" * (1 << 20))
        handle.write(b'"}\n{"title": "After", "body": "Last."}\n')
    tracemalloc.start()
    try:
        lines = list(iter_lines(str(path), max_line_bytes=64 << 10))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [n for n, _ in lines] == [1, 2, 3]
    assert isinstance(lines[1][1], ParseError) and lines[1][1].line == 2 and "limit" in lines[1][1].reason
    assert lines[2][1].startswith(b'{"title": "After"')
    assert peak < 8 << 20


def test_names_with_glob_characters_and_non_regular_files(tmp_path):
    page = tmp_path / "photo[1].txt"
    page.write_text("Bracketed name\n\nA file whose name looks like a glob.\n")
    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)
    found = list(find_sources([str(page), str(pipe)]))
    assert getattr(found[0], "path", None) == str(page)
    assert isinstance(found[1], ParseError) and "not a regular file" in found[1].reason


def test_json_report_lists_failures_with_file_line_and_reason(hostile, tmp_path):
    result = CliRunner().invoke(main, [
        "index", str(hostile), "--index", str(tmp_path / "ix"), "-j", "1", "--json",
        "--max-file-size", str(MAX_FILE), "--max-decompressed-size", str(MAX_GUNZIPPED)])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["articles"] == len(GOOD)
    failures = {(Path(f["path"]).name, f["line"]) for f in report["failures"]}
    assert failures == {(name, line) for name, line, _ in BAD}
    assert all(f["reason"] for f in report["failures"])


def test_html_parsing_expands_no_external_entity_and_fetches_nothing(tmp_path):
    import http.server
    import threading

    requests: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            requests.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY leak "FETCHED">')

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    page = (f'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY file SYSTEM "file://{secret}">'
            f'<!ENTITY net SYSTEM "{base}/entity"><!ENTITY % dtd SYSTEM "{base}/dtd"> %dtd;]>'
            f'<html><head><title>Entities &file; &net;</title><link rel="stylesheet" href="{base}/css">'
            f'<script src="{base}/js"></script></head><body><article><p>Story text &file; &net; &leak; '
            f'long enough to be the body of a short news article about entities.</p>'
            f'<img src="{base}/img"><iframe src="{base}/frame"></iframe></article></body></html>')
    try:
        [article] = parse_document(RawDocument("entities.html", "html", page.encode()))
    finally:
        server.shutdown()
    assert isinstance(article, Article)
    text = article.title + article.body
    assert "TOPSECRET" not in text and "FETCHED" not in text
    assert requests == []


def _square_or_die(number: int) -> int:
    if number == 7:
        os._exit(3)  # what an out-of-memory kill or a crash in C looks like to the pool
    return number * number


def test_worker_processes_survive_one_dying_and_keep_order():
    from newsearch.ingest.workers import map_in_processes

    results = list(map_in_processes(_square_or_die, range(20), jobs=2, window=5,
                                    on_death=lambda item, reason: ("died", item)))
    assert results == [n * n if n != 7 else ("died", 7) for n in range(20)]


def test_a_parser_process_that_dies_is_reported_and_the_run_goes_on(tmp_path, monkeypatch):
    import newsearch.ingest.batches as batches

    root = tmp_path / "corpus"
    root.mkdir()
    for name in ("ant", "bee", "cicada", "dragonfly", "earwig"):
        (root / f"{name}.txt").write_text(f"{name.title()} headline\n\nThe {name} story in full.\n")
    real = batches.parse_document

    def dies_on_cicada(raw, options):
        if raw.path.endswith("cicada.txt"):
            os._exit(9)
        return real(raw, options)

    monkeypatch.setattr(batches, "parse_document", dies_on_cicada)
    report = index_paths([root], index=tmp_path / "ix", jobs=2)
    assert [(Path(f.path).name, "process died" in f.reason) for f in report.failures] == [("cicada.txt", True)]
    assert report.articles == 4
    with Archive.open(tmp_path / "ix") as archive:
        assert all(archive.search(word).total == 1 for word in ("ant", "bee", "dragonfly", "earwig"))


def test_an_index_inside_the_input_folder_is_not_read_as_input(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "a.txt").write_text("Alpha headline\n\nThe first story mentions quokka.\n")
    for run in range(2):
        report = index_paths([root], index=root / "indexes" / "default", jobs=1)
        assert report.ok and report.failures == [], (run, [str(f) for f in report.failures])
    report = index_paths([root / "indexes" / "default"], index=tmp_path / "other", jobs=1)
    assert [f.reason for f in report.failures] == ["a newsearch index folder, not articles"]


def test_unknown_zone_names_keep_the_clock_without_a_warning():
    import warnings
    from datetime import datetime, timezone

    from newsearch.parse.dates import parse_date
    from newsearch.periods import parse_period

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert parse_date("5 May 2021 10:00 XYZ") == datetime(2021, 5, 5, 10, tzinfo=timezone.utc)
        assert parse_period("5 May 2021 10:00 XYZ").start == datetime(2021, 5, 5, 10, tzinfo=timezone.utc)
