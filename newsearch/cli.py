"""The `newsearch` command: a thin layer over the library.

Each command parses options, calls one library function and renders the result.
Data goes to stdout; progress and errors go to stderr. Exit codes: 0 success,
1 error or partial failure (or a stale index for `check`), 2 bad usage.
"""
from __future__ import annotations

import functools
import os
import sys
import time
from typing import Any, Callable

# numpy's import starts a BLAS thread per core that spins for a while: some 50 CPU-ms of
# every command on two cores (more on bigger machines), wall time too when the cores are
# busy; newsearch does no linear algebra that gains from them. Set before anything
# imports numpy, and only if the user has not chosen.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import click  # noqa: E402

from . import __version__
from .errors import NewsearchError

FACET_NAMES = ("section", "author", "source", "tag", "year", "month", "language")
DEBUG_ENV = "NEWSEARCH_DEBUG"


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """newsearch errors become one line on stderr and exit code 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except NewsearchError as exc:
            _fail(str(exc))
        except KeyError as exc:
            _fail(f"no article with id {exc.args[0]!r} in the index")
        except KeyboardInterrupt:
            _fail("interrupted; the index keeps what was committed before this point", 130)
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(0)
        except OSError as exc:  # a disk or permission failure the library did not map
            where = f"{exc.filename}: " if exc.filename else ""
            _fail(f"{where}{exc.strerror or exc}; the last committed state of the index is kept")
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # Click's own ways of ending a command
        except Exception as exc:  # a bug: still one line, with a way to see the traceback
            if os.environ.get(DEBUG_ENV):
                raise
            _fail(f"unexpected {type(exc).__name__}: {exc} (a bug; please report it, "
                  f"with the traceback that {DEBUG_ENV}=1 shows)")

    return wrapper


def index_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--index", "index_path", metavar="PATH", envvar="NEWSEARCH_INDEX",
        help="Index folder (default: $NEWSEARCH_INDEX or indexes/default).",
    )(command)


def _remember_cluster(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.meta["newsearch.cluster"] = value


def cluster_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--cluster", metavar="ADDRESS", expose_value=False, callback=_remember_cluster,
        help="Run an archive of shards on this Dask scheduler (tcp://host:8786), or on a local "
             "cluster of N worker processes (local[:N]); default: $NEWSEARCH_CLUSTER.",
    )(command)


def _cluster() -> str | None:
    from .locations import cluster_address

    return cluster_address(click.get_current_context().meta.get("newsearch.cluster"))


def _open_archive(index_path: str | None, *, allow_partial: bool = False) -> Any:
    """The index or archive at `index_path`; an archive of shards on the cluster when one is named."""
    from .archive import Archive
    from .locations import resolve_index_path
    from .shards import is_archive

    address = _cluster()
    if address and is_archive(resolve_index_path(index_path)):
        from .cluster import open_archive

        return open_archive(resolve_index_path(index_path), address, allow_partial=allow_partial)
    return Archive.open(index_path, allow_partial=allow_partial)


def json_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(command)


def _apply(decorators: list[Callable[..., Any]], command: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate as if the decorators were written in this order above the command."""
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by query and export."""
    decorators = [
        click.option("--section", multiple=True, help="Only this section (repeat for any of several)."),
        click.option("--author", multiple=True, help="Only articles by this author (repeatable)."),
        click.option("--source", multiple=True, help="Only this publisher (repeatable)."),
        click.option("--tag", multiple=True, help="Only articles with this tag (repeatable)."),
        click.option("--language", multiple=True, metavar="CODE",
                     help="Only articles in this language, as a code: de, en (repeatable)."),
        click.option("--since", metavar="DATE", help="From this date on, inclusive: 2021, 2021-07, 'July 2021'."),
        click.option("--until", metavar="DATE", help="Up to the end of this date or period, inclusive."),
        click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance",
                     show_default=True),
        click.option("--match", type=click.Choice(["all", "any"]), default="all", show_default=True,
                     help="Require all bare words, or any (for long natural-language queries)."),
        click.option("--feedback", is_flag=True,
                     help="Expand the query with words from the top hits (better recall, slower)."),
        click.option("--names", is_flag=True,
                     help="Also find other spellings of names: Gaddafi finds Qaddafi (see README, Names)."),
    ]
    return _apply(decorators, command)


_SIZE_UNITS = {"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "M": 1 << 20, "MB": 1 << 20, "G": 1 << 30, "GB": 1 << 30}


class SizeType(click.ParamType):
    """A byte count written as 5000, 64K, 50MB or 2G (binary units)."""

    name = "SIZE"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().upper().replace(" ", "")
        number = text.rstrip("KMGB")
        unit = text[len(number):]
        try:
            size = int(float(number) * _SIZE_UNITS[unit])
        except (ValueError, KeyError, OverflowError):
            self.fail(f"{value!r} is not a size (write e.g. 500000, 64K, 50MB or 2G)", param, ctx)
        if size < 1:
            self.fail(f"{value!r} must be at least 1 byte", param, ctx)
        return size


def limit_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Input limits; each lands in IngestOptions under the option's own name."""
    decorators = [
        click.option("--max-file-size", "max_file_bytes", type=SizeType(),
                     help="Skip files (and JSONL lines) larger than this (default 50MB)."),
        click.option("--max-decompressed-size", "max_decompressed_bytes", type=SizeType(),
                     help="Refuse .gz files that expand past this (default 200MB)."),
        click.option("--max-body-chars", "max_body_chars", type=click.IntRange(1, None),
                     help="Index at most this many characters of each body (default 1,000,000)."),
    ]
    return _apply(decorators, command)


def ingest_options(command: Callable[..., Any]) -> Callable[..., Any]:
    decorators = [
        click.option("--format", "kind", type=click.Choice(["html", "text", "jsonl", "json", "warc"]),
                     help="Treat every input as this format (default: from the file name or content)."),
        click.option("--section-from-dir", is_flag=True,
                     help="Use each file's folder name as its section when the article names none."),
        click.option("--captures", type=click.Choice(["latest", "first", "all"]), default="latest",
                     show_default=True,
                     help="Web archives: which capture of a page is kept (all: each its own article)."),
        click.option("--all-pages", is_flag=True,
                     help="Web archives: index every HTML page, not only the ones that look like articles."),
    ]
    return _apply(decorators, command)


class ProgressLine:
    """A single self-updating line on stderr with rate and ETA; silent when not a tty."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._last = 0.0

    def __call__(self, progress: Any) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self._last < 0.2 and progress.files_done < progress.files_total):
            return
        self._last = now
        rate = progress.articles / progress.elapsed if progress.elapsed > 0 else 0.0
        if progress.bytes_total:  # bytes measure a few big files as well as many small ones
            done, total = min(progress.bytes_done, progress.bytes_total), progress.bytes_total
        else:
            done, total = progress.files_done, progress.files_total
        speed = done / progress.elapsed if progress.elapsed > 0 else 0.0
        eta = f"{int((total - done) / speed // 60)}:{int((total - done) / speed % 60):02d}" if speed else "?"
        percent = 100 * done / total if total else 100
        if progress.merging:
            click.echo(f"\r  {percent:5.1f}%  {progress.articles:,} articles  merging {progress.merging:,} "
                       f"articles into fewer segments   ", err=True, nl=False)
            return
        click.echo(
            f"\r  {percent:5.1f}%  {progress.files_done:,}/{progress.files_total:,} files  "
            f"{progress.articles:,} articles  {rate:,.0f}/s  {progress.failures:,} failed  ETA {eta}   ",
            err=True, nl=False,
        )

    def close(self) -> None:
        if self.enabled and self._last:
            click.echo("", err=True)


def _progress(quiet: bool) -> ProgressLine:
    return ProgressLine(enabled=not quiet and sys.stderr.isatty())


def _report_ingest(report: Any, as_json: bool, quiet: bool) -> None:
    from .output import to_json

    accepted = report.allowed_failures
    for failure in report.failures:
        click.echo(f"skipped {failure}" + (" (accepted as known)" if failure in accepted else ""), err=True)
    if not quiet:
        for merge in report.merges:
            click.echo(f"merged {merge}", err=True)
    if report.stale_lock_pid:
        click.echo(f"note: a previous run (PID {report.stale_lock_pid}) ended without finishing; "
                   "its committed batches were kept", err=True)
    if as_json:
        click.echo(to_json(report.to_dict()))
    elif not quiet or report.interrupted:
        click.echo(report.summary(), err=True)
    if report.interrupted:
        sys.exit(143 if report.interrupted == "SIGTERM" else 130)
    if not report.ok:
        sys.exit(1)


def _notice(message: str) -> None:
    click.echo(message, err=True)


def allow_failures_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--allow-failures", type=click.IntRange(0, None), default=0, metavar="N",
        help="Accept up to N failed inputs: reported, but the exit code stays 0.",
    )(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsearch")
def main() -> None:
    """Full-text search over news archives: index article files, then query them."""


@main.command("index")
@click.argument("paths", nargs=-1, required=True)
@index_option
@cluster_option
@ingest_options
@click.option("--rebuild", is_flag=True, help="Build a fresh index instead of updating.")
@click.option("--prune", is_flag=True,
              help="Delete the articles of every file not found under PATHS (not only those PATHS held).")
@click.option("--no-prune", is_flag=True, help="Keep the articles of files that are gone from PATHS.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), help="Parser processes (default: all cores).")
@click.option("--language", help="Stemming language for a new index (default: en, or the index's own).")
@click.option("--no-stem", is_flag=True, help="Index words without stemming (new index only).")
@click.option("--fail-fast", is_flag=True, help="Stop at the first file that fails.")
@click.option("--shards", type=click.IntRange(1, 1024), metavar="N",
              help="Build an archive of N shards (a new folder); later runs update it without the option.")
@allow_failures_option
@click.option("--quiet", "-q", is_flag=True, help="No progress or summary.")
@limit_options
@json_option
@handle_errors
def index_command(paths: tuple[str, ...], index_path: str | None, kind: str | None, section_from_dir: bool,
                  rebuild: bool, prune: bool, no_prune: bool, jobs: int | None, language: str | None,
                  no_stem: bool, fail_fast: bool, shards: int | None, allow_failures: int, quiet: bool,
                  as_json: bool, captures: str, all_pages: bool, **limits: int | None) -> None:
    """Index the articles in PATHS (files, folders, globs; .gz read as is).

    Files unchanged since the last run are skipped; changed ones are re-indexed;
    files that PATHS held before and are gone now are removed (--no-prune keeps them).
    """
    from .ingest import IngestOptions, index_paths
    from .ingest.pipeline import PRUNE_ALL, PRUNE_INPUTS, PRUNE_NONE
    from .ingest.sharded import index_archive
    from .ingest.stopping import StopSignals
    from .locations import resolve_index_path
    from .shards import is_archive

    if prune and no_prune:
        raise click.UsageError("--prune and --no-prune contradict each other")
    build: Callable[..., Any] = index_paths
    extra: dict[str, Any] = {}
    if shards is not None or is_archive(resolve_index_path(index_path)):
        build, extra = index_archive, {"shards": shards}
        if _cluster():
            from .cluster import index_on_cluster

            build, extra = index_on_cluster, {"shards": shards, "address": _cluster()}
    elif _cluster():
        raise click.UsageError("--cluster builds an archive of shards: add --shards N")
    bar = _progress(quiet)
    try:
        with StopSignals() as stop:
            report = build(paths, index=index_path, rebuild=rebuild, jobs=jobs, **extra,
                                 prune=PRUNE_ALL if prune else PRUNE_NONE if no_prune else PRUNE_INPUTS,
                                 language=language, stem=False if no_stem else None, fail_fast=fail_fast,
                                 progress=bar, allow_failures=allow_failures, stop=stop, notify=_notice,
                                 options=IngestOptions(kind=kind, section_from_dir=section_from_dir,
                                                       captures=captures, all_pages=all_pages,
                                                       **{k: v for k, v in limits.items() if v is not None}))
    finally:
        bar.close()
    _report_ingest(report, as_json, quiet)


def _known_declaration(name: str | None, indexes_dir: str) -> None:
    """A declaration that does not exist is bad usage (exit 2), listing the ones that do."""
    from .lifecycle import declaration_file, list_declarations

    if name is not None and not declaration_file(name, indexes_dir=indexes_dir).is_file():
        known = ", ".join(list_declarations(indexes_dir=indexes_dir)) or "none"
        raise click.UsageError(f"no index declaration {name!r} in {indexes_dir}/ (declared: {known})")


@main.command("rebuild")
@click.argument("name", required=False)
@click.option("--index", "index_path", metavar="PATH",
              help="Update an index built with `newsearch index`, from the inputs its manifest names.")
@click.option("--indexes-dir", default="indexes", show_default=True, help="Folder of index declarations.")
@click.option("--full", is_flag=True, help="Rebuild from scratch even when files are unchanged.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), help="Parser processes (default: all cores).")
@click.option("--fail-fast", is_flag=True, help="Stop at the first file that fails.")
@allow_failures_option
@click.option("--quiet", "-q", is_flag=True, help="No progress or summary.")
@json_option
@handle_errors
def rebuild_command(name: str | None, index_path: str | None, indexes_dir: str, full: bool, jobs: int | None,
                    fail_fast: bool, allow_failures: int, quiet: bool, as_json: bool) -> None:
    """Build or update the declared index NAME (indexes/NAME.toml, default: default),
    or with --index PATH an index built by `newsearch index`."""
    from .ingest.stopping import StopSignals
    from .lifecycle import rebuild, rebuild_index

    if name is not None and index_path is not None:
        raise click.UsageError("give a declared index NAME or --index PATH, not both")
    _known_declaration(name, indexes_dir)
    bar = _progress(quiet)
    try:
        with StopSignals() as stop:
            common = dict(full=full, jobs=jobs, fail_fast=fail_fast, progress=bar, allow_failures=allow_failures,
                          stop=stop, notify=_notice)
            if index_path is not None:
                report = rebuild_index(index_path, **common)
            else:
                report = rebuild(name or "default", indexes_dir=indexes_dir, **common)
    finally:
        bar.close()
    _report_ingest(report, as_json, quiet)


@main.command("check")
@click.argument("name", required=False)
@click.option("--index", "index_path", metavar="PATH", envvar="NEWSEARCH_INDEX",
              help="Check an index built from paths on the command line (default: $NEWSEARCH_INDEX).")
@click.option("--indexes-dir", default="indexes", show_default=True, help="Folder of index declarations.")
@json_option
@handle_errors
def check_command(name: str | None, index_path: str | None, indexes_dir: str, as_json: bool) -> None:
    """Exit 0 when the index matches its sources and options, 1 when it is stale."""
    from .lifecycle import check
    from .output import to_json

    source = click.get_current_context().get_parameter_source("index_path")
    if name is not None and source == click.core.ParameterSource.ENVIRONMENT:
        index_path = None  # a NAME typed on the command line wins over the environment
    if name is not None and index_path is not None:
        raise click.UsageError("give a declared index NAME or --index PATH, not both")
    _known_declaration(name, indexes_dir)
    report = check(name, index=index_path, indexes_dir=indexes_dir)
    if as_json:
        click.echo(to_json(report.to_dict()))
    else:
        for label, paths in (("added", report.added), ("changed", report.changed),
                             ("removed", report.removed), ("missing input", report.missing)):
            for path in paths:
                click.echo(f"{label}: {path}")
        for key, (old, new) in report.settings_changed.items():
            click.echo(f"setting changed: {key}: index has {old!r}, declared {new!r}")
        if report.unfinished is not None:
            click.echo(f"interrupted: a run stopped after committing {report.unfinished:,} articles; "
                       "running it again resumes")
        fix = f"newsearch rebuild {name or 'default'}" if index_path is None else f"newsearch rebuild --index {index_path}"
        click.echo(f"{report.index}: " + ("up to date" if report.fresh else f"stale; `{fix}` brings it up to date"))
    sys.exit(0 if report.fresh else 1)


@main.command("query")
@click.argument("text", default="")
@index_option
@cluster_option
@filter_options
@click.option("--facet", "facets", multiple=True, type=click.Choice(FACET_NAMES),
              help="Count hits per value of this field (repeatable).")
@click.option("--limit", "-n", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="Hits per page, at most 1,000 (`newsearch export` streams every hit).")
@click.option("--page", type=click.IntRange(1, None), default=1, show_default=True)
@click.option("--no-highlight", is_flag=True, help="Leave out snippets.")
@click.option("--collapse", is_flag=True, help="One hit per story: near-duplicate copies shown once.")
@click.option("--count", "count", type=click.Choice(["articles", "stories"]),
              help="What totals and facets count (default: stories with --collapse, else articles).")
@click.option("--copies", "copies_of", metavar="ID", help="List the copies of the story of article ID.")
@click.option("--sample", "sample_size", type=click.IntRange(1, 1000), metavar="N",
              help="A uniform random sample of N of all matches instead of the top hits.")
@click.option("--seed", type=int, help="Seed for --sample (the same seed gives the same sample).")
@click.option("--allow-partial", is_flag=True,
              help="On an archive of shards, answer from the shards that can, naming the others.")
@json_option
@handle_errors
def query_command(text: str, index_path: str | None, section: tuple[str, ...], author: tuple[str, ...],
                  source: tuple[str, ...], tag: tuple[str, ...], language: tuple[str, ...],
                  since: str | None, until: str | None,
                  sort: str, match: str, feedback: bool, names: bool, facets: tuple[str, ...], limit: int, page: int,
                  no_highlight: bool, collapse: bool, count: str | None, copies_of: str | None,
                  sample_size: int | None, seed: int | None, allow_partial: bool, as_json: bool) -> None:
    """Search the index. TEXT uses the query syntax in the README (phrases, AND/OR/NOT, field:value)."""
    from .output import copies_text, results_text, to_json

    if copies_of:
        with _open_archive(index_path) as archive:
            articles = archive.copies(copies_of)
        click.echo(to_json([a.to_dict() for a in articles]) if as_json else copies_text(articles))
        return
    if seed is not None and sample_size is None:
        raise click.UsageError("--seed goes with --sample N")
    with _open_archive(index_path, allow_partial=allow_partial) as archive:
        if sample_size is not None:
            results = archive.sample(text, size=sample_size, seed=seed, section=section, author=author,
                                     source=source, tag=tag, language=language, since=since, until=until, match=match,
                                     collapse=collapse, highlight=not no_highlight)
        else:
            results = archive.search(text, section=section, author=author, source=source, tag=tag,
                                     language=language, since=since, until=until, facets=facets, sort=sort, match=match,
                                     limit=limit, page=page, highlight=not no_highlight, feedback=feedback,
                                     names=names, collapse=collapse, count=count)
    if as_json:
        click.echo(to_json(results.to_dict()))
    else:
        click.echo(results_text(results, color=sys.stdout.isatty()))
    if results.total and page > results.pages:
        _fail(f"page {page:,} is past the end: {results.total:,} results fill {results.pages:,} "
              f"page{'s' if results.pages != 1 else ''} of {limit:,}")


@main.command("timeline")
@click.argument("queries", nargs=-1, required=True)
@index_option
@cluster_option
@click.option("--by", type=click.Choice(["day", "week", "month", "year"]), default="month", show_default=True)
@click.option("--normalize", is_flag=True, help="Also show each count as a share of all articles of its period.")
@click.option("--collapse", is_flag=True, help="Count stories (copies once) instead of articles.")
@click.option("--section", multiple=True, help="Only this section (repeatable).")
@click.option("--source", multiple=True, help="Only this publisher (repeatable).")
@click.option("--language", multiple=True, help="Only articles in this language, e.g. de (repeatable).")
@click.option("--since", metavar="DATE", help="From this date on, inclusive.")
@click.option("--until", metavar="DATE", help="Up to the end of this date or period, inclusive.")
@click.option("--match", type=click.Choice(["all", "any"]), default="all", show_default=True)
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV: a row per period, a column per query.")
@click.option("--plot", "plot_file", metavar="FILE", help="Save a chart to FILE.png or FILE.svg (needs newsearch[plot]).")
@json_option
@handle_errors
def timeline_command(queries: tuple[str, ...], index_path: str | None, by: str, normalize: bool, collapse: bool,
                     section: tuple[str, ...], source: tuple[str, ...], language: tuple[str, ...],
                     since: str | None, until: str | None, match: str, as_csv: bool, plot_file: str | None,
                     as_json: bool) -> None:
    """Attention over time: matches of each of QUERIES per period, side by side."""
    from .output import plot_timeline, timeline_csv, timeline_lines, to_json

    with _open_archive(index_path) as archive:
        timeline = archive.timeline(list(queries), by=by, normalize=normalize, collapse=collapse, section=section,
                                    source=source, language=language, since=since, until=until, match=match)
    if plot_file:
        plot_timeline(timeline, plot_file)
        click.echo(f"wrote {plot_file}", err=True)
    if as_json:
        click.echo(to_json(timeline.to_dict()))
    elif as_csv:
        timeline_csv(timeline, sys.stdout)
    elif not plot_file:
        click.echo("\n".join(timeline_lines(timeline)))


@main.command("terms")
@click.argument("text")
@index_option
@cluster_option
@click.option("--limit", "-n", type=click.IntRange(1, 1000), default=30, show_default=True)
@click.option("--sample", "sample_size", type=click.IntRange(1, 10000), default=200, show_default=True,
              help="Read this many of the best-ranked matching stories.")
@click.option("--section", multiple=True, help="Only this section (repeatable).")
@click.option("--source", multiple=True, help="Only this publisher (repeatable).")
@click.option("--since", metavar="DATE", help="From this date on, inclusive.")
@click.option("--until", metavar="DATE", help="Up to the end of this date or period, inclusive.")
@click.option("--match", type=click.Choice(["all", "any"]), default="all", show_default=True)
@json_option
@handle_errors
def terms_command(text: str, index_path: str | None, limit: int, sample_size: int, section: tuple[str, ...],
                  source: tuple[str, ...], since: str | None, until: str | None, match: str, as_json: bool) -> None:
    """Words and names distinctive of the articles matching TEXT (JLH against the whole archive)."""
    from .output import terms_lines, to_json

    with _open_archive(index_path) as archive:
        scores = archive.terms(text, limit=limit, sample=sample_size, section=section, source=source,
                               since=since, until=until, match=match)
    if as_json:
        click.echo(to_json([s.to_dict() for s in scores]))
    else:
        click.echo("\n".join(terms_lines(scores, sample=sample_size)))


@main.command("show")
@click.argument("article_id")
@index_option
@cluster_option
@json_option
@handle_errors
def show_command(article_id: str, index_path: str | None, as_json: bool) -> None:
    """Print one stored article by its id."""
    from .output import article_text, to_json

    with _open_archive(index_path) as archive:
        article = archive.get(article_id)
    click.echo(to_json(article.to_dict()) if as_json else article_text(article))


@main.command("similar")
@click.argument("article_id")
@index_option
@cluster_option
@click.option("--limit", "-n", type=click.IntRange(1, 100), default=10, show_default=True)
@json_option
@handle_errors
def similar_command(article_id: str, index_path: str | None, limit: int, as_json: bool) -> None:
    """Articles most like the one with ARTICLE_ID."""
    from .output import results_text, to_json

    with _open_archive(index_path) as archive:
        results = archive.similar(article_id, limit=limit)
    click.echo(to_json(results.to_dict()) if as_json else results_text(results))


@main.command("export")
@click.argument("text", default="")
@index_option
@cluster_option
@filter_options
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--fields", metavar="A,B,...",
              help="Columns, in order (default: rank,id,title,date,section,byline,authors,source,tags,url,path,"
                   "score,snippet,body; also summary, agency, language, warnings, fetched, fetched_url).")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-", help="File (default: stdout).")
@handle_errors
def export_command(text: str, index_path: str | None, section: tuple[str, ...], author: tuple[str, ...],
                   source: tuple[str, ...], tag: tuple[str, ...], language: tuple[str, ...], since: str | None, until: str | None,
                   sort: str, match: str, feedback: bool, names: bool, fmt: str, fields: str | None,
                   output: Any) -> None:
    """Stream every hit (not one page) as JSONL or CSV, with the columns in a fixed order."""
    from .output import export_fields, write_export

    try:
        columns = export_fields(fields)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--fields") from None
    with _open_archive(index_path) as archive:
        hits = archive.iter_results(text, section=section, author=author, source=source, tag=tag,
                                    language=language, since=since, until=until, sort=sort, match=match, feedback=feedback,
                                    names=names)
        count = write_export(hits, output, fmt=fmt, fields=columns, article=archive.get)
    click.echo(f"exported {count:,} articles", err=True)


@main.command("parse")
@click.argument("paths", nargs=-1, required=True)
@ingest_options
@json_option
@handle_errors
def parse_command(paths: tuple[str, ...], kind: str | None, section_from_dir: bool, as_json: bool,
                  captures: str, all_pages: bool) -> None:
    """Show what would be indexed for PATHS, without indexing (one JSON object per article with --json)."""
    from .errors import ParseError
    from .ingest import IngestOptions, parse_paths
    from .output import article_text, to_json_line

    failed = 0
    options = IngestOptions(kind=kind, section_from_dir=section_from_dir, captures=captures, all_pages=all_pages)
    for item in parse_paths(paths, options=options):
        if isinstance(item, ParseError):
            failed += 1
            click.echo(f"skipped {item}", err=True)
        elif as_json:
            click.echo(to_json_line(item.to_dict()))
        else:
            click.echo(article_text(item) + "\n" + "-" * 60)
    sys.exit(1 if failed else 0)


@main.command("stats")
@index_option
@cluster_option
@json_option
@handle_errors
def stats_command(index_path: str | None, as_json: bool) -> None:
    """Documents, segments, size on disk, date range, per-language and per-section counts."""
    from .output import human_size, to_json

    with _open_archive(index_path) as archive:
        stats = archive.stats()
    if as_json:
        click.echo(to_json(stats.to_dict()))
        return
    click.echo(f"index:     {stats.path}")
    click.echo(f"documents: {stats.documents:,}")
    click.echo(f"segments:  {stats.segments}")
    click.echo(f"size:      {human_size(stats.size_bytes)}")
    click.echo(f"dates:     {(stats.earliest or '-')[:10]} to {(stats.latest or '-')[:10]}")
    click.echo(f"analysis:  {stats.language}{'' if stats.stem else ', no stemming'}")
    if stats.languages:
        click.echo("languages: " + ", ".join(f"{code} {count:,}" for code, count in stats.languages))
    if stats.sections:
        click.echo("sections:")
        width = max(len(name) for name, _ in stats.sections)
        for name, count in stats.sections:
            click.echo(f"  {name:<{width}}  {count:>7,}")


@main.command("optimize")
@index_option
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Processes merging neighbouring groups of segments at once.")
@click.option("--quiet", "-q", is_flag=True, help="No progress or summary.")
@handle_errors
def optimize_command(index_path: str | None, jobs: int, quiet: bool) -> None:
    """Merge the index's segments into one for faster searches."""
    from .archive import Archive

    with Archive.open(index_path) as archive:
        stats = archive.stats()
        started = time.monotonic()
        if not quiet:
            click.echo(f"optimizing {archive.path}: merging {stats.segments:,} segments of "
                       f"{stats.documents:,} articles into one", err=True)
        bar = _MergeLine(enabled=not quiet and sys.stderr.isatty(), started=started)
        archive.optimize(jobs=jobs, progress=bar)
        bar.close()
        if not quiet:
            click.echo(f"optimized {archive.path}: {len(archive):,} articles in one segment "
                       f"in {time.monotonic() - started:.1f}s", err=True)


class _MergeLine(ProgressLine):
    """Documents copied so far by a merge, on one line of stderr."""

    def __init__(self, enabled: bool, started: float) -> None:
        super().__init__(enabled)
        self._started = started

    def __call__(self, done: int, total: int) -> None:  # type: ignore[override]
        if not self.enabled:
            return
        self._last = time.monotonic()
        elapsed = self._last - self._started
        percent = 100 * done / total if total else 100
        click.echo(f"\r  {percent:5.1f}%  {done:,}/{total:,} documents copied  {elapsed:.1f}s   ",
                   err=True, nl=False)


@main.command("serve")
@index_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback opens the archive to others (warned).")
@click.option("--port", type=click.IntRange(0, 65535), default=8800, show_default=True, help="0 picks a free port.")
@click.option("--time-budget", type=click.FloatRange(0.1, 600), default=5.0, show_default=True,
              help="Seconds a request may take before it gets an error page instead.")
@click.option("--threads", type=click.IntRange(1, 32), default=2, show_default=True,
              help="Searches run at once per process (each opens its own reader on the index).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Server processes sharing the port: searching uses one core per process.")
@handle_errors
def serve_command(index_path: str | None, host: str, port: int, time_budget: float, threads: int,
                  workers: int) -> None:
    """Search the index in a browser (read-only; picks up new commits as they land)."""
    try:
        from .web import serve
    except ModuleNotFoundError as exc:
        _fail(f"the web app needs {exc.name}: pip install 'newsearch[web]'")
    serve(index_path, host=host, port=port, time_budget=time_budget, threads=threads, workers=workers,
          say=lambda line: click.echo(line, err=True))


if __name__ == "__main__":  # pragma: no cover
    main()
