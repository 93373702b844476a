"""Issuing passports: series choice, names, UVCI checksums, value-set codes, expiry, QR."""

from __future__ import annotations

import stat
from datetime import date, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from gateway.dcc.issue import (
    SeriesIncomplete,
    add_months,
    completing_dose,
    icao_transliteration,
    issue,
    make_uvci,
    names,
    qr_code,
    uvci_check_character,
)
from gateway.dcc.keys import (
    CSCA_FILE,
    DSC_FILE,
    DSC_KEY_FILE,
    DccKeyError,
    development_signer,
    kid_of,
    load_signer,
    signer_for,
)
from gateway.settings import DccSettings, Settings
from gateway.sources.identity import PersonRecord
from gateway.sources.vaccination import VaccinationRecord
from gateway.status import load_policy
from gateway.timezone import LOCAL
from tests.dcc.forge import decode_hc1, es256_verifies

REQUIRED = load_policy("hcmc-2021-10").required_doses
CHARSET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:"
PERSON = PersonRecord("P0000042", "Nguyễn Thị Đào", date(1985, 3, 9), "079185000042", "0901", "778")
NOW = datetime(2022, 5, 11, 9, 30, tzinfo=LOCAL)


def dose(n: int, on: str, product: str) -> VaccinationRecord:
    return VaccinationRecord(
        f"imm-{n}", date.fromisoformat(on), product, product, None, None, None, n
    )


def luhn_mod_n_valid(text: str) -> bool:
    """Validation from the other end: with the check character, the weighted sum is 0 mod N."""
    n, total, factor = len(CHARSET), 0, 1
    for char in reversed(text):
        addend = factor * CHARSET.index(char)
        total += addend // n + addend % n
        factor = 2 if factor == 1 else 1
    return total % n == 0


def test_a_uvci_carries_a_luhn_mod_n_check_character() -> None:
    uvci = make_uvci("VN", "H6AYSVQVG6AH5VUC")

    body, check = uvci.split("#")
    assert body == "URN:UVCI:01:VN:H6AYSVQVG6AH5VUC" and len(check) == 1
    assert luhn_mod_n_valid(body + check)
    # Any single changed character is caught.
    for i in range(len(body)):
        for char in "A7:":
            if body[i] != char:
                changed = body[:i] + char + body[i + 1 :]
                assert not luhn_mod_n_valid(changed + check), changed


@pytest.mark.parametrize(
    ("body", "check"),
    [("A", "A"), ("B", "/"), ("Z", "Z"), ("9", "F"), ("AB", "/")],
)
def test_check_characters_worked_by_hand(body: str, check: str) -> None:
    # From the right, factor 2 first: 'B' = 1 → 2 → (38 - 2) % 38 = 36 → '/';
    # 'Z' = 25 → 50 = 1·38 + 12 → 1 + 12 = 13 → 25 → 'Z'; '9' = 35 → 70 → 1 + 32 → 5 → 'F'.
    assert uvci_check_character(body) == check


def test_a_character_outside_the_uvci_set_has_no_check_character() -> None:
    with pytest.raises(ValueError):
        uvci_check_character("URN:UVCI:01:VN:abc")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Nguyễn", "NGUYEN"),
        ("Thị Đào", "THI<DAO"),
        ("Trần  Quốc-Việt", "TRAN<QUOC<VIET"),
        ("Lê Ánh O'Brien", "LE<ANH<OBRIEN"),
    ],
)
def test_names_are_transliterated_as_icao_9303(name: str, expected: str) -> None:
    assert icao_transliteration(name) == expected


def test_a_vietnamese_name_is_family_name_then_given_names() -> None:
    assert names("Nguyễn Thị Đào") == {
        "fn": "Nguyễn",
        "fnt": "NGUYEN",
        "gn": "Thị Đào",
        "gnt": "THI<DAO",
    }
    assert names("Madonna") == {"fn": "Madonna", "fnt": "MADONNA"}


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        ("2022-05-11T09:30:00+07:00", 12, "2023-05-11T09:30:00+07:00"),
        ("2024-02-29T00:00:00+07:00", 12, "2025-02-28T00:00:00+07:00"),
        ("2022-08-31T12:00:00+07:00", 6, "2023-02-28T12:00:00+07:00"),
    ],
)
def test_expiry_is_calendar_months_later(start: str, months: int, end: str) -> None:
    assert add_months(datetime.fromisoformat(start), months) == datetime.fromisoformat(end)


@pytest.mark.parametrize(
    ("doses", "expected"),
    [
        ([dose(1, "2021-08-01", "PFIZER"), dose(2, "2021-09-01", "PFIZER")], (2, "imm-2")),
        ([dose(1, "2021-08-01", "ASTRAZENECA"), dose(2, "2021-09-01", "PFIZER")], (2, "imm-2")),
        ([dose(1, "2021-08-01", "JANSSEN")], (1, "imm-1")),
        (
            [
                dose(1, "2021-08-01", "PFIZER"),
                dose(2, "2021-09-01", "PFIZER"),
                dose(3, "2022-02-01", "MODERNA"),
            ],
            (3, "imm-3"),
        ),
        # Janssen then one Abdala dose: complete at dose 1 only (Abdala needs three).
        ([dose(1, "2021-08-01", "JANSSEN"), dose(2, "2021-09-01", "ABDALA")], (1, "imm-1")),
        ([dose(1, "2021-08-01", "ABDALA"), dose(2, "2021-09-01", "ABDALA")], None),
        ([dose(1, "2021-08-01", "PFIZER")], None),
        ([dose(1, "2021-08-01", "UNKNOWN"), dose(2, "2021-09-01", "UNKNOWN")], None),
        # A dose recorded for a future date is not given yet.
        ([dose(1, "2021-08-01", "PFIZER"), dose(2, "2022-06-01", "PFIZER")], None),
        ([], None),
    ],
    ids=[
        "pfizer-two",
        "mixed-az-pfizer",
        "janssen-one",
        "booster",
        "janssen-then-abdala",
        "abdala-two-of-three",
        "one-of-two",
        "unknown-product",
        "future-dose",
        "no-doses",
    ],
)
def test_the_certified_dose_is_the_latest_that_completes_a_series(
    doses: list[VaccinationRecord], expected: tuple[int, str] | None
) -> None:
    found = completing_dose(doses, REQUIRED, NOW.date())

    assert (None if found is None else (found[0], found[1].id)) == expected


def test_an_issued_passport_says_what_the_eu_value_sets_say(tmp_path: Path) -> None:
    signer = development_signer(tmp_path)
    doses = [dose(1, "2021-08-01", "ASTRAZENECA"), dose(2, "2021-09-01", "ASTRAZENECA")]

    passport = issue(PERSON, doses, REQUIRED, signer, DccSettings(), NOW)

    decoded = decode_hc1(passport.text)
    assert es256_verifies(signer.certificate, decoded)
    assert decoded.protected_header == {1: -7, 4: kid_of(signer.certificate)}
    assert decoded.claims[1] == "VN"
    assert decoded.claims[6] == int(NOW.timestamp())
    assert decoded.claims[4] == int(datetime(2023, 5, 11, 9, 30, tzinfo=LOCAL).timestamp())
    assert decoded.certificate == {
        "ver": "1.3.0",
        "nam": {"fn": "Nguyễn", "fnt": "NGUYEN", "gn": "Thị Đào", "gnt": "THI<DAO"},
        "dob": "1985-03-09",
        "v": [
            {
                "tg": "840539006",
                "vp": "J07BX03",
                "mp": "EU/1/21/1529",
                "ma": "ORG-100001699",
                "dn": 2,
                "sd": 2,
                "dt": "2021-09-01",
                "co": "VN",
                "is": "Ministry of Health Vietnam",
                "ci": passport.uvci,
            }
        ],
    }
    assert passport.uvci.startswith("URN:UVCI:01:VN:") and luhn_mod_n_valid(
        passport.uvci.replace("#", "")
    )
    assert PERSON.id not in passport.uvci and PERSON.national_id not in passport.text


@pytest.mark.parametrize(
    ("product", "vp", "mp", "ma"),
    [
        ("PFIZER", "1119349007", "EU/1/20/1528", "ORG-100030215"),
        ("MODERNA", "1119349007", "EU/1/20/1507", "ORG-100031184"),
        ("SINOPHARM", "1119305005", "BBIBP-CorV", "ORG-100020693"),
        ("SPUTNIK_V", "J07BX03", "Sputnik-V", "Gamaleya-Research-Institute"),
        ("HAYAT_VAX", "1119305005", "Hayat-Vax", "ORG-100023050"),
    ],
)
def test_each_product_has_its_codes(
    tmp_path: Path, product: str, vp: str, mp: str, ma: str
) -> None:
    doses = [dose(1, "2021-08-01", product), dose(2, "2021-09-01", product)]

    passport = issue(PERSON, doses, REQUIRED, development_signer(tmp_path), DccSettings(), NOW)

    entry = decode_hc1(passport.text).certificate["v"][0]
    assert (entry["vp"], entry["mp"], entry["ma"]) == (vp, mp, ma)


def test_the_uvci_is_stable_per_dose_and_differs_between_people(tmp_path: Path) -> None:
    signer = development_signer(tmp_path)
    doses = [dose(1, "2021-08-01", "JANSSEN")]
    other = PersonRecord("P0000043", "Lê Văn Bình", date(1990, 1, 1), "0", "0", "778")

    first = issue(PERSON, doses, REQUIRED, signer, DccSettings(), NOW)
    again = issue(
        PERSON, doses, REQUIRED, signer, DccSettings(), datetime(2022, 6, 1, tzinfo=LOCAL)
    )
    theirs = issue(other, doses, REQUIRED, signer, DccSettings(), NOW)

    assert first.uvci == again.uvci != theirs.uvci
    assert first.text != again.text


def test_no_passport_without_a_completed_series(tmp_path: Path) -> None:
    with pytest.raises(SeriesIncomplete):
        issue(
            PERSON,
            [dose(1, "2021-08-01", "PFIZER")],
            REQUIRED,
            development_signer(tmp_path),
            DccSettings(),
            NOW,
        )


def test_the_qr_is_alphanumeric_at_error_correction_q(tmp_path: Path) -> None:
    doses = [dose(1, "2021-08-01", "JANSSEN")]
    passport = issue(PERSON, doses, REQUIRED, development_signer(tmp_path), DccSettings(), NOW)

    code = qr_code(passport.text)

    assert (code.error, code.mode, code.is_micro) == ("Q", "alphanumeric", False)


def test_development_keys_are_generated_once_with_a_vaccination_only_dsc(tmp_path: Path) -> None:
    first = development_signer(tmp_path)
    second = development_signer(tmp_path)

    directory = tmp_path / "dev-dcc-keys"
    assert first.certificate == second.certificate
    assert stat.S_IMODE((directory / DSC_KEY_FILE).stat().st_mode) & 0o077 == 0
    dsc = first.certificate
    csca = x509.load_pem_x509_certificate((directory / CSCA_FILE).read_bytes())
    assert dsc.issuer == csca.subject
    csca_key = csca.public_key()
    assert isinstance(csca_key, ec.EllipticCurvePublicKey)
    dsc.verify_directly_issued_by(csca)
    usage = dsc.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert [oid.dotted_string for oid in usage] == ["1.3.6.1.4.1.1847.2021.1.2"]
    assert "DEVELOPMENT" in dsc.subject.rfc4514_string()


def test_production_without_a_key_directory_issues_nothing(tmp_path: Path) -> None:
    settings = Settings(env="production", data_dir=tmp_path)

    assert signer_for(settings) is None
    assert not (tmp_path / "dev-dcc-keys").exists()


def test_a_configured_key_directory_is_used_and_never_written(tmp_path: Path) -> None:
    made = development_signer(tmp_path)
    configured = tmp_path / "dev-dcc-keys"
    settings = Settings(env="production", dcc=DccSettings(key_dir=configured))

    assert signer_for(settings).certificate == made.certificate  # type: ignore[union-attr]
    (configured / DSC_FILE).unlink()
    with pytest.raises(DccKeyError):
        load_signer(configured)
