"""Stories, not copies: near-duplicate grouping of articles, engine-free.

A wire story reprinted by other papers gets a new headline, a trimmed ending, the
paper's own boilerplate and a few words changed; a corrected story is sent again.
Each article gets a *story* id shared with its near-duplicates:

* its body becomes a set of word 4-shingles (lower case, numbers kept), summarised
  by a bottom-k sketch: the SKETCH_SIZE smallest shingle hashes. Two sketches
  estimate the Jaccard similarity of the whole sets, and with the set sizes, the
  containment of the smaller in the larger (which boilerplate and a cut ending
  barely lower);
* two articles are copies when the containment is at least MIN_CONTAINMENT, the
  Jaccard similarity at least MIN_JACCARD, they were published within the window
  (7 days by default), and they agree on their figures: formulaic stories (quarterly
  results, "Fed adds reserves", dividend notices) share their wording and differ in
  their numbers, so at least MIN_FIGURES of the smaller article's numbers must be
  found in the other;
* a new article joins the story of its most similar earlier copy, else starts a
  story named after its own id. Story ids never change once given, so deleting a
  story's first article leaves the others grouped, and the same inputs in the same
  order give the same grouping.

Candidates are found through an inverted list of sketch values (values shared by
too many articles are common phrases and are skipped). benchmarks/stories.py
measures this against datasketch's MinHash LSH on the duplicates dev set. The list is
kept so that a batch costs about as much at a million articles as at the start: recent
commits' keys in small levels of their own, a bit filter that spares SQLite the keys
no stored article holds, and stock-phrase keys remembered (benchmarks/story_store.py).
"""
from __future__ import annotations

import re
import sqlite3
import zlib
from array import array
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from operator import itemgetter
from typing import Iterable, Iterator, Sequence

import numpy as np

SHINGLE_WORDS = 4
SKETCH_SIZE = 64
MIN_CONTAINMENT = 0.6
MIN_JACCARD = 0.3
MIN_FIGURES = 0.6
WINDOW_DAYS = 7
# A sketch value held by more articles than this is a stock phrase, not evidence.
MAX_POSTING = 200
# Only the smallest few sketch values are looked up: two bodies alike enough share
# one of them with a probability above 0.99 (see benchmarks/stories.py).
LOOKUP_KEYS = 16
# SQLite's page cache for a store being written, in KiB. With the default 2 MB the key
# tables' inner pages stop fitting after a few hundred thousand articles, and every
# look-up and commit reads them again. 32 MB: since KeyFilter, few keys are looked up
# (benchmarks/story_store.py: the same commit and grouping times as with 64 MB).
WRITER_CACHE_KIB = 32_768
# Keys are hash values, so one commit's keys land all over a table of every key, and
# filing them rewrote most of its pages at every commit: a commit cost that grew with
# the index. So the keys of recent commits are kept in levels of their own: a commit
# files into level 0, and a level past FIRST_LEVEL_KEYS x KEY_LEVEL_GROWTH ** level rows
# moves into the next one (the last into `posting`, which holds the rest). A commit then
# rewrites a small level, and each key is moved KEY_LEVELS times at most.
KEY_LEVELS = 3
FIRST_LEVEL_KEYS = 1_000_000
KEY_LEVEL_GROWTH = 4
# Most of an article's keys are held by no stored article, and looking each up costs a
# B-tree descent whose leaf page is seldom cached once the key tables outgrow the page
# cache (a few hundred microseconds an article at 500,000). So a writer that has looked
# up FILTER_AFTER articles' keys builds a bit filter of the stored keys (KeyFilter), and
# then asks SQLite only for keys the filter holds. Small update runs never pay for it.
FILTER_AFTER = 5_000
MAX_CANDIDATES = 20
STORE_FILE = "stories.sqlite"
# Ids per `IN (...)` look-up, well under SQLite's limit on bound parameters.
_IN_QUERY = 500
# KeyFilter's size: 16 bits per key (a false positive in about 70 look-ups), from 64 Kbit
# to 1 Gbit (128 MB: 64 million keys, 4 million articles, then more false positives).
FILTER_BITS_PER_KEY = 16
MIN_FILTER_BITS = 1 << 16
MAX_FILTER_BITS = 1 << 30
# Keys are the smallest of an article's shingle hashes, so their top bits vary little;
# bits 0-29 and 29-58 vary as a uniform hash's do.
_SECOND_HASH_SHIFT = 29
# The recent levels, as an `IN (...)` list: with it, look-ups by key use recent_key's
# primary key (level, value, id).
_LEVELS = ",".join(str(level) for level in range(KEY_LEVELS))

# Words as bytes of the lower-cased UTF-8 body: runs of anything but white space and
# ASCII punctuation, joined over inner - . , ' / ("6-1/16", "1,000.5", "o'brien").
_WORD_CHARS = rb"[^\s!-/:-@\[-`{-~]+"
_WORD = re.compile(_WORD_CHARS + rb"(?:[-.,'/]" + _WORD_CHARS + rb")*")
_FIGURE = re.compile(rb"\d(?:[\d.,/-]*\d)?")
# Figures written as words count as figures ("six pct" against "6-1/16 pct").
_NUMBER_WORDS = frozenset(
    b"zero one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty "
    b"hundred thousand million billion half quarter".split()
)


@dataclass(frozen=True)
class Sketch:
    """What grouping keeps of an article's body: a few hundred bytes at most."""

    size: int  # distinct shingles in the body
    mins: tuple[int, ...]  # the SKETCH_SIZE smallest shingle hashes (64-bit), ascending
    figures: tuple[int, ...]  # crc32 hashes of the distinct numbers in the body, ascending

    def to_bytes(self) -> bytes:
        values = array("q", [self.size, len(self.mins), *self.mins, *self.figures])
        return values.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> "Sketch":
        values = array("q")
        values.frombytes(data)
        count = values[1]
        return cls(values[0], tuple(values[2:2 + count]), tuple(values[2 + count:]))


EMPTY_SKETCH = Sketch(0, (), ())


def sketch(body: str) -> Sketch:
    """The sketch of an article body (an empty body gives an empty sketch).

    Indexing pays for this on every article, so each step runs in C: words are
    hashed with crc32 and each run of SHINGLE_WORDS word hashes by CPython's tuple
    hash (the same in every process and run, unlike the hash of a string).
    """
    data = body.lower().encode("utf-8")
    words = _WORD.findall(data)
    if not words:
        return EMPTY_SKETCH
    hashes = list(map(zlib.crc32, words))
    figures = set(map(zlib.crc32, _FIGURE.findall(data)))
    figures.update(map(zlib.crc32, _NUMBER_WORDS.intersection(words)))
    if len(hashes) >= SHINGLE_WORDS and _TUPLE_HASH_IN_NUMPY:
        ordered = np.sort(_shingle_hashes(np.fromiter(hashes, dtype=np.uint64, count=len(hashes))))
        distinct = ordered[np.flatnonzero(ordered[1:] != ordered[:-1]) + 1]  # np.unique: 5x slower here
        distinct = np.concatenate((ordered[:1], distinct))
        return Sketch(len(distinct), tuple(distinct[:SKETCH_SIZE].tolist()), tuple(sorted(figures)))
    if len(hashes) < SHINGLE_WORDS:
        shingles = {hash(tuple(hashes))}
    else:
        shingles = set(map(hash, zip(*(hashes[i:] for i in range(SHINGLE_WORDS)))))
    return Sketch(len(shingles), _smallest(shingles), tuple(sorted(figures)))


# CPython's tuple hash (xxHash's round, 64-bit), over word hashes below 2**61 (an
# int's hash is then the int). Done in numpy for every run of SHINGLE_WORDS words of
# a body at once, it costs a fifth of hashing each run's tuple; a check at import
# falls back to hash() where the two would differ (another Python, 32-bit hashes).
_XX_PRIME_1 = np.uint64(11400714785074694791)
_XX_PRIME_2 = np.uint64(14029467366897019727)
_XX_PRIME_5 = np.uint64(2870177450012600261)
_XX_LENGTH = np.uint64(SHINGLE_WORDS ^ (2870177450012600261 ^ 3527539))


def _shingle_hashes(words: np.ndarray) -> np.ndarray:
    """hash(tuple(words[i:i + SHINGLE_WORDS])) for each i, as int64 (words: uint64)."""
    count = len(words) - SHINGLE_WORDS + 1
    acc = np.full(count, _XX_PRIME_5, dtype=np.uint64)
    for lane in range(SHINGLE_WORDS):
        acc += words[lane:lane + count] * _XX_PRIME_2
        acc = (acc << np.uint64(31)) | (acc >> np.uint64(33))
        acc *= _XX_PRIME_1
    acc += _XX_LENGTH
    acc[acc == np.uint64(2**64 - 1)] = 1546275796  # CPython's stand-in for a hash of -1
    return acc.view(np.int64)


def _tuple_hash_matches() -> bool:
    words = [0, 1, 7, 2**32 - 1, 123456789, 2**31, 42, 99]
    expected = [hash(tuple(words[i:i + SHINGLE_WORDS])) for i in range(len(words) - SHINGLE_WORDS + 1)]
    return _shingle_hashes(np.array(words, dtype=np.uint64)).tolist() == expected


_TUPLE_HASH_IN_NUMPY = _tuple_hash_matches()


def _smallest(shingles: set[int]) -> tuple[int, ...]:
    """The SKETCH_SIZE smallest shingle hashes, ascending. For a body of a few hundred
    shingles numpy's partition, then a sort of what it kept, beats sorting them all
    (about a tenth of the sketch's time); sorted() in C wins for short ones."""
    if len(shingles) <= 2 * SKETCH_SIZE:
        return tuple(sorted(shingles)[:SKETCH_SIZE])
    hashes = np.fromiter(shingles, dtype=np.int64, count=len(shingles))
    kept = np.partition(hashes, SKETCH_SIZE - 1)[:SKETCH_SIZE]
    kept.sort()
    return tuple(kept.tolist())


def resemblance(a: Sketch, b: Sketch) -> tuple[float, float]:
    """Estimated (Jaccard, containment of the smaller in the larger) of two bodies."""
    if not a.mins or not b.mins:
        return 0.0, 0.0
    both = set(a.mins).intersection(b.mins)
    union = sorted(set(a.mins).union(b.mins))[:SKETCH_SIZE]
    jaccard = sum(1 for value in union if value in both) / len(union)
    shared = jaccard * (a.size + b.size) / (1 + jaccard)
    return jaccard, min(1.0, shared / max(1, min(a.size, b.size)))


def figures_agree(a: Sketch, b: Sketch) -> float:
    """Share of the figures of the article with fewer figures found in the other (1.0 without figures)."""
    if not a.figures or not b.figures:
        return 1.0
    small, large = (a.figures, b.figures) if len(a.figures) <= len(b.figures) else (b.figures, a.figures)
    found = set(large)
    return sum(1 for f in small if f in found) / len(small)


def are_copies(a: Sketch, b: Sketch) -> float | None:
    """The containment when `a` and `b` are copies of one story, else None."""
    # Most candidates share a value or two by chance: at most len(shared) of the
    # union's smallest values can be shared, so that bounds the Jaccard estimate.
    shared = len(set(a.mins).intersection(b.mins))
    if not shared or shared < MIN_JACCARD * min(SKETCH_SIZE, len(a.mins) + len(b.mins) - shared):
        return None
    jaccard, containment = resemblance(a, b)
    if jaccard >= MIN_JACCARD and containment >= MIN_CONTAINMENT and figures_agree(a, b) >= MIN_FIGURES:
        return containment
    return None


def _holders(held: str | list[str]) -> list[str]:
    """The ids filed under one key of StoryStore._new_keys (a lone id or a list), as a new list."""
    return [held] if isinstance(held, str) else list(held)


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    """`items` in runs short enough for one `IN (...)` query each."""
    for start in range(0, len(items), _IN_QUERY):
        yield items[start:start + _IN_QUERY]


def _day(date: datetime | None) -> float | None:
    return date.timestamp() / 86400 if date is not None else None


class KeyFilter:
    """Which sketch keys may be stored: two bits per key in a bitmap of FILTER_BITS_PER_KEY
    bits per key (at most MAX_FILTER_BITS), so a key it does not hold is not stored, and one
    it holds is stored but for about one in seventy. Keys are hash values, so two slices of
    a key's bits serve as its two hashes. Deleted keys stay in (a look-up they cause finds
    nothing); the filter is rebuilt twice as large from the key tables when it fills."""

    def __init__(self, bits: int) -> None:
        self.bits = bits
        self.keys = 0
        self._map = bytearray(bits // 8)
        self._mask = bits - 1

    @classmethod
    def for_keys(cls, count: int) -> "KeyFilter":
        bits = MIN_FILTER_BITS
        while bits < count * FILTER_BITS_PER_KEY * 2 and bits < MAX_FILTER_BITS:
            bits *= 2
        return cls(bits)

    def add(self, values: Sequence[int]) -> None:
        if not values:
            return
        keys = np.asarray(values, dtype=np.int64)
        bitmap = np.frombuffer(self._map, dtype=np.uint8)
        for where in (keys & self._mask, (keys >> _SECOND_HASH_SHIFT) & self._mask):
            np.bitwise_or.at(bitmap, where >> 3, (1 << (where & 7)).astype(np.uint8))
        self.keys += len(keys)

    def holds(self, value: int) -> bool:
        mask, bitmap = self._mask, self._map
        first, second = value & mask, (value >> _SECOND_HASH_SHIFT) & mask
        return bool(bitmap[first >> 3] >> (first & 7) & 1 and bitmap[second >> 3] >> (second & 7) & 1)

    def full(self) -> bool:
        return self.keys * FILTER_BITS_PER_KEY > self.bits and self.bits < MAX_FILTER_BITS


class StoryStore:
    """Story of every article of one index, with sketches to group new ones.

    Kept in STORE_FILE beside the index (SQLite, standard library). Articles
    grouped since the last commit are held in memory and written in one
    transaction by `commit`, which the index writer calls just before the engine
    commits: a crash leaves at worst entries for articles the index never got,
    which only ever find no match.
    """

    def __init__(self, folder: str | Path, *, window_days: float = WINDOW_DAYS, readonly: bool = False) -> None:
        self.path = Path(folder) / STORE_FILE
        self.window = window_days
        if readonly:
            # Readers may be shared by a web server's threads; SQLite serialises them.
            self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
        else:
            self._db = sqlite3.connect(str(self.path))
            self._db.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
        self._db.executescript("" if readonly else
            """
            CREATE TABLE IF NOT EXISTS member (id TEXT PRIMARY KEY, story TEXT NOT NULL, day REAL,
                                               sketch BLOB NOT NULL);
            CREATE INDEX IF NOT EXISTS member_story ON member (story);
            CREATE TABLE IF NOT EXISTS posting (value INTEGER NOT NULL, id TEXT NOT NULL, day REAL,
                                                PRIMARY KEY (value, id)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS recent_key (level INTEGER NOT NULL, value INTEGER NOT NULL,
                                                   id TEXT NOT NULL, day REAL,
                                                   PRIMARY KEY (level, value, id)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS key_level (level INTEGER PRIMARY KEY, rows INTEGER NOT NULL);
            """
        )
        if not readonly and "day" not in {row[1] for row in self._db.execute("PRAGMA table_info(posting)")}:
            # A store written before keys carried their article's day: its keys have
            # none (NULL), and their candidates are read as before.
            with self._db:
                self._db.execute("ALTER TABLE posting ADD COLUMN day REAL")
        self._stored = self._db.execute("SELECT EXISTS (SELECT 1 FROM member)").fetchone()[0]
        # Rows filed in each recent level: what decides when a level moves on. Deletions
        # are not counted off, so a level may move a little early, never late.
        self._level_rows = [0] * KEY_LEVELS
        if not readonly:
            for level, rows in self._db.execute("SELECT level, rows FROM key_level"):
                if 0 <= level < KEY_LEVELS:
                    self._level_rows[level] = rows
        # Grouped since the last commit: id -> (story, day, sketch as bytes), and key -> ids.
        self._new: dict[str, tuple[str, float | None, bytes]] = {}
        # A key held by one article maps to its id, by more to a list: most keys are one
        # article's, and a list per key would double what a commit's worth takes.
        self._new_keys: dict[int, str | list[str]] = {}
        self._gone: set[str] = set()
        # Built at once for an empty store (a fresh build), else after FILTER_AFTER look-ups.
        self._filter: KeyFilter | None = None if self._stored or readonly else KeyFilter.for_keys(0)
        self._lookups = 0
        # Keys found held by more than MAX_POSTING committed articles: stock phrases, never
        # evidence, and not looked up again until a commit removes committed articles.
        self._stock: set[int] = set()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "StoryStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- grouping ---------------------------------------------------------------

    def assign(self, article_id: str, date: datetime | None, found: Sketch | bytes) -> str:
        """Give an article its story (joining the closest earlier copy's) and hold it for
        commit. Held in byte form (Sketch.to_bytes, as worker processes send it): a
        build holds a commit's worth of sketches, and as Python ints they take four times
        the memory."""
        self.forget([article_id])
        if isinstance(found, bytes):
            packed, found = found, Sketch.from_bytes(found)
        else:
            packed = found.to_bytes()
        day = _day(date)
        story = self._best_match(day, found) or article_id
        self._new[article_id] = (story, day, packed)
        for value in found.mins[:LOOKUP_KEYS]:
            held = self._new_keys.get(value)
            if held is None:
                self._new_keys[value] = article_id
            elif isinstance(held, str):
                self._new_keys[value] = [held, article_id]
            else:
                held.append(article_id)
        return story

    def _best_match(self, day: float | None, found: Sketch) -> str | None:
        keys = found.mins[:LOOKUP_KEYS]
        if not keys:
            return None
        stock = self._stock
        if stock:
            keys = [value for value in keys if value not in stock]
        holders: dict[int, list[str]] = {}
        for value in keys:
            held = self._new_keys.get(value)
            if held:
                holders[value] = _holders(held)
        # Committed holders' days, from their keys: most candidates share a value by
        # chance and are far outside the window, and need not be read from `member`.
        outside: set[str] = set()
        stored_keys = self._maybe_stored(keys) if self._stored and keys else ()
        if stored_keys:
            marks = ",".join("?" * len(stored_keys))
            stored_holders: dict[int, int] = {}
            for value, other, other_day in self._db.execute(
                    f"SELECT value, id, day FROM posting WHERE value IN ({marks}) UNION ALL "
                    f"SELECT value, id, day FROM recent_key WHERE level IN ({_LEVELS}) AND value IN ({marks})",
                    (*stored_keys, *stored_keys)):
                if other not in self._gone and other not in self._new:
                    holders.setdefault(value, []).append(other)
                    stored_holders[value] = stored_holders.get(value, 0) + 1
                    if self._apart(day, other_day):
                        outside.add(other)
            # A key stored articles hold more than MAX_POSTING times will always be
            # skipped: it is not read again (some are held by thousands of articles).
            stock.update(value for value, count in stored_holders.items() if count > MAX_POSTING)
        counts: dict[str, int] = {}
        for held in holders.values():
            if len(held) <= MAX_POSTING:
                for other in held:
                    counts[other] = counts.get(other, 0) + 1
        if not counts:
            return None
        # The best is the highest (score, story), whatever the order candidates are read in.
        candidates = sorted(counts, key=lambda o: (-counts[o], o))[:MAX_CANDIDATES] if len(counts) > MAX_CANDIDATES \
            else list(counts)
        known: dict[str, tuple[str, float | None, bytes]] = {o: self._new[o] for o in candidates if o in self._new}
        stored = [o for o in candidates if o not in known and o not in outside]
        if stored:
            known.update(self._stored_members(stored))
        best: tuple[float, str] | None = None
        for story, other_day, other_sketch in known.values():
            if self._apart(day, other_day):
                continue
            score = are_copies(found, Sketch.from_bytes(other_sketch))  # decoded only within the window
            if score is not None and (best is None or (score, story) > best):
                best = (score, story)
        return best[1] if best else None

    def _maybe_stored(self, keys: Sequence[int]) -> Sequence[int]:
        """The keys some committed article may hold: those the filter holds, once it is built."""
        filtered = self._filter
        if filtered is None:
            self._lookups += 1
            if self._lookups < FILTER_AFTER:
                return keys
            filtered = self._filter = self._filter_from_tables()
        return [value for value in keys if filtered.holds(value)]

    def _filter_from_tables(self, at_least: int = 0) -> KeyFilter:
        """A filter of every committed key, read from the key tables in key order."""
        count = sum(rows for rows, in self._db.execute(
            f"SELECT COUNT(*) FROM posting UNION ALL SELECT COUNT(*) FROM recent_key WHERE level IN ({_LEVELS})"))
        built = KeyFilter.for_keys(max(count, at_least))
        for table, where in (("posting", ""), ("recent_key", f" WHERE level IN ({_LEVELS})")):
            cursor = self._db.execute(f"SELECT value FROM {table}{where}")
            while rows := cursor.fetchmany(100_000):
                built.add([value for value, in rows])
        return built

    def _apart(self, day: float | None, other_day: float | None) -> bool:
        """Whether two articles are dated too far apart to be copies (never when a day is unknown)."""
        return day is not None and other_day is not None and abs(day - other_day) > self.window

    def _stored_members(self, ids: list[str]) -> dict[str, tuple[str, float | None, bytes]]:
        """Committed members by id, in one query, their sketches still in byte form."""
        marks = ",".join("?" * len(ids))
        rows = self._db.execute(f"SELECT id, story, day, sketch FROM member WHERE id IN ({marks})", ids)
        return {row[0]: (row[1], row[2], row[3]) for row in rows}

    def forget(self, ids: Iterable[str]) -> None:
        """Drop deleted articles; the rest of their stories keep their ids."""
        for article_id in ids:
            held = self._new.pop(article_id, None)
            if held is not None:
                for value in Sketch.from_bytes(held[2]).mins[:LOOKUP_KEYS]:
                    self._unfile(value, article_id)
            if self._stored:
                self._gone.add(article_id)

    def _unfile(self, value: int, article_id: str) -> None:
        held = self._new_keys[value]
        if isinstance(held, str):
            del self._new_keys[value]
        else:
            held.remove(article_id)

    def commit(self) -> None:
        """Write what was grouped and forgotten since the last commit."""
        db = self._db
        with db:
            # assign() forgets each article first, so in a build every article is here,
            # most of them never stored: look them up in chunks, not one query each.
            for chunk in _chunks(sorted(self._gone)):
                marks = ",".join("?" * len(chunk))
                for article_id, stored in db.execute(f"SELECT id, sketch FROM member WHERE id IN ({marks})",
                                                     chunk).fetchall():
                    self._stock.clear()  # its keys may hold fewer articles now
                    db.execute("DELETE FROM member WHERE id = ?", (article_id,))
                    keys = [(v, article_id) for v in Sketch.from_bytes(stored).mins[:LOOKUP_KEYS]]
                    db.executemany("DELETE FROM posting WHERE value = ? AND id = ?", keys)
                    db.executemany(f"DELETE FROM recent_key WHERE level IN ({_LEVELS}) AND value = ? AND id = ?",
                                   keys)
            db.executemany("INSERT OR REPLACE INTO member VALUES (?, ?, ?, ?)",
                           ((i, story, day, packed) for i, (story, day, packed) in self._new.items()))
            # In key order, level 0's B-tree fills page after page instead of splitting inside.
            new = self._new
            filed = db.executemany("INSERT OR IGNORE INTO recent_key VALUES (0, ?, ?, ?)",
                                   sorted(((v, i, new[i][1]) for v, held in self._new_keys.items()
                                           for i in _holders(held)), key=itemgetter(0, 1))).rowcount
            rows = list(self._level_rows)  # kept only if the transaction commits
            rows[0] += max(filed, 0)
            self._move_full_levels(db, rows)
        self._level_rows = rows
        if self._filter is not None:
            self._filter.add(list(self._new_keys))
            if self._filter.full():
                self._filter = self._filter_from_tables(at_least=self._filter.keys)
        self._stored = self._stored or bool(self._new)
        self._new.clear()
        self._new_keys.clear()
        self._gone.clear()

    def _move_full_levels(self, db: sqlite3.Connection, rows: list[int]) -> None:
        """Move each recent level past its size into the next (the last into `posting`),
        in key order, inside the commit's transaction; `rows` is updated to match."""
        for level in range(KEY_LEVELS):
            if rows[level] <= FIRST_LEVEL_KEYS * KEY_LEVEL_GROWTH ** level:
                continue
            if level + 1 < KEY_LEVELS:
                db.execute("INSERT OR IGNORE INTO recent_key SELECT ?, value, id, day FROM recent_key "
                           "WHERE level = ? ORDER BY value, id", (level + 1, level))
                rows[level + 1] += rows[level]
            else:
                db.execute("INSERT OR IGNORE INTO posting SELECT value, id, day FROM recent_key "
                           "WHERE level = ? ORDER BY value, id", (level,))
            db.execute("DELETE FROM recent_key WHERE level = ?", (level,))
            rows[level] = 0
        db.executemany("INSERT OR REPLACE INTO key_level VALUES (?, ?)", enumerate(rows))

    def filed_keys(self) -> Iterator[tuple[int, str, float | None]]:
        """Every committed (key, article id, day), whichever level holds it: for checks."""
        yield from self._db.execute("SELECT value, id, day FROM posting UNION ALL "
                                    f"SELECT value, id, day FROM recent_key WHERE level IN ({_LEVELS})")

    def rollback(self) -> None:
        """Forget what was grouped since the last commit."""
        self._new.clear()
        self._new_keys.clear()
        self._gone.clear()

    # -- reading (committed state) ---------------------------------------------

    def story_of(self, article_id: str) -> str:
        row = self._db.execute("SELECT story FROM member WHERE id = ?", (article_id,)).fetchone()
        return row[0] if row else article_id

    def members(self, story: str) -> list[str]:
        """Ids of the articles in a story, in the order they were grouped."""
        rows = self._db.execute("SELECT id FROM member WHERE story = ? ORDER BY rowid", (story,)).fetchall()
        return [r[0] for r in rows]

    def stories_for(self, ids: Sequence[str]) -> dict[str, tuple[str, list[str]]]:
        """story_of and members for many articles in two queries (a page of hits
        asked two per hit before)."""
        ids = list(dict.fromkeys(ids))
        story: dict[str, str] = {}
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            story.update(self._db.execute(f"SELECT id, story FROM member WHERE id IN ({marks})", chunk).fetchall())
        stories = list(dict.fromkeys(story.get(i, i) for i in ids))
        members: dict[str, list[str]] = {}
        for chunk in _chunks(stories):
            marks = ",".join("?" * len(chunk))
            for member, owner in self._db.execute(
                    f"SELECT id, story FROM member WHERE story IN ({marks}) ORDER BY rowid", chunk):
                members.setdefault(owner, []).append(member)
        return {i: (story.get(i, i), members.get(story.get(i, i)) or [story.get(i, i)]) for i in ids}

    def grouped(self) -> dict[str, str]:
        """Article id -> story for every article in a story of two or more."""
        rows = self._db.execute(
            "SELECT id, story FROM member WHERE story IN "
            "(SELECT story FROM member GROUP BY story HAVING COUNT(*) > 1)"
        ).fetchall()
        return dict(rows)


def group(articles: Iterable[tuple[str, datetime | None, str]], *, window_days: float = WINDOW_DAYS
          ) -> dict[str, str]:
    """Stories of (id, date, body) triples grouped in memory, in order: id -> story."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder, StoryStore(folder, window_days=window_days) as store:
        stories = {article_id: store.assign(article_id, date, sketch(body)) for article_id, date, body in articles}
    return stories

