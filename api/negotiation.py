"""Proactive content negotiation (RFC 9110 §12.5.1): which of a route's representations an ``Accept`` header asks for.

Each offered media type gets the quality of the most specific media range that matches it (``type/subtype``,
then ``type/*``, then ``*/*``); the offer with the highest quality wins, then the one named by the more
specific range, then the first offered. With no ``Accept`` header, or one that accepts none of the offers,
the first offer is the answer: a route's default representation, as before negotiation existed.
"""

from __future__ import annotations

from collections.abc import Sequence


def _ranges(accept: str) -> list[tuple[str, float]]:
    """The media ranges of an ``Accept`` header with their qualities (a range with a malformed ``q`` is left out)."""
    found = []
    for item in accept.split(","):
        kind, *parameters = item.split(";")
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = -1.0
        if 0.0 <= quality <= 1.0 and kind.strip():
            found.append((kind.strip().lower(), quality))
    return found


def _quality(offer: str, ranges: list[tuple[str, float]]) -> tuple[float, int]:
    """The quality the ranges give ``offer``, and how specific the range that gave it is (0: none matched)."""
    main = offer.split("/")[0] + "/*"
    best = (0.0, 0)
    for kind, quality in ranges:
        specificity = 3 if kind == offer else 2 if kind == main else 1 if kind == "*/*" else 0
        if specificity > best[1]:
            best = (quality, specificity)
    return best


def choose(accept: str | None, offers: Sequence[str]) -> str:
    """The representation to answer among ``offers`` (lower-case media types, the default first)."""
    if not accept:
        return offers[0]
    ranges = _ranges(accept)
    ranked = [(*_quality(offer, ranges), -position) for position, offer in enumerate(offers)]
    quality, _, position = max(ranked)
    return offers[-position] if quality > 0 else offers[0]
