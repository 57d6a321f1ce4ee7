"""Zip and tar bundles read as folders, members in place (never extracted), known as
BUNDLE!/member; unsafe member names and bombs reported, the rest indexed."""
from __future__ import annotations

import gzip
import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsearch import Archive, IngestOptions, index_paths
from newsearch.cli import main
from newsearch.ingest import parse_paths
from newsearch.models import Article

from helpers import news_page


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in members.items():
            bundle.writestr(zipfile.ZipInfo(name, date_time=(2024, 5, 2, 8, 0, 0)), data,
                            compress_type=zipfile.ZIP_DEFLATED)
    return path


def write_tar(path: Path, members: dict[str, bytes], mode: str = "w:gz") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, mode) as bundle:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1714636800
            bundle.addfile(info, io.BytesIO(data))
    return path


def titles(index: Path) -> dict[str, str]:
    with Archive.open(index) as archive:
        return {a.path.split("!/", 1)[-1]: a.title for a in (archive.get(i) for i in archive.ids())}


def test_a_zip_is_read_as_a_folder(tmp_path: Path) -> None:
    records = "\n".join(json.dumps({"url": f"https://x.test/{n}", "title": f"Record {n}", "body": "Text."})
                        for n in range(3))
    bundle = write_zip(tmp_path / "in" / "export.zip", {
        "local/one.html": news_page("Story one"),
        "local/two.html.gz": gzip.compress(news_page("Story two")),
        "records.jsonl": records.encode(),
        "README.txt": b"What is in this export",
        "logo.png": b"\x89PNG\r\n",
        "pages/": b"",
    })
    report = index_paths([tmp_path / "in"], index=tmp_path / "ix", jobs=1,
                         options=IngestOptions(section_from_dir=True))
    assert report.ok and report.counts["new"] == 5 and len(report.skipped) == 2
    assert {s.path for s in report.skipped} == {f"{bundle}!/README.txt", f"{bundle}!/logo.png"}
    with Archive.open(tmp_path / "ix") as archive:
        held = sorted((a.path, a.title, a.section) for a in (archive.get(i) for i in archive.ids()))
    assert held == [(f"{bundle}!/local/one.html", "Story one", "local"),
                    (f"{bundle}!/local/two.html.gz", "Story two", "local")] + [
                    (f"{bundle}!/records.jsonl", f"Record {n}", "") for n in range(3)]
    again = index_paths([tmp_path / "in"], index=tmp_path / "ix", jobs=1, options=IngestOptions(section_from_dir=True))
    assert again.counts["unchanged"] == 5 and again.counts["new"] == again.counts["replaced"] == 0


def test_a_member_gone_from_the_bundle_is_pruned(tmp_path: Path) -> None:
    bundle = write_zip(tmp_path / "b.zip", {"a.html": news_page("Kept"), "b.html": news_page("Dropped")})
    index_paths([bundle], index=tmp_path / "ix", jobs=1)
    write_zip(bundle, {"a.html": news_page("Kept")})
    report = index_paths([bundle], index=tmp_path / "ix", jobs=1)
    assert report.files_removed == 1 and set(titles(tmp_path / "ix").values()) == {"Kept"}


@pytest.mark.parametrize("name, mode", [("site.tar.gz", "w:gz"), ("site.tgz", "w:gz"), ("site.tar", "w")])
def test_tar_bundles(tmp_path: Path, name: str, mode: str) -> None:
    bundle = write_tar(tmp_path / name, {f"site/{n}.html": news_page(f"Tar story {n}") for n in range(4)}, mode)
    report = index_paths([bundle], index=tmp_path / "ix", jobs=2)
    assert report.ok and report.counts["new"] == 4
    assert titles(tmp_path / "ix") == {f"site/{n}.html": f"Tar story {n}" for n in range(4)}


def test_unsafe_member_names_are_reported_and_never_read(tmp_path: Path) -> None:
    bundle = write_zip(tmp_path / "evil.zip", {"/etc/cron.html": news_page("Absolute"),
                                               "../../up.html": news_page("Climbing"),
                                               "ok/fine.html": news_page("Fine")})
    result = CliRunner().invoke(main, ["index", str(bundle), "--index", str(tmp_path / "ix"), "-j", "1"])
    assert result.exit_code == 1
    assert f"{bundle}!//etc/cron.html: member path is absolute, not read" in result.output
    assert f"{bundle}!/../../up.html: member path climbs out of the bundle with '..', not read" in result.output
    assert titles(tmp_path / "ix") == {"ok/fine.html": "Fine"}
    assert not (tmp_path / "up.html").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["evil.zip", "ix"]


def test_a_zip_bomb_member_is_refused_and_the_rest_indexed(tmp_path: Path) -> None:
    bomb = b"<html><body><p>" + b"a" * 5_000_000 + b"</p></body></html>"
    bundle = write_zip(tmp_path / "bomb.zip", {"bomb.html": bomb, "fine.html": news_page("Fine")})
    assert bundle.stat().st_size < 100_000
    report = index_paths([bundle], index=tmp_path / "ix", jobs=1,
                         options=IngestOptions(max_file_bytes=1_000_000, max_decompressed_bytes=2_000_000))
    assert [str(f) for f in report.failures] == [
        f"{bundle}!/bomb.html: member is {len(bomb):,} bytes, over the 1,000,000-byte limit"]
    assert titles(tmp_path / "ix") == {"fine.html": "Fine"}


def test_a_broken_bundle_is_one_failure(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "in" / "page.html").write_bytes(news_page("Fine"))
    report = index_paths([tmp_path / "in"], index=tmp_path / "ix", jobs=1)
    assert report.counts["new"] == 1 and len(report.failures) == 1
    assert report.failures[0].path.endswith("broken.zip") and "not a readable bundle" in report.failures[0].reason


def test_real_feeds_read_from_a_bundle_match_the_folder(shared_dir: Path, tmp_path: Path) -> None:
    folder = shared_dir / "corpus" / "feeds"
    bundle = write_zip(tmp_path / "feeds.zip", {f"feeds/{p.name}": p.read_bytes() for p in sorted(folder.iterdir())})
    from_folder = sorted((a.url or "", a.title) for a in parse_paths([folder]) if isinstance(a, Article))
    from_bundle = [a for a in parse_paths([bundle]) if isinstance(a, Article)]
    assert sorted((a.url or "", a.title) for a in from_bundle) == from_folder and len(from_folder) >= 100
    assert all("feeds.zip!/feeds/" in a.path for a in from_bundle)


@pytest.mark.parametrize("name, mode", [("crawls.zip", None), ("crawls.tar", "w"), ("crawls.tar.gz", "w:gz")])
def test_real_warcs_read_from_a_bundle_match_the_files(shared_dir: Path, tmp_path: Path, name: str,
                                                       mode: str | None) -> None:
    pytest.importorskip("fastwarc")
    crawls = [shared_dir / "corpus" / "warc" / f for f in ("warcfile.warc.gz", "news-dev-truncated.warc.gz")]
    members = {f"crawl/{p.name}": p.read_bytes() for p in crawls}
    bundle = write_zip(tmp_path / name, members) if mode is None else write_tar(tmp_path / name, members, mode)
    alone = index_paths([str(p) for p in crawls], index=tmp_path / "alone", jobs=1)
    packed = index_paths([str(bundle)], index=tmp_path / "packed", jobs=2)
    with Archive.open(tmp_path / "alone") as a, Archive.open(tmp_path / "packed") as b:
        assert sorted(a.ids()) == sorted(b.ids()) and len(a) >= 150
        some = sorted(b.ids())[0]
        assert b.get(some).path.startswith(f"{bundle}!/crawl/") and b.get(some).fetched_url
    assert packed.inputs == alone.inputs
    # The cut record at the end of the truncated crawl is named inside the bundle.
    (cut,) = packed.failures
    assert cut.path == f"{bundle}!/crawl/news-dev-truncated.warc.gz" and cut.line == 549
    assert "truncated WARC" in cut.reason
    # Unchanged members are not read again.
    again = index_paths([str(bundle)], index=tmp_path / "packed", jobs=1)
    assert again.inputs["new"] == again.inputs["replaced"] == 0 and again.inputs["unchanged"] > 0
