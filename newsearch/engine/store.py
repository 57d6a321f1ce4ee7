"""The Whoosh side of writing: schema, create/open, batched writes, error mapping.

This module and query.py (plus analysis.py) are the only ones that import whoosh;
Whoosh exceptions are turned into newsearch's own here, raised `from` the original.
"""
from __future__ import annotations

import errno
import json
import os
import re
import sys
import time
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from whoosh import index as whoosh_index
from whoosh.analysis import RegexTokenizer
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.formats import Existence, Positions
from whoosh.index import EmptyIndexError, LockError

from .. import __version__
from ..analysis import SUPPORTED_LANGUAGES, UNSPACED
from ..analysis.boundaries import flat_positions_with_boundaries, flattened, grouped
from .analyzers import (
    LanguageText,
    attested_key,
    fast_index_path,
    language_tokenizer,
    name_analyzer,
    tagged_positions,
    text_analyzer,
)
from .files import read_segments_in_place
from ..errors import (
    IndexCorrupt,
    IndexLocked,
    IndexNotFound,
    NewsearchError,
    SchemaMismatch,
    StorageError,
)
from .locking import WriterLock
from ..models import Article
from ..stories import StoryStore, sketch
from .background_merges import BackgroundMerges
from .merge_policy import TieredMerges
from .merging import MergeProgress, optimize as merge_all, swap_in
from .postings import encode_positions
from .segments import WrittenSegment, commit_with, merge_small_segments, prune_facets
from .spelling import SPELLING_FILE, SpellingStore, WordCounts

# Whoosh names each commit's table of contents _MAIN_<generation>.toc.
_TOC_NAME = re.compile(r"_MAIN_(\d+)\.toc$")
SCHEMA_VERSION = 9
# Older versions this one reads and writes as they are (what changed since needs no rebuild).
COMPATIBLE_VERSIONS = (8,)
# What each version changed, for the message that asks for a rebuild.
SCHEMA_CHANGES = {
    4: "sentence and paragraph numbers in body positions",
    5: "dates are now filed by the publication's local day",
    6: "words written with soft hyphens or other format characters are one term; languages are detected",
    7: "Chinese, Japanese, Korean and Thai text indexed as character bigrams; Arabic letter forms folded",
    8: "each article's text analysed with its own language's stemmer and stop words",
    9: "dates kept only as columns, not as terms (smaller, faster to build; version 8 still opens)",
}
META_FILE = "newsearch.json"
# Per-segment facet arrays saved by query.FacetCache (a cache: safe to delete).
FACET_CACHE_DIR = "facets"
# Facet fields hold exact display values; this separator never occurs in real text.
VALUE_SEPARATOR = "\x1f"
# Gap between authors in the searchable author field, so a phrase can't span two names.
NAME_GAP = " \u2016 "
DEFAULT_LIMIT_MB = 256
# Facet name -> the field holding its exact values. year and month come from the date.
FACET_FIELDS = {
    "section": "facet_section",
    "author": "facet_author",
    "source": "facet_source",
    "tag": "facet_tag",
    "year": "facet_year",
    "month": "facet_month",
    "language": "language",
}


@dataclass(frozen=True)
class IndexOptions:
    """Analysis choices fixed when an index is created; changing them needs a rebuild."""

    language: str = "en"
    stem: bool = True

    def __post_init__(self) -> None:
        if self.language not in SUPPORTED_LANGUAGES:
            known = ", ".join(sorted(SUPPORTED_LANGUAGES))
            raise NewsearchError(f"unsupported language {self.language!r} (known: {known})")

    def to_dict(self) -> dict[str, Any]:
        return {"language": self.language, "stem": self.stem}


class NewsText(TEXT):
    """TEXT whose index-time analysis takes newsearch's fast path: the same terms and
    positions as the token stream (tests/test_segments.py checks), without Token objects.

    With `boundaries`, positions also carry each word's sentence and paragraph
    (analysis/boundaries.py), so phrases stop at a sentence break and the /s and /p
    operators can tell; word distances stay exact."""

    def __init__(self, *args: Any, boundaries: bool = False, language: str = "", stem: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.boundaries = boundaries
        self.language = language
        self.stem = stem

    def index(self, value: Any, **kwargs: Any) -> Any:
        found = self.positions(value) if not kwargs else None
        if found is None:
            return super().index(value, **kwargs)
        boost = self.format.field_boost
        return [
            (term.encode("utf-8"), len(where), len(where) * boost, encode_positions(where))
            for term, where in found.items()
        ]

    def positions(self, value: Any) -> dict[str, list[int]] | None:
        """Term -> positions of `value` as indexed, or None where only Whoosh's own
        index() can tell (see flat_positions)."""
        flat = self.flat_positions(value)
        if flat is None:
            return None
        return grouped(*flat)

    def flat_positions(self, value: Any) -> tuple[list[str], list[int]] | None:
        """The terms of `value` as indexed and their positions, side by side (each
        term's positions ascending), or None where only Whoosh's own index() can tell
        (not a string, not a positional format, an analyzer not ours). A segment
        writer files these straight into its postings (segments.py, postings.py),
        without the tuple per term that index() hands Whoosh."""
        fast = self.__dict__.get("_fast_index", _UNSET)
        if fast is _UNSET:
            fast = self._fast_index = fast_index_path(self.analyzer)
        if not isinstance(value, str) or not isinstance(self.format, Positions):
            return None
        language = getattr(value, "language", None)
        if language and self.__dict__.get("language") and language != self.language:
            if value.words is None:
                value.words = set()
            tagged = tagged_positions(language, self.stem)
            words = value.words

            def positions(text: str) -> dict[str, list[int]]:
                return tagged(text, words)

            if getattr(self, "boundaries", False):
                return flat_positions_with_boundaries(value, positions)
            return flattened(positions(value))
        if getattr(self, "boundaries", False):
            return flat_positions_with_boundaries(value, fast or self._stream_positions,
                                                  fast.plain_terms if fast else None)
        if fast is None:
            return None  # another analyzer: its tokens may carry boosts
        terms = fast.plain_terms(value)
        if terms is not None:
            return terms, list(range(len(terms)))
        return flattened(fast.tokenizer.index_positions(value, fast.stem))

    def _stream_positions(self, value: str) -> dict[str, list[int]]:
        """Term -> positions from the analyzer's own token stream (no fast path)."""
        found: dict[str, list[int]] = {}
        for token in self.analyzer(value, positions=True, mode="index"):
            found.setdefault(token.text, []).append(token.pos)
        return found

    def __getstate__(self) -> dict[str, Any]:
        """The fast path is a cache (a closure): schemas are pickled without it."""
        state = dict(self.__dict__)
        state.pop("_fast_index", None)
        return state


class AttestedWords(KEYWORD):
    """The words as printed (folded, unstemmed) by articles in other languages than the
    index's own, one term per language and word: what tells a query's reading in that
    language whether to stem a word (engine/readings.py). Unscored and unstored."""

    def __init__(self) -> None:
        super().__init__(scorable=False)
        self.format = Existence()

    def index(self, value: Any, **kwargs: Any) -> Any:
        if not isinstance(value, tuple):
            return super().index(value, **kwargs)
        terms: set[str] = set()
        for text in value:
            if not text:
                continue
            words = text.words
            if words is None:  # not analysed yet: read its words here
                words = set(language_tokenizer(text.language).index_positions(text))
            terms.update(attested_key(text.language, word) for word in words if not UNSPACED.match(word))
        return super().index(" ".join(sorted(terms)), **kwargs)


_UNSET = object()


def date_column(*, stored: bool) -> DATETIME:
    """A date kept as a sortable column (and maybe stored), not as terms.

    Date filters, sorting, the year and month facets and an index's date extent all
    read the column (query.FacetCache); the range terms Whoosh would index besides
    (eight tiers per date) were never read, yet made 60% of a segment's terms, and
    each term costs the worker and every merge a term-table entry."""
    field = DATETIME(stored=stored, sortable=True)
    field.indexed = False
    return field


def build_schema(options: IndexOptions) -> Schema:
    """Searchable fields use newsearch's analyzers; facet_* fields keep exact values."""
    text = text_analyzer(options.language, stem=options.stem)
    names = name_analyzer()
    language = {"language": options.language, "stem": options.stem}
    exact = RegexTokenizer(r"[^\x1f]+")
    return Schema(
        id=ID(stored=True, unique=True),
        path=ID(stored=True),
        url=STORED(),
        title=NewsText(analyzer=text, stored=True, phrase=True, **language),
        summary=NewsText(analyzer=text, stored=True, phrase=True, boundaries=True, **language),
        body=NewsText(analyzer=text, stored=True, phrase=True, boundaries=True, **language),
        words=AttestedWords(),
        byline=NewsText(analyzer=names, stored=True, phrase=True),
        author=NewsText(analyzer=names, phrase=True),
        section=NewsText(analyzer=names, stored=True, phrase=True),
        source=NewsText(analyzer=names, stored=True, phrase=True),
        tags=NewsText(analyzer=names, phrase=True),
        date=date_column(stored=True),
        # The publication's wall-clock time: what date filters and year/month facets read.
        local_date=date_column(stored=False),
        language=ID(stored=True),
        meta=STORED(),
        facet_section=KEYWORD(analyzer=exact, scorable=False),
        facet_author=KEYWORD(analyzer=exact, scorable=False),
        facet_source=KEYWORD(analyzer=exact, scorable=False),
        facet_tag=KEYWORD(analyzer=exact, scorable=False),
        facet_year=KEYWORD(analyzer=exact, scorable=False),
        facet_month=KEYWORD(analyzer=exact, scorable=False),
    )


def article_fields(article: Article, options: IndexOptions = IndexOptions()) -> dict[str, Any]:
    """The Whoosh document for an article. Dates go in as naive UTC (Whoosh drops tzinfo);
    local_date and the year/month facets as the publication's own wall-clock time. An
    article whose language could not be told gets the index's own (`--language`)."""
    date = article.date.astimezone(timezone.utc).replace(tzinfo=None) if article.date else None
    local = article.local_date.replace(tzinfo=None) if article.local_date else None
    language = article.language or options.language
    fields: dict[str, Any] = {
        "id": article.id,
        "path": article.path,
        "url": article.url,
        "title": article.title,
        "summary": article.summary,
        "body": article.body,
        "byline": article.byline,
        "author": NAME_GAP.join(article.authors),
        "section": article.section,
        "source": article.source,
        "tags": NAME_GAP.join(article.tags),
        "language": language,
        "meta": {
            "authors": list(article.authors),
            "tags": list(article.tags),
            "agency": article.agency,
            "warnings": list(article.warnings),
            "utc_offset": article.utc_offset,
            "fetched": article.fetched.isoformat() if article.fetched else None,
            "fetched_url": article.fetched_url,
            "feed": article.feed,
        },
    }
    if date is not None and local is not None:
        fields["date"] = date
        fields["local_date"] = local
        fields["facet_year"] = f"{local.year:04d}"
        fields["facet_month"] = f"{local.year:04d}-{local.month:02d}"
    for name, key in (("section", "facet_section"), ("source", "facet_source")):
        value = getattr(article, name).strip()
        if value:
            fields[key] = value
    for values, key in ((article.authors, "facet_author"), (article.tags, "facet_tag")):
        cleaned = [v.replace(VALUE_SEPARATOR, " ").strip() for v in dict.fromkeys(values)]
        if any(cleaned):
            fields[key] = VALUE_SEPARATOR.join(v for v in cleaned if v)
    if language != options.language:
        # Analysed with the article's own language (NewsText.index); stored as plain text.
        texts = []
        for name in ("title", "summary", "body"):
            value = fields[name]
            if value:
                fields["_stored_" + name] = value
                fields[name] = LanguageText(value, language)
                texts.append(fields[name])
        if texts:
            fields["words"] = tuple(texts)
    return {k: v for k, v in fields.items() if v is not None}


def stored_to_article(stored: dict[str, Any]) -> Article:
    """Rebuild an Article from a document's stored fields."""
    meta = stored.get("meta") or {}
    date = stored.get("date")
    return Article(
        id=stored.get("id", ""),
        url=stored.get("url"),
        title=stored.get("title", ""),
        summary=stored.get("summary", ""),
        body=stored.get("body", ""),
        byline=stored.get("byline", ""),
        authors=tuple(meta.get("authors", ())),
        section=stored.get("section", ""),
        date=date.replace(tzinfo=timezone.utc) if date else None,
        source=stored.get("source", ""),
        agency=meta.get("agency", ""),
        language=stored.get("language", ""),
        tags=tuple(meta.get("tags", ())),
        path=stored.get("path", ""),
        warnings=tuple(meta.get("warnings", ())),
        utc_offset=meta.get("utc_offset"),
        fetched=datetime.fromisoformat(meta["fetched"]) if meta.get("fetched") else None,
        fetched_url=meta.get("fetched_url"),
        feed=meta.get("feed", ""),
    )


# ---------------------------------------------------------------------------
# Opening and creating


def read_meta(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The newsearch metadata written beside the Whoosh files ({} when absent)."""
    meta_path = Path(path) / META_FILE
    try:
        return json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"{meta_path}: unreadable index metadata ({exc})") from exc


def write_meta(path: str | os.PathLike[str], meta: dict[str, Any]) -> None:
    """Replace the metadata file atomically (write a temporary file, then rename)."""
    target = Path(path) / META_FILE
    temporary = target.with_suffix(".json.tmp")
    with storage_errors(str(path)):
        temporary.write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(temporary, target)


def is_readable_version(version: object) -> bool:
    """Whether this newsearch opens and updates an index of that schema version as it is."""
    return version == SCHEMA_VERSION or version in COMPATIBLE_VERSIONS


def options_from_meta(path: str, meta: dict[str, Any]) -> IndexOptions:
    """Check an index's schema version and return its analysis options."""
    version = meta.get("schema_version")
    if not is_readable_version(version):
        changed = None
        if isinstance(version, int) and version < SCHEMA_VERSION:  # every change the index lacks
            changed = "; ".join(text for number, text in sorted(SCHEMA_CHANGES.items()) if number > version) or None
        raise SchemaMismatch(
            f"{path}: index schema version {version} does not match this newsearch "
            f"({SCHEMA_VERSION}{': ' + changed if changed else ''}); run `newsearch rebuild` "
            f"(or index again with --rebuild)"
        )
    analysis = meta.get("analysis", {})
    return IndexOptions(language=analysis.get("language", "en"), stem=analysis.get("stem", True))


# Every index this process opens, for reading or writing, reads its segment files in place
# (engine/files.py), whichever way it was opened.
read_segments_in_place()


_whoosh_checked = False


def ensure_single_whoosh(search_path: Iterable[str] | None = None) -> None:
    """Refuse to run when the original Whoosh is installed beside whoosh-reloaded:
    both write the same `whoosh` package, so which one is imported is an accident.

    The check looks for the original's metadata (Whoosh-*.dist-info, .egg-info or an
    .egg) among the names of each directory of the import path, as importlib.metadata
    would find it: loading importlib.metadata cost a cold query about 5 ms. Done once
    per process when clean; a `search_path` given (tests) is always looked at."""
    global _whoosh_checked
    if search_path is None and _whoosh_checked:
        return
    for folder in sys.path if search_path is None else search_path:
        if _is_original_whoosh(os.path.basename(folder)):
            found = folder
        else:
            try:
                names = os.listdir(folder or ".")
            except OSError:  # a zip file, a folder gone, not a folder
                continue
            found = next((os.path.join(folder, n) for n in names if _is_original_whoosh(n)), None)
        if found:
            raise NewsearchError(
                f"the original 'whoosh' distribution is installed ({found}); newsearch needs only "
                "'whoosh-reloaded': run `pip uninstall -y whoosh whoosh-reloaded && "
                "pip install whoosh-reloaded==2.7.5`"
            )
    if search_path is None:
        _whoosh_checked = True


def _is_original_whoosh(name: str) -> bool:
    """Metadata of a distribution named Whoosh (whoosh_reloaded-... is not)."""
    lower = name.lower()
    return lower.startswith("whoosh-") and lower.endswith((".dist-info", ".egg-info", ".egg"))


def exists(path: str | os.PathLike[str]) -> bool:
    """Whether `path` holds an index, readable or not (opening a damaged one raises IndexCorrupt)."""
    try:
        return whoosh_index.exists_in(os.fspath(path))
    except Exception:
        # exists_in reads the table of contents; a truncated one raises EOFError and the like.
        return generation(path) >= 0


def is_engine_file(name: str) -> bool:
    """Whether a name in an index folder is Whoosh's: segments, TOC, lock, or the
    MAIN.tmp folder a killed writer leaves (the next writer removes it)."""
    return name.startswith(("MAIN_", "_MAIN_")) or name == "MAIN.tmp"


# A rebuild writes INDEX.building, then swaps it in with two renames: INDEX ->
# INDEX.replaced (deleted afterwards), INDEX.building -> INDEX. The names are unusual
# enough not to meet a user's own folder (a backup called INDEX.old, say).
BUILDING_SUFFIX = ".building"
REPLACED_SUFFIX = ".replaced"


def _wait_for_swap(path: str, *, patience: float = 2.0) -> None:
    """A reader arriving between a swap's two renames waits for the second instead of finding no index."""
    old = path.rstrip(os.sep) + REPLACED_SUFFIX
    deadline = time.monotonic() + patience
    while not os.path.isdir(path) and os.path.isdir(old) and time.monotonic() < deadline:
        time.sleep(0.01)


def open_index(path: str | os.PathLike[str], *, read_segments: bool = True) -> tuple[Any, IndexOptions]:
    """Open an existing index for reading or writing; check its schema version.

    With `read_segments`, every segment's directory is read now, so damage shows
    here rather than mid-search; a caller about to open a searcher anyway passes
    False and opens it inside `opening_errors`.
    """
    path = os.fspath(path)
    ensure_single_whoosh()
    _wait_for_swap(path)
    if not os.path.isdir(path) or not exists(path):
        raise IndexNotFound(path)
    options = options_from_meta(path, read_meta(path))
    with opening_errors(path):
        ix = whoosh_index.open_dir(path)
        if read_segments:
            ix.reader().close()
    expected = build_schema(options)
    if sorted(ix.schema.names()) != sorted(expected.names()):
        raise SchemaMismatch(
            f"{path}: index fields differ from this newsearch's schema; run `newsearch rebuild`"
        )
    return ix, options


@contextmanager
def opening_errors(path: str) -> Iterator[None]:
    """Whoosh's failures while opening an index or reader, as newsearch errors."""
    try:
        yield
    except NewsearchError:
        raise
    except EmptyIndexError as exc:
        raise IndexNotFound(path) from exc
    except FileNotFoundError as exc:
        raise IndexCorrupt(f"{path}: index file {exc.filename} is missing; run `newsearch rebuild`") from exc
    except OSError as exc:
        raise StorageError(f"{path}: cannot open index ({exc.strerror or exc})") from exc
    except Exception as exc:
        raise IndexCorrupt(f"{path}: index files are unreadable ({exc}); run `newsearch rebuild`") from exc


def generation(path: str | os.PathLike[str]) -> int:
    """The number of an index's latest commit (-1 when there is none), from file names only."""
    try:
        names = os.listdir(path)
    except OSError:
        return -1
    return max((int(m.group(1)) for m in map(_TOC_NAME.match, names) if m), default=-1)


def advance_generation(ix: Any, *, beyond: int) -> None:
    """Make the latest commit's number exceed `beyond`, with an empty commit if needed.

    Open searchers notice a commit by its generation number, so an index rebuilt
    beside an older one must count on from the old one's before it is swapped in,
    or readers of the old one would never see the new state.
    """
    if ix.latest_generation() > beyond:
        return
    writer = ix.writer()
    writer.generation = beyond + 1
    writer.commit(merge=False)


def create_index(path: str | os.PathLike[str], options: IndexOptions = IndexOptions()) -> Any:
    """Create an empty index (replacing any index already there)."""
    path = os.fspath(path)
    ensure_single_whoosh()
    with storage_errors(path):
        os.makedirs(path, exist_ok=True)
        ix = whoosh_index.create_in(path, build_schema(options))
        # A new index starts a new dictionary of printed words (an old index without
        # one keeps suggesting from its vocabulary: see query.suggest).
        for stale in (SPELLING_FILE, SPELLING_FILE + "-journal"):
            Path(path, stale).unlink(missing_ok=True)
        SpellingStore(path).close()
    meta = read_meta(path) if os.path.exists(os.path.join(path, META_FILE)) else {}
    meta.update(
        newsearch_version=__version__,
        schema_version=SCHEMA_VERSION,
        analysis=options.to_dict(),
    )
    write_meta(path, meta)
    return ix


@contextmanager
def storage_errors(path: str) -> Iterator[None]:
    """Map operating-system write failures to StorageError with a one-line reason."""
    try:
        yield
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            reason = "the disk is full"
        elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            reason = "permission denied (read-only folder?)"
        else:
            reason = exc.strerror or str(exc)
        raise StorageError(f"{path}: {reason}; the last committed index is unchanged") from exc


# ---------------------------------------------------------------------------
# Writing


class IndexWriter:
    """Adds, replaces and deletes articles; commits in batches so a crash loses one batch.

    Use as a context manager: leaving the block normally commits, an exception cancels
    the uncommitted batch (everything committed before it stays).
    """

    def __init__(self, path: str, ix: Any, *, limitmb: int = DEFAULT_LIMIT_MB,
                 options: IndexOptions | None = None, stories: bool = True,
                 merges: TieredMerges | None = None) -> None:
        self.path = path
        # Segments merged in child processes while this writer goes on, swapped in at its commits.
        self._merges = BackgroundMerges(path, ix.schema, merges) \
            if merges is not None and BackgroundMerges.possible() else None
        self._group = stories  # False: a shard whose articles another shard groups
        self._ix = ix
        self._options = options
        self._limitmb = limitmb
        self._writer: Any = None
        self._pending = 0
        self._lock = WriterLock(path)
        _LIVE_WRITERS.add(self)
        self._batch_ids: set[str] = set()
        self._written: list[WrittenSegment] = []
        self._stories: StoryStore | None = None
        self._lookup: Any = None  # a searcher over what is committed, for `stored`
        self._spelling: SpellingStore | None = None
        self._words = WordCounts()  # printed words of articles added through Whoosh's writer

    @property
    def spelling(self) -> SpellingStore | None:
        """The index's printed words (None for an index made before it kept them)."""
        if self._spelling is None and SpellingStore.exists(self.path):
            with storage_errors(self.path):
                self._spelling = SpellingStore(self.path)
        return self._spelling

    @property
    def stories(self) -> StoryStore:
        """The index's story grouping, written with each commit (see stories.py)."""
        if self._stories is None:
            with storage_errors(self.path):
                self._stories = StoryStore(self.path)
        return self._stories

    def __enter__(self) -> "IndexWriter":
        self._lock.acquire()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None:
                self.commit()
                self.finish_merges()
            else:
                self.cancel()
        finally:
            if self._merges is not None:
                self._merges.stop()
            self._forget_lookup()
            for store in (self._stories, self._spelling):
                if store is not None:
                    store.close()
            self._stories = self._spelling = None
            self._lock.release()

    def _ensure_writer(self) -> Any:
        if self._writer is None:
            try:
                with storage_errors(self.path):  # opening a writer creates segment files
                    self._writer = _open_writer(self._ix, self._limitmb)
            except LockError as exc:
                raise IndexLocked(f"{self.path}: the index is locked by another writer") from exc
        return self._writer

    @property
    def stale_lock_pid(self) -> int | None:
        """PID of a writer that died holding the lock before this one took it."""
        return self._lock.stale_pid

    @property
    def pending(self) -> int:
        """Documents added or deleted since the last commit."""
        return self._pending

    def add(self, article: Article, *, replace: bool = True) -> None:
        """Add an article; with `replace`, an article with the same id is replaced."""
        if replace and article.id in self._batch_ids:
            self.commit()  # Whoosh replaces committed documents only: a repeat within a batch would stay twice
        self._batch_ids.add(article.id)
        writer = self._ensure_writer()
        if self._group:
            self.group(article)
        if self._options is None:
            self._options = options_from_meta(self.path, read_meta(self.path))
        fields = article_fields(article, self._options)
        self._words.add(article.title, article.summary, article.body)
        with storage_errors(self.path):
            if replace:
                writer.update_document(**fields)
            else:
                writer.add_document(**fields)
        self._pending += 1

    def group(self, article: Article) -> None:
        """Give an article its story in this index's grouping (which may keep the
        grouping of a whole archive of shards); written at the next commit."""
        self.stories.assign(article.id, article.date, sketch(article.body))

    def forget(self, ids: Iterable[str]) -> None:
        """Drop deleted articles from this index's grouping at the next commit."""
        self.stories.forget(list(ids))

    def add_segment(self, written: WrittenSegment) -> None:
        """Adopt, at the next commit, a segment a worker wrote (see segments.py).
        The caller groups its articles into stories (`stories.assign`) itself, in input order."""
        self._ensure_writer()  # the lock, and a writer for this batch's deletions
        self._written.append(written)
        self._pending += written.doc_count

    def stored(self, ids: Iterable[str]) -> dict[str, Article]:
        """The committed articles with these ids (those the index holds), by id. One
        searcher serves every call until the next commit."""
        if self._lookup is None:
            self._lookup = self._ix.searcher()
        found: dict[str, Article] = {}
        for article_id in ids:
            docnum = self._lookup.document_number(id=article_id)
            if docnum is not None:
                found[article_id] = stored_to_article(self._lookup.stored_fields(docnum))
        return found

    def _forget_lookup(self) -> None:
        if self._lookup is not None:
            self._lookup.close()
            self._lookup = None

    def delete_ids(self, ids: Iterable[str]) -> int:
        """Delete articles by id; returns how many were deleted."""
        return self._delete_by("id", ids)

    def delete_paths(self, paths: Iterable[str], *, ids: set[str] | None = None) -> int:
        """Delete every article that came from one of these files (their ids are
        added to `ids` when given, so a caller can tell a replaced article from a new one)."""
        return self._delete_by("path", paths, ids)

    def _delete_by(self, fieldname: str, values: Iterable[str], ids: set[str] | None = None) -> int:
        """Delete committed documents holding one of `values`; returns how many were
        not already deleted, so callers can account for every document exactly."""
        writer = self._ensure_writer()
        searcher = writer.searcher()
        count = 0
        gone = []
        for value in values:
            for docnum in searcher.document_numbers(**{fieldname: value}):
                if not writer.is_deleted(docnum):
                    if ids is not None:
                        ids.add(searcher.stored_fields(docnum)["id"])
                    writer.delete_document(docnum)
                    gone.append(value if fieldname == "id" else searcher.stored_fields(docnum).get("id", ""))
                    count += 1
        if gone and self._group:
            self.stories.forget(gone)
        self._pending += count
        return count

    def commit(self, *, optimize: bool = False, jobs: int = 1, progress: MergeProgress | None = None) -> None:
        """Make pending changes durable and visible to new searchers; `optimize`
        merges every segment into one (in `jobs` processes, see merging.py). Background
        merges that have finished are swapped in; new ones start from what is committed."""
        if optimize and self._merges is not None:
            self._merges.stop()  # everything is merged into one anyway
        with storage_errors(self.path):
            merged = self._merges.finished() if self._merges is not None else []
        if self._writer is None:
            if self._stories is not None:
                with storage_errors(self.path):
                    self._stories.commit()  # articles grouped here that other shards hold
            if not optimize and not merged:
                if self._merges is not None:
                    with storage_errors(self.path):
                        self._merges.start(self._ix._segments())
                return
            self._ensure_writer()
        self._forget_lookup()
        writer, self._writer = self._writer, None
        written, self._written = self._written, []
        words, self._words = self._words, WordCounts()
        with storage_errors(self.path):
            try:
                if self._stories is not None:
                    self._stories.commit()  # before the engine: see StoryStore
                spelling = self.spelling
                if spelling is not None:  # before the engine too: see SpellingStore
                    spelling.add(words.table())
                    for part in written:
                        spelling.add(part.words)
                    spelling.commit()
                if merged:
                    writer.segments = swap_in(writer, merged, self.path)
                busy = self._merges.busy if self._merges is not None else set()
                if written:
                    commit_with(writer, written, self.path, busy)
                elif optimize:
                    merge_all(writer, self.path, jobs=jobs, progress=progress)
                else:
                    writer.commit(mergetype=partial(merge_small_segments, busy=busy))
            except BaseException:
                _cancel_quietly(writer)
                for part in [*written, *merged]:
                    part.discard()
                raise
        self._pending = 0
        self._batch_ids.clear()
        if self._merges is not None and not optimize:
            with storage_errors(self.path):
                self._merges.start(self._ix._segments())
        if written and optimize:
            self.commit(optimize=True, jobs=jobs, progress=progress)

    def finish_merges(self, waiting: Callable[[], None] | None = None) -> None:
        """Wait for the background merges, swap them in and commit, until the policy
        asks for no more (`waiting` is called about once a second meanwhile)."""
        if self._merges is not None:
            with storage_errors(self.path):
                self._merges.start(self._ix._segments(), finishing=True)  # those the limit held back
        while self._merges is not None and self._merges.running:
            with storage_errors(self.path):
                merged = self._merges.finished(wait=True, waiting=waiting)
            self._ensure_writer()
            writer, self._writer = self._writer, None
            with storage_errors(self.path):
                try:
                    writer.segments = swap_in(writer, merged, self.path)
                    writer.commit(mergetype=partial(merge_small_segments, busy=self._merges.busy))
                except BaseException:
                    _cancel_quietly(writer)
                    for part in merged:
                        part.discard()
                    raise
                self._merges.start(self._ix._segments(), finishing=True)
        if self._merges is not None:  # the files of segments merged away, so the size reported is true
            prune_facets(self.path, [segment.segment_id() for segment in self._ix._segments()])

    @property
    def merging_documents(self) -> int:
        """Documents the background merges not yet swapped in are copying."""
        return self._merges.merging_documents if self._merges is not None else 0

    @property
    def merges_running(self) -> int:
        """Background merges not yet swapped in."""
        return self._merges.running if self._merges is not None else 0

    @property
    def merged_documents(self) -> int:
        """Documents copied by the background merges swapped in so far."""
        return self._merges.merged_documents if self._merges is not None else 0

    def cancel(self) -> None:
        if self._merges is not None:
            self._merges.stop()
        self._forget_lookup()
        writer, self._writer = self._writer, None
        written, self._written = self._written, []
        self._pending = 0
        self._batch_ids.clear()
        self._words = WordCounts()
        if self._stories is not None:
            self._stories.rollback()
        if self._spelling is not None:
            self._spelling.rollback()
        if writer is not None:
            _cancel_quietly(writer)
        for part in written:
            part.discard()


# Whoosh's write lock is an flock too: forked children close their copies of it, as
# locking.py does for newsearch's own lock, so it ends with the writing process.
_LIVE_WRITERS: "weakref.WeakSet[IndexWriter]" = weakref.WeakSet()


def _drop_inherited_whoosh_locks() -> None:
    for index_writer in list(_LIVE_WRITERS):
        lock = getattr(index_writer._writer, "writelock", None)
        fd = getattr(lock, "fd", None)
        if fd is not None:
            lock.fd = None
            try:
                os.close(fd)
            except OSError:
                pass


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_inherited_whoosh_locks)


def _open_writer(ix: Any, limitmb: int) -> Any:
    """A Whoosh writer whose lock is freed even when opening it fails.

    Whoosh takes its lock before creating the new segment's files and keeps it when
    that creation fails (a full disk), so later writers in this process would see
    a locked index. Taking the lock here lets a failure give it back.
    """
    lock = ix.lock("WRITELOCK")
    if not lock.acquire(False):
        raise LockError
    try:
        writer = ix.writer(limitmb=limitmb, _lk=False)
    except BaseException:
        lock.release()
        raise
    writer.writelock = lock  # released by the writer's commit or cancel
    return writer


def _cancel_quietly(writer: Any) -> None:
    try:
        writer.cancel()
    except Exception:
        pass


def doc_count(ix: Any) -> int:
    """Undeleted documents, from the table of contents alone: Whoosh's own count opens
    a reader on every segment, mapping gigabytes of a large index to read one number."""
    return sum(segment.doc_count() for segment in ix._segments())


def segment_count(ix: Any) -> int:
    return len(ix._segments())
