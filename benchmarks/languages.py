"""Language detection from the text alone, against the pages' own declarations.

    python benchmarks/languages.py [--detectors newsearch,py3langid,langdetect,lingua] [--shared PATH]
    python benchmarks/languages.py --stemmers

With --stemmers, the Snowball stemmers a per-language analysis could use instead are
timed on the words of the German and English pages (PyStemmer's C build,
snowballstemmer's pure Python, Whoosh's own): every word once, as an uncached
indexing run meets them, and whether the three agree.

Every extraction page that declares a language (`<html lang>`, then JSON-LD
inLanguage, og:locale or Content-Language, as the parser reads them) is copied with
every declaration removed, parsed as newsearch parses it, and its title and body
are given to each detector. A row per detector: agreement with the declaration
overall and per declared language, and the time per page. `newsearch` is the
library's own choice (newsearch.analysis.detect: the detector it ships with, plus
its script rules); the others are the candidates compared, run bare.
"""
from __future__ import annotations

import argparse
import gzip
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from newsearch.analysis.detect import SAMPLE_CHARS  # noqa: E402  (every detector reads as much)
from newsearch.errors import ParseError  # noqa: E402
from newsearch.parse.html import parse_html  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
# What the parser reads as a declaration, removed from the copy the detectors see.
_DECLARATIONS = (
    re.compile(rb"""\s(?:xml:)?lang\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)""", re.I),
    re.compile(rb"""<meta[^>]+(?:og:locale|content-language|["']language["']|dc\.language|dcterms\.language)[^>]*>""",
               re.I),
    re.compile(rb""""inLanguage"\s*:\s*(?:"[^"]*"|\[[^\]]*\]|\{[^}]*\})\s*,?""", re.I),
)


def strip_declarations(data: bytes) -> bytes:
    for pattern in _DECLARATIONS:
        data = pattern.sub(b" ", data)
    return data


def load_pages(shared: Path) -> list[tuple[str, str, str]]:
    """(page, declared language, text of the stripped copy) for pages that declare one."""
    pages = []
    for path in sorted((shared / "corpus" / "extraction" / "pages").glob("*.html.gz")):
        data = gzip.decompress(path.read_bytes())
        try:
            declared = parse_html(data, path=str(path)).language
            if not declared:
                continue
            stripped = parse_html(strip_declarations(data), path=str(path))
        except ParseError:
            continue
        if stripped.language:
            raise SystemExit(f"{path.name}: a declaration ({stripped.language}) survived the stripping")
        text = (stripped.title + "\n\n" + stripped.body).strip()
        pages.append((path.name, declared, text))
    return pages


def _newsearch() -> Callable[[str], str]:
    from newsearch.analysis.detect import language_of

    return lambda text: language_of("", text)


def _py3langid() -> Callable[[str], str]:
    import py3langid

    return lambda text: py3langid.classify(text)[0]


def _langdetect() -> Callable[[str], str]:
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0

    def run(text: str) -> str:
        try:
            return detect(text).split("-")[0]
        except LangDetectException:
            return ""

    return run


def _lingua() -> Callable[[str], str]:
    from lingua import LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()

    def run(text: str) -> str:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found else ""

    return run


DETECTORS = {"newsearch": _newsearch, "py3langid": _py3langid, "langdetect": _langdetect, "lingua": _lingua}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--detectors", default=",".join(DETECTORS))
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--mistakes", action="store_true", help="list each disagreement")
    parser.add_argument("--stemmers", action="store_true", help="time the candidate stemmers instead")
    args = parser.parse_args(argv)
    pages = load_pages(args.shared)
    if args.stemmers:
        return time_stemmers(pages)
    declared = Counter(lang for _, lang, _ in pages)
    languages = [lang for lang, n in declared.most_common() if n >= 3]
    print(f"{len(pages)} extraction pages declare a language; detection reads the first "
          f"{SAMPLE_CHARS} characters of title and body of a copy without the declarations")
    header = f"{'detector':<11} {'agree':>7} {'ms/page':>8} {'load s':>7}  " + " ".join(f"{lang:>6}" for lang in languages)
    print(header)
    print(" " * 30 + " ".join(f"{declared[lang]:>6}" for lang in languages) + "   (pages)")
    for name in [d.strip() for d in args.detectors.split(",") if d.strip()]:
        start = time.perf_counter()
        try:
            detect = DETECTORS[name]()
        except ImportError as exc:
            print(f"{name:<11} not installed ({exc.name})")
            continue
        detect(pages[0][2][:SAMPLE_CHARS])  # models load lazily: the first call counts as loading
        load = time.perf_counter() - start
        right: dict[str, int] = defaultdict(int)
        times = []
        for page, lang, text in pages:
            start = time.perf_counter()
            found = detect(text[:SAMPLE_CHARS])
            times.append(time.perf_counter() - start)
            if found == lang:
                right[lang] += 1
            elif args.mistakes:
                print(f"  {name}: {page} declares {lang}, detected {found or '-'}: {text[:60]!r}")
        total = sum(right.values()) / len(pages)
        row = f"{name:<11} {total:>7.1%} {statistics.mean(times) * 1000:>8.2f} {load:>7.2f}  "
        print(row + " ".join(f"{right[lang] / declared[lang]:>6.0%}" for lang in languages))
    if "newsearch" in args.detectors:
        overruled(pages, show=args.mistakes)
    return 0


def overruled(pages: list[tuple[str, str, str]], *, show: bool) -> None:
    """With the declaration given too, as indexing has it: how often the text overrules it."""
    from newsearch.analysis.detect import language_of

    changed = [(page, lang, language_of(lang, text), text) for page, lang, text in pages]
    changed = [c for c in changed if c[1] != c[2]]
    print(f"newsearch with the declarations: the text overrules {len(changed)} of {len(pages)} declarations")
    for page, lang, settled, text in changed if show else ():
        print(f"  {page}: declared {lang}, indexed as {settled}: {text[:60]!r}")



def _stemmer_candidates(name: str) -> dict[str, Callable[[str], str]]:
    candidates: dict[str, Callable[[str], str]] = {}
    try:
        import Stemmer

        candidates["pystemmer"] = Stemmer.Stemmer(name).stemWord
    except ImportError:
        pass
    try:  # its pure-Python classes: snowballstemmer.stemmer() hands over to PyStemmer when installed
        import importlib

        module = importlib.import_module(f"snowballstemmer.{name}_stemmer")
        candidates["snowballstemmer"] = getattr(module, f"{name.capitalize()}Stemmer")().stemWord
    except ImportError:
        pass
    from whoosh.lang import stemmer_for_language

    candidates["whoosh"] = stemmer_for_language(name)
    return candidates


def time_stemmers(pages: list[tuple[str, str, str]]) -> int:
    from newsearch.analysis import TOKEN, fold_word

    print(f"{'language':<9} {'stemmer':<16} {'words':>7} {'us/word':>8} {'agrees':>7}")
    for code, name in (("de", "german"), ("en", "english")):
        words = sorted({fold_word(w) for _, lang, text in pages if lang == code for w in TOKEN.findall(text)
                        if w.isalpha()})
        results = {}
        for label, stem in _stemmer_candidates(name).items():
            start = time.perf_counter()
            results[label] = [stem(w) for w in words]
            elapsed = time.perf_counter() - start
            reference = results.get("pystemmer", results[label])
            agree = sum(a == b for a, b in zip(results[label], reference)) / len(words)
            print(f"{code:<9} {label:<16} {len(words):>7,} {elapsed / len(words) * 1e6:>8.2f} {agree:>7.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
