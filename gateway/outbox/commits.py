"""Whether anything committed to a SQLite database in WAL mode: exact, and without a query.

`SQLiteStore` remembers a scan's latest-submission reads until the next commit by any
connection of any process (another worker on the same file). `PRAGMA data_version` tells, but
through a read transaction: a lock and an unlock of the `-shm` file, two system calls (2.7 µs
alone here, 4 % of S1's samples in a slow spell of this machine: README, Performance).
SQLite answers the same question from the wal-index header: the first 48 bytes of the `-shm`
file, shared by every connection, which every commit rewrites (its `iChange` counter counts
transactions; https://www.sqlite.org/walformat.html, "The WAL-Index Header"). `CommitSignal`
maps those bytes read-only and hands them out as the version: ~0.05 µs.

Why it is safe: the map is made after the reader connection has read the database, so this
process holds the `-shm` file open (SQLite's shared DMS lock) and no other process can then
truncate it (which would make reading the map fault); the store closes the map before its
connections. A read that races a commit may see old and new bytes mixed: that differs from the
bytes remembered, so it counts as a commit (one read more, never one less). Where the file
cannot be mapped (no WAL, another VFS), the signal falls back to `PRAGMA data_version`.
"""

from __future__ import annotations

import mmap
import os
import sqlite3
from pathlib import Path

HEADER_BYTES = 48  # the first copy of the wal-index header


class CommitSignal:
    """A value that changes with every commit to the database at `path`, by any connection."""

    def __init__(self, path: Path, reader: sqlite3.Connection) -> None:
        self._reader = reader
        reader.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # opens the -shm
        self._map = _mapped_header(Path(f"{path}-shm"))

    @property
    def mapped(self) -> bool:
        """Whether the header is read from the map (else through `PRAGMA data_version`)."""
        return self._map is not None

    def version(self) -> bytes | int:
        if self._map is not None:
            return self._map[:HEADER_BYTES]
        version: int = self._reader.execute("PRAGMA data_version").fetchone()[0]
        return version

    def close(self) -> None:
        """Unmap (before the connections close)."""
        if self._map is not None:
            self._map.close()
            self._map = None


def _mapped_header(shm: Path) -> mmap.mmap | None:
    try:
        fd = os.open(shm, os.O_RDONLY)
    except OSError:
        return None
    try:
        if os.fstat(fd).st_size < HEADER_BYTES:
            return None
        return mmap.mmap(fd, HEADER_BYTES, prot=mmap.PROT_READ)
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)  # the map keeps its own reference to the file
