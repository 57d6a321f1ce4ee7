"""Archives of shards on a Dask cluster: the only module that imports dask.

`--cluster ADDRESS` (or NEWSEARCH_CLUSTER=tcp://host:8786) sends the work to a
Dask scheduler; `--cluster local[:N]` starts a LocalCluster of N worker processes
on 127.0.0.1 for the run. Each shard is pinned to one worker (shard k to the k-th
worker, round robin), where a ShardHost actor keeps it open between queries: each
round of a query (statistics, scoring, fetching) is one actor call per worker, all
at once, not one scheduled task per shard (engine/sharded.py does the merging and
knows nothing of Dask). A build parses its inputs once, as parse tasks spread over
the workers that spool each span's articles by shard into the archive folder
(ingest/spool.py), then runs each shard's build as one task reading its part, so
each shard is written by one writer at a time. Dask is optional:
`pip install "newsearch[cluster]"`.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any, Iterable, Sequence

from .cores import usable_cores
from .errors import NewsearchError
from .locations import CLUSTER_ENV, cluster_address
from .ingest.report import IngestReport
from .shards import ShardMap

LOCAL = "local"


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise NewsearchError('a cluster needs Dask: pip install "newsearch[cluster]"') from exc
    return distributed


class Cluster:
    """A connection to a Dask scheduler (and the LocalCluster it started, if any)."""

    def __init__(self, address: str) -> None:
        distributed = _distributed()
        self._local: Any = None
        if address == LOCAL or address.startswith(LOCAL + ":"):
            workers = int(address.split(":", 1)[1]) if ":" in address else usable_cores()
            if workers < 1:
                raise NewsearchError(f"--cluster {address}: the number of workers must be at least 1")
            self._local = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                   host="127.0.0.1", dashboard_address="127.0.0.1:0")
            self.client = distributed.Client(self._local)
        else:
            try:
                self.client = distributed.Client(address, timeout=10)
            except OSError as exc:
                raise NewsearchError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
        self.address = address

    def workers(self) -> list[str]:
        found = self.workers_now()
        if not found:
            raise NewsearchError(f"the Dask cluster at {self.address} has no workers")
        return found

    def workers_now(self) -> list[str]:
        """The workers the scheduler knows at this moment (maybe none)."""
        return sorted(self.client.scheduler_info()["workers"])

    def close(self) -> None:
        self.client.close()
        if self._local is not None:
            self._local.close()


# -- on the workers ---------------------------------------------------------------------

_OPEN: dict[str, Any] = {}  # shard path -> WhooshIndex, per worker process

# How often a shard's calls are sent when its worker is lost: once, then to other workers.
ATTEMPTS = 3
# Seconds to wait for a worker to take over the shards of a lost one (the nanny restarts it).
TAKEOVER_SECONDS = 60.0


def _call(path: str, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run one method of a shard on this worker, opening the shard once."""
    from .engine.single import WhooshIndex

    index = _OPEN.get(path)
    if index is None:
        index = _OPEN[path] = WhooshIndex.open(path)
    return getattr(index, method)(*args, **kwargs)


def _release(path: str) -> None:
    index = _OPEN.pop(path, None)
    if index is not None:
        index.close()


def _release_all() -> None:
    for path in list(_OPEN):
        _release(path)


class ShardHost:
    """A Dask actor, one per worker, that runs a round of shard calls on the shards this
    worker keeps open: an actor call skips the scheduler (about 1.5 ms a round trip on
    loopback, where a task costs 12-13 ms)."""

    def run(self, calls: list[tuple[str, str, tuple[Any, ...], dict[str, Any]]]) -> list[Any]:
        """Each call's answer in order; a shard that cannot answer gives a ShardFailure."""
        from .engine.sharded import SHARD_ERRORS, ShardFailure, _reason

        answers = []
        for path, method, args, kwargs in calls:
            try:
                answers.append(_call(path, method, args, kwargs))
            except SHARD_ERRORS as exc:
                answers.append(ShardFailure(Path(path).name, _reason(exc)))
        return answers


def _parse(job: tuple[Any, ...]) -> int:
    """One parse task: spans into the spool, in this worker."""
    from .ingest.sharded import spool_group

    return spool_group(job)


def _build(paths: list[str], shard_path: str, shard: tuple[int, int], options: dict[str, Any]) -> IngestReport:
    """One shard's build, as one task: its part of the spool read in this worker (what the
    spool lacks parsed here, with no child processes)."""
    from .ingest.pipeline import index_paths

    _release(shard_path)  # a shard rebuilt beside itself is opened afresh afterwards
    return index_paths(paths, index=shard_path, shard=shard, **{**options, "jobs": 1})


# -- in the caller -------------------------------------------------------------------------

Call = tuple[int, str, tuple[Any, ...], dict[str, Any]]  # shard, method, args, kwargs


class ClusterShards:
    """engine.sharded.Shards on a Dask cluster: shard k is held by the ShardHost actor of
    the k-th worker (round robin); the calls of one round go to every actor at once. The
    shards of a lost worker are moved to the others and their calls sent again."""

    def __init__(self, cluster: Cluster, paths: Sequence[Path], *, owns_cluster: bool) -> None:
        self.cluster = cluster
        self.names = [p.name for p in paths]
        self._paths = [str(Path(p).resolve()) for p in paths]
        self._owns = owns_cluster
        self._lock = threading.Lock()
        self._hosts: dict[str, tuple[Any, Any]] = {}  # worker -> (actor future, actor)
        self._lost: set[str] = set()
        workers = cluster.workers()
        self._placed = [workers[k % len(workers)] for k in range(len(paths))]
        self._start_hosts(self._placed)

    def _start_hosts(self, workers: Iterable[str]) -> None:
        client = self.cluster.client
        started = {w: client.submit(ShardHost, actor=True, workers=[w], allow_other_workers=False, pure=False)
                   for w in dict.fromkeys(workers) if w not in self._hosts}
        for worker, future in started.items():
            self._hosts[worker] = (future, future.result(timeout=TAKEOVER_SECONDS))

    def _send(self, worker: str, batch: list[tuple[str, str, tuple[Any, ...], dict[str, Any]]]) -> Any:
        """The actor call of one round on `worker` (its future), or the error that says the
        worker is gone."""
        try:
            return self._hosts[worker][1].run(batch)
        except (KeyError, RuntimeError, OSError) as exc:  # RuntimeError: "Worker holding Actor was lost"
            return exc

    def _round(self, calls: list[Call]) -> list[Any]:
        """Every call's answer, in order: one actor call per worker, all at once."""
        answers: list[Any] = [None] * len(calls)
        pending = list(range(len(calls)))
        for _ in range(ATTEMPTS):
            with self._lock:
                by_worker: dict[str, list[int]] = {}
                for i in pending:
                    by_worker.setdefault(self._placed[calls[i][0]], []).append(i)
                sent = {w: self._send(w, [(self._paths[calls[i][0]], *calls[i][1:]) for i in items])
                        for w, items in by_worker.items()}
            lost = []
            for worker, future in sent.items():
                try:
                    if isinstance(future, Exception):
                        raise OSError(str(future))
                    found = future.result()
                except (OSError, TimeoutError):  # the worker is gone (a shard's own errors come as answers)
                    lost.append(worker)
                    continue
                for i, answer in zip(by_worker[worker], found):
                    answers[i] = answer
            if not lost:
                return answers
            pending = [i for worker in lost for i in by_worker[worker]]
            self._move_off(lost)
        from .engine.sharded import ShardFailure

        for i in pending:
            answers[i] = ShardFailure(self.names[calls[i][0]], f"its worker was lost {ATTEMPTS} times")
        return answers

    def _move_off(self, lost: list[str]) -> None:
        """Give the shards of lost workers to the workers still there (or to the ones the
        cluster starts in their place) and start those workers' actors."""
        with self._lock:
            self._lost.update(lost)
            for worker in lost:
                self._hosts.pop(worker, None)
            deadline = time.monotonic() + TAKEOVER_SECONDS
            live = [w for w in self.cluster.workers_now() if w not in self._lost]
            while not live and time.monotonic() < deadline:
                time.sleep(0.2)
                live = [w for w in self.cluster.workers_now() if w not in self._lost]
            if not live:
                return  # the next attempt fails alike, and the shards are named as lost
            moved = [k for k, w in enumerate(self._placed) if w in self._lost]
            for n, shard in enumerate(moved):
                self._placed[shard] = live[n % len(live)]
            try:
                self._start_hosts(self._placed[k] for k in moved)
            except Exception:  # noqa: BLE001 - that worker went too: the next attempt moves again
                pass

    def each(self, method: str, *args: Any, **kwargs: Any) -> list[Any]:
        return self._round([(k, method, args, kwargs) for k in range(len(self._paths))])

    def on(self, shard: int, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._round([(shard, method, args, kwargs)])[0]

    def some(self, calls: dict[int, tuple[str, tuple[Any, ...]]]) -> dict[int, Any]:
        return dict(zip(calls, self._round([(k, m, args, {}) for k, (m, args) in calls.items()])))

    def calls(self, calls: list[tuple[int, str, tuple[Any, ...]]]) -> list[Any]:
        return self._round([(k, m, args, {}) for k, m, args in calls])

    def close(self) -> None:
        self._hosts.clear()
        try:
            self.cluster.client.run(_release_all)
        except Exception:  # noqa: BLE001 - workers already gone: nothing left open
            pass
        if self._owns:
            self.cluster.close()


def open_shards(archive: str | os.PathLike[str], address: str, *, cluster: Cluster | None = None) -> ClusterShards:
    """The shards of an archive, run on the cluster at `address` (or an open `cluster`)."""
    shard_map = ShardMap.load(archive)
    owned = cluster is None
    cluster = cluster or Cluster(address)
    try:
        return ClusterShards(cluster, shard_map.paths(archive), owns_cluster=owned)
    except BaseException:
        if owned:
            cluster.close()
        raise


def build_on(cluster: Cluster) -> Any:
    """An ingest.sharded builder that runs every shard's build as a task on `cluster`
    (shard k pinned to the k-th worker; another takes it over if that one is lost)."""

    def build_all(paths: list[str], jobs: list[tuple[str, tuple[int, int]]],
                  options: dict[str, Any]) -> list[IngestReport]:
        workers = cluster.workers()
        options = {k: v for k, v in options.items() if k not in ("progress", "stop", "notify")}
        futures = [cluster.client.submit(_build, paths, shard_path, shard, options, pure=False,
                                         workers=[workers[shard[0] % len(workers)]], allow_other_workers=True)
                   for shard_path, shard in jobs]
        return cluster.client.gather(futures)

    return build_all


def parse_on(cluster: Cluster) -> Any:
    """An ingest.sharded parser that runs the parse tasks on `cluster`, spread over its
    workers (a task of a lost worker is run again by another)."""

    def parse_all(spool: Any, groups: list[tuple[Any, ...]], options: Any, run: dict[str, Any]) -> None:
        futures = cluster.client.map(_parse, [(spool, group, options) for group in groups], pure=False)
        cluster.client.gather(futures)

    return parse_all


def open_archive(path: str | os.PathLike[str], address: str, *, allow_partial: bool = False) -> Any:
    """An Archive over an archive of shards whose searches run on the cluster at `address`
    (`allow_partial`: answer from the shards that can, naming the others)."""
    from .archive import Archive
    from .engine.sharded import ShardedIndex

    return Archive(ShardedIndex.open(path, shards=open_shards(path, address), allow_partial=allow_partial))


def index_on_cluster(paths: Any, *, address: str, **options: Any) -> IngestReport:
    """ingest.sharded.index_archive with every shard's build a task on the cluster at `address`."""
    from .ingest.sharded import index_archive

    cluster = Cluster(address)
    try:
        return index_archive(paths, build=build_on(cluster), parse=parse_on(cluster), **options)
    finally:
        cluster.close()


__all__ = ["CLUSTER_ENV", "index_on_cluster", "open_archive", "Cluster", "ClusterShards", "ShardHost", "build_on", "cluster_address", "open_shards", "parse_on"]
