"""Append-only segment files: where accepted tracking calls wait, durably.

A tracking request is acknowledged only after its calls are written to a
segment file and ``fsync``-ed, so an acknowledged call survives ``kill -9``
and power loss. Many requests share one ``fsync`` (group commit): a request
waits for the next flush after its own write, and whoever flushes covers
everything written before it.

Each writer owns the segment it appends to by holding an exclusive ``flock``
on it for as long as it is open. A compactor takes only segments it can lock:
closed ones, and the open segment of a writer that died (the kernel drops a
dead process's locks). So nothing ever compacts a segment still being written.

A segment is a run of frames: a 4-byte length, a 4-byte CRC-32 and the
payload. A frame cut short by a crash fails its length or CRC check and ends
the segment there; it was never acknowledged, because its ``fsync`` had not
returned.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

_HEADER = struct.Struct("<II")
PREFIX = "seg-"
SUFFIX = ".log"


class SegmentWriter:
    """Appends frames to this process's open segment; ``append`` waits till durable."""

    def __init__(self, folder: Path, max_bytes: int = 64 << 20) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self._write_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._fd: int | None = None
        self._size = 0
        self._written = 0
        self._synced = 0

    def append(self, payload: bytes) -> None:
        """Write one frame and return when it, and all before it, are on disk."""
        frame = _HEADER.pack(len(payload), zlib.crc32(payload)) + payload
        if self._size + len(frame) > self.max_bytes and self._fd is not None:
            self.rotate()
        with self._write_lock:
            if self._fd is None:
                self._open()
            _write_all(self._fd, frame)
            self._size += len(frame)
            self._written += 1
            mine = self._written
        with self._sync_lock:
            if self._synced >= mine:
                return  # another request's fsync already covered this frame
            with self._write_lock:
                target, fd = self._written, self._fd
            os.fsync(fd)
            self._synced = target

    def rotate(self) -> None:
        """Close the open segment (now compactable); the next append opens one."""
        with self._sync_lock, self._write_lock:
            if self._fd is None:
                return
            os.fsync(self._fd)
            self._synced = self._written
            os.close(self._fd)  # releases the flock
            self._fd = None
            self._size = 0

    def has_open_segment(self) -> bool:
        return self._fd is not None

    def close(self) -> None:
        self.rotate()

    def _open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{PREFIX}{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        hidden = self.folder / f".{name}.new"
        fd = os.open(hidden, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        # Locked before it gets a name a compactor looks at, so no compactor
        # can take it between its creation and the first write.
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.rename(hidden, self.folder / f"{name}{SUFFIX}")
        fsync_dir(self.folder)
        self._fd = fd


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file name in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def segment_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{PREFIX}*{SUFFIX}"))


def read_frames(path: Path) -> list[bytes]:
    """The complete frames of a segment (none if it vanished: it was compacted)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    frames = []
    position = 0
    while position + _HEADER.size <= len(data):
        length, crc = _HEADER.unpack_from(data, position)
        start = position + _HEADER.size
        payload = data[start : start + length]
        if len(payload) < length or zlib.crc32(payload) != crc:
            break  # a frame cut short by a crash: never acknowledged
        frames.append(payload)
        position = start + length
    return frames


@contextlib.contextmanager
def claimed(folder: Path) -> Iterator[list[Path]]:
    """The segments no live writer holds, locked for as long as the block runs.

    Also removes half-created segment files a crashed writer left behind
    (nothing in them was acknowledged).
    """
    held: list[tuple[Path, int]] = []
    try:
        for path in segment_files(folder):
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)  # a live writer's open segment
                continue
            held.append((path, fd))
        for hidden in folder.glob(f".{PREFIX}*.new") if folder.is_dir() else []:
            _remove_if_unlocked(hidden)
        yield [path for path, _ in held]
    finally:
        for _, fd in held:
            os.close(fd)


def _remove_if_unlocked(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        path.unlink(missing_ok=True)
    except BlockingIOError:
        pass
    finally:
        os.close(fd)
