"""Helpers of the checkpoint tests: decoding QR images, finding residents, minting payloads."""

from __future__ import annotations

import base64
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tests.support import MocksAdmin

SCAN = """query($qr: String, $smsCode: String) { personStatus(qr: $qr, smsCode: $smsCode) {
  color reasons validUntil evaluatedAt policy maskedName birthYear declarationValidUntil } }"""
SCAN_WITH_PERSON = """query($qr: String) { personStatus(qr: $qr) {
  color maskedName person { id fullName } } }"""
MY_QR = "{ me { id qr { payload svg pngDataUri issuedAt } } }"
QR_OF = "query($id: ID!) { person(id: $id) { qr { payload issuedAt } } }"


def zbar(image: Path) -> list[str]:
    """Every QR code zbarimg finds in an image, as text."""
    found = subprocess.run(
        ["zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(image)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 0, found.stderr
    return found.stdout.splitlines()


def decode_png_data_uri(data_uri: str) -> list[str]:
    prefix = "data:image/png;base64,"
    assert data_uri.startswith(prefix)
    with tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / "qr.png"
        image.write_bytes(base64.b64decode(data_uri[len(prefix) :]))
        return zbar(image)


def decode_pdf(pdf: bytes) -> list[list[str]]:
    """The QR codes of each page of a PDF, rasterised at 300 dpi by pdftoppm."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cards.pdf"
        path.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", "300", "-png", str(path), str(Path(tmp) / "page")],
            check=True,
            capture_output=True,
        )
        return [zbar(page) for page in sorted(Path(tmp).glob("page-*.png"))]


async def residents(mocks: MocksAdmin, district: str, count: int, start: int = 1) -> list[Any]:
    """The first `count` people living in `district` (from the population register)."""
    answer = await mocks.client.post(
        "/identity/persons/batch",
        json={"ids": [f"P{i:07d}" for i in range(start, start + 400)]},
        headers={"Authorization": f"Bearer {await mocks.service_token()}"},
    )
    people = [p for p in answer.json()["persons"] if p["district"] == district]
    assert len(people) >= count
    return people[:count]


async def reset(mocks: MocksAdmin, *services: str) -> None:
    for service in services:
        (await mocks.client.delete(f"/{service}/_admin/faults")).raise_for_status()
        (await mocks.client.delete(f"/{service}/_admin/stats")).raise_for_status()


def claims_of(payload: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, claims, _ = payload.split(".")

    def part(text: str) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads(
            base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        )
        return decoded

    return part(header), part(claims)
