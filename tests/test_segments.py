"""Segments written by workers must hold exactly what Whoosh's own writer would write.

The batch writer takes shortcuts (analysis without Token objects, postings handed
to the pool per field, field lengths kept in memory); these tests index the same
articles both ways and compare every term, posting, position, length and stored
field, so a shortcut that drifts from Whoosh fails here.
"""
from __future__ import annotations

import copy
import gzip
import json
import os
from pathlib import Path

import pytest
from whoosh.fields import TEXT

from newsearch.engine import store
from newsearch.ingest.batches import parse_unit, units
from newsearch.ingest import IngestOptions, index_paths
from newsearch.models import Article
from newsearch.engine.segments import PARTS_DIR, SegmentBuilder
from newsearch.sources import find_sources

from conftest import EXAMPLES


def _example_articles() -> list[Article]:
    options = IngestOptions()
    files = [f for f in find_sources([str(EXAMPLES)]) if not isinstance(f, Exception)]
    found = [a for unit in units(files, options) for a in parse_unit(unit, options) if isinstance(a, Article)]
    assert len(found) >= 20
    return found


def _contents(path: Path, *, blocks: bool = False) -> dict:
    """Everything a search can read from an index, keyed by article id; with `blocks`,
    each posting's block statistics too (one-segment indexes written the same way only:
    a merge may lay blocks out differently)."""
    ix, _ = store.open_index(path)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        by_doc = {docnum: fields["id"] for docnum, fields in reader.iter_docs()}
        postings = {}
        for fieldname, term in reader.all_terms():
            matcher = reader.postings(fieldname, term)
            entries = []
            while matcher.is_active():
                value = matcher.value()
                entry = (by_doc[matcher.id()], matcher.weight(), value)
                if blocks:  # scoring bounds skip blocks by these statistics
                    entry += (matcher.block_max_weight(), matcher.block_min_length(), matcher.block_max_length(),
                              by_doc[matcher.block_max_id()])
                entries.append(entry)
                matcher.next()
            info = reader.term_info(fieldname, term)
            stats = (info.doc_frequency(), info.weight(), info.min_length(), info.max_length(), info.max_weight())
            postings[(fieldname, term)] = (stats, sorted(entries))
        lengths = {
            (by_doc[d], name): reader.doc_field_length(d, name)
            for d in by_doc for name in ix.schema.scorable_names()
        }
        stored = {fields["id"]: fields for _, fields in reader.iter_docs()}
        totals = {name: reader.field_length(name) for name in ix.schema.scorable_names()}
    return {"postings": postings, "lengths": lengths, "stored": stored, "totals": totals}


def test_a_worker_segment_equals_whooshs_own_writing(tmp_path, monkeypatch):
    articles = _example_articles()
    plain = tmp_path / "plain"
    ix = store.create_index(plain)
    with monkeypatch.context() as patch:
        # Whoosh's own token stream (no fast path) and add_document for the reference
        # copy; sentence and paragraph numbers are added to both copies' positions alike.
        patch.setattr(store, "fast_index_path", lambda analyzer: None)
        writer = ix.writer()
        for article in articles:
            writer.add_document(**store.article_fields(article))
        writer.commit()

    batch = tmp_path / "batch"
    ix = store.create_index(batch)
    builder = SegmentBuilder(str(batch), ix.schema, limitmb=32)
    for article in articles:
        builder.add(store.article_fields(article))
    written = builder.finish()
    assert written is not None and written.ids == [a.id for a in articles]
    with store.IndexWriter(str(batch), ix) as index_writer:
        index_writer.add_segment(written)

    ours, theirs = _contents(batch, blocks=True), _contents(plain, blocks=True)
    assert ours["stored"] == theirs["stored"]
    assert ours["totals"] == theirs["totals"]
    assert ours["lengths"] == theirs["lengths"]
    assert ours["postings"].keys() == theirs["postings"].keys()
    assert ours["postings"] == theirs["postings"]
    assert not (batch / PARTS_DIR).exists() or not any((batch / PARTS_DIR).iterdir())


def test_a_small_pool_spills_to_disk_and_loses_nothing(tmp_path):
    articles = _example_articles()
    roomy, tight = tmp_path / "roomy", tmp_path / "tight"
    for path, limit in ((roomy, 64), (tight, 0)):
        ix = store.create_index(path)
        builder = SegmentBuilder(str(path), ix.schema, limitmb=limit)  # 0 MB: a spill after every article
        for article in articles:
            builder.add(store.article_fields(article))
        with store.IndexWriter(str(path), ix) as writer:
            writer.add_segment(builder.finish())
    assert _contents(tight) == _contents(roomy)


def test_fast_analysis_gives_the_token_streams_terms_and_positions(shared_dir):
    schema = store.build_schema(store.IndexOptions())
    texts = []
    with gzip.open(shared_dir / "corpus" / "jsonl" / "reuters21578.jsonl.gz", "rt", encoding="utf-8") as fh:
        for _, line in zip(range(400), fh):
            record = json.loads(line)
            texts += [record.get("title") or "", record.get("body") or ""]
    texts += [
        "Ain al-Asad air base; al Asad; Abu Bakr al-Baghdadi; bin Laden's e-mail",
        "U.S. officials said 1,000.5 troops... end.The next-of-kin l'Élysée Baʿath",
        "al", "al al al", "the of and", "-", "x" * 150, "",
        # Pieces between spaces holding no token, one, or several, punctuation attached.
        "He said, \u201cno\u201d \u2014 (twice): a/b, x.y; 3-4 \u2018al\u2019 al-Asad. said, said",
    ]
    for name in ("body", "byline", "title"):
        field = schema[name]
        # Fields with sentence and paragraph numbers add them to either path's positions alike.
        streamed = copy.copy(field)
        streamed._fast_index = None
        for text in texts + texts:  # the second time, what the first remembered is read
            reference = streamed.index(text) if field.boundaries else TEXT.index(field, text)
            assert sorted(field.index(text)) == sorted(reference), (name, text[:80])


def test_the_term_memo_keeps_its_bound_for_whole_pieces_too(monkeypatch):
    from newsearch.engine import analyzers

    monkeypatch.setattr(analyzers, "_MEMO_WORDS", 4)
    fast = analyzers.fast_index_path(analyzers.text_analyzer("en"))
    fast.memo.clear()
    # Known words, then the same words with punctuation: only the pieces are new.
    for text in ("vote count", "vote, count.", "vote; count!", "(vote) count:", "vote? count,"):
        assert fast.plain_terms(text) == ["vote", "count"]
        assert len(fast.memo) <= 4, sorted(fast.memo)


def test_an_index_run_leaves_no_private_segment_folders(tmp_path):
    report = index_paths([EXAMPLES], index=tmp_path / "ix", jobs=2)
    assert report.ok and report.articles >= 20
    assert not (tmp_path / "ix" / PARTS_DIR).exists()
    assert not any(name.startswith(".") for name in os.listdir(tmp_path / "ix"))


def test_a_killed_runs_private_segments_are_ignored_and_removed(tmp_path):
    path = tmp_path / "ix"
    assert index_paths([EXAMPLES / "text"], index=path, jobs=1).ok
    ix, _ = store.open_index(path)
    orphan = SegmentBuilder(str(path), ix.schema, limitmb=8)
    orphan.add(store.article_fields(Article(id="orphan-1", title="Quokka sighting", body="A quokka.")))
    assert orphan.finish() is not None  # written, never adopted: as if the run died here
    before = store.open_index(path)[0].doc_count()
    from newsearch import Archive

    with Archive.open(path) as archive:
        assert archive.search("quokka").total == 0
    report = index_paths([EXAMPLES], index=path, jobs=1)
    assert report.ok
    assert not (path / PARTS_DIR).exists()
    assert store.open_index(path)[0].doc_count() > before


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_same_article_twice_in_one_run_is_kept_once(tmp_path, jobs):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = [json.dumps({"id": f"a{i % 7}", "title": f"Story {i}", "body": f"Body of story {i} zebra"})
             for i in range(300)]
    (corpus / "part1.jsonl").write_text("\n".join(lines[:150]) + "\n")
    (corpus / "part2.jsonl").write_text("\n".join(lines[150:]) + "\n")
    report = index_paths([corpus], index=tmp_path / "ix", jobs=jobs, batch_size=100)
    assert report.ok
    from newsearch import Archive

    with Archive.open(tmp_path / "ix") as archive:
        assert len(archive) == 7
        assert archive.search("zebra").total == 7
        # The last copy of each id wins: story 293..299 carry ids a6, a0 .. a5.
        assert {archive.get(f"a{i % 7}").title for i in range(293, 300)} == {f"Story {i}" for i in range(293, 300)}


def test_a_segment_lost_on_the_way_in_fails_the_run_loudly(tmp_path, monkeypatch):
    import newsearch.engine.store as store_module
    from newsearch.errors import IndexCorrupt

    real = store_module.commit_with

    def loses_the_last_segment(writer, written, index_path, *rest):
        real(writer, written[:-1], index_path, *rest)

    monkeypatch.setattr(store_module, "commit_with", loses_the_last_segment)
    with pytest.raises(IndexCorrupt, match="expected"):
        index_paths([EXAMPLES], index=tmp_path / "ix", jobs=1)


def test_an_update_run_counts_replaced_and_removed_articles_exactly(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.jsonl").write_text("".join(
        json.dumps({"id": f"x{i}", "title": f"Item {i}", "body": "heron"}) + "\n" for i in range(30)))
    (corpus / "b.txt").write_text("Bittern headline\n\nThe bittern story.\n")
    assert index_paths([corpus], index=tmp_path / "ix", jobs=1).ok
    # Rewrite a.jsonl: 10 of its ids again, 5 new ones; b.txt goes away.
    (corpus / "a.jsonl").write_text("".join(
        json.dumps({"id": f"x{i}", "title": f"Item {i} again", "body": "heron"}) + "\n" for i in range(25, 40)))
    (corpus / "b.txt").unlink()
    report = index_paths([corpus], index=tmp_path / "ix", jobs=2, prune=True)
    # 26 articles gone (25 of a.jsonl's old ids and b.txt's one); x25-x29 replaced, x30-x39 new.
    assert report.ok and report.articles == 15 and report.articles_removed == 26
    assert (report.inputs["replaced"], report.inputs["new"], report.files_removed) == (5, 10, 1)
    from newsearch import Archive

    with Archive.open(tmp_path / "ix") as archive:
        assert len(archive) == 15 and archive.search("heron").total == 15
        assert archive.get("x25").title == "Item 25 again"
        with pytest.raises(KeyError):
            archive.get("x3")


@pytest.mark.parametrize("rebuild", [False, True])
def test_private_segments_left_by_a_killed_run_do_not_block_the_next(tmp_path, rebuild):
    path = tmp_path / "ix"
    assert index_paths([EXAMPLES / "text"], index=path, jobs=1).ok
    for folder in (path, path.with_name("ix.building")):
        leftover = folder / PARTS_DIR / "0123abcd"
        leftover.mkdir(parents=True)
        (leftover / "MAIN_0123456789abcdef.seg").write_bytes(b"half a segment")
    report = index_paths([EXAMPLES], index=path, jobs=1, rebuild=rebuild)
    assert report.ok, [str(f) for f in report.failures]
    assert not (path / PARTS_DIR).exists()


def _segment_sizes(path: Path) -> list[int]:
    ix, _ = store.open_index(path)
    return sorted(s.doc_count_all() for s in ix._segments())


def test_commits_never_rewrite_big_segments_and_fold_small_ones_together(tmp_path, monkeypatch):
    import newsearch.engine.segments as segments

    monkeypatch.setattr(segments, "SMALL_SEGMENT", 25)
    monkeypatch.setattr(segments, "SMALL_SEGMENTS_TO_MERGE", 4)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(256):
        (corpus / f"big{i:03d}.txt").write_text(f"Big {i}\n\nThe big osprey story {i}.\n")
    path = tmp_path / "ix"
    assert index_paths([corpus], index=path, jobs=2, batch_size=64).ok
    big = _segment_sizes(path)
    assert big == [64, 64, 64, 64]  # a build's batches stay as written
    for run in range(5):  # small update runs, one small segment each
        (corpus / f"small{run}.txt").write_text(f"Small {run}\n\nThe small osprey note {run}.\n")
        assert index_paths([corpus], index=path, jobs=1).ok
    sizes = _segment_sizes(path)
    assert sizes.count(4) == 1 and sizes.count(1) == 1  # four small ones were merged, the fifth waits
    assert [size for size in sizes if size >= 25] == big
    from newsearch import Archive

    with Archive.open(path) as archive:
        assert archive.search("osprey").total == 261


def test_batch_after_batch_in_one_process_reuses_the_analysis_caches(tmp_path):
    from newsearch.engine import analyzers as analysis

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(200):
        (corpus / f"n{i:03d}.txt").write_text(f"Note {i}\n\nRunning runners ran {i} races.\n")
    assert index_paths([corpus], index=tmp_path / "one", jobs=1, batch_size=64).ok
    caches = len(analysis._stem_caches)
    assert index_paths([corpus], index=tmp_path / "two", jobs=1, batch_size=64).ok  # four more batches
    assert len(analysis._stem_caches) == caches


def test_a_schema_that_has_indexed_text_still_pickles_without_its_cache():
    import pickle

    schema = store.build_schema(store.IndexOptions())
    assert schema["body"].index("Runners ran")  # takes the fast path, cached on the field
    copy = pickle.loads(pickle.dumps(schema))
    assert "_fast_index" not in copy["body"].__dict__
    assert sorted(copy["body"].index("Runners ran")) == sorted(schema["body"].index("Runners ran"))


def _segment_files(path: Path) -> dict[str, bytes]:
    """The bytes of each file in the index's one segment, by extension."""
    ix, _ = store.open_index(path)
    (segment,) = ix._segments()
    storage = segment.open_compound_file(ix.storage) if segment.is_compound() else ix.storage
    prefix = segment.segment_id()
    files = {}
    for name in storage.list():
        if name.startswith(prefix):
            with storage.open_file(name) as fh:
                files[name[len(prefix):]] = bytes(fh.read(storage.file_length(name)))
    return files


def _many_postings() -> list[Article]:
    """Enough articles that common words fill several posting blocks (128 postings),
    with lengths and repeats that vary from block to block."""
    words = ["osprey", "harbour", "council", "tariff", "drought", "ferry", "quarry", "ballot"]
    articles = []
    for i in range(700):
        chosen = [words[(i + k) % len(words)] for k in range(1 + i % 5)]
        body = " ".join(chosen * (1 + i % 3)) + f". Report number {i} on {' '.join(chosen)}." + " filler" * (i % 40)
        articles.append(Article(id=f"a{i}", path=f"a{i}.txt", title=f"{chosen[0].title()} item {i}",
                                body=body, section=["world", "sport", "arts"][i % 3]))
    return articles


def test_postings_gathered_per_term_read_as_whooshs_pool_writes_them_with_or_without_runs(tmp_path):
    """The block-at-a-time writer (postings.py), in memory and through run files, against
    the same postings poured through Whoosh's own pool and per-posting writer."""
    articles = _many_postings()
    for name, limit, through_pool in (("memory", 64, False), ("runs", 0, False), ("pool", 64, True)):
        path = tmp_path / name
        ix = store.create_index(path)
        builder = SegmentBuilder(str(path), ix.schema, limitmb=limit)
        builder._writer._whoosh_pool_used = through_pool
        for article in articles:
            builder.add(store.article_fields(article))
        with store.IndexWriter(str(path), ix) as writer:
            writer.add_segment(builder.finish())
    memory, runs = _segment_files(tmp_path / "memory"), _segment_files(tmp_path / "runs")
    pool = _segment_files(tmp_path / "pool")
    assert {".pst", ".trm"} <= set(memory) and memory.keys() == pool.keys()
    assert memory == runs  # a spill changes nothing in the files
    assert len(memory[".pst"]) <= len(pool[".pst"])  # equal values shared in each block
    ours = _contents(tmp_path / "memory", blocks=True)
    assert ours == _contents(tmp_path / "pool", blocks=True)
    assert ours["postings"][("body", b"osprey")][0][0] > 256  # several blocks per term


def test_run_files_keep_every_value_of_every_term_in_document_order(tmp_path):
    from newsearch.engine.postings import TermPostings

    postings = TermPostings(str(tmp_path), limitmb=0.01)  # a run file every few dozen documents
    shared = b"one object in many postings"
    expected: dict = {}
    for docnum in range(400):
        # Terms of growing and shrinking postings, one value object shared by many:
        # what a run file must give back object for object.
        items = [(f"w{k}".encode(), 1, float(k), shared if (docnum + k) % 2 else f"v{docnum}-{k}".encode())
                 for k in range(1 + docnum % 9)]
        for field in ("author", "body"):
            postings.add(field, docnum, items)
            for term, _, weight, value in items:
                expected.setdefault((field, term), []).append((docnum, weight, value))
    got: dict = {}
    for field, term, ids, weights, values in postings.records():
        got[(field, term)] = list(zip(ids, weights, values))
    assert got == expected
    assert list(got) == sorted(expected)
    assert len(postings._runs) > 5
    postings.cleanup()
    assert not list(tmp_path.iterdir())


def test_occurrences_filed_flat_give_the_postings_filed_term_by_term(tmp_path):
    """add_flat (terms and positions side by side, grouped by sorting) against add
    (one tuple per term): the same records, term order by UTF-8 bytes (accents, CJK and
    characters beyond the BMP among them), in memory, through run files, and for a field
    whose documents came both ways."""
    import random
    from newsearch.engine.postings import TermPostings, encode_positions

    rng = random.Random(5)
    words = ["oil", "öl", "ol", "zebra", "東京", "𝔘nicode", "a", "ab", "b", "ferry", "élysée", "z"]
    docs = []
    for docnum in range(300):
        terms, places = [], []
        for position in sorted(rng.sample(range(1 << 21, (1 << 21) + 80), rng.randint(0, 25))):
            terms.append(rng.choice(words))
            places.append(position)
        docs.append((terms, places))

    def by_term(terms, places):
        found: dict[str, list[int]] = {}
        for term, at in zip(terms, places):
            found.setdefault(term, []).append(at)
        return [(t.encode("utf-8"), len(w), len(w) * 2.0, encode_positions(w)) for t, w in found.items()]

    def records(postings):
        return [(f, t, list(i), list(w), list(v)) for f, t, i, w, v in postings.records()]

    reference = TermPostings(str(tmp_path), limitmb=64)
    for docnum, (terms, places) in enumerate(docs):
        reference.add("body", docnum, by_term(terms, places))
    expected = records(reference)
    assert [r[1] for r in expected] == sorted(r[1] for r in expected) and len(expected) == len(words)
    for limit, mixed in ((64, False), (0.001, False), (64, True), (0.001, True)):
        flat = TermPostings(str(tmp_path), limitmb=limit)
        for docnum, (terms, places) in enumerate(docs):
            if mixed and docnum % 3 == 0:
                flat.add("body", docnum, by_term(terms, places))
            else:
                assert flat.add_flat("body", docnum, terms, places, 2.0) == len(terms)
        assert records(flat) == expected, (limit, mixed)
        assert (flat.spills > 3) == (limit < 1)
        flat.cleanup()


def test_frequent_terms_come_with_the_positions_their_values_encode(tmp_path):
    """A frequent term of a positional field comes with its occurrence counts and
    positions as arrays (what the term arrays store without decoding the values
    again): they must be what its values decode to, with or without run files, and
    when the field's terms are merged from several runs."""
    import random
    from newsearch.engine.postings import TermPostings
    from newsearch.engine.term_arrays import MIN_POSTINGS, position_decoder
    from whoosh.formats import Positions

    decode = position_decoder(Positions())
    rng = random.Random(11)
    words = ["tide", "harbour", "zinc", "ölfeld", "rare"]
    docs = []
    for docnum in range(400):
        places = sorted(rng.sample(range(1 << 20, (1 << 20) + 200), rng.randint(1, 30)))
        terms = [rng.choice(words[:4]) for _ in places]
        if docnum % 25 == 0:
            terms[0] = "rare"  # 16 postings: no arrays
        docs.append((terms, places))
    for limit in (64, 0.002):
        postings = TermPostings(str(tmp_path), limitmb=limit)
        for docnum, (terms, places) in enumerate(docs):
            postings.add_flat("body", docnum, terms, places, 1.0)
        with_arrays = 0
        for _, term, ids, _, values, raw in postings.full_records():
            if len(ids) < MIN_POSTINGS:
                assert raw is None
                continue
            with_arrays += 1
            counts, positions = raw
            decoded = [decode(value) for value in values]
            assert counts.tolist() == [len(found) for found in decoded], term
            assert positions.tolist() == [p for found in decoded for p in found], term
            expected = [docnum for docnum, (terms, _) in enumerate(docs) if term.decode() in terms]
            assert list(ids) == expected
        assert with_arrays == 4 and (postings.spills > 3) == (limit < 1)
        postings.cleanup()
    assert not list(tmp_path.iterdir())


def test_stored_fields_are_deflated_by_libdeflate_when_installed_and_read_back(tmp_path):
    deflate = pytest.importorskip("deflate")
    articles = _example_articles()
    ix = store.create_index(tmp_path)
    builder = SegmentBuilder(str(tmp_path), ix.schema, limitmb=64)
    assert builder._writer.perdocwriter._colwriters["_stored"]._child._compress is deflate.zlib_compress
    for article in articles:
        builder.add(store.article_fields(article))
    with store.IndexWriter(str(tmp_path), ix) as writer:
        writer.add_segment(builder.finish())
    ix, _ = store.open_index(tmp_path)
    with ix.searcher() as searcher:
        stored = {fields["id"]: fields for fields in searcher.all_stored_fields()}
    assert {a.id for a in articles} == set(stored)
    assert all(stored[a.id]["body"] == a.body and stored[a.id]["title"] == a.title for a in articles)
