"""Do name keys (`names=True`) bring wrong articles into the top 10 of name searches?

    python benchmarks/names.py [--shared PATH] [--keep DIR] [--common N]

Indexes Reuters-21578 and the BBC texts together and searches each of the 50 names of
benchmarks/data/name_queries.txt (chosen by hand) with and without name keys; with
`--common N`, also the N words printed capitalised in the most articles (mostly months,
institutions and places: the words most likely to meet a misprint or another word
under their key). A query "gains" an article when it enters the top 10 only with
name keys; the spelling that brought it in is judged against
benchmarks/data/name_variants.tsv, written by hand (same: a spelling of the same name;
different: another name or word). A pair not in the file is shown as unjudged. The
figure the README quotes is the share of queries whose top 10 gains a wrong article.
"""
from __future__ import annotations

import argparse
import re
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from newsearch import Archive, index_paths  # noqa: E402

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"
JUDGED = HERE / "data" / "name_variants.tsv"
NAMES = HERE / "data" / "name_queries.txt"
OPENERS = set("""the this that these those there then than when where what which while who why how and but
for not with from into over after before about also are was were has have had will would could should
its his her their our your they she you one two three new said says more most some such many other
""".split())


def judged() -> dict[tuple[str, str], bool]:
    found = {}
    for line in JUDGED.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, variant, verdict = line.split("\t")
            found[(name.lower(), variant.lower())] = verdict.strip() == "same"
    return found


def common_names(index: Path, count: int) -> list[str]:
    db = sqlite3.connect(str(index / "spelling.sqlite"))
    rows = db.execute("SELECT printed FROM word WHERE printed_docs * 2 >= docs ORDER BY docs DESC").fetchall()
    names = []
    for (printed,) in rows:
        if printed[:1].isupper() and printed[1:].islower() and len(printed) >= 4 and printed.lower() not in OPENERS:
            names.append(printed)
        if len(names) == count:
            break
    return names


def variant_in(text: str, name: str, variants: list[str]) -> str | None:
    """The spelling (other than `name`) the article prints, if it prints no `name`."""
    words = {w.lower() for w in re.findall(r"[^\W\d_]+", text)}
    if name.lower() in words:
        return None
    return next((v for v in variants if v in words), "?")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--common", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="build the index here (reused when it exists)")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    index = args.keep or Path(tmp.name) / "index"
    if not index.exists():
        index_paths([args.shared / "corpus" / "jsonl" / "reuters21578.jsonl.gz",
                     args.shared / "corpus" / "text" / "bbc"], index=index, jobs=2)
    verdicts = judged()
    names = [line.strip() for line in NAMES.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    names += [name for name in common_names(index, args.common) if name not in names] if args.common else []
    wrong_queries, gaining, unjudged = 0, 0, set()
    with Archive.open(index) as archive:
        spelling = sqlite3.connect(str(index / "spelling.sqlite"))
        for name in names:
            before = {h.id for h in archive.search(name, limit=10, highlight=False).hits}
            after = archive.search(name, limit=10, highlight=False, names=True)
            gained = [h for h in after.hits if h.id not in before]
            key_variants = [w for (w,) in spelling.execute(
                "SELECT n2.word FROM namekey n1 JOIN namekey n2 ON n1.key = n2.key "
                "WHERE n1.word = ? AND n2.word != ?", (name.lower(), name.lower()))]
            spellings = set()
            for hit in gained:
                article = archive.get(hit.id)
                found = variant_in(" ".join((article.title, article.summary, article.body)), name, key_variants)
                if found:
                    spellings.add(found)
            wrong = [s for s in spellings if verdicts.get((name.lower(), s)) is False]
            unjudged.update((name.lower(), s) for s in spellings if (name.lower(), s) not in verdicts)
            gaining += bool(gained)
            wrong_queries += bool(wrong)
            print(f"{name:<14} {after.total:>6} hits  gained in top 10: {len(gained):>2}  "
                  f"spellings: {', '.join(sorted(spellings)) or '-'}  key variants: {', '.join(key_variants[:8]) or '-'}")
    print(f"{len(names)} names; top 10 changed for {gaining}; gained a wrong article: {wrong_queries} "
          f"({wrong_queries / max(1, len(names)):.1%})")
    if unjudged:
        print("unjudged (name, spelling):", ", ".join(f"{a}/{b}" for a, b in sorted(unjudged)))


if __name__ == "__main__":
    main()
