"""The card renderer alone: pages, the QR of each card, and printing without a Unicode font."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from gateway import cards
from gateway.cards import Card, render_cards
from tests.checkpoint_support import decode_pdf


def _cards(count: int) -> list[Card]:
    return [
        Card(
            f"payload-{i:03d}-" + "x" * 200,
            "Đ*** T*** Thanh Hương",
            1980,
            "Ward 1",
            date(2021, 10, 1),
        )
        for i in range(count)
    ]


def test_cards_fill_pages_of_ten_in_order() -> None:
    pages = decode_pdf(render_cards(_cards(21)))

    assert [len(page) for page in pages] == [10, 10, 1]
    assert sorted(p for page in pages for p in page) == [c.payload for c in _cards(21)]


def test_without_a_unicode_font_names_print_without_diacritics(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cards, "FONT_CANDIDATES", ())

    pdf = render_cards(_cards(1), font_file=Path("/nonexistent.ttf"))

    assert decode_pdf(pdf) == [[_cards(1)[0].payload]]
    assert cards._text(None, "Đ*** T*** Thanh Hương") == "D*** T*** Thanh Huong"
