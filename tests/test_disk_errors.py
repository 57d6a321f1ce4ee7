"""A full disk, a read-only folder, a missing or locked index: one clear error, and the
last committed index stays intact and searchable.

Tests run as root, where chmod does not stop writes, so failing writes are injected
by patching the file operations Whoosh and newsearch use.
"""
from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from whoosh.filedb.filestore import FileStorage

from newsearch import Archive
from newsearch.cli import main
from newsearch.errors import IndexLocked, IndexNotFound, StorageError
from newsearch.ingest import index_paths

from helpers import article

FIRST = article("Harbour reopens", "The harbour reopened after the storm, said the pilot.", url="https://ex.org/1")
SECOND = article("Bridge closes", "The old bridge closed for repairs, said the engineer.", url="https://ex.org/2")


def _full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _read_only(*args, **kwargs):
    raise OSError(errno.EROFS, os.strerror(errno.EROFS))


@pytest.fixture
def index(tmp_path: Path) -> Path:
    path = tmp_path / "ix"
    Archive.create(path).add([FIRST])
    return path


def _assert_only_first(path: Path) -> None:
    with Archive.open(path) as archive:
        assert len(archive) == 1
        assert archive.search("harbour").total == 1
        assert archive.search("bridge").total == 0


@pytest.mark.parametrize("operation", ["create_file", "rename_file"])
def test_full_disk_during_commit_keeps_the_committed_index(index, monkeypatch, operation):
    archive = Archive.open(index)
    with pytest.raises(StorageError, match="the disk is full; the last committed index is unchanged"):
        with archive.writer() as writer:
            writer.add(SECOND)
            monkeypatch.setattr(FileStorage, operation, _full_disk)
    monkeypatch.undo()
    archive.close()
    _assert_only_first(index)
    # Nothing is left half-done: the lock is free and the next write works.
    assert Archive.open(index).add([SECOND]) == 1
    with Archive.open(index) as again:
        assert again.search("bridge").total == 1


def test_read_only_folder_when_opening_a_writer(index, monkeypatch):
    monkeypatch.setattr(FileStorage, "create_file", _read_only)
    with pytest.raises(StorageError, match="read-only"):
        Archive.open(index).add([SECOND])
    monkeypatch.undo()
    _assert_only_first(index)


def test_lock_file_that_cannot_be_created_is_a_storage_error(index, monkeypatch):
    real_open = os.open

    def refuse_lock(path, *args, **kwargs):
        if str(path).endswith("newsearch.lock"):
            raise OSError(errno.EACCES, os.strerror(errno.EACCES), path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse_lock)
    with pytest.raises(StorageError, match="cannot create lock file"):
        Archive.open(index).add([SECOND])


def _corpus(root: Path, *names: str) -> Path:
    root.mkdir(exist_ok=True)
    for name in names:
        (root / f"{name}.txt").write_text(f"{name.title()} headline\n\nThe {name} story in full.\n")
    return root


def test_full_disk_during_an_index_run_is_one_line_and_the_next_run_recovers(tmp_path, monkeypatch):
    corpus = _corpus(tmp_path / "corpus", "albatross")
    path = tmp_path / "ix"
    assert index_paths([corpus], index=path, jobs=1).ok
    _corpus(corpus, "bittern")
    monkeypatch.setattr(FileStorage, "create_file", _full_disk)
    result = CliRunner().invoke(main, ["index", str(corpus), "--index", str(path), "-j", "1"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "the disk is full" in result.stderr
    assert "Traceback" not in result.output
    monkeypatch.undo()
    with Archive.open(path) as archive:
        assert archive.search("albatross").total == 1 and archive.search("bittern").total == 0
    report = index_paths([corpus], index=path, jobs=1)
    assert report.ok and report.files_indexed == 1
    with Archive.open(path) as archive:
        assert len(archive) == 2 and archive.search("bittern").total == 1


def test_full_disk_during_a_rebuild_leaves_the_old_index_in_place(tmp_path, monkeypatch):
    corpus = _corpus(tmp_path / "corpus", "albatross")
    path = tmp_path / "ix"
    assert index_paths([corpus], index=path, jobs=1).ok
    _corpus(corpus, "bittern")
    real_rename = FileStorage.rename_file

    def fail_in_building_folder(self, *args, **kwargs):
        if str(self.folder).endswith(".building"):
            _full_disk()
        return real_rename(self, *args, **kwargs)

    monkeypatch.setattr(FileStorage, "rename_file", fail_in_building_folder)
    with pytest.raises(StorageError, match="the disk is full"):
        index_paths([corpus], index=path, jobs=1, rebuild=True)
    monkeypatch.undo()
    with Archive.open(path) as archive:
        assert len(archive) == 1 and archive.search("albatross").total == 1


def test_manifest_that_cannot_be_saved_is_a_storage_error(tmp_path, monkeypatch):
    corpus = _corpus(tmp_path / "corpus", "albatross")
    real_replace = os.replace

    def fail_manifest(src, dst, *args, **kwargs):
        if str(dst).endswith("manifest.json"):
            _full_disk()
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", fail_manifest)
    with pytest.raises(StorageError, match="the disk is full"):
        index_paths([corpus], index=tmp_path / "ix", jobs=1)


def test_missing_index_says_how_to_build_one(tmp_path):
    for path in (tmp_path / "nowhere", tmp_path):
        with pytest.raises(IndexNotFound, match="build one with `newsearch index PATH...`"):
            Archive.open(path)
    result = CliRunner().invoke(main, ["query", "harbour", "--index", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert result.stderr == (f"Error: no index at {tmp_path / 'nowhere'}: build one with "
                             "`newsearch index PATH...` or `newsearch rebuild`\n")


def test_locked_index_is_refused_while_searches_go_on(index):
    holder = Archive.open(index)
    with holder.writer() as writer:
        writer.add(SECOND)
        with pytest.raises(IndexLocked, match="wait for it to finish"):
            Archive.open(index).add([article("Third", "Another story.")])
        result = CliRunner().invoke(main, ["query", "harbour", "--index", str(index), "--json"])
        assert result.exit_code == 0 and '"total":1' in result.stdout.replace(" ", "")
    holder.close()
    with Archive.open(index) as archive:
        assert len(archive) == 2


@pytest.mark.parametrize("damage", ["truncate", "delete"])
def test_damaged_segment_is_reported_when_the_index_opens(index, damage):
    from newsearch.errors import IndexCorrupt

    [segment] = index.glob("*.seg")
    if damage == "truncate":
        segment.write_bytes(segment.read_bytes()[:100])
    else:
        segment.unlink()
    with pytest.raises(IndexCorrupt, match="run `newsearch rebuild`"):
        Archive.open(index)
    result = CliRunner().invoke(main, ["query", "harbour", "--index", str(index)])
    assert result.exit_code == 1 and result.stderr.startswith("Error: ") and "rebuild" in result.stderr


def test_damage_found_while_searching_is_index_corrupt_not_a_query_error(tmp_path, monkeypatch):
    from newsearch import Archive, IndexCorrupt, QuerySyntaxError
    from newsearch.engine import query as query_module

    from helpers import article

    path = tmp_path / "ix"
    Archive.create(path).add([article("Crane ordered", "The port ordered a crane.")])

    def broken(*args, **kwargs):
        raise EOFError("segment ended early")

    monkeypatch.setattr(query_module, "make_hit", broken)  # reading the page's stored fields
    with Archive.open(path) as archive:
        with pytest.raises(IndexCorrupt, match="newsearch rebuild") as caught:
            archive.search("crane")
    assert not isinstance(caught.value, QuerySyntaxError)


def test_an_index_deleted_under_an_open_archive_is_index_not_found(tmp_path):
    import shutil

    from newsearch import Archive, IndexNotFound

    from helpers import article

    path = tmp_path / "ix"
    archive = Archive.create(path)
    archive.add([article("Crane ordered", "The port ordered a crane.")])
    assert archive.search("crane").total == 1
    shutil.rmtree(path)
    with pytest.raises(IndexNotFound):
        archive.search("crane")
