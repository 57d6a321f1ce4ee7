"""Small builders shared by tests: articles and corpora written into tmp folders."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from newsearch import Article


def article(title: str, body: str, **fields: object) -> Article:
    return Article(title=title, body=body, **fields)  # type: ignore[arg-type]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------
# Small WARC files, written record by record (one gzip member per record, as crawlers do)


def warc_record(kind: str, uri: str | None, block: bytes, *, date: str = "2025-03-15T06:00:00Z",
                content_type: str = "application/http; msgtype=response", length: int | None = None,
                extra: dict[str, str] | None = None) -> bytes:
    """One WARC/1.1 record; `length` overrides the Content-Length (to write a wrong one)."""
    import uuid

    fields = {"WARC-Type": kind, "WARC-Record-ID": f"<urn:uuid:{uuid.uuid4()}>", "WARC-Date": date}
    if uri is not None:
        fields["WARC-Target-URI"] = uri
    fields.update(extra or {})
    fields["Content-Type"] = content_type
    fields["Content-Length"] = str(len(block) if length is None else length)
    head = "WARC/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
    return head.encode("utf-8") + block + b"\r\n\r\n"


def http_response(body: bytes, *, status: str = "200 OK", headers: dict[str, str] | None = None) -> bytes:
    fields = {"Content-Type": "text/html", **(headers or {})}
    return (f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n").encode() + body


def news_page(title: str, *, day: str = "2024-05-02", words: int = 220, kind: str = "article",
              canonical: str | None = None) -> bytes:
    """An article page as news sites write them: dated headline, og:type, paragraphs of text."""
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    sentence = f"The council met on {title.lower()} and decided to publish its report on the harbour works. "
    paragraphs = "".join(f"<p>{sentence * 4}</p>" for _ in range(max(1, words // 80)))
    return (f'<!doctype html><html lang="en"><head><title>{title} - Example News</title>'
            f'<meta property="og:type" content="{kind}">{link}'
            f'<meta property="article:published_time" content="{day}T08:00:00Z"></head>'
            f'<body><article><h1>{title}</h1><p class="byline">By Ann Writer</p>{paragraphs}</article>'
            f'</body></html>').encode()


def write_warc(path: Path, records: list[bytes], *, compress: bool = True) -> Path:
    import gzip

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(gzip.compress(r) for r in records) if compress else b"".join(records))
    return path
