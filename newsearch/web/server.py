"""`newsearch serve`: bind a socket, say where, and run the app under uvicorn."""
from __future__ import annotations

import ipaddress
import json
import os
import signal
import socket
from types import FrameType
from typing import Callable

import uvicorn
from starlette.applications import Starlette
from uvicorn.supervisors import Multiprocess

from ..archive import Archive
from .app import DEFAULT_TIME_BUDGET, LOCAL_HOSTS, create_app


GRACE_SECONDS = 5  # how long a stop waits for requests in flight
# How `serve --workers N` tells each worker process what to open: uvicorn starts the
# workers afresh (spawn) and builds the app in each from an import string.
WORKER_SETTINGS = "NEWSEARCH_SERVE_WORKER"


class StoppableServer(uvicorn.Server):
    """uvicorn's server, except that a stop signal ends `run` quietly.

    uvicorn re-raises the signal once it has shut down, which ends the process with a
    KeyboardInterrupt traceback (SIGINT) or a kill (SIGTERM); here it is only noted.
    """

    stopped_by: int | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True  # a second Ctrl+C: stop waiting for requests in flight
        self.stopped_by = sig
        self.should_exit = True


class StoppableSupervisor(Multiprocess):
    """uvicorn's supervisor of worker processes, remembering which signal stopped it."""

    stopped_by: int | None = None

    def handle_int(self) -> None:
        self.stopped_by = signal.SIGINT
        super().handle_int()

    def handle_term(self) -> None:
        self.stopped_by = signal.SIGTERM
        super().handle_term()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def worker_app() -> Starlette:
    """The app of one worker process of `serve --workers N`, from the settings the
    parent left in the environment: each worker opens the archive for itself."""
    settings = json.loads(os.environ[WORKER_SETTINGS])
    hosts = settings["allowed_hosts"]
    return create_app(Archive.open(settings["index"]), time_budget=settings["time_budget"],
                      threads=settings["threads"], allowed_hosts=tuple(hosts) if hosts is not None else None)


def serve(
    index: str | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8800,
    time_budget: float = DEFAULT_TIME_BUDGET,
    threads: int = 2,
    workers: int = 1,
    say: Callable[[str], None] = print,
) -> None:
    """Serve the index until interrupted; `say` gets the address and any warning.

    Port 0 picks a free port (the address said names it). Bound to anything but
    loopback, the archive is open to whoever can reach the machine: `say` warns.
    Ctrl+C or SIGTERM lets requests in flight finish (at most GRACE_SECONDS) and
    returns normally after saying so. With `workers` above 1, that many processes
    share the socket, each with its own archive and `threads` threads: searching is
    pure Python, so one process uses one core whatever its threads.
    """
    archive = Archive.open(index)
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(128)
        sock.set_inheritable(True)
        bound_port = sock.getsockname()[1]
        local = is_loopback(host)
        if not local:
            say(f"warning: listening on {host}, not 127.0.0.1: anyone who can reach this machine "
                "on that address can read the whole archive")
        hosts = (*LOCAL_HOSTS, host) if local and family == socket.AF_INET else None
        shown = f"[{host.strip('[]')}]" if family == socket.AF_INET6 else host
        processes = f", {workers} worker processes" if workers > 1 else ""
        say(f"serving {archive.path} ({len(archive):,} articles) at http://{shown}:{bound_port}/ "
            f"(Ctrl+C to stop{processes})")
        settings = dict(log_level="warning", access_log=False, lifespan="on", limit_concurrency=200,
                        timeout_keep_alive=5, server_header=False, timeout_graceful_shutdown=GRACE_SECONDS)
        if workers > 1:
            os.environ[WORKER_SETTINGS] = json.dumps({"index": str(archive.path), "time_budget": time_budget,
                                                      "threads": threads, "allowed_hosts": hosts})
            archive.close()  # each worker opens its own
            server: StoppableSupervisor | StoppableServer = StoppableSupervisor(
                uvicorn.Config(f"{__name__}:worker_app", factory=True, workers=workers, **settings), sockets=[sock])
            server.run()
        else:
            app = create_app(archive, time_budget=time_budget, threads=threads, allowed_hosts=hosts)
            server = StoppableServer(uvicorn.Config(app, **settings))
            server.run(sockets=[sock])
        if server.stopped_by is not None:
            say(f"stopped ({signal.Signals(server.stopped_by).name})")
    finally:
        archive.close()
