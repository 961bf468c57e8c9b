"""The verifier's state file (V12): saved and loaded back; anything else in its place is a FormatError."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ORIGIN
from verifier.errors import FormatError
from verifier.seen import SeenCheckpoints


def test_the_state_file_round_trips(tmp_path: Path) -> None:
    seen = SeenCheckpoints.load(tmp_path, ORIGIN)
    seen.remember(6, b"\x01" * 32)
    seen.remember(8, b"\x02" * 32)
    seen.save()
    assert SeenCheckpoints.load(tmp_path, ORIGIN).roots == {6: b"\x01" * 32, 8: b"\x02" * 32}
    other = SeenCheckpoints.load(tmp_path, "example.com/log")
    other.remember(8, b"\x03" * 32)
    other.save()
    other.path.replace(seen.path)  # another log's state under this log's name is refused, never used
    with pytest.raises(FormatError, match=r"not a hotline\.verifier-state/v1 file"):
        SeenCheckpoints.load(tmp_path, ORIGIN)


@pytest.mark.parametrize("data", [b"[" * 100_000, b"\xff\xfe", b'{"v": 1.5}', b"", b"[]"])
def test_a_broken_state_file_is_a_format_error(tmp_path: Path, data: bytes) -> None:
    SeenCheckpoints.load(tmp_path, ORIGIN).path.write_bytes(data)
    with pytest.raises(FormatError):
        SeenCheckpoints.load(tmp_path, ORIGIN)
