"""One run at a time per review database: an advisory lock file beside the database.

Example::

    >>> import tempfile, pathlib
    >>> from msc_mine.lock import review_lock
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "review.sqlite"
    >>> with review_lock(db) as lock:
    ...     lock.path.name
    'review.sqlite.lock'

The lock is ``fcntl.flock`` on ``<database>.lock``, taken without waiting: a second run (a
cron job firing while yesterday's refresh still runs) fails at once with
:class:`~msc_mine.errors.LockedError` instead of queueing. The kernel drops a flock when
its process dies, so a run killed with ``kill -9`` never leaves a stale lock behind; the
file itself stays (it only records the holder's pid, for the error message).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from msc_mine.errors import LockedError

__all__ = ["ReviewLock", "lock_path", "review_lock"]


def lock_path(db: str | Path) -> Path:
    db = Path(db)
    return db.with_name(db.name + ".lock")


class ReviewLock:
    """Held from ``__enter__`` to ``__exit__``; see the module docstring."""

    def __init__(self, db: str | Path) -> None:
        self.path = lock_path(db)
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f" (pid {holder})" if holder else ""
            raise LockedError(
                f"another msc-mine run is using {self.path.with_suffix('')}{who}; "
                f"this one stops (lock file {self.path})"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ReviewLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def review_lock(db: str | Path) -> ReviewLock:
    """The lock of the review database ``db`` (use as ``with review_lock(db): ...``)."""
    return ReviewLock(db)


def _read_pid(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
