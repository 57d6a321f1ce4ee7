"""Words as printed, counted while indexing, for "did you mean" at almost no cost.

Why: a suggestion drawn from the index's own vocabulary has to walk it (Whoosh's
corrector runs a Levenshtein automaton over every body term: tens of
milliseconds on a small archive, more on a big one), and that vocabulary holds
stems ("embassi"), not words anyone printed. So each batch of articles counts
its words as printed (`WordCounts`, in the worker that writes the batch), and
the index keeps them in SPELLING_FILE (SQLite, standard library): per word
(lower-cased) the articles holding it and its commonest printed spelling, plus
a symmetric-deletion table, every word filed under itself and under each form
with one letter deleted. A typed word is looked up under itself and its forms
with one or two letters deleted, so every word within two edits of it (the
distance Whoosh's corrector used), except a word with two letters more, comes
from a few dozen indexed look-ups whatever the vocabulary's size.

Counts only grow: articles deleted later leave their words behind, so callers
check a candidate against the index before offering it. Written like the story
store: held in memory, written in one transaction just before the engine commits.
"""
from __future__ import annotations

import re
import sqlite3
from array import array
from collections import Counter
from pathlib import Path
from typing import Iterable, Iterator

from ..analysis.names import name_key

SPELLING_FILE = "spelling.sqlite"
# Words worth suggesting, and worth suggesting for: letters only, three or more.
MIN_WORD = 3
WORD = re.compile(r"[^\W\d_]{%d,}" % MIN_WORD)
# Longer "words" are URLs, code or glued text: neither typed nor worth offering.
MAX_WORD = 24
# SQLite's page cache for the store being written, in KiB: each commit looks up and
# updates every word of its batches, and the default 2 MB stops holding the word
# table's inner pages as the index grows.
WRITER_CACHE_KIB = 32_768
# Edits allowed between a typed word and a suggestion.
MAX_EDITS = 2

# lower-cased word -> (articles holding it, commonest printed spelling, articles printing it so)
WordTable = dict[str, tuple[int, str, int]]


class WordCounts:
    """Articles per printed word for one batch, with each word's commonest spelling.

    The spelling is the commonest in summaries and bodies: headlines are often in
    title case ("Embassy Staff Leave"), which is not how the word is printed."""

    def __init__(self) -> None:
        self._forms: Counter[str] = Counter()
        self._title_forms: Counter[str] = Counter()
        # Articles per lower-cased word are _forms' count of the word as printed in lower
        # case plus this count of articles that printed it only otherwise ("Varga",
        # only in a headline): most words are printed in lower case, so this stays small
        # and each article updates one large counter less.
        self._other_docs: Counter[str] = Counter()

    def add(self, title: str | None, *texts: str | None) -> None:
        """Count one article's words (each at most once per article)."""
        forms: set[str] = set()
        for text in texts:
            if text:
                forms.update(printed_words(text))
        headline = set(WORD.findall(title)) - forms if title else set()
        # Words over MAX_WORD letters are rare: the sets are filtered only when one is there.
        if forms and max(map(len, forms)) > MAX_WORD:
            forms = {form for form in forms if len(form) <= MAX_WORD}
        if headline and max(map(len, headline)) > MAX_WORD:
            headline = {form for form in headline if len(form) <= MAX_WORD}
        self._forms.update(forms)
        self._title_forms.update(headline)
        lowered = set(map(str.lower, forms))
        lowered.update(map(str.lower, headline))
        self._other_docs.update(lowered.difference(forms))

    def table(self) -> WordTable:
        """The batch's words; a word printed only in headlines keeps the headline's spelling."""
        best: dict[str, tuple[int, int, str]] = {}
        for forms, weight in ((self._title_forms, 0), (self._forms, 1)):
            for form, count in forms.items():
                key = form.lower()
                candidate = (weight, count, form)
                held = best.get(key)
                if held is None or candidate > held:
                    best[key] = candidate
        forms, others = self._forms, self._other_docs
        return {key: (forms.get(key, 0) + others.get(key, 0), form, count) for key, (_, count, form) in best.items()}


def printed_words(text: str) -> set[str]:
    """The distinct WORD matches of `text`. No match spans white space, so the text is
    cut there and a piece of letters only is a match as it stands (or too short);
    the pattern reads only the other pieces (most of a body's are plain words), in
    about 0.7 of the time of running it over the whole text."""
    words: set[str] = set()
    others: list[str] = []
    for piece in set(text.split()):
        if piece.isalpha():
            if len(piece) >= MIN_WORD:
                words.add(piece)
        else:
            others.append(piece)
    if others:
        words.update(WORD.findall(" ".join(others)))
    return words


class PackedWords:
    """A batch's WordTable in a few flat objects: what a worker sends back with its
    segment, and what the indexing process holds until the commit writes it. As a
    dict of tuples a batch of 20,000 articles can take 100 MB in the indexing
    process (one object per word and count); packed, a tenth of that, and the
    commit streams it into SQLite without building the dict again."""

    __slots__ = ("words", "printed", "docs", "printed_docs")

    def __init__(self, table: WordTable | None = None) -> None:
        table = table or {}
        self.words = "\n".join(table)  # lower-cased words; none holds a newline (WORD)
        self.printed = "\n".join(form for _, form, _ in table.values())
        self.docs = array("q", (docs for docs, _, _ in table.values()))
        self.printed_docs = array("q", (count for _, _, count in table.values()))

    def __len__(self) -> int:
        return len(self.docs)

    def rows(self) -> Iterator[tuple[str, int, str, int]]:
        """(word, articles, commonest printed spelling, articles printing it so)."""
        if not self.docs:
            return iter(())
        return zip(self.words.split("\n"), self.docs, self.printed.split("\n"), self.printed_docs)

    def table(self) -> WordTable:
        return {word: (docs, form, count) for word, docs, form, count in self.rows()}

    def __getstate__(self) -> tuple[str, str, array, array]:
        return self.words, self.printed, self.docs, self.printed_docs

    def __setstate__(self, state: tuple[str, str, array, array]) -> None:
        self.words, self.printed, self.docs, self.printed_docs = state


def merge_tables(into: WordTable, other: WordTable) -> None:
    """Add `other`'s counts to `into`; the spelling printed by more articles wins (on a
    tie, the greater string: the same rule as SpellingStore's upsert, UPSERT_WORD)."""
    for key, (docs, form, form_docs) in other.items():
        held = into.get(key)
        if held is None:
            into[key] = (docs, form, form_docs)
        elif held[1] == form:
            into[key] = (held[0] + docs, form, held[2] + form_docs)
        else:
            best = max((held[2], held[1]), (form_docs, form))
            into[key] = (held[0] + docs, best[1], best[0])


def deletions(word: str, edits: int = 1) -> set[str]:
    """`word` and every form of it with up to `edits` letters deleted."""
    found = {word}
    frontier = {word}
    for _ in range(edits):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w)) if len(w) > 1}
        found |= frontier
    return found


def edit_distance(a: str, b: str, limit: int = MAX_EDITS) -> int:
    """Optimal-string-alignment distance (insertions, deletions, substitutions and
    swaps of neighbours), or limit + 1 once it is certainly above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


# Add a word's counts to what the store holds; as merge_tables, the spelling printed by
# more articles wins, on a tie the greater (TEXT compares as UTF-8 bytes: code point
# order, as Python compares strings).
UPSERT_WORD = """INSERT INTO word (word, docs, printed, printed_docs) VALUES (?, ?, ?, ?)
   ON CONFLICT (word) DO UPDATE SET
     docs = docs + excluded.docs,
     printed = CASE WHEN excluded.printed = printed OR excluded.printed_docs < printed_docs
                         OR (excluded.printed_docs = printed_docs AND excluded.printed < printed)
                    THEN printed ELSE excluded.printed END,
     printed_docs = CASE WHEN excluded.printed = printed THEN printed_docs + excluded.printed_docs
                         ELSE max(printed_docs, excluded.printed_docs) END"""


class SpellingStore:
    """The index's printed words and their deletion table, in SPELLING_FILE."""

    def __init__(self, folder: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(folder) / SPELLING_FILE
        if readonly:
            # Readers may be shared by a web server's threads; SQLite serialises them.
            self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                       check_same_thread=False)
        else:
            self._db = sqlite3.connect(str(self.path))
            self._db.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
            self._db.executescript(
                """
                CREATE TABLE IF NOT EXISTS word (word TEXT PRIMARY KEY, docs INTEGER NOT NULL,
                                                 printed TEXT NOT NULL, printed_docs INTEGER NOT NULL)
                                                 WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS deletion (key TEXT NOT NULL, word TEXT NOT NULL,
                                                     PRIMARY KEY (key, word)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS namekey (key TEXT NOT NULL, word TEXT NOT NULL,
                                                    PRIMARY KEY (key, word)) WITHOUT ROWID;
                """
            )
        self._pending: WordTable = {}
        self._packed: list[PackedWords] = []

    @staticmethod
    def exists(folder: str | Path) -> bool:
        return (Path(folder) / SPELLING_FILE).is_file()

    def close(self) -> None:
        self._db.close()

    # -- writing ------------------------------------------------------------------

    def add(self, table: WordTable | PackedWords) -> None:
        """Hold a batch's words for the next commit (a packed batch stays packed)."""
        if isinstance(table, PackedWords):
            if len(table):
                self._packed.append(table)
        else:
            merge_tables(self._pending, table)

    def commit(self) -> None:
        """Write the words held since the last commit in one transaction: the words
        counted here first, then each packed batch in the order it was added."""
        pending, self._pending = self._pending, {}
        packed, self._packed = self._packed, []
        if not pending and not packed:
            return
        with self._db:
            if pending:
                self._write_rows(PackedWords(pending))
            for batch in packed:
                self._write_rows(batch)

    def _write_rows(self, batch: PackedWords) -> None:
        """One batch's words, read from its packed form three times rather than
        unpacked into a list of rows at once."""
        known = self._known(word for word, _, _, _ in batch.rows())
        self._db.executemany(UPSERT_WORD, batch.rows())
        self._db.executemany(
            "INSERT OR IGNORE INTO deletion (key, word) VALUES (?, ?)",
            ((key, word) for word, _, _, _ in batch.rows() if word not in known for key in deletions(word)),
        )
        # Words printed capitalised, filed under their name key (analysis/names.py).
        self._db.executemany(
            "INSERT OR IGNORE INTO namekey (key, word) VALUES (?, ?)",
            ((key, word) for word, _, form, _ in batch.rows() if form[:1].isupper() and (key := name_key(word))),
        )

    def rollback(self) -> None:
        self._pending = {}
        self._packed = []

    def _known(self, words: Iterable[str]) -> set[str]:
        found: set[str] = set()
        chunk: list[str] = []
        for word in words:
            chunk.append(word)
            if len(chunk) == 500:
                found.update(self._present(chunk))
                chunk = []
        found.update(self._present(chunk))
        return found

    def _present(self, words: list[str]) -> Iterator[str]:
        if words:
            marks = ",".join("?" * len(words))
            yield from (row[0] for row in self._db.execute(f"SELECT word FROM word WHERE word IN ({marks})", words))

    # -- reading ------------------------------------------------------------------

    def documents(self, word: str) -> int:
        """Articles that printed `word` (any case), as counted while indexing."""
        row = self._db.execute("SELECT docs FROM word WHERE word = ?", (word.lower(),)).fetchone()
        return row[0] if row else 0

    def name_variants(self, typed: str) -> list[tuple[str, int]]:
        """Other words printed capitalised with the name key of `typed`, as (word,
        articles), commonest first; none for an index built before name keys."""
        key = name_key(typed)
        if not key:
            return []
        try:
            rows = self._db.execute(
                """SELECT word.word, word.docs FROM namekey JOIN word ON word.word = namekey.word
                   WHERE namekey.key = ? AND namekey.word != ? ORDER BY word.docs DESC, word.word""",
                (key, typed.lower()),
            ).fetchall()
        except sqlite3.OperationalError:  # no namekey table: built before name keys
            return []
        return [(word, docs) for word, docs in rows]

    def candidates(self, typed: str) -> list[tuple[int, int, str, str]]:
        """Words within MAX_EDITS of `typed` that start with the same letter, as
        (edits, -articles, printed spelling, lower-cased word), closest and commonest first."""
        word = typed.lower()
        if len(word) > MAX_WORD:
            return []
        keys = sorted(deletions(word, MAX_EDITS))
        marks = ",".join("?" * len(keys))
        rows = self._db.execute(
            f"""SELECT word.word, word.docs, word.printed FROM word
                WHERE word.word IN (SELECT DISTINCT deletion.word FROM deletion WHERE deletion.key IN ({marks}))""",
            keys,
        ).fetchall()
        found = []
        for other, docs, printed in rows:
            if other == word or other[:1] != word[:1]:
                continue
            edits = edit_distance(word, other)
            if edits <= MAX_EDITS:
                found.append((edits, -docs, printed, other))
        return sorted(found)


__all__ = ["SPELLING_FILE", "PackedWords", "SpellingStore", "WordCounts", "deletions", "edit_distance",
           "merge_tables"]
