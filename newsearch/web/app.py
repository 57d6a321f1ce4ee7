"""The ASGI application: search and article pages, and their JSON twins.

Pages and `/api/...` call the same Archive methods and get the same result objects;
the JSON is those objects' `to_dict()` (what `newsearch query --json` prints) and the
templates only format them. Archive objects are not shared between threads: each
worker thread borrows one of a few archives opened on the same index, so a search
that overruns its time budget ties up one of them, never the whole server.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..archive import Archive
from ..errors import IndexCorrupt, NewsearchError
from . import render
from .params import PAGE_FACETS, PERIODS, BadRequest, SearchParams, TimelineParams, article_params

HERE = Path(__file__).resolve().parent
LOCAL_HOSTS = ("127.0.0.1", "localhost")
MAX_QUERY_STRING = 8_192
DEFAULT_TIME_BUDGET = 5.0
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


class OverBudget(Exception):
    """A request that did not finish within the time budget."""


class ArchivePool:
    """Archives opened on one index, lent to one thread at a time.

    The first is the caller's; more are opened (on the same path) only when several
    requests run at once. Each refreshes to the last commit on its own.
    """

    def __init__(self, first: Archive) -> None:
        self.path = first.path
        self._idle = [first]
        self._opened: list[Archive] = []
        self._lock = threading.Lock()

    def borrow(self) -> Archive:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        archive = Archive.open(self.path)
        with self._lock:
            self._opened.append(archive)
        return archive

    def give_back(self, archive: Archive) -> None:
        with self._lock:
            self._idle.append(archive)

    def close(self) -> None:
        """Close the archives this pool opened (the caller's own stays the caller's)."""
        with self._lock:
            for archive in self._opened:
                archive.close()
            self._opened.clear()


class Worker:
    """Runs archive work on a few threads, each call under a deadline."""

    def __init__(self, pool: ArchivePool, *, threads: int, time_budget: float) -> None:
        self.pool = pool
        self.time_budget = time_budget
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=threads,
                                                               thread_name_prefix="newsearch-web")

    async def run(self, job: Callable[[Archive], Any]) -> Any:
        """The job's result; a Response also gets a Server-Timing header saying how long it
        waited for a thread (`queue`) and how long the search and page took (`app`)."""
        submitted = time.monotonic()
        deadline = submitted + self.time_budget

        def task() -> Any:
            started = time.monotonic()
            if started > deadline:  # waited in the queue past the budget: don't start
                raise OverBudget()
            archive = self.pool.borrow()
            try:
                result = job(archive)
            finally:
                self.pool.give_back(archive)
            if isinstance(result, Response):
                result.headers["server-timing"] = (f"queue;dur={(started - submitted) * 1000:.1f}, "
                                                   f"app;dur={(time.monotonic() - started) * 1000:.1f}")
            return result

        future = self._executor.submit(task)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout=self.time_budget)
        except asyncio.TimeoutError:
            raise OverBudget() from None

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.pool.close()


class SecurityHeaders:
    """Adds the strict headers to every response and refuses oversized query strings."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if len(scope.get("query_string", b"")) > MAX_QUERY_STRING:
            response = Response(f"the address is longer than {MAX_QUERY_STRING:,} characters", status_code=414,
                                media_type="text/plain")
            await _with_headers(response)(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if k.encode() not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _with_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


def create_app(
    archive: Archive,
    *,
    time_budget: float = DEFAULT_TIME_BUDGET,
    threads: int = 2,
    allowed_hosts: Sequence[str] | None = LOCAL_HOSTS,
) -> Starlette:
    """The web app over an open archive, read-only.

    `allowed_hosts` guards against DNS rebinding when bound to loopback (None: any
    Host header). A request that takes longer than `time_budget` seconds gets a 503
    with a message instead of waiting on.
    """
    worker = Worker(ArchivePool(archive), threads=threads, time_budget=time_budget)
    templates = render.environment()

    def page(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = templates.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status_code, headers={"cache-control": "no-cache"})

    def error_page(status: int, message: str, params: SearchParams | None = None) -> HTMLResponse:
        return page("error.html", status, status=status, message=message, params=params or SearchParams())

    async def search_page(request: Request) -> Response:
        try:
            params = SearchParams.from_pairs(request.query_params.multi_items())
        except BadRequest as exc:
            return error_page(400, str(exc), SearchParams(q=request.query_params.get("q", "")[:1000]))

        def job(archive: Archive) -> HTMLResponse:
            results = archive.search(params.q, **params.search_options(PAGE_FACETS))
            facets = [render.facet_view(name, results.facets.get(name, ()), params)
                      for name in ("section", "author", "source", "tag", "language")]
            return page("search.html", params=params, results=results, facets=facets,
                        histogram=render.histogram(results.facets, params),
                        page_numbers=render.page_numbers(results.page, results.pages))

        return await _guard(lambda: worker.run(job), params, html=True)

    def per_article(view: Callable[[Archive, str, SearchParams], HTMLResponse]) -> Callable[..., Any]:
        """A page about one article: its id from the path, the search's words from `q`."""

        async def endpoint(request: Request) -> Response:
            article_id = request.path_params["article_id"]
            try:
                q, match = article_params(request.query_params)
            except BadRequest as exc:
                return error_page(400, str(exc))
            params = SearchParams(q=q, match=match)
            return await _guard(lambda: worker.run(lambda archive: view(archive, article_id, params)),
                                params, html=True)

        return endpoint

    def article_view(archive: Archive, article_id: str, params: SearchParams) -> HTMLResponse:
        article = archive.get(article_id)
        try:
            spans = archive.marks(article.body, params.q, match=params.match)
        except NewsearchError:  # a query the search page would refuse: show the body unmarked
            spans = ()
        return page("article.html", article=article, body=render.marked_body(article.body, spans),
                    params=params, marked=len(spans))

    def copies_view(archive: Archive, article_id: str, params: SearchParams) -> HTMLResponse:
        return page("copies.html", article_id=article_id, copies=archive.copies(article_id), params=params)

    async def timeline_page(request: Request) -> Response:
        try:
            params = TimelineParams.from_pairs(request.query_params.multi_items())
        except BadRequest as exc:
            return error_page(400, str(exc))
        search = params.search(params.q[0])

        def job(archive: Archive) -> HTMLResponse:
            timeline = archive.timeline(list(params.q), **params.timeline_options())
            return page("timeline.html", timeline=timeline, series=render.timeline_views(timeline, params),
                        timeline_params=params, params=search, periods=PERIODS)

        return await _guard(lambda: worker.run(job), search, html=True)

    def api(parse: Callable[[Any], Any], answer: Callable[[Archive, Any], Any]) -> Callable[..., Any]:
        """A JSON endpoint: parameters parsed from the query string, `answer(...).to_dict()` sent."""

        async def endpoint(request: Request) -> Response:
            try:
                params = parse(request.query_params.multi_items())
            except BadRequest as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            return await _guard(lambda: worker.run(lambda archive: JSONResponse(answer(archive, params).to_dict())))

        return endpoint

    api_search = api(SearchParams.from_pairs, lambda archive, p: archive.search(p.q, **p.search_options()))
    api_timeline = api(TimelineParams.from_pairs,
                       lambda archive, p: archive.timeline(list(p.q), **p.timeline_options()))

    async def api_article(request: Request) -> Response:
        article_id = request.path_params["article_id"]
        return await _guard(lambda: worker.run(lambda archive: JSONResponse(archive.get(article_id).to_dict())))

    async def api_stats(request: Request) -> Response:
        return await _guard(lambda: worker.run(lambda archive: JSONResponse(archive.stats().to_dict())))

    async def _guard(call: Callable[[], Any], params: SearchParams | None = None, *, html: bool = False) -> Response:
        """Library errors become a 4xx/5xx with their one-line message; never a traceback."""
        try:
            return await call()
        except OverBudget:
            status, message = 503, (f"the search took longer than {time_budget:g} s, so the server stopped "
                                    "waiting for it; narrow it (fewer words, a section or a date range)")
        except KeyError as exc:
            status, message = 404, f"no article with id {exc.args[0]!r} in the index"
        except IndexCorrupt as exc:
            status, message = 500, str(exc)
        except NewsearchError as exc:
            status, message = 400, str(exc)
        if html:
            return error_page(status, message, params)
        return JSONResponse({"error": message}, status_code=status)

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        message = {404: "no such page", 405: "this server is read-only: only GET and HEAD are answered"}.get(
            status, getattr(exc, "detail", "bad request"))
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message}, status_code=status)
        return error_page(status, message)

    async def server_error(request: Request, exc: Exception) -> Response:
        message = "internal error (the server's log has the details)"
        if request.url.path.startswith("/api/"):
            return _with_headers(JSONResponse({"error": message}, status_code=500))
        return _with_headers(HTMLResponse(f"<!doctype html><title>500</title><p>{message}</p>", status_code=500))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            worker.close()

    routes = [
        Route("/", search_page, methods=["GET", "HEAD"]),
        Route("/articles/{article_id:path}", per_article(article_view), methods=["GET", "HEAD"]),
        Route("/copies/{article_id:path}", per_article(copies_view), methods=["GET", "HEAD"]),
        Route("/timeline", timeline_page, methods=["GET", "HEAD"]),
        Route("/api/timeline", api_timeline, methods=["GET", "HEAD"]),
        Route("/api/search", api_search, methods=["GET", "HEAD"]),
        Route("/api/articles/{article_id:path}", api_article, methods=["GET", "HEAD"]),
        Route("/api/stats", api_stats, methods=["GET", "HEAD"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [Middleware(SecurityHeaders)]
    if allowed_hosts is not None:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)))
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={HTTPException: not_found, Exception: server_error})
    app.state.worker = worker
    return app
