"""Voucher images: Code 128 (for handheld scanners) and QR (for phone cameras), SVG or PNG.

Invariant: every image encodes exactly the voucher's 20-character code, so whatever a scanner
reads passes :func:`rewards.parse_code`; the printed text under the bar code is the grouped
form a person can read aloud and type.
"""

from __future__ import annotations

import enum
import io

import barcode
import segno
from barcode.writer import ImageWriter, SVGWriter

from rewards._codes import grouped, is_well_formed


class ImageFormat(enum.StrEnum):
    SVG = "svg"
    PNG = "png"


MEDIA_TYPES = {ImageFormat.SVG: "image/svg+xml", ImageFormat.PNG: "image/png"}


def _checked(code: str) -> str:
    if not is_well_formed(code):
        raise ValueError("not a voucher code")
    return code


def code128(code: str, fmt: ImageFormat) -> bytes:
    writer = SVGWriter() if fmt is ImageFormat.SVG else ImageWriter()
    symbol = barcode.get("code128", _checked(code), writer=writer)
    out = io.BytesIO()
    symbol.write(
        out, options={"module_height": 15.0, "font_size": 10, "quiet_zone": 6.5}, text=grouped(code)
    )
    return out.getvalue()


def qr(code: str, fmt: ImageFormat) -> bytes:
    symbol = segno.make(_checked(code), error="m", micro=False)
    out = io.BytesIO()
    symbol.save(out, kind=fmt.value, scale=8, border=4)
    return out.getvalue()
