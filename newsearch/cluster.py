"""Archives of shards on a Dask cluster: the only module that imports dask.

`--cluster ADDRESS` (or NEWSEARCH_CLUSTER=tcp://host:8786) sends the work to a
Dask scheduler; `--cluster local[:N]` starts a LocalCluster of N worker processes
on 127.0.0.1 for the run. Each shard is pinned to one worker (shard k to the k-th
worker, round robin): a query fans out as one task per shard, run on the worker
that keeps that shard open between queries (engine/sharded.py does the merging
and knows nothing of Dask). A build runs each shard's build as one task, so each
shard is written by one writer at a time. Dask is optional:
`pip install "newsearch[cluster]"`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

from .errors import NewsearchError
from .ingest.report import IngestReport
from .shards import ShardMap

CLUSTER_ENV = "NEWSEARCH_CLUSTER"
LOCAL = "local"


def cluster_address(given: str | None = None) -> str | None:
    """The cluster to use: the one given, else NEWSEARCH_CLUSTER, else none."""
    value = (given or os.environ.get(CLUSTER_ENV, "")).strip()
    return value or None


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
            workers = int(address.split(":", 1)[1]) if ":" in address else max(1, os.cpu_count() or 1)
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
        found = sorted(self.client.scheduler_info()["workers"])
        if not found:
            raise NewsearchError(f"the Dask cluster at {self.address} has no workers")
        return found

    def close(self) -> None:
        self.client.close()
        if self._local is not None:
            self._local.close()


# -- on the workers ---------------------------------------------------------------------

_OPEN: dict[str, Any] = {}  # shard path -> WhooshIndex, per worker process


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


def _build(paths: list[str], shard_path: str, shard: tuple[int, int], options: dict[str, Any]) -> IngestReport:
    """One shard's build, as one task: parsing in this worker (no child processes)."""
    from .ingest.pipeline import index_paths

    _release(shard_path)  # a shard rebuilt beside itself is opened afresh afterwards
    return index_paths(paths, index=shard_path, shard=shard, **{**options, "jobs": 1})


# -- in the caller -------------------------------------------------------------------------


class ClusterShards:
    """engine.sharded.Shards on a Dask cluster: each call is a task on the shard's worker."""

    def __init__(self, cluster: Cluster, paths: Sequence[Path], *, owns_cluster: bool) -> None:
        self.cluster = cluster
        self.names = [p.name for p in paths]
        self._paths = [str(Path(p).resolve()) for p in paths]
        self._owns = owns_cluster
        workers = cluster.workers()
        self._pinned = [workers[k % len(workers)] for k in range(len(paths))]

    def _submit(self, shard: int, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return self.cluster.client.submit(_call, self._paths[shard], method, args, kwargs, pure=False,
                                          workers=[self._pinned[shard]], allow_other_workers=True)

    def _gather(self, shards: list[int], futures: list[Any]) -> list[Any]:
        """Each shard's answer, or a ShardFailure naming it: the shard could not answer,
        or the task was lost with its worker more often than Dask retries it."""
        from .engine.sharded import SHARD_ERRORS, ShardFailure

        distributed = _distributed()
        lost = (distributed.KilledWorker, distributed.comm.core.CommClosedError, TimeoutError)
        answers = []
        for shard, future in zip(shards, futures):
            try:
                answers.append(future.result())
            except SHARD_ERRORS as exc:
                answers.append(ShardFailure(self.names[shard], str(exc).splitlines()[0] if str(exc) else repr(exc)))
            except lost as exc:
                answers.append(ShardFailure(self.names[shard], f"its worker was lost ({type(exc).__name__})"))
        return answers

    def each(self, method: str, *args: Any, **kwargs: Any) -> list[Any]:
        shards = list(range(len(self._paths)))
        return self._gather(shards, [self._submit(k, method, args, kwargs) for k in shards])

    def on(self, shard: int, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._gather([shard], [self._submit(shard, method, args, kwargs)])[0]

    def some(self, calls: dict[int, tuple[str, tuple[Any, ...]]]) -> dict[int, Any]:
        shards = list(calls)
        answers = self._gather(shards, [self._submit(k, calls[k][0], calls[k][1], {}) for k in shards])
        return dict(zip(shards, answers))

    def calls(self, calls: list[tuple[int, str, tuple[Any, ...]]]) -> list[Any]:
        return self._gather([k for k, _, _ in calls], [self._submit(k, m, args, {}) for k, m, args in calls])

    def close(self) -> None:
        try:
            self.cluster.client.run(_release_all)
        except Exception:  # workers already gone: nothing left open
            pass
        if self._owns:
            self.cluster.close()


def _release_all() -> None:
    for path in list(_OPEN):
        _release(path)


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
        return index_archive(paths, build=build_on(cluster), **options)
    finally:
        cluster.close()


__all__ = ["CLUSTER_ENV", "index_on_cluster", "open_archive", "Cluster", "ClusterShards", "build_on", "cluster_address", "open_shards"]
