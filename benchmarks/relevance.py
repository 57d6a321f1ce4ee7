"""Relevance benchmark: newsearch against plain Whoosh, SQLite FTS5 and tantivy.

Indexes the TIME test collection (../shared/corpus/relevance/time: 423 articles,
queries.tsv, qrels.tsv) with every engine, runs each query with its words ORed,
and prints MAP, P@10, nDCG@10 and R@100 side by side.  Then a two-fold check of
the ranking defaults: each setting grid is tuned on one half of the queries and
scored on the other, to show the defaults are not fitted to these 41 queries.

    python benchmarks/relevance.py [--collection DIR] [--no-cv]
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

DEFAULT_COLLECTION = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "relevance" / "time"
DEPTH = 1000  # ranks scored for MAP
_WORD = re.compile(r"\w+")

Ranking = dict[str, list[str]]  # query id -> document ids, best first


# ---------------------------------------------------------------------------
# The collection and the measures


@dataclass(frozen=True)
class Collection:
    docs: list[dict]
    queries: dict[str, str]
    qrels: dict[str, set[str]]


def load_collection(folder: Path) -> Collection:
    with open(folder / "articles.jsonl", encoding="utf-8") as handle:
        docs = [json.loads(line) for line in handle if line.strip()]
    queries = {}
    for line in (folder / "queries.tsv").read_text(encoding="utf-8").splitlines():
        qid, _, text = line.partition("\t")
        if qid.strip() and text.strip():
            queries[qid.strip()] = text.strip()
    qrels: dict[str, set[str]] = {}
    for line in (folder / "qrels.tsv").read_text(encoding="utf-8").splitlines():
        qid, _, docid = line.partition("\t")
        if qid.strip() and docid.strip():
            qrels.setdefault(qid.strip(), set()).add(docid.strip())
    queries = {q: t for q, t in queries.items() if q in qrels}
    return Collection(docs, queries, qrels)


def average_precision(ranked: Sequence[str], relevant: set[str]) -> float:
    found, total = 0, 0.0
    for rank, docid in enumerate(ranked[:DEPTH], start=1):
        if docid in relevant:
            found += 1
            total += found / rank
    return total / len(relevant) if relevant else 0.0


def precision_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return sum(1 for d in ranked[:k] if d in relevant) / k


def ndcg_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if d in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def recall_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


MEASURES: dict[str, Callable[[Sequence[str], set[str]], float]] = {
    "MAP": average_precision,
    "P@10": lambda r, rel: precision_at(r, rel, 10),
    "nDCG@10": lambda r, rel: ndcg_at(r, rel, 10),
    "R@100": lambda r, rel: recall_at(r, rel, 100),
}


def evaluate(ranking: Ranking, qrels: dict[str, set[str]], qids: Iterable[str]) -> dict[str, float]:
    qids = list(qids)
    return {
        name: sum(measure(ranking.get(q, []), qrels[q]) for q in qids) / len(qids)
        for name, measure in MEASURES.items()
    }


def query_words(text: str) -> list[str]:
    """The query's words for engines whose syntax needs quoting (FTS5, tantivy)."""
    return _WORD.findall(text.lower())


# ---------------------------------------------------------------------------
# Other engines, each in its documented default configuration


def run_plain_whoosh(col: Collection, workdir: Path) -> Ranking:
    """Whoosh out of the box: StandardAnalyzer, BM25F defaults, title + body, words ORed."""
    from whoosh import fields, index, qparser

    schema = fields.Schema(id=fields.ID(stored=True), title=fields.TEXT, body=fields.TEXT)
    ix = index.create_in(str(workdir), schema)
    with ix.writer() as writer:
        for doc in col.docs:
            writer.add_document(id=doc["id"], title=doc["title"], body=doc["body"])
    parser = qparser.MultifieldParser(["title", "body"], schema, group=qparser.OrGroup)
    ranking = {}
    with ix.searcher() as searcher:
        for qid, text in col.queries.items():
            results = searcher.search(parser.parse(text), limit=DEPTH)
            ranking[qid] = [hit["id"] for hit in results]
    return ranking


def run_fts5(col: Collection, workdir: Path) -> Ranking:
    """SQLite FTS5 with the porter tokenizer, ranked by bm25()."""
    db = sqlite3.connect(str(workdir / "fts.db"))
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, tokenize='porter')")
    db.executemany(
        "INSERT INTO docs (id, title, body) VALUES (?, ?, ?)",
        [(d["id"], d["title"], d["body"]) for d in col.docs],
    )
    db.commit()
    ranking = {}
    for qid, text in col.queries.items():
        match = " OR ".join(f'"{w}"' for w in query_words(text))
        rows = db.execute(
            "SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?", (match, DEPTH)
        ).fetchall()
        ranking[qid] = [row[0] for row in rows]
    db.close()
    return ranking


def run_tantivy(col: Collection, workdir: Path) -> Ranking | None:
    """tantivy with the en_stem tokenizer on title and body, words ORed (its default)."""
    try:
        import tantivy
    except ImportError:
        return None
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=False, tokenizer_name="en_stem")
    builder.add_text_field("body", stored=False, tokenizer_name="en_stem")
    schema = builder.build()
    index = tantivy.Index(schema, path=str(workdir))
    writer = index.writer()
    for doc in col.docs:
        writer.add_document(tantivy.Document(id=doc["id"], title=doc["title"], body=doc["body"]))
    writer.commit()
    index.reload()
    searcher = index.searcher()
    ranking = {}
    for qid, text in col.queries.items():
        query = index.parse_query(" ".join(query_words(text)), ["title", "body"])
        hits = searcher.search(query, DEPTH).hits
        ranking[qid] = [searcher.doc(address)["id"][0] for _, address in hits]
    return ranking


# ---------------------------------------------------------------------------
# newsearch: its own parser, Archive and query pipeline


def newsearch_articles(col: Collection, path: str) -> list:
    from newsearch.parse.records import parse_record

    return [parse_record(doc, path=path, line=n) for n, doc in enumerate(col.docs, start=1)]


def build_archive(col: Collection, workdir: Path, source: Path) -> Path:
    from newsearch import Archive

    path = workdir / "newsearch"
    archive = Archive.create(path, language="en")
    archive.add(newsearch_articles(col, str(source)))
    archive.close()
    return path


def run_newsearch(col: Collection, path: Path, *, feedback: bool) -> Ranking:
    """Queries through Archive.search with match="any", optionally with feedback."""
    import inspect

    from newsearch import Archive
    from newsearch.engine import query as nq

    public_feedback = "feedback" in inspect.signature(Archive.search).parameters
    ranking = {}
    with Archive.open(path) as archive:
        for qid, text in col.queries.items():
            if feedback and public_feedback:
                results = archive.search(text, match="any", limit=DEPTH, highlight=False, feedback=True)
            elif feedback:  # the request flag, until Archive.search passes it on
                request = nq.SearchRequest(text=text, match="any", limit=DEPTH, highlight=False, feedback=True)
                results = nq.run_search(archive._current_searcher(), request, facet_cache=nq.FacetCache())
            else:
                results = archive.search(text, match="any", limit=DEPTH, highlight=False)
            ranking[qid] = [hit.id for hit in results.hits]
    return ranking


# ---------------------------------------------------------------------------
# Settings: exact field lengths, and two-fold cross-validation


@dataclass(frozen=True)
class Setting:
    title: float = 2.0
    k1: float = 1.2
    proximity: float = 0.1
    docs: int = 0  # 0 = no feedback
    terms: int = 10
    original: float = 0.5

    def label(self) -> str:
        base = f"title {self.title:g}, k1 {self.k1:g}, proximity {self.proximity:g}"
        if not self.docs:
            return base + ", no feedback"
        return base + f", feedback {self.docs} docs/{self.terms} terms/{self.original:g}"


def run_setting(col: Collection, path: Path, setting: Setting, qids: Iterable[str],
                lengths: dict | None = None) -> Ranking:
    """Like run_newsearch, with explicit ranking settings (and optionally exact lengths)."""
    from whoosh import qparser

    from newsearch.engine import query as nq
    from newsearch.engine import ranking
    from newsearch.engine.store import open_index

    ix, _ = open_index(path)
    boosts = {**ranking.FIELD_BOOSTS, "title": setting.title}
    weights = {f: boosts[f] for f in ranking.TEXT_FIELDS}
    term_class = _exact_length_term(lengths) if lengths else ranking.FieldsTerm
    out = {}
    with ix.searcher(weighting=ranking.make_weighting(k1=setting.k1)) as searcher:
        parser = qparser.MultifieldParser(list(nq.SEARCH_FIELDS), ix.schema,
                                          fieldboosts=boosts, group=qparser.OrGroup)
        for qid in qids:
            query = ranking.combine_fields(parser.parse(col.queries[qid]), weights=weights, k1=setting.k1)
            if lengths:
                query = _swap_terms(query, term_class)
            query = ranking.add_proximity(query, schema=ix.schema, weight=setting.proximity)
            if setting.docs:
                query = ranking.expand_query(searcher, query, docs=setting.docs, terms=setting.terms,
                                             original_weight=setting.original, weights=weights,
                                             k1=setting.k1)
            out[qid] = [hit["id"] for hit in searcher.search(query, limit=DEPTH)]
    ix.close()
    return out


def exact_lengths(path: Path) -> dict[str, dict[int, int]]:
    """Token counts per document and text field, re-analysed from the stored text."""
    from newsearch.engine import ranking
    from newsearch.engine.store import open_index

    ix, _ = open_index(path)
    lengths: dict[str, dict[int, int]] = {f: {} for f in ranking.TEXT_FIELDS}
    with ix.searcher() as searcher:
        for docnum, stored in enumerate(searcher.all_stored_fields()):
            for fieldname in lengths:
                text = stored.get(fieldname) or ""
                analyzer = ix.schema[fieldname].analyzer
                lengths[fieldname][docnum] = sum(1 for _ in analyzer(text, mode="index"))
    ix.close()
    return lengths


def _exact_length_term(lengths: dict[str, dict[int, int]]) -> type:
    from newsearch.engine.ranking import FieldsTerm

    class ExactLengthTerm(FieldsTerm):
        """FieldsTerm reading exact lengths instead of Whoosh's one-byte approximation."""

        def matcher(self, searcher, context=None):
            original = searcher.doc_field_length
            searcher.doc_field_length = lambda docnum, fieldname, default=0: lengths[fieldname].get(docnum, default)
            try:
                return super().matcher(searcher, context)
            finally:
                searcher.doc_field_length = original

    return ExactLengthTerm


def _swap_terms(query, term_class):
    from newsearch.engine.ranking import FieldsTerm

    if isinstance(query, FieldsTerm):
        return term_class(query.text, query.weights, boost=query.boost, k1=query.k1, b=query.b,
                          field_b=query.field_b)
    return query.apply(lambda sub: _swap_terms(sub, term_class))


def cross_validate(col: Collection, path: Path, grid: list[Setting], default: Setting) -> list[tuple]:
    """Tune on one half of the queries (by position), score on the other, both ways."""
    qids = sorted(col.queries, key=lambda q: (len(q), q))
    halves = (qids[0::2], qids[1::2])
    per_query = {}
    for setting in dict.fromkeys(grid + [default]):
        ranking = run_setting(col, path, setting, qids)
        per_query[setting] = {q: average_precision(ranking[q], col.qrels[q]) for q in qids}

    def mean(setting: Setting, half: list[str]) -> float:
        return sum(per_query[setting][q] for q in half) / len(half)

    rows = []
    for name, train, test in (("odd", halves[0], halves[1]), ("even", halves[1], halves[0])):
        best = max(grid, key=lambda s: mean(s, train))
        rows.append((name, best.label(), mean(best, train), mean(best, test), mean(default, test)))
    return rows


# ---------------------------------------------------------------------------
# Running everything


def print_table(rows: list[tuple[str, dict[str, float] | None, float]]) -> None:
    names = list(MEASURES)
    width = max(len(r[0]) for r in rows)
    print(f"{'engine':<{width}}  " + "  ".join(f"{n:>7}" for n in names) + "  seconds")
    for label, scores, seconds in rows:
        if scores is None:
            print(f"{label:<{width}}  (not installed)")
            continue
        print(f"{label:<{width}}  " + "  ".join(f"{scores[n]:7.3f}" for n in names) + f"  {seconds:7.1f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--collection", type=Path, default=DEFAULT_COLLECTION)
    parser.add_argument("--no-cv", action="store_true", help="skip exact lengths and cross-validation")
    args = parser.parse_args(argv)
    if not (args.collection / "articles.jsonl").exists():
        print(f"no collection at {args.collection}", file=sys.stderr)
        return 2
    col = load_collection(args.collection)
    print(f"TIME collection: {len(col.docs)} articles, {len(col.queries)} queries, words ORed, "
          f"ranked to depth {DEPTH}\n")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for label, runner in (("plain Whoosh (StandardAnalyzer, BM25F)", run_plain_whoosh),
                              ("SQLite FTS5 (porter, bm25)", run_fts5),
                              ("tantivy (en_stem)", run_tantivy)):
            folder = work / label.split()[0].lower()
            folder.mkdir(exist_ok=True)
            started = time.perf_counter()
            ranking = runner(col, folder)
            rows.append((label, evaluate(ranking, col.qrels, col.queries) if ranking else None,
                         time.perf_counter() - started))
        started = time.perf_counter()
        path = build_archive(col, work, args.collection / "articles.jsonl")
        build_seconds = time.perf_counter() - started
        for label, feedback in (("newsearch", False), ("newsearch, feedback=True", True)):
            started = time.perf_counter()
            ranking = run_newsearch(col, path, feedback=feedback)
            rows.append((label, evaluate(ranking, col.qrels, col.queries),
                         build_seconds + time.perf_counter() - started))
        print_table(rows)
        if args.no_cv:
            return 0

        print("\nExact field lengths instead of Whoosh's one-byte lengths (no feedback):")
        lengths = exact_lengths(path)
        plain = Setting()
        exact_rows = [
            ("byte lengths", evaluate(run_setting(col, path, plain, col.queries), col.qrels, col.queries), 0.0),
            ("exact lengths", evaluate(run_setting(col, path, plain, col.queries, lengths), col.qrels,
                                       col.queries), 0.0),
        ]
        print_table(exact_rows)
        change = exact_rows[1][1]["MAP"] - exact_rows[0][1]["MAP"]  # type: ignore[index]
        print(f"MAP change from exact lengths: {change:+.4f}")

        print("\nTwo-fold cross-validation of the ranking settings (MAP):")
        default = Setting(docs=_default_feedback().docs, terms=_default_feedback().terms,
                          original=_default_feedback().original)
        grid = [Setting(title=t, k1=k) for t in (1.0, 2.0, 3.0) for k in (0.9, 1.2, 1.6)]
        grid += [Setting(proximity=p) for p in (0.0, 0.2)]
        grid += [Setting(docs=d, terms=n, original=o) for d in (3, 5, 10) for n in (10, 20) for o in (0.5, 0.7)]
        print(f"default: {default.label()}")
        print(f"{'tuned on':<9} {'best setting on that half':<72} {'train':>6} {'test':>6} {'default':>8}")
        for name, label, train, test, fixed in cross_validate(col, path, grid, default):
            print(f"{name:<9} {label:<72} {train:6.3f} {test:6.3f} {fixed:8.3f}")
    return 0


def _default_feedback() -> Setting:
    from newsearch.engine import ranking

    return Setting(docs=ranking.FEEDBACK_DOCS, terms=ranking.FEEDBACK_TERMS,
                   original=ranking.FEEDBACK_ORIGINAL_WEIGHT)


if __name__ == "__main__":
    sys.exit(main())
