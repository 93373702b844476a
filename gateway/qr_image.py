"""QR images of a payload: segno's `make_qr` (never Micro QR), error correction M or better."""

from __future__ import annotations

import io
from functools import lru_cache

import segno

SCALE = 4  # pixels per module in PNG, user units per module in SVG
BORDER = 4  # the quiet zone the QR standard asks for, in modules


@lru_cache(maxsize=1024)  # choosing the mask costs ~40 ms; svg and png of one payload share it
def make(payload: str) -> segno.QRCode:
    """The QR symbol of `payload` (segno may raise the error level further if it fits)."""
    return segno.make_qr(payload, error="m", boost_error=True)


def svg(payload: str) -> str:
    """A standalone SVG document."""
    out = io.BytesIO()
    make(payload).save(out, kind="svg", scale=SCALE, border=BORDER, xmldecl=False)
    return out.getvalue().decode()


def png_data_uri(payload: str) -> str:
    """`data:image/png;base64,...`."""
    return str(make(payload).png_data_uri(scale=SCALE, border=BORDER))
