"""Indexing and query speed: newsearch against plain Whoosh, SQLite FTS5 and tantivy.

Why one script and one run: speed claims only mean something as ratios taken on
the same machine, the same articles and the same fields, minutes apart.  Each
engine indexes title, byline, authors, section, year, date and body (all stored)
in its own subprocess, so peak memory is per engine; then a second subprocess
per engine runs the same seeded query mix (single words, two-word AND, phrases,
a word inside a date window), each asking for the top 10 titles plus section,
author and year facet counts.  Plain Whoosh is the baseline every ratio refers
to: one writer, StandardAnalyzer, stored ID/KEYWORD fields, FieldFacet groups.

    /tmp/venv/bin/python benchmarks/speed.py --n 20000
    /tmp/venv/bin/python benchmarks/speed.py --reuters --engines newsearch,whoosh,fts5
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import corpus  # noqa: E402  (benchmarks/ is a folder of scripts, not a package)

REUTERS = HERE.parent.parent / "shared" / "corpus" / "jsonl" / "reuters21578.jsonl.gz"
ENGINES = ("newsearch", "whoosh", "fts5", "tantivy")
OPTIONAL_ENGINES = ("whoosh-procs",)  # plain Whoosh with procs=--jobs, for reference
FACETS = ("section", "author", "year")
QUERY_MIX = (("word", 0.4), ("and", 0.25), ("phrase", 0.2), ("date", 0.15))
WARMUP_QUERIES = 10
# Common English words that every engine's analyzer treats differently; queries avoid them.
STOP = frozenset(
    "a an and are as at be by can for from have if in is it may not of on or said tbe "
    "that the this to us we when will with yet you your was were he she his her its "
    "has had they their which been would more than over into also who after about".split()
)
try:  # the stop list newsearch and Whoosh use for English: a query of these alone finds nothing to rank
    from whoosh.lang import stopwords_for_language

    STOP = STOP | frozenset(stopwords_for_language("en"))
except ImportError:  # pragma: no cover - whoosh is installed with newsearch
    pass
TOKEN = re.compile(r"\w+")
WORD = re.compile(r"[^\W\d_]{3,}")


def searchable(token: str) -> bool:
    """A word every engine indexes as itself: letters only, not short, not a stop word."""
    return token not in STOP and WORD.fullmatch(token) is not None


# -- the articles, the same for every engine --------------------------------------

def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """JSON Lines (optionally gzipped) normalised to the benchmark's fields."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield normalise(json.loads(line))


def normalise(rec: dict[str, Any]) -> dict[str, Any]:
    """Fields every engine indexes; the date becomes naive UTC, the year follows it."""
    byline = rec.get("byline") or ""
    authors = rec.get("authors") or split_byline(byline)
    date = None
    if rec.get("date"):
        date = datetime.fromisoformat(rec["date"])
        if date.tzinfo is not None:
            date = date.astimezone(timezone.utc).replace(tzinfo=None)
    return {
        "id": str(rec["id"]),
        "title": rec.get("title") or "",
        "byline": byline,
        "authors": list(authors),
        "section": rec.get("section") or "",
        "date": date,
        "year": date.year if date else None,
        "body": rec.get("body") or "",
    }


def split_byline(byline: str) -> list[str]:
    text = re.sub(r"^\s*by\s+", "", byline, flags=re.I)
    return [p.strip() for p in re.split(r",|\band\b", text) if p.strip()]


def prepare_data(args: argparse.Namespace) -> tuple[Path, Path | None]:
    """The JSONL input and, when newsearch runs, the same articles as HTML pages."""
    want_html = "newsearch" in args.engines and not args.no_html
    if args.reuters:
        jsonl = Path(args.reuters_path)
        folder = args.workdir / "data-reuters"
        html_dir = folder / "html" if want_html else None
        if html_dir and not (folder / "html.done").exists():
            shutil.rmtree(html_dir, ignore_errors=True)
            for k, rec in enumerate(read_raw(jsonl)):
                page = corpus.to_html({**rec, "authors": split_byline(rec.get("byline") or ""),
                                       "tags": [], "url": rec.get("url") or ""})
                sub = html_dir / f"{k // corpus.FILES_PER_FOLDER:04d}"
                sub.mkdir(parents=True, exist_ok=True)
                (sub / f"{rec['id']}.html").write_text(page, encoding="utf-8")
            (folder / "html.done").touch()
        return jsonl, html_dir
    folder = args.workdir / f"data-synthetic-{args.n}-seed{args.seed}"
    jsonl = folder / "articles.jsonl"
    if not (folder / "jsonl.done").exists():
        corpus.write(args.n, out=folder, fmt="jsonl", seed=args.seed)
        (folder / "jsonl.done").touch()
    html_dir = None
    if want_html:
        html_dir = folder / "html"
        if not (folder / "html.done").exists():
            shutil.rmtree(html_dir, ignore_errors=True)
            corpus.write(args.n, out=html_dir, fmt="html", seed=args.seed)
            (folder / "html.done").touch()
    return jsonl, html_dir


def read_raw(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


# -- the query mix ----------------------------------------------------------------

def make_queries(path: Path, *, count: int, seed: int, sample: int = 3000) -> list[dict[str, Any]]:
    """A seeded mix drawn from the first `sample` articles.

    Words and phrases are picked in proportion to how many articles hold them,
    as people search for what the archive talks about: content words found in
    1%-30% of articles, adjacent word pairs (names, set phrases) found in at
    least three, and date windows a fifth of the corpus's time span.
    """
    rng = random.Random(seed)
    words: dict[str, int] = {}
    pairs: dict[tuple[str, str], int] = {}
    dates: list[datetime] = []
    seen = 0
    for rec in read_records(path):
        if seen >= sample:
            break
        seen += 1
        tokens = [w.lower() for w in TOKEN.findall(rec["title"] + " " + rec["body"])]
        for w in set(tokens):
            words[w] = words.get(w, 0) + 1
        for pair in set(zip(tokens, tokens[1:])):
            pairs[pair] = pairs.get(pair, 0) + 1
        if rec["date"]:
            dates.append(rec["date"])
    lo, hi = max(2, seen // 100), max(3, seen * 3 // 10)
    word_pool = [(w, n) for w, n in sorted(words.items()) if lo <= n <= hi and searchable(w)]
    pair_pool = [(p, n) for p, n in sorted(pairs.items()) if searchable(p[0]) and searchable(p[1])]
    pair_pool = [(p, n) for p, n in pair_pool if n >= 3] or pair_pool
    pick_word = lambda: rng.choices(word_pool, [n for _, n in word_pool])[0][0]  # noqa: E731
    first, last = min(dates), max(dates)
    span = (last - first) / 5
    kinds, weights = zip(*QUERY_MIX)
    queries = []
    for _ in range(count):
        kind = rng.choices(kinds, weights)[0]
        q: dict[str, Any] = {"kind": kind, "terms": [pick_word()], "phrase": False}
        if kind == "and":
            q["terms"].append(pick_word())
        elif kind == "phrase":
            q["terms"], q["phrase"] = list(rng.choices(pair_pool, [n for _, n in pair_pool])[0][0]), True
        elif kind == "date":
            start = first + (last - first - span) * rng.random()
            q["since"], q["until"] = start.isoformat(), (start + span).isoformat()
        queries.append(q)
    return queries


HEADLINE_MIX = (("word", 0.4), ("and", 0.3), ("phrase", 0.3))


def make_headline_queries(path: Path, *, count: int, seed: int) -> list[dict[str, Any]]:
    """A seeded mix drawn from headlines, each word as likely as any other: single
    words, two-word AND and two-word phrases, so rare words (one or two hits, where
    "did you mean" is looked up) come up as often as people type them."""
    rng = random.Random(seed)
    titles = [[w.lower() for w in TOKEN.findall(rec["title"])] for rec in read_records(path)]
    titles = [t for t in titles if sum(map(searchable, t)) >= 1]
    kinds, weights = zip(*HEADLINE_MIX)
    queries = []
    while len(queries) < count:
        title = rng.choice(titles)
        words = [w for w in title if searchable(w)]
        kind = rng.choices(kinds, weights)[0]
        pairs = [p for p in zip(title, title[1:]) if searchable(p[0]) and searchable(p[1])]
        if kind == "phrase" and pairs:
            queries.append({"kind": kind, "terms": list(rng.choice(pairs)), "phrase": True})
        elif kind == "and" and len(set(words)) >= 2:
            queries.append({"kind": kind, "terms": rng.sample(sorted(set(words)), 2), "phrase": False})
        elif kind == "word":
            queries.append({"kind": kind, "terms": [rng.choice(words)], "phrase": False})
    return queries


def query_text(q: dict[str, Any]) -> str:
    """Whoosh/newsearch syntax: space means AND, quotes make a phrase."""
    joined = " ".join(q["terms"])
    return f'"{joined}"' if q["phrase"] else joined


def window(q: dict[str, Any]) -> tuple[datetime, datetime] | None:
    if "since" not in q:
        return None
    return datetime.fromisoformat(q["since"]), datetime.fromisoformat(q["until"])


# -- engines: each has build(records, path, jobs) -> count and open(path) -> run(q) -----

def whoosh_schema():
    from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, TEXT, Schema

    return Schema(
        id=ID(stored=True, unique=True), title=TEXT(stored=True), byline=TEXT(stored=True),
        author=KEYWORD(stored=True, commas=True, lowercase=False), section=ID(stored=True),
        year=NUMERIC(stored=True), date=DATETIME(stored=True), body=TEXT(stored=True),
    )


def whoosh_build(records: Iterator[dict], path: Path, jobs: int, *, procs: int = 1) -> int:
    from whoosh import index

    ix = index.create_in(str(path), whoosh_schema())
    writer = ix.writer(procs=procs, limitmb=128, multisegment=procs > 1) if procs > 1 else ix.writer()
    for rec in records:
        fields = {k: v for k, v in rec.items() if k != "authors" and v not in (None, "")}
        if rec["authors"]:
            fields["author"] = ",".join(rec["authors"])
        writer.add_document(**fields)
    writer.commit()
    return ix.doc_count()


def whoosh_procs_build(records: Iterator[dict], path: Path, jobs: int) -> int:
    return whoosh_build(records, path, jobs, procs=max(2, jobs))


def whoosh_open(path: Path) -> Callable[[dict], tuple[int, list[str], dict]]:
    from whoosh import index, sorting
    from whoosh.qparser import MultifieldParser
    from whoosh.query import DateRange

    ix = index.open_dir(str(path))
    searcher = ix.searcher()
    parser = MultifieldParser(["title", "body"], ix.schema)
    facets = {"section": sorting.FieldFacet("section"),
              "author": sorting.FieldFacet("author", allow_overlap=True),
              "year": sorting.FieldFacet("year")}

    def run(q: dict) -> tuple[int, list[str], dict]:
        span = window(q)
        flt = DateRange("date", span[0], span[1]) if span else None
        results = searcher.search(parser.parse(query_text(q)), limit=10, groupedby=facets,
                                  maptype=sorting.Count, filter=flt)
        titles = [hit["title"] for hit in results]
        return len(results), titles, {f: results.groups(f) for f in FACETS}

    return run


def fts5_build(records: Iterator[dict], path: Path, jobs: int) -> int:
    db = sqlite3.connect(path / "fts5.db")
    db.executescript(
        "CREATE VIRTUAL TABLE docs USING fts5(title, byline, body);"
        "CREATE TABLE meta(id INTEGER PRIMARY KEY, docid TEXT, section TEXT, year INT, date TEXT);"
        "CREATE TABLE authors(doc INTEGER, author TEXT);"
    )
    count = 0
    with db:
        for rowid, rec in enumerate(records, 1):
            db.execute("INSERT INTO docs(rowid, title, byline, body) VALUES (?,?,?,?)",
                       (rowid, rec["title"], rec["byline"], rec["body"]))
            db.execute("INSERT INTO meta VALUES (?,?,?,?,?)",
                       (rowid, rec["id"], rec["section"], rec["year"],
                        rec["date"].isoformat() if rec["date"] else None))
            db.executemany("INSERT INTO authors VALUES (?,?)", [(rowid, a) for a in rec["authors"]])
            count = rowid
        db.execute("CREATE INDEX authors_doc ON authors(doc)")
        db.execute("CREATE INDEX meta_date ON meta(date)")
    db.close()
    return count


def fts5_open(path: Path) -> Callable[[dict], tuple[int, list[str], dict]]:
    db = sqlite3.connect(path / "fts5.db")

    def run(q: dict) -> tuple[int, list[str], dict]:
        joined = " ".join(f'"{t}"' for t in q["terms"])
        match = "{title body} : " + (f'"{" ".join(q["terms"])}"' if q["phrase"] else joined)
        span = window(q)
        within, params = "", [match]
        if span:
            # CROSS JOIN keeps the full-text match as the outer loop; otherwise SQLite may
            # probe the FTS index once per article in the date window.
            within = " CROSS JOIN meta ON meta.id = docs.rowid AND meta.date BETWEEN ? AND ?"
            params = [span[0].isoformat(), span[1].isoformat(), match]
        db.execute("DROP TABLE IF EXISTS temp.hits")
        db.execute("CREATE TEMP TABLE hits AS SELECT docs.rowid AS id, docs.rank AS score FROM docs"
                   f"{within} WHERE docs MATCH ?", params)
        titles = [r[0] for r in db.execute(
            "SELECT title FROM (SELECT id, score FROM hits ORDER BY score LIMIT 10) "
            "JOIN docs ON docs.rowid = id ORDER BY score")]
        facets = {
            "section": dict(db.execute("SELECT section, count(*) FROM meta JOIN hits USING(id) GROUP BY 1")),
            "year": dict(db.execute("SELECT year, count(*) FROM meta JOIN hits USING(id) GROUP BY 1")),
            "author": dict(db.execute("SELECT author, count(*) FROM authors JOIN hits ON doc = id "
                                      "GROUP BY 1 ORDER BY 2 DESC LIMIT 10")),
        }
        total = db.execute("SELECT count(*) FROM hits").fetchone()[0]
        return total, titles, facets

    return run


def tantivy_schema():
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    for name in ("title", "byline", "body"):
        sb.add_text_field(name, stored=True)
    for name in ("section", "author"):
        sb.add_text_field(name, stored=True, fast=True, tokenizer_name="raw")
    sb.add_integer_field("year", stored=True, indexed=True, fast=True)
    sb.add_date_field("date", stored=True, indexed=True, fast=True)
    return sb.build()


def tantivy_build(records: Iterator[dict], path: Path, jobs: int) -> int:
    import tantivy

    index = tantivy.Index(tantivy_schema(), path=str(path))
    writer = index.writer(heap_size=128_000_000, num_threads=jobs)
    for rec in records:
        doc = tantivy.Document(id=rec["id"], title=rec["title"], byline=rec["byline"],
                               body=rec["body"], section=rec["section"])
        for name in rec["authors"]:
            doc.add_text("author", name)
        if rec["date"]:
            doc.add_integer("year", rec["year"])
            doc.add_date("date", rec["date"].replace(tzinfo=timezone.utc))
        writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return index.searcher().num_docs


def tantivy_open(path: Path) -> Callable[[dict], tuple[int, list[str], dict]]:
    import tantivy

    index = tantivy.Index.open(str(path))
    searcher = index.searcher()
    aggs = {"section": {"terms": {"field": "section", "size": 50}},
            "author": {"terms": {"field": "author", "size": 10}},
            "year": {"terms": {"field": "year", "size": 100}}}

    def run(q: dict) -> tuple[int, list[str], dict]:
        text = query_text(q) if q["phrase"] else " ".join("+" + t for t in q["terms"])
        query = index.parse_query(text, ["title", "body"])
        span = window(q)
        if span:
            dates = tantivy.Query.range_query(
                index.schema, "date", tantivy.FieldType.Date,
                span[0].replace(tzinfo=timezone.utc), span[1].replace(tzinfo=timezone.utc))
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, dates)])
        result = searcher.search(query, 10)
        titles = [searcher.doc(addr)["title"][0] for _, addr in result.hits]
        found = searcher.aggregate(query, aggs)
        facets = {f: {b["key"]: b["doc_count"] for b in found[f]["buckets"]} for f in FACETS}
        return result.count, titles, facets

    return run


def newsearch_build(source: Path, path: Path, jobs: int) -> int:
    from newsearch import index_paths

    report = index_paths([str(source)], index=str(path), jobs=jobs, progress=None)
    if not report.ok:
        raise RuntimeError(f"newsearch indexing reported failures: {report.summary()}")
    return report.articles


def newsearch_open(path: Path) -> Callable[[dict], tuple[int, list[str], dict]]:
    from newsearch import Archive

    archive = Archive.open(str(path))

    def run(q: dict) -> tuple[int, list[str], dict]:
        span = window(q)
        options = {"since": span[0], "until": span[1]} if span else {}
        # No snippets: the other engines return titles only.
        results = archive.search(query_text(q), facets=FACETS, highlight=False, **options)
        titles = [hit.title for hit in results.hits]
        return results.total, titles, dict(results.facets)

    return run


BUILDERS = {"whoosh": whoosh_build, "whoosh-procs": whoosh_procs_build, "fts5": fts5_build,
            "tantivy": tantivy_build}
OPENERS = {"whoosh": whoosh_open, "whoosh-procs": whoosh_open, "fts5": fts5_open,
           "tantivy": tantivy_open, "newsearch": newsearch_open}


# -- worker side: one subprocess per (engine, task) ------------------------------------

def peak_rss_mib() -> tuple[float, float]:
    """This process's high-water mark and the largest child's, in MiB."""
    own = 0.0
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                own = int(line.split()[1]) / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, child


class TotalRssSampler:
    """Peak memory of this process and its child processes together, sampled.

    VmHWM and ru_maxrss give each process's own peak, which may fall at different
    times; the sum of those bounds the real peak from above, this samples it. Each
    process counts its proportional set size (Pss in smaps_rollup), so the pages a
    forked worker or merge process still shares with its parent count once, not
    once per process as summing VmRSS would; VmRSS where the kernel has no Pss.

    Reading smaps_rollup makes the kernel walk the process's page tables: 13-17 ms per
    process of a 1,000,000-article build (hundreds of MB resident, index files mapped),
    so sampling four processes every half second took some 14% of a core from the
    build it measured. The interval starts at `interval` and grows with the run's
    length, to at most `longest` seconds (a build's memory moves over tens of seconds)."""

    def __init__(self, interval: float = 0.5, longest: float = 5.0) -> None:
        import threading

        self.peak_kib = 0
        self._stop = threading.Event()
        self._interval = interval
        self._longest = longest
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def _memory_kib(pid: str) -> int:
        for name, key in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
            try:
                with open(f"/proc/{pid}/{name}") as fh:
                    for line in fh:
                        if line.startswith(key):
                            return int(line.split()[1])
            except OSError:
                continue
        return 0

    @staticmethod
    def _children() -> list[str]:
        found: list[str] = []
        try:
            for task in os.listdir("/proc/self/task"):
                with open(f"/proc/self/task/{task}/children") as fh:
                    found.extend(fh.read().split())
            return found
        except OSError:
            pass
        me = str(os.getpid())
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    with open(f"/proc/{pid}/stat") as fh:
                        if fh.read().rsplit(")", 1)[1].split()[1] == me:
                            found.append(pid)
                except (OSError, IndexError):
                    pass
        return found

    def _run(self) -> None:
        while not self._stop.is_set():
            total = self._memory_kib("self") + sum(self._memory_kib(pid) for pid in self._children())
            self.peak_kib = max(self.peak_kib, total)
            # Half a second in the first minute, then a hundredth of the time so far.
            elapsed = time.monotonic() - self._started
            self._stop.wait(min(self._longest, max(self._interval, elapsed / 100)))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_kib / 1024


def worker(argv: list[str]) -> int:
    task, engine, source, index_path, jobs, queries_file = argv
    index_path, source = Path(index_path), Path(source)
    if task == "index":
        sampler = TotalRssSampler()
        started = time.perf_counter()
        if engine == "newsearch":  # it creates the folder itself, from the input files
            count = newsearch_build(source, index_path, int(jobs))
        else:
            count = BUILDERS[engine](read_records(source), index_path, int(jobs))
        seconds = time.perf_counter() - started
        own, child = peak_rss_mib()
        total = max(sampler.stop(), own)
        print(json.dumps({"count": count, "seconds": seconds, "rss": own, "child_rss": child,
                          "rss_total": total}))
        return 0
    queries = json.loads(Path(queries_file).read_text())
    started = time.perf_counter()
    run = OPENERS[engine](index_path)
    opened = time.perf_counter() - started
    for q in queries[:WARMUP_QUERIES]:  # separate queries, so the timed ones start cold
        run(q)
    latencies, totals = [], []
    for q in queries[WARMUP_QUERIES:]:
        t0 = time.perf_counter()
        total, _titles, facets = run(q)
        latencies.append(time.perf_counter() - t0)
        totals.append(total)
        assert set(FACETS) <= set(facets), f"{engine} returned facets {sorted(facets)}"
    own, _ = peak_rss_mib()
    print(json.dumps({"latencies": latencies, "totals": totals, "open": opened, "rss": own}))
    return 0


def run_worker(args: argparse.Namespace, *parts: str) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "_worker", *parts]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    if done.returncode != 0:
        raise failure(" ".join(parts[:2]), done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def failure(name: str, stderr: str) -> RuntimeError:
    """Log the end of a subprocess's traceback; the error carries its last line."""
    log(stderr[-3000:])
    last = next((line for line in reversed(stderr.splitlines()) if line.strip()), "no output")
    return RuntimeError(f"{name} failed: {last.strip()}")


# -- the cold `newsearch query` command against a minimal Whoosh script ------------

MINIMAL_WHOOSH = """
import sys
from whoosh.index import open_dir
from whoosh.qparser import MultifieldParser
ix = open_dir(sys.argv[1])
with ix.searcher() as s:
    q = MultifieldParser(["title", "body"], ix.schema).parse(sys.argv[2])
    for hit in s.search(q, limit=10):
        print(hit.get("title"))
"""


def cold_query(args: argparse.Namespace, index_path: Path, text: str) -> dict[str, float]:
    """Median wall time of fresh processes (the OS file cache stays warm)."""
    cli = shutil.which("newsearch", path=str(Path(sys.executable).parent)) or "newsearch"
    commands = {
        "newsearch query": [cli, "query", text, "--index", str(index_path), "--json"],
        "minimal whoosh script": [sys.executable, "-c", MINIMAL_WHOOSH, str(index_path), text],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    # As installed by pip: bytecode compiled once and reused (Whoosh's already is; a
    # development checkout with PYTHONDONTWRITEBYTECODE=1 would recompile newsearch on
    # every run). One untimed run of each writes the caches.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for cmd in commands.values():
        subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    for _ in range(args.cold_runs):
        for name, cmd in commands.items():
            t0 = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
            times[name].append(time.perf_counter() - t0)
            if done.returncode != 0:
                raise failure(name, done.stderr)
    return {name: statistics.median(values) for name, values in times.items()}


# -- orchestration and the table ---------------------------------------------------

def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def benchmark(args: argparse.Namespace) -> list[dict[str, Any]]:
    args.workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    jsonl, html_dir = prepare_data(args)
    log(f"data ready in {time.perf_counter() - t0:.1f}s: {jsonl}")
    if args.mix == "headlines":
        queries = make_headline_queries(jsonl, count=WARMUP_QUERIES + args.queries, seed=args.seed)
    else:
        queries = make_queries(jsonl, count=WARMUP_QUERIES + args.queries, seed=args.seed)
    timed = queries[WARMUP_QUERIES:]
    queries_file = args.workdir / "queries.json"
    queries_file.write_text(json.dumps(queries))
    rows = []
    runs = [(e, "jsonl", jsonl) for e in args.engines]
    if html_dir is not None:
        runs.insert(1, ("newsearch", "html", html_dir))
    for engine, kind, source in runs:
        index_path = args.workdir / "indexes" / f"{engine}-{kind}"
        record = index_path.with_name(index_path.name + ".build.json")
        if args.reuse_indexes and record.exists() and index_path.exists():
            built = json.loads(record.read_text())
            log(f"{engine} ({kind}): reusing the index built earlier ({built['count']:,} articles)")
        else:
            shutil.rmtree(index_path, ignore_errors=True)
            record.unlink(missing_ok=True)
            if engine != "newsearch":
                index_path.mkdir(parents=True)
            index_path.parent.mkdir(parents=True, exist_ok=True)
            log(f"{engine} ({kind}): indexing ...")
            try:
                built = run_worker(args, "index", engine, str(source), str(index_path), str(args.jobs), "-")
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                log(f"  skipped: {error}")
                rows.append({"engine": engine, "input": kind, "error": str(error).splitlines()[0]})
                continue
            record.write_text(json.dumps(built))
        row = {"engine": engine, "input": kind, "count": built["count"], "seconds": built["seconds"],
               "rate": built["count"] / built["seconds"], "size": dir_size(index_path),
               "rss": built["rss"], "child_rss": built["child_rss"], "rss_total": built.get("rss_total"),
               "index": str(index_path)}
        log(f"  {row['count']:,} articles in {row['seconds']:.1f}s ({row['rate']:,.0f}/s)")
        if kind == "jsonl" and not args.build_only:
            log(f"{engine}: {len(timed)} queries ...")
            try:
                found = run_worker(args, "query", engine, "-", str(index_path), "1", str(queries_file))
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                log(f"  queries failed: {error}")
                rows.append({**row, "error": "queries: " + str(error).splitlines()[0]})
                continue
            lat = [x * 1000 for x in found["latencies"]]
            slowest = max(range(len(lat)), key=lat.__getitem__)
            # Where newsearch looks up "did you mean" (fewer than three hits).
            few = [ms for ms, total in zip(lat, found["totals"]) if total < 3]
            row.update(p50=percentile(lat, 50), p95=percentile(lat, 95), p99=percentile(lat, 99),
                       hits=statistics.median(found["totals"]), open=found["open"] * 1000,
                       slowest=(lat[slowest], query_text(timed[slowest]), found["totals"][slowest]),
                       few=(len(few), max(few, default=0.0)),
                       by_kind={k: percentile(kind_lat, 95) for k, _ in QUERY_MIX
                                if (kind_lat := [ms for ms, q in zip(lat, timed) if q["kind"] == k])})
        rows.append(row)
        if engine == "newsearch" and kind == "jsonl" and args.cold_runs and not args.build_only:
            # Right after the build, so a newsearch upgrade mid-run can't break it.
            text = query_text(next(q for q in timed if q["kind"] == "and"))
            try:
                rows.append({"engine": "cold", "query": text, **cold_query(args, index_path, text)})
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                log(f"cold query skipped: {error}")
                rows.append({"engine": "cold", "query": text, "error": str(error).splitlines()[0]})
    return rows


def ratio(value: float | None, base: float | None) -> str:
    return f"{value / base:.2f}x" if value is not None and base else "-"


def render(rows: list[dict[str, Any]], *, title: str) -> str:
    base = next((r for r in rows if r["engine"] == "whoosh" and "error" not in r), None)
    head = (f"{'engine':<13}{'input':<6}{'articles':>9}{'art/s':>9}{'vs':>8}{'size MiB':>10}{'vs':>7}"
            f"{'RSS MiB':>9}{'vs':>7}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'p95 vs':>8}{'hits':>7}")
    lines = [title, head, "-" * len(head)]
    for r in rows:
        if r["engine"] == "cold":
            continue
        if "error" in r:
            lines.append(f"{r['engine']:<13}{r['input']:<6}failed: {r['error']}")
            continue
        rss = r.get("rss_total") or r["rss"] + r["child_rss"]
        base_rss = (base.get("rss_total") or base["rss"] + base["child_rss"]) if base else None
        line = (f"{r['engine']:<13}{r['input']:<6}{r['count']:>9,}{r['rate']:>9,.0f}"
                f"{ratio(r['rate'], base and base['rate']):>8}{r['size'] / 2**20:>10.1f}"
                f"{ratio(r['size'], base and base['size']):>7}{rss:>9.0f}{ratio(rss, base_rss):>7}")
        if "p50" in r:
            line += (f"{r['p50']:>8.1f}{r['p95']:>8.1f}{r['p99']:>8.1f}"
                     f"{ratio(r['p95'], base and base.get('p95')):>8}{r['hits']:>7.0f}")
        lines.append(line)
    kinds = [kind for kind, _ in QUERY_MIX]
    lines.append(f"{'p95 ms by query kind':<28}" + "".join(f"{k:>8}" for k in kinds))
    for r in rows:
        if "by_kind" in r:
            lines.append(f"  {r['engine']:<26}" + "".join(f"{r['by_kind'][k]:>8.1f}" if k in r["by_kind"]
                                                          else f"{'-':>8}" for k in kinds))
    for r in rows:
        if "slowest" in r:
            ms, text, total = r["slowest"]
            lines.append(f"slowest {r['engine']}: {ms:.1f} ms ({ms / r['p50']:.1f}x p50) for {text!r} "
                         f"({total:,} hits)")
            count, worst = r.get("few", (0, 0.0))
            if count and r["engine"] == "newsearch":
                lines.append(f"  {count} queries with fewer than 3 hits (newsearch suggests for these): "
                             f"slowest {worst:.1f} ms ({worst / r['p50']:.1f}x p50)")
    cold = next((r for r in rows if r["engine"] == "cold"), None)
    if cold and "error" in cold:
        lines.append(f"cold query {cold['query']!r}: failed: {cold['error']}")
    elif cold:
        ns, minimal = cold["newsearch query"], cold["minimal whoosh script"]
        lines.append(f"cold query {cold['query']!r}: newsearch query {ns * 1000:.0f} ms, "
                     f"minimal Whoosh script {minimal * 1000:.0f} ms ({ns / minimal:.2f}x)")
    lines.append("RSS = peak of the indexing process and all its worker processes together (sampled, "
                 "proportional set size: pages a forked child shares with its parent count once); "
                 "hits = median matches per query; vs = ratio to plain whoosh")
    return "\n".join(lines)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="synthetic articles (default 20,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engines", default=",".join(ENGINES),
                        help=f"comma-separated subset of {', '.join(ENGINES + OPTIONAL_ENGINES)}")
    parser.add_argument("--reuters", action="store_true", help="index Reuters-21578 instead of synthetic data")
    parser.add_argument("--reuters-path", default=str(REUTERS))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="worker processes/threads for engines that use them")
    parser.add_argument("--queries", type=int, default=200, help="timed queries per engine")
    parser.add_argument("--mix", choices=("corpus", "headlines"), default="corpus",
                        help="corpus: words by how many articles hold them, phrases, date windows; "
                             "headlines: words and pairs drawn evenly from headlines, rare ones included")
    parser.add_argument("--cold-runs", type=int, default=5, help="fresh processes per cold command (0: skip)")
    parser.add_argument("--no-html", action="store_true", help="skip newsearch's HTML indexing run")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/newsearch-bench"))
    parser.add_argument("--timeout", type=float, default=4 * 3600, help="seconds per subprocess")
    parser.add_argument("--json", type=Path, help="also write the raw rows here")
    parser.add_argument("--build-only", action="store_true",
                        help="build the indexes and stop (query them later with --reuse-indexes)")
    parser.add_argument("--reuse-indexes", action="store_true",
                        help="query the indexes (and report the build figures) of an earlier run with the "
                             "same --workdir instead of building them again")
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(args.engines) - set(ENGINES + OPTIONAL_ENGINES)
    if unknown:
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")
    if "whoosh" not in args.engines:
        log("note: plain whoosh not selected, so no ratios")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_worker"]:
        return worker(argv[1:])
    args = parse_args(argv)
    rows = benchmark(args)
    source = Path(args.reuters_path).name if args.reuters else f"{args.n:,} synthetic articles (seed {args.seed})"
    mix = "" if args.mix == "corpus" else f" ({args.mix} mix)"
    print(render(rows, title=f"{source}, jobs={args.jobs}, {args.queries} queries{mix} with "
                             f"{'/'.join(FACETS)} facets"))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
