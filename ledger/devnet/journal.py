"""The devnet's durable, append-only journal of every state-changing operation it accepted.

One record a line: ``<sha256 of the JSON, hex> <JSON>\\n``. Each record carries ``seq`` (1, 2, …), so a line
that was dropped, duplicated or moved is noticed as well as one whose bytes changed. A record is written with
one ``write`` and made durable with ``fsync`` before the devnet replies, so whatever a caller was told is on
disk; a SIGKILL or power cut can only leave a partial last line, for an operation nobody was told about.

On opening, therefore:

* a damaged *last* record (a line without its newline, or a last line whose checksum fails) is discarded with
  a warning and cut from the file, so later appends follow the last good record;
* a damaged record *before* the last one, or a ``seq`` out of order, means acknowledged history is damaged:
  ``DevnetStateError``, naming the file, the record and its byte offset. Nothing is dropped silently.

The journal also holds an exclusive ``flock`` while it is open, so two devnets never write one directory.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from ledger.devnet.errors import DevnetStateError
from verifier.canonical import loads_within_depth
from verifier.errors import FormatError

log = logging.getLogger(__name__)

Record = dict[str, Any]


def fsync_directory(directory: Path) -> None:
    """Make a new or renamed entry in ``directory`` survive a power cut."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def encode_record(record: Record) -> bytes:
    body = json.dumps(record, sort_keys=True, separators=(",", ":")).encode("ascii")
    return hashlib.sha256(body).hexdigest().encode("ascii") + b" " + body + b"\n"


def decode_line(line: bytes) -> Record | None:
    """The record of a complete line (without its newline), or None when its checksum or JSON is bad."""
    checksum, _, body = line.partition(b" ")
    if hashlib.sha256(body).hexdigest().encode("ascii") != checksum:
        return None
    try:
        record = loads_within_depth(body.decode("utf-8"))
    except (FormatError, ValueError):  # nested deeper than a record is, or not JSON: a bad line like any other
        return None
    return record if isinstance(record, dict) else None


class Journal:
    """``path`` opened for appending, locked, and with its records read back (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        created = not path.exists()
        self._fd: int | None = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            self.close()
            raise DevnetStateError(f"{path} is in use by another devnet", path=str(path)) from exc
        if created:
            fsync_directory(path.parent)
        #: The records found on opening, for the node to replay (it may drop them afterwards).
        self.recovered: list[Record] = self._recover()
        self.count = len(self.recovered)

    def _recover(self) -> list[Record]:
        assert self._fd is not None
        content = self.path.read_bytes()
        records: list[Record] = []
        offset = 0
        while offset < len(content):
            end = content.find(b"\n", offset)
            last = end == -1 or end + 1 == len(content)
            record = None if end == -1 else decode_line(content[offset:end])
            if record is None:
                if not last:
                    raise DevnetStateError(
                        f"{self.path}: record {len(records) + 1} at byte {offset} is damaged and records follow it: "
                        "acknowledged history cannot be replayed. Restore the journal from a backup, or move the "
                        "directory away to start a new chain",
                        path=str(self.path),
                        record=len(records) + 1,
                        offset=offset,
                    )
                log.warning(
                    "%s: discarding a damaged last record (%d bytes at byte %d): it was being written when the "
                    "devnet stopped, and was never acknowledged",
                    self.path,
                    len(content) - offset,
                    offset,
                )
                os.ftruncate(self._fd, offset)
                os.fsync(self._fd)
                break
            if record.get("seq") != len(records) + 1:
                raise DevnetStateError(
                    f"{self.path}: record at byte {offset} has seq {record.get('seq')!r}, expected {len(records) + 1}",
                    path=str(self.path),
                    offset=offset,
                )
            records.append(record)
            offset = end + 1
        return records

    def append(self, record: Record) -> Record:
        """Give ``record`` the next ``seq``, write it and ``fsync``; returns it as stored.

        Raises:
            OSError: the write or the fsync failed; the record may be partly on disk (a damaged last record).
        """
        if self._fd is None:
            raise ValueError(f"{self.path} is closed")
        stored = {**record, "seq": self.count + 1}
        line = memoryview(encode_record(stored))
        while line:
            written = os.write(self._fd, line)
            line = line[written:]
        os.fsync(self._fd)
        self.count += 1
        return stored

    def close(self) -> None:
        """Release the lock and the file; idempotent."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
