"""Feed and sitemap entries meeting the page of the same URL: one article, filled.

A feed entry and the page it links to have the same id (the URL), so without care the
later input would simply replace the earlier. Instead the page is kept (it gives the
body and every field it has) and the entry fills what the page lacks (parse/feeds.py,
`merged_with_entry`), whichever came first, in one run or across runs. The entry's
fields are applied to the stored page after each commit, when the page is readable
from the index whatever worker wrote it.
"""
from __future__ import annotations

from typing import Any

from ..models import Article
from ..parse.feeds import is_entry, merged_with_entry


class EntryMerges:
    """The entries of a run and the fills they owe to pages (see the module notes)."""

    def __init__(self, writer: Any, *, fresh: bool) -> None:
        self.writer = writer
        self.fresh = fresh  # a fresh build holds nothing from earlier runs
        self.entries: dict[str, Article] = {}  # id -> entry of this run that stands as an article
        self.pending: dict[str, Article] = {}  # id -> entry whose fields fill the stored page
        # Entries without text that no longer stand as articles (their page has text):
        # taken off the run's count of articles without text.
        self.textless_absorbed = 0

    def entry_fills_page(self, item: str, entry: Article | None, seen_in_run: bool) -> bool:
        """Called for each article id as it is met (`entry` when it is a feed or sitemap
        entry). True when it is an entry whose page is already held: the entry is not
        written, it only fills that page. A page that replaces an entry takes its fills."""
        if entry is not None:
            if seen_in_run:
                if item in self.entries:
                    self.entries[item] = entry  # entry after entry: the later one stands
                    return False
                self._owe(item, entry)
                return True
            held = self._held(item)
            if held is not None and not is_entry(held):
                self._owe(item, entry)
                return True
            self.entries[item] = entry
            return False
        if seen_in_run:
            if item in self.entries:
                self._owe(item, self.entries.pop(item))
        else:
            held = self._held(item)
            if held is not None and is_entry(held):
                self._owe(item, held)
        return False

    def _held(self, item: str) -> Article | None:
        return None if self.fresh else self.writer.stored([item]).get(item)

    def _owe(self, item: str, entry: Article) -> None:
        self.textless_absorbed += not entry.body
        earlier = self.pending.get(item)
        self.pending[item] = merged_with_entry(entry, earlier) if earlier is not None else entry

    def apply(self) -> int:
        """Fill the stored pages with what their entries give (after a commit); returns
        how many pages were rewritten (commit again when any)."""
        if not self.pending:
            return 0
        pages = self.writer.stored(list(self.pending))
        done = 0
        for item, entry in list(self.pending.items()):
            page = pages.get(item)
            if page is None:
                continue  # not committed yet: filled after the next commit
            merged = merged_with_entry(page, entry)
            if merged != page or merged.feed != page.feed:
                self.writer.add(merged, replace=True)
                done += 1
            del self.pending[item]
        return done
