"""Bundled workflow policies (one JSON file per jurisdiction and version) and a strict loader.

The files here are ``hotline.policy/v1`` documents (DESIGN §4); ``verifier.policy`` parses and
checks them, so producer and verifier share one definition. See README.md for the baseline.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from verifier.canonical import parse_json_strict
from verifier.errors import FormatError
from verifier.limits import MAX_POLICY_BYTES
from verifier.policy import Policy, parse_policy

#: Largest policy file read, in bytes: the canonical limit with room for indentation.
MAX_POLICY_FILE_BYTES = 4 * MAX_POLICY_BYTES

_BUNDLED_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
_SUFFIX = ".json"


def bundled_policies() -> list[str]:
    """The names of the policies shipped in this package, sorted (e.g. ``["cn-baseline"]``)."""
    return sorted(
        item.name.removesuffix(_SUFFIX)
        for item in resources.files(__name__).iterdir()
        if item.is_file() and item.name.endswith(_SUFFIX)
    )


def load_policy(name_or_path: str | Path) -> Policy:
    """Load and validate a policy: a bundled name such as ``"cn-baseline"``, or a file path.

    A ``str`` without a path separator and without the ``.json`` suffix is a bundled name;
    anything else (and every ``Path``) is a file path.

    Raises:
        FileNotFoundError: no bundled policy of that name, or no such file.
        OSError: the file could not be read.
        FormatError: the file is larger than ``MAX_POLICY_FILE_BYTES``, is not strict JSON
            (invalid UTF-8, duplicate keys, floats, NaN/Infinity), or is not a valid policy.
            The message starts with the file name; evidence ``file`` holds it.
    """
    if isinstance(name_or_path, str) and _is_bundled_name(name_or_path):
        resource = resources.files(__name__).joinpath(name_or_path + _SUFFIX)
        if not resource.is_file():
            raise FileNotFoundError(
                f"no bundled policy {name_or_path!r} (bundled: {', '.join(bundled_policies()) or 'none'})"
            )
        shown = f"{name_or_path}{_SUFFIX}"
        with resource.open("rb") as stream:
            data = stream.read(MAX_POLICY_FILE_BYTES + 1)
    else:
        path = Path(name_or_path)
        shown = str(path)
        with path.open("rb") as stream:
            data = stream.read(MAX_POLICY_FILE_BYTES + 1)
    return _parse_file(data, shown)


def _is_bundled_name(text: str) -> bool:
    return bool(_BUNDLED_NAME.fullmatch(text)) and not text.endswith(_SUFFIX)


def _parse_file(data: bytes, shown: str) -> Policy:
    if len(data) > MAX_POLICY_FILE_BYTES:
        raise FormatError(f"{shown}: larger than {MAX_POLICY_FILE_BYTES} bytes", file=shown)
    try:
        document = parse_json_strict(data)
    except FormatError as exc:
        raise FormatError(f"{shown}: {exc.message}", file=shown, **exc.evidence) from exc
    except ValueError as exc:  # e.g. an integer beyond Python's digit limit
        raise FormatError(f"{shown}: not valid JSON: {exc}", file=shown) from exc
    if not isinstance(document, dict):
        raise FormatError(f"{shown}: a policy is a JSON object", file=shown, path="$")
    try:
        return parse_policy(document)
    except FormatError as exc:
        raise FormatError(f"{shown}: {exc.message}", file=shown, **exc.evidence) from exc
