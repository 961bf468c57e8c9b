"""The QR code of a ticket's page, as inline SVG (segno). It links to ``/t/{ticket}``: never the query code."""

from __future__ import annotations

import segno


def qr_svg(url: str, title: str) -> str:
    """An SVG element (no XML declaration) encoding ``url``, dark on light for any camera."""
    code = segno.make(url, error="m", micro=False)
    svg: str = code.svg_inline(scale=4, border=2, dark="#111111", light="#ffffff", title=title)
    return svg
