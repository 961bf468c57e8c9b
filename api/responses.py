"""JSON answers encoded by pydantic-core (Rust) instead of the standard library's encoder.

Starlette's ``JSONResponse`` runs ``json.dumps(…, ensure_ascii=False, separators=(",", ":"))``: ~1.7 ms of the
event loop for a batch's 1,000 receipts, where ``pydantic_core.to_json`` takes ~0.6 ms for the same bytes.
``tests/api/test_responses.py`` holds the two to the same bytes for the values receipts are made of.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import to_json
from starlette.responses import JSONResponse


class FastJSONResponse(JSONResponse):
    """``JSONResponse`` with the same compact UTF-8 bytes for JSON values, encoded by pydantic-core.

    For strings, integers, booleans, ``None``, lists and string-keyed dicts only: floats are written
    differently by the two encoders (and receipts hold none).
    """

    def render(self, content: Any) -> bytes:
        return to_json(content)
