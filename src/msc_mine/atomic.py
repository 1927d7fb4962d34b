"""Crash-safe file writes: a temporary file in the same folder, fsync, then ``os.replace``.

Example::

    >>> import tempfile, pathlib
    >>> from msc_mine.atomic import Staging, write_text_atomic
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> write_text_atomic(out / "note.txt", "hello\\n")
    >>> with Staging() as staging:
    ...     n = staging.path(out / "a.csv").write_text("x\\n")
    ...     n = staging.path(out / "b.csv").write_text("y\\n")
    >>> sorted(p.name for p in out.iterdir())
    ['a.csv', 'b.csv', 'note.txt']

A reader (or the next run) sees either the old file or the new one, never half of one:
``os.replace`` is atomic within a file system, which is why the temporary file lives in the
target's own folder. :class:`Staging` goes further for a set of outputs: every file is
written to its temporary name first and only when all of them are written are they renamed,
one after the other. A run that dies while writing (network loss, full disk, an exception,
``kill -9``) therefore leaves every previous output as it was; only a death during the
final renames (microseconds) can leave some files new and others old, each still whole.
Temporary names start with a dot and contain ``.tmp``; :func:`sweep` removes the ones a
killed run left behind.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from types import TracebackType

__all__ = ["Staging", "sweep", "write_bytes_atomic", "write_text_atomic"]

TMP_MARK = ".tmp"
_TEMP_NAME = re.compile(r"^\..+\.[0-9a-f]{8}\.tmp(\.[^.]+)?$")


def _replace(src: Path, dst: Path) -> None:
    # A module-level seam: tests make it raise to simulate a run dying after the
    # temporary files are written.
    os.replace(src, dst)


def _fsync_file(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(folder: Path) -> None:
    # The rename itself must reach the disk too; not every platform lets a folder be opened.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class Staging:
    """Temporary paths for a set of outputs, renamed over the real ones together.

    Use as a context manager: a clean exit commits (fsync, rename), an exception discards
    every temporary file and leaves the real files untouched.
    """

    def __init__(self) -> None:
        self.token = secrets.token_hex(4)
        self._temps: dict[Path, Path] = {}
        self.committed = False

    def path(self, final: str | Path) -> Path:
        """The temporary path to write ``final`` to (same folder, same suffix)."""
        final = Path(final)
        if final not in self._temps:
            final.parent.mkdir(parents=True, exist_ok=True)
            name = f".{final.stem}.{self.token}{TMP_MARK}{final.suffix}"
            self._temps[final] = final.with_name(name)
        return self._temps[final]

    def temp_of(self, final: str | Path) -> Path:
        """The temporary file already registered for ``final`` (KeyError if none)."""
        return self._temps[Path(final)]

    @property
    def finals(self) -> list[Path]:
        return list(self._temps)

    def commit(self) -> None:
        """fsync every temporary file, then rename each over its target."""
        for final, temp in self._temps.items():
            if not temp.is_file():
                raise FileNotFoundError(f"{final.name} was staged but never written")
            _fsync_file(temp)
        for final, temp in self._temps.items():
            _replace(temp, final)
        for folder in {f.parent for f in self._temps}:
            _fsync_dir(folder)
        self.committed = True

    def discard(self) -> None:
        for temp in self._temps.values():
            temp.unlink(missing_ok=True)

    def __enter__(self) -> Staging:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None and not self.committed:
            try:
                self.commit()
            except BaseException:
                self.discard()
                raise
        elif exc_type is not None:
            self.discard()


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically."""
    with Staging() as staging:
        staging.path(path).write_bytes(data)


def write_text_atomic(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``text`` atomically."""
    write_bytes_atomic(path, text.encode(encoding))


def sweep(folder: str | Path) -> int:
    """Delete temporary files a killed run left in ``folder``; returns how many.

    Call it only while holding the review's lock, so no live run's files are removed.
    """
    removed = 0
    root = Path(folder)
    if not root.is_dir():
        return 0
    for path in root.glob(f".*{TMP_MARK}*"):
        # Only names Staging makes: an output folder may hold a user's own dot files.
        if _TEMP_NAME.match(path.name) and path.is_file():
            path.unlink(missing_ok=True)
            removed += 1
    return removed
