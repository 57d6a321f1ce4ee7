"""Term arrays (engine/term_arrays.py): what they hold is what Whoosh's blocks hold,
and searches read through them answer exactly as searches that read the blocks."""
from __future__ import annotations

import gzip
import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from newsearch import Archive, index_paths
from newsearch.errors import NewsearchError
from newsearch.engine import term_arrays
from newsearch.engine.term_arrays import EXTENSION, TermArrays, TermArraysWriter

FACETS = ("section", "author", "year")


def test_a_file_gives_back_what_was_written(tmp_path: Path) -> None:
    path = str(tmp_path / "one.nsa")
    writer = TermArraysWriter(path)
    narrow = [3, 9, 10]
    wide = [(5 << 40) | 7, (5 << 40) | (1 << 20) | 8]
    writer.add("body", b"oil", [1, 4, 9], [2.0, 1.0, 0.5], [b"a", b"b", b""],
               lambda value: {b"a": [3, 9], b"b": [10]}[value])
    writer.add_arrays("title", b"price", np.array([0, 2]), np.array([1.0, 1.0]), np.array([1, 1]),
                      np.array(wide, dtype=np.int64))
    writer.close()
    arrays = TermArrays(path)
    ids, weights, counts = arrays.postings("body", b"oil")
    assert ids.tolist() == [1, 4, 9]
    assert weights.tolist() == [2.0, 1.0, 0.5]
    assert counts.tolist() == [2, 1, 0]
    assert arrays.positions("body", b"oil").tolist() == narrow
    assert arrays.positions("title", b"price").tolist() == wide
    assert arrays.postings("body", b"gas") is None and not arrays.has("title", b"oil")
    assert sorted(arrays.terms()) == [("body", b"oil"), ("title", b"price")]


def test_an_empty_file_is_not_left_behind(tmp_path: Path) -> None:
    path = tmp_path / "none.nsa"
    TermArraysWriter(str(path)).close()
    assert not path.exists()


def _records(shared_dir: Path, count: int) -> list[dict]:
    with gzip.open(shared_dir / "corpus" / "jsonl" / "reuters21578.jsonl.gz", "rt") as fh:
        return [json.loads(line) for _, line in zip(range(count), fh)]


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.fixture()
def small_index(shared_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Reuters articles in two segments, arrays for every term with 3 postings or more,
    and a few articles deleted afterwards."""
    monkeypatch.setattr(term_arrays, "MIN_POSTINGS", 3)
    records = _records(shared_dir, 900)
    index = tmp_path / "ix"
    for part, chunk in enumerate((records[:500], records[500:])):
        report = index_paths([str(_write(tmp_path / f"part{part}.jsonl", chunk))], index=str(index), jobs=1)
        assert report.ok
    with Archive.open(str(index)) as archive:
        assert archive.delete([r["id"] for r in records[::37]]) > 0
    return index


def _headline_queries(shared_dir: Path, count: int, seed: int) -> list[str]:
    """Words, pairs, phrases of two and three words, fields and operators from headlines."""
    rng = random.Random(seed)
    titles = [[w for w in r["title"].lower().split() if w.isalpha() and len(w) > 2]
              for r in _records(shared_dir, 900)]
    titles = [t for t in titles if len(t) >= 3]
    queries = []
    for _ in range(count):
        t = rng.choice(titles)
        start = rng.randrange(len(t) - 2)
        queries += [t[start], f"{t[start]} {t[start + 1]}", f'"{t[start]} {t[start + 1]}"',
                    f'"{t[start]} {t[start + 1]} {t[start + 2]}"', f"{t[start]} OR {t[start + 2]}",
                    f"{t[start]} NOT {t[start + 1]}", f"title:{t[start]}", f'section:"{t[start]}" OR {t[start + 1]}']
    return queries + ['"said it"', '"mln dlrs"', "said", "oil prices", '"the company said"']


def _answers(index: Path, queries: list[str]) -> list[tuple]:
    found = []
    with Archive.open(str(index)) as archive:
        for text in queries:
            try:
                results = archive.search(text, facets=FACETS, highlight=False, limit=30)
            except NewsearchError as error:  # stop words alone: the same error either way
                found.append((str(error), [], {}))
                continue
            found.append((results.total, [(h.id, h.score) for h in results.hits],
                          {name: [(c.value, c.count) for c in counts] for name, counts in results.facets.items()}))
    return found


def _without_arrays(index: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "no-arrays"
    shutil.copytree(index, copy)
    removed = list(copy.glob(f"*.{EXTENSION}"))
    for path in removed:
        path.unlink()
    assert removed, "the index was written without term arrays"
    return copy


def _assert_arrays_match_whoosh(index: Path) -> int:
    """Every term in every arrays file holds exactly Whoosh's postings (deleted
    documents may stay in the arrays: searches leave them out)."""
    from whoosh.index import open_dir

    checked = 0
    ix = open_dir(str(index))
    with ix.reader() as top:
        for reader, _ in top.leaf_readers():
            arrays = term_arrays.arrays_of(reader)
            assert arrays is not None
            for fieldname, term in arrays.terms():
                postings = reader.postings(fieldname, term)  # live documents only
                ids, weights, positions = [], [], []
                while postings.is_active():
                    ids.append(postings.id())
                    weights.append(postings.weight())
                    positions.append(list(postings.value_as("positions")))
                    postings.next()
                held_ids, held_weights, counts = arrays.postings(fieldname, term)
                starts = np.concatenate([[0], np.cumsum(counts)])
                flat = arrays.positions(fieldname, term).tolist()
                live = [k for k, docnum in enumerate(held_ids.tolist()) if not reader.is_deleted(docnum)]
                assert [int(held_ids[k]) for k in live] == ids, (fieldname, term)
                assert [float(held_weights[k]) for k in live] == weights, (fieldname, term)
                assert [flat[starts[k]:starts[k + 1]] for k in live] == positions, (fieldname, term)
                assert len(flat) == starts[-1]
                checked += 1
    ix.close()
    return checked


def test_arrays_hold_whoosh_postings(small_index: Path) -> None:
    assert _assert_arrays_match_whoosh(small_index) > 500


def test_searches_answer_the_same_with_and_without_arrays(small_index: Path, shared_dir: Path,
                                                           tmp_path: Path) -> None:
    queries = _headline_queries(shared_dir, 40, seed=3)
    with_arrays = _answers(small_index, queries)
    without = _answers(_without_arrays(small_index, tmp_path), queries)
    assert sum(1 for total, _, _ in with_arrays if isinstance(total, int) and total) > len(queries) // 2
    for text, got, expected in zip(queries, with_arrays, without):
        assert got == expected, text


def test_a_merge_joins_the_arrays(small_index: Path, shared_dir: Path, tmp_path: Path) -> None:
    queries = _headline_queries(shared_dir, 25, seed=5)
    with Archive.open(str(small_index)) as archive:
        archive.optimize()
    files = list(small_index.glob(f"*.{EXTENSION}"))
    assert len(files) == 1 and len(list(small_index.glob("*.seg"))) == 1  # the sources' files went with them
    assert _assert_arrays_match_whoosh(small_index) > 500
    # (Scores differ from before the merge: the deleted articles no longer count in the statistics.)
    assert _answers(small_index, queries) == _answers(_without_arrays(small_index, tmp_path), queries)


def test_real_build_writes_arrays_for_frequent_words_only(reuters_built) -> None:
    files = list(Path(reuters_built.index).glob(f"*.{EXTENSION}"))
    assert files
    arrays = TermArrays(str(files[0]))
    sizes = [len(arrays.postings(f, t)[0]) for f, t in arrays.terms()]
    assert min(sizes) >= term_arrays.MIN_POSTINGS
    assert arrays.has("body", b"said")


def test_sets_of_documents_agree_with_numpys_own():
    # in_set and distinct stand in for np.isin and np.unique on the query path.
    from newsearch.engine.term_arrays import distinct, in_set

    rng = np.random.default_rng(7)
    for size in (0, 1, 2, 50, 5_000):
        values = rng.integers(0, 3_000, size=size)
        members = frozenset(rng.integers(0, 3_000, size=size // 3 + 1).tolist())
        assert in_set(values, members).tolist() == np.isin(values, list(members)).tolist()
        assert distinct(values).tolist() == np.unique(values).tolist()
    assert in_set(np.array([1, 2]), frozenset()).tolist() == [False, False]
