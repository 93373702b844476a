"""Printed QR cards: one card per person (QR, masked name, birth year, issuer) in a PDF.

Cards are ID-1 size (85.6 x 54 mm, like a bank card), ten to an A4 page with cut lines. The QR is
drawn as vector rectangles from segno's module matrix, so it stays sharp at any printer
resolution. Text needs a font with Vietnamese letters: CARD_FONT_FILE, else DejaVu Sans or Noto
Sans where the system has them; without any, names are printed without diacritics.

The renderer only takes cards; who may print whose cards is decided by the caller (a ward's
health officer for residents of the district now; an employer for the workers of its approved
lists once worker lists exist, through `render_cards` as well).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fpdf import FPDF

from gateway import qr_image

CARD_W, CARD_H = 85.6, 54.0  # mm, ISO/IEC 7810 ID-1
COLUMNS, ROWS = 2, 5
GAP = 3.0  # mm between cards
PAD = 3.0  # mm inside a card
QR_SIZE = CARD_H - 2 * PAD  # the QR fills the card's height
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"),
    Path("/usr/share/fonts/noto/NotoSans-Regular.ttf"),
)


@dataclass(frozen=True, slots=True)
class Card:
    """What one card shows."""

    payload: str
    masked_name: str
    birth_year: int
    issuer: str
    issued_on: date


def render_cards(cards: Sequence[Card], font_file: Path | None = None) -> bytes:
    """The PDF of `cards`, in order, ten to a page."""
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_title("Healthpass QR cards")
    pdf.set_creator("healthpass-gateway")
    font = _font(pdf, font_file)
    for index, (x, y) in zip(range(len(cards)), _slots(pdf), strict=False):
        _card(pdf, font, cards[index], x, y)
    if not cards:
        pdf.add_page()
    return bytes(pdf.output())


def _slots(pdf: FPDF) -> Iterator[tuple[float, float]]:
    """Top-left corners of the cards, adding pages as needed."""
    left = (pdf.w - COLUMNS * CARD_W - (COLUMNS - 1) * GAP) / 2
    top = (pdf.h - ROWS * CARD_H - (ROWS - 1) * GAP) / 2
    while True:
        pdf.add_page()
        for row in range(ROWS):
            for column in range(COLUMNS):
                yield left + column * (CARD_W + GAP), top + row * (CARD_H + GAP)


def _font(pdf: FPDF, font_file: Path | None) -> str | None:
    """Register a Unicode font; None when only the core (Latin-1) fonts are available."""
    for candidate in (font_file, *FONT_CANDIDATES):
        if candidate is not None and candidate.is_file():
            pdf.add_font("card", "", str(candidate))
            return "card"
    return None


def _text(font: str | None, text: str) -> str:
    if font is not None:
        return text
    folded = unicodedata.normalize("NFKD", text.replace("Đ", "D").replace("đ", "d"))
    return (
        "".join(c for c in folded if not unicodedata.combining(c))
        .encode("latin-1", "replace")
        .decode("latin-1")
    )


def _card(pdf: FPDF, font: str | None, card: Card, x: float, y: float) -> None:
    pdf.set_draw_color(170)
    pdf.set_line_width(0.2)
    pdf.rect(x, y, CARD_W, CARD_H)
    _qr(pdf, card.payload, x + PAD, y + PAD)
    text_x = x + PAD + QR_SIZE + 2
    width = CARD_W - (text_x - x) - PAD
    lines = [
        (9, "HEALTHPASS"),
        (9, card.masked_name),
        (8, f"Born {card.birth_year}"),
        (6, "Issued by"),
        (7, card.issuer),
        (6, f"QR of {card.issued_on.isoformat()}"),
    ]
    pdf.set_xy(text_x, y + PAD + 2)
    for size, text in lines:
        pdf.set_font(font or "helvetica", size=size)
        pdf.set_x(text_x)
        pdf.multi_cell(width, size * 0.45, _text(font, text), new_x="LEFT", new_y="NEXT")
        pdf.ln(1)


def _qr(pdf: FPDF, payload: str, x: float, y: float) -> None:
    """The QR with its quiet zone, dark modules as rectangles (one per horizontal run)."""
    symbol = qr_image.make(payload)
    matrix = symbol.matrix
    border = qr_image.BORDER
    module = QR_SIZE / (len(matrix) + 2 * border)
    pdf.set_fill_color(0)
    for row, cells in enumerate(matrix):
        top = y + (row + border) * module
        column = 0
        while column < len(cells):
            if not cells[column]:
                column += 1
                continue
            start = column
            while column < len(cells) and cells[column]:
                column += 1
            left = x + (start + border) * module
            pdf.rect(left, top, (column - start) * module, module, style="F")
