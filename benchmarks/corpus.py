"""Seeded generator of synthetic news articles for benchmarks.

Why synthetic: real archives large enough to stress an index (10^5-10^6
articles) cannot ship with the project, and timing figures are only
comparable when everyone indexes the same bytes.  The generator therefore
mimics the properties that drive index cost and query cost -- a Zipfian
vocabulary, long-tailed body lengths, recurring names, skewed section and
author frequencies, dates over decades -- and is fully determined by
``(seed, article number)``.  Each article gets its own RNG, so article i is
the same whatever N is and articles can be produced in any order.

Articles are streamed: nothing but the shared word tables is held in memory,
so a million articles cost the same RAM as a thousand.

    python benchmarks/corpus.py --n 100000 --format jsonl --out DIR --seed 1
"""
from __future__ import annotations

import argparse
import html
import itertools
import json
import math
import random
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

# -- shape of the corpus (data, so tuning is a data change) -----------------

SECTIONS = (
    "world", "politics", "business", "markets", "technology", "science",
    "health", "sport", "culture", "books", "opinion", "environment",
    "education", "travel", "food", "religion", "media", "law", "energy",
    "local",
)
# Real English function words head the frequency list, as in real prose, so
# that stop-word handling and very long posting lists are exercised.
FUNCTION_WORDS = (
    "the", "of", "and", "to", "in", "a", "is", "that", "for", "on", "was",
    "with", "he", "it", "as", "at", "by", "from", "his", "an", "were", "are",
    "which", "this", "be", "has", "had", "or", "not", "but", "they", "said",
    "have", "their", "she", "its", "after", "who", "been", "will", "more",
    "than", "over", "would", "new", "into", "two", "when", "about", "also",
)
ONSETS = (
    "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t",
    "v", "w", "z", "br", "cr", "dr", "fr", "gr", "pr", "tr", "bl", "cl", "fl",
    "gl", "pl", "sl", "st", "sp", "sk", "sh", "ch", "th", "qu", "",
)
VOWELS = ("a", "e", "i", "o", "u", "a", "e", "o", "ai", "ea", "ou", "io", "y")
CODAS = ("", "", "", "n", "r", "l", "s", "m", "t", "nd", "st", "rk", "ng", "x")
SUFFIXES = ("s", "ed", "ing", "er", "ly", "tion")
ACCENTS = {"a": "áàãâ", "e": "éèê", "i": "íï", "o": "óöø", "u": "üú", "c": "ç", "n": "ñ"}
SYLLABLES, SYLLABLE_CUM = (1, 2, 3, 4), (0.2, 0.65, 0.92, 1.0)
TIMEZONES = (0, 0, 0, 60, 60, 120, -300, -300, -240, -360, -420, -480, 180, 330, 480, 540, 600)

VOCABULARY = 60_000          # distinct generated terms (before suffixed variants)
ZIPF_EXPONENT = 1.07
PEOPLE, PLACES, ORGANISATIONS = 300, 150, 60
AUTHORS = 2_000
TAGS = 400
SECTION_TERMS = 150          # topical words preferred by each section
FIRST_YEAR, YEARS = 2000, 25
BODY_MEDIAN_WORDS, BODY_SIGMA = 520, 0.38
BODY_MIN_WORDS, BODY_MAX_WORDS = 60, 6_000
NAME_EVERY_WORDS = 45        # on average one name mention per this many words
NAMES_PER_WORDS = 250        # one more distinct name per this many words of body
SECTION_WORD_SHARE = 0.08    # share of body words drawn from the section's topic list
MULTI_AUTHOR_SHARE = 0.12
THREE_AUTHOR_SHARE = 0.02
NO_BYLINE_SHARE = 0.05
TITLE_SKIP_TOP = 200
FILES_PER_FOLDER = 1_000


@dataclass(frozen=True)
class Tables:
    """Word lists and cumulative weights shared by every article of one seed."""

    words: tuple[str, ...]
    word_cum: tuple[float, ...]
    people: tuple[str, ...]
    places: tuple[str, ...]
    organisations: tuple[str, ...]
    names_cum: tuple[float, ...]
    authors: tuple[str, ...]
    authors_cum: tuple[float, ...]
    tags: tuple[str, ...]
    tags_cum: tuple[float, ...]
    section_cum: tuple[float, ...]
    section_words: tuple[tuple[str, ...], ...]
    names: tuple[str, ...]
    title_words: tuple[str, ...]
    title_cum: tuple[float, ...]


def _zipf_cum(n: int, exponent: float = ZIPF_EXPONENT) -> tuple[float, ...]:
    return tuple(itertools.accumulate(1.0 / (rank ** exponent) for rank in range(1, n + 1)))


def _syllable(rng: random.Random) -> str:
    return rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS)


def _word(rng: random.Random) -> str:
    return "".join(_syllable(rng) for _ in range(rng.choices(SYLLABLES, cum_weights=SYLLABLE_CUM)[0]))


def _accented(rng: random.Random, word: str) -> str:
    """Put one diacritic on a letter that has an accented form."""
    spots = [i for i, ch in enumerate(word) if ch in ACCENTS]
    if not spots:
        return word
    i = rng.choice(spots)
    return word[:i] + rng.choice(ACCENTS[word[i]]) + word[i + 1:]


def _proper(rng: random.Random, *, accent_share: float = 0.15) -> str:
    word = _syllable(rng) + _syllable(rng) + (_syllable(rng) if rng.random() < 0.3 else "")
    if rng.random() < accent_share:
        word = _accented(rng, word)
    return word.capitalize()


def _person(rng: random.Random) -> str:
    """A full name; about one in six is Arabic-style with a particle."""
    first = _proper(rng)
    roll = rng.random()
    if roll < 0.12:
        return f"{first} al-{_proper(rng, accent_share=0)}"
    if roll < 0.17:
        return f"{first} {rng.choice(('bin', 'ibn', 'Abu'))} {_proper(rng, accent_share=0)}"
    return f"{first} {_proper(rng)}"


def _unique(rng: random.Random, make, count: int, taken: set[str]) -> tuple[str, ...]:
    out: list[str] = []
    while len(out) < count:
        item = make(rng)
        if item.lower() not in taken:
            taken.add(item.lower())
            out.append(item)
    return tuple(out)


def build_tables(seed: int) -> Tables:
    """Generate the vocabulary, names, authors and weights for ``seed``."""
    rng = random.Random(f"newsearch-corpus-tables-{seed}")
    taken: set[str] = set(FUNCTION_WORDS)
    stems = _unique(rng, _word, VOCABULARY, taken)
    # About a fifth of the stems also appear inflected, so stemmers have work.
    variants: list[str] = []
    for stem in stems[: VOCABULARY // 5]:
        variant = stem + rng.choice(SUFFIXES)
        if variant not in taken:
            taken.add(variant)
            variants.append(variant)
    # Frequent words tend to be short (as in real languages): rank by a noisy length.
    generated = sorted(stems + tuple(variants), key=lambda w: len(w) + rng.gauss(0, 2.5))
    words = FUNCTION_WORDS + tuple(generated)

    people = _unique(rng, _person, PEOPLE, taken)
    places = _unique(rng, lambda r: _proper(r) if r.random() < 0.8 else f"{_proper(r)} {_proper(r)}", PLACES, taken)
    organisations = _unique(rng, lambda r: f"{_proper(r)} {r.choice(('Group', 'Bank', 'Party', 'Council', 'Institute', 'Holdings'))}", ORGANISATIONS, taken)
    authors = _unique(rng, _person, AUTHORS, taken)
    tag_words = [w for w in generated[:5000] if len(w) > 3][: TAGS - 60]
    tags = tuple(tag_words) + tuple(rng.sample(people + places, 60))
    # Topic lists: mid-frequency words, so each section has a recognisable flavour.
    section_words = tuple(tuple(rng.sample(generated[200:20000], SECTION_TERMS)) for _ in SECTIONS)
    return Tables(
        words=words,
        word_cum=_zipf_cum(len(words)),
        people=people,
        places=places,
        organisations=organisations,
        names_cum=_zipf_cum(PEOPLE + PLACES + ORGANISATIONS, 0.9),
        authors=authors,
        authors_cum=_zipf_cum(AUTHORS, 0.7),
        tags=tags,
        tags_cum=_zipf_cum(len(tags), 0.9),
        section_cum=_zipf_cum(len(SECTIONS), 0.8),
        section_words=section_words,
        names=people + places + organisations,
        # Headlines favour content words over the most frequent ones.
        title_words=words[TITLE_SKIP_TOP:],
        title_cum=_zipf_cum(len(words) - TITLE_SKIP_TOP),
    )


# -- one article ----------------------------------------------------------------

_EPOCH = datetime(FIRST_YEAR, 1, 1)
_SPAN_SECONDS = int((datetime(FIRST_YEAR + YEARS, 1, 1) - _EPOCH).total_seconds())


def _date(rng: random.Random) -> str:
    # Volume grows over time (sqrt of a uniform skews toward recent years).
    local = _EPOCH + timedelta(seconds=int(_SPAN_SECONDS * math.sqrt(rng.random())))
    offset = rng.choice(TIMEZONES)
    return local.replace(tzinfo=timezone(timedelta(minutes=offset))).isoformat()


def _byline(rng: random.Random, t: Tables) -> tuple[str, list[str]]:
    roll = rng.random()
    if roll < NO_BYLINE_SHARE:
        return "", []
    count = 3 if roll > 1 - THREE_AUTHOR_SHARE else 2 if roll > 1 - MULTI_AUTHOR_SHARE else 1
    authors: list[str] = []
    while len(authors) < count:
        name = rng.choices(t.authors, cum_weights=t.authors_cum)[0]
        if name not in authors:
            authors.append(name)
    if count == 1:
        text = authors[0]
    else:
        text = ", ".join(authors[:-1]) + " and " + authors[-1]
    return "By " + text, authors


def _body(rng: random.Random, t: Tables, section: int) -> tuple[str, list[str]]:
    """Paragraphs of sentences; returns the text and the names it mentions."""
    n = int(rng.lognormvariate(math.log(BODY_MEDIAN_WORDS), BODY_SIGMA))
    n = max(BODY_MIN_WORDS, min(BODY_MAX_WORDS, n))
    words = rng.choices(t.words, cum_weights=t.word_cum, k=n)
    topical = t.section_words[section]
    for i in rng.sample(range(n), int(n * SECTION_WORD_SHARE)):
        words[i] = rng.choice(topical)
    # A story is about a few names, each mentioned several times.
    cast = rng.choices(t.names, cum_weights=t.names_cum, k=1 + n // NAMES_PER_WORDS)
    mentions = [cast[0]] + rng.choices(cast, k=max(0, n // NAME_EVERY_WORDS - 1))
    for name, i in zip(mentions, rng.sample(range(n), len(mentions))):
        words[i] = name
    paragraphs: list[str] = []
    sentences: list[str] = []
    pos = 0
    while pos < n:
        length = rng.randint(8, 28)
        chunk = words[pos:pos + length]
        pos += length
        chunk[0] = chunk[0][:1].upper() + chunk[0][1:]
        if len(chunk) > 6 and rng.random() < 0.4:
            chunk[len(chunk) // 2] += ","
        sentences.append(" ".join(chunk) + ("?" if rng.random() < 0.03 else "."))
        if len(sentences) >= 5 or (len(sentences) >= 2 and rng.random() < 0.3):
            paragraphs.append(" ".join(sentences))
            sentences = []
    if sentences:
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs), mentions


def _slug(title: str) -> str:
    return quote("-".join(w.strip(",.?'").lower() for w in title.split()[:6]))


def article(i: int, *, seed: int = 1, tables: Tables | None = None) -> dict:
    """Article number ``i`` of the corpus for ``seed`` (same whatever N is)."""
    t = tables or build_tables(seed)
    rng = random.Random(seed * 1_000_003 + i * 7_919)
    section = rng.choices(range(len(SECTIONS)), cum_weights=t.section_cum)[0]
    byline, authors = _byline(rng, t)
    date = _date(rng)
    body, mentions = _body(rng, t, section)
    title_words = rng.choices(t.title_words, cum_weights=t.title_cum, k=rng.randint(4, 10))
    title_words[rng.randrange(len(title_words))] = mentions[0]
    title = " ".join(dict.fromkeys(title_words))
    title = title[:1].upper() + title[1:]
    tag_count = rng.randint(1, 5)
    tags = sorted(set(rng.choices(t.tags, cum_weights=t.tags_cum, k=tag_count)) | {mentions[0]})
    name = SECTIONS[section]
    ident = f"syn{seed}-{i:07d}"
    return {
        "id": ident,
        "url": f"https://news.example.org/{name}/{date[:4]}/{date[5:7]}/{date[8:10]}/{_slug(title)}-{i}",
        "title": title,
        "byline": byline,
        "authors": authors,
        "section": name,
        "date": date,
        "body": body,
        "tags": tags,
    }


def generate(n: int, *, seed: int = 1, start: int = 0) -> Iterator[dict]:
    """Stream articles ``start .. start+n-1`` for ``seed``."""
    tables = build_tables(seed)
    for i in range(start, start + n):
        yield article(i, seed=seed, tables=tables)


# -- renderings -------------------------------------------------------------------

def to_html(a: dict) -> str:
    """A news page with JSON-LD metadata and the body in <article><p>."""
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": a["title"],
        "datePublished": a["date"],
        "articleSection": a["section"],
        "keywords": a["tags"],
        "author": [{"@type": "Person", "name": name} for name in a["authors"]],
        "url": a["url"],
    }
    esc = html.escape
    paragraphs = "\n".join(f"<p>{esc(p)}</p>" for p in a["body"].split("\n\n"))
    byline = f'<p class="byline">{esc(a["byline"])}</p>\n' if a["byline"] else ""
    ld_text = json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        f"<title>{esc(a['title'])} | {esc(a['section'].title())} | Example News</title>\n"
        f"<link rel=\"canonical\" href=\"{esc(a['url'])}\">\n"
        f"<script type=\"application/ld+json\">{ld_text}</script>\n"
        "</head><body>\n<nav><a href=\"/\">Home</a> <a href=\"/"
        f"{esc(a['section'])}/\">{esc(a['section'].title())}</a></nav>\n"
        f"<article>\n<h1>{esc(a['title'])}</h1>\n{byline}"
        f"<time datetime=\"{a['date']}\">{a['date'][:10]}</time>\n{paragraphs}\n</article>\n"
        "<footer>Example News. All rights reserved.</footer>\n</body></html>\n"
    )


def to_text(a: dict) -> str:
    """Headline, byline, date, blank line, body: the plain-text layout."""
    return f"{a['title']}\n{a['byline']}\n{a['date']}\n\n{a['body']}\n"


def write(n: int, *, out: Path, fmt: str = "jsonl", seed: int = 1, progress: bool = False) -> Path:
    """Write N articles under ``out``; returns the JSONL file or the folder.

    HTML and text files go into numbered sub-folders of 1,000 files each so
    that a million-file corpus stays listable.
    """
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    articles = generate(n, seed=seed)
    if fmt == "jsonl":
        target = out / "articles.jsonl"
        with target.open("w", encoding="utf-8") as fh:
            for k, a in enumerate(articles, 1):
                fh.write(json.dumps(a, ensure_ascii=False))
                fh.write("\n")
                _tick(progress, k, n, started)
        return target
    if fmt not in ("html", "text"):
        raise ValueError(f"unknown format {fmt!r}: use jsonl, html or text")
    render, suffix = (to_html, ".html") if fmt == "html" else (to_text, ".txt")
    folder = None
    for k, a in enumerate(articles):
        if k % FILES_PER_FOLDER == 0:
            folder = out / f"{k // FILES_PER_FOLDER:04d}"
            folder.mkdir(exist_ok=True)
        (folder / (a["id"] + suffix)).write_text(render(a), encoding="utf-8")
        _tick(progress, k + 1, n, started)
    return out


def _tick(progress: bool, k: int, n: int, started: float) -> None:
    if progress and (k % 10_000 == 0 or k == n):
        rate = k / max(time.perf_counter() - started, 1e-9)
        print(f"\r{k:,}/{n:,} articles, {rate:,.0f}/s", end="\n" if k == n else "", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of articles")
    parser.add_argument("--format", choices=("jsonl", "html", "text"), default="jsonl")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    target = write(args.n, out=args.out, fmt=args.format, seed=args.seed, progress=not args.quiet)
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
