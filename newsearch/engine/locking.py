"""One writer per index: an exclusive lock file that names its holder's PID.

The lock is an flock on `newsearch.lock`, so the kernel releases it when the holder
dies, even by SIGKILL; a leftover file from a dead process is detected and reused.
"""
from __future__ import annotations

import errno
import os
import weakref

from ..errors import IndexLocked, StorageError

LOCK_FILE = "newsearch.lock"

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class WriterLock:
    """Exclusive, non-blocking, released automatically when the process dies."""

    def __init__(self, index_path: str) -> None:
        self.path = os.path.join(index_path, LOCK_FILE)
        self._fd: int | None = None
        self.stale_pid: int | None = None
        _HELD.add(self)

    def acquire(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StorageError(f"{self.path}: cannot create lock file ({exc.strerror})") from exc
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = _read_pid(fd)
                os.close(fd)
                if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    who = f"PID {holder}" if holder else "another process"
                    raise IndexLocked(
                        f"{os.path.dirname(self.path)}: index is being written by {who}; "
                        "wait for it to finish"
                    ) from exc
                raise
        previous = _read_pid(fd)
        if previous and previous != os.getpid():
            self.stale_pid = previous
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
        except OSError:
            pass
        os.close(fd)  # closing drops the flock


# A forked child (a parser worker) inherits the lock's descriptor, and an flock lasts
# until every copy is closed; so each child closes its copies, and a killed writer's
# lock is free at once even while a worker it started is still busy with a file.
_HELD: "weakref.WeakSet[WriterLock]" = weakref.WeakSet()


def _drop_inherited_locks() -> None:
    for lock in list(_HELD):
        fd, lock._fd = lock._fd, None
        if fd is not None:
            try:
                os.close(fd)  # the parent's copy keeps the lock held
            except OSError:
                pass


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_inherited_locks)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "ignore").strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None
