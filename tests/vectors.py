"""Locate and load the external test vectors, read in place from ``../shared/vectors``.

The vectors live beside the checkout (``<checkout>/../shared/vectors``) and are never copied
into the repository. A missing folder is an error, not a skip: tests that silently skip
their vectors would pass without checking anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def vectors_dir() -> Path:
    """Return the ``shared/vectors`` folder beside this checkout.

    Raises:
        FileNotFoundError: the folder does not exist.
    """
    # tests/vectors.py -> parents[1] is the checkout; the vectors sit beside it.
    path = Path(__file__).resolve().parents[1].parent / "shared" / "vectors"
    if not path.is_dir():
        raise FileNotFoundError(
            f"test vectors not found at {path}: check out the shared vectors beside the repository "
            "(../shared/vectors); they are read in place, never copied"
        )
    return path


def load_vector(name: str) -> Any:
    """Load one JSON vector file by name, e.g. ``"checkpoint.json"`` (``".json"`` may be omitted).

    Raises:
        FileNotFoundError: the folder or the file does not exist.
        ValueError: ``name`` is not a plain file name inside the vectors folder.
    """
    if not name or Path(name).name != name:
        raise ValueError(f"vector name must be a plain file name, got {name!r}")
    path = vectors_dir() / (name if name.endswith(".json") else f"{name}.json")
    if not path.is_file():
        raise FileNotFoundError(f"test vector file not found: {path}")
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)
