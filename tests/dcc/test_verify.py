"""Verifying passports made by an independent signer: every refusal reason, both key-id
placements, key-id collisions, ES256 and PS256, expiry at a given instant, revocation."""

from __future__ import annotations

import base64
import hashlib
import random
import zlib
from datetime import UTC, datetime, timedelta

import base45
import cbor2
import pytest

from gateway.dcc.trust import TrustList, parse_trust_list
from gateway.dcc.verify import Reason, revocation_hash, verify
from tests.dcc.forge import (
    RECOVERY_EKU_ALTERNATIVE,
    TEST_EKU,
    VACCINATION_EKU,
    TestSigner,
    hcert_claims,
    make_signer,
    recovery,
    seal,
    test_result,
    vaccination,
)

ISSUED = datetime(2021, 7, 1, 9, 0, tzinfo=UTC)
EXPIRES = datetime(2022, 7, 1, 9, 0, tzinfo=UTC)
DURING = datetime(2021, 12, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def es256() -> TestSigner:
    return make_signer("ES256")


@pytest.fixture(scope="module")
def ps256() -> TestSigner:
    return make_signer("PS256")


def trusting(*signers: TestSigner) -> TrustList:
    return parse_trust_list([signer.trust_entry() for signer in signers])


def claims(certificate: dict[str, object] | None = None) -> dict[int, object]:
    return hcert_claims(certificate or vaccination(), ISSUED, EXPIRES)


def test_a_genuine_es256_passport_is_valid_with_everything_read(es256: TestSigner) -> None:
    text = seal(es256, claims())

    result = verify(text, trusting(es256), DURING)

    assert (result.valid, result.reason, result.decoded, result.signature_valid) == (
        True,
        None,
        True,
        True,
    )
    assert (result.key_usage_valid, result.expired, result.revoked) == (True, False, False)
    assert (result.kid, result.algorithm, result.issuer) == (es256.kid, "ES256", "DE")
    assert (result.issued_at, result.expires_at) == (ISSUED, EXPIRES)
    assert result.payload == vaccination()
    assert result.certificate is not None and result.certificate.certificate_type == "v"
    assert result.certificate.holder.full_name == "Mustermann Erika"
    assert result.certificate.holder.birth_year == 1964


def test_a_genuine_ps256_passport_is_valid(ps256: TestSigner) -> None:
    text = seal(ps256, claims())

    result = verify(text, trusting(ps256), DURING)

    assert (result.valid, result.algorithm, result.signature_valid) == (True, "PS256", True)


@pytest.mark.parametrize("placement", ["protected", "unprotected"])
def test_the_key_id_is_found_in_either_header(es256: TestSigner, placement: str) -> None:
    text = seal(es256, claims(), kid_in=placement)

    result = verify(text, trusting(es256), DURING)

    assert (result.valid, result.kid) == (True, es256.kid)


def test_the_protected_key_id_wins_over_the_unprotected_one(es256: TestSigner) -> None:
    # Given a message whose protected header names the signer and whose unprotected header
    # names another key: the protected one is used.
    other = make_signer("ES256")
    text = seal(es256, claims())
    message = cbor2.loads(zlib.decompress(base45.b45decode(text[4:])))
    protected, _, payload, signature = message.value
    forged = cbor2.CBORTag(18, [protected, {4: other.kid}, payload, signature])
    text = "HC1:" + base45.b45encode(zlib.compress(cbor2.dumps(forged))).decode()

    result = verify(text, trusting(es256, other), DURING)

    assert (result.valid, result.kid) == (True, es256.kid)


def test_a_key_id_shared_by_two_certificates_tries_each(es256: TestSigner) -> None:
    # Given two trust-list entries under the signer's key id, the first an unrelated
    # certificate: only the second verifies, and it is the one reported.
    impostor = make_signer("ES256", name="Impostor")
    shared = base64.b64encode(es256.kid).decode()
    entries = [{**impostor.trust_entry("FR"), "kid": shared}, es256.trust_entry("DE")]
    trust = parse_trust_list(entries)
    assert len(trust.candidates(es256.kid)) == 2

    result = verify(seal(es256, claims()), trust, DURING)

    assert result.valid
    assert result.signer is not None and result.signer.country == "DE"


def test_a_key_id_shared_by_certificates_none_of_which_signed_is_a_signature_failure(
    es256: TestSigner,
) -> None:
    impostors = [make_signer("ES256", name=f"Impostor {i}") for i in range(2)]
    shared = base64.b64encode(es256.kid).decode()
    trust = parse_trust_list([{**i.trust_entry(), "kid": shared} for i in impostors])

    result = verify(seal(es256, claims()), trust, DURING)

    assert (result.reason, result.signature_valid) == (Reason.SIGNATURE, False)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "HC2:6BFOXN*TS0BI$ZD",  # wrong prefix
        "HC1:not~base45",
        "HC1:" + base45.b45encode(b"not zlib at all").decode(),
        "HC1:" + base45.b45encode(zlib.compress(b"\xff\xff")).decode(),  # not CBOR
        "HC1:" + base45.b45encode(zlib.compress(cbor2.dumps([1, 2, 3]))).decode(),
        "HC1:" + base45.b45encode(zlib.compress(cbor2.dumps(cbor2.CBORTag(98, [])))).decode(),
        "HC1:" + base45.b45encode(zlib.compress(b"\0" * 200_000)).decode(),  # a zlib bomb
    ],
    ids=["empty", "prefix", "base45", "zlib", "cbor", "not-cose", "wrong-tag", "bomb"],
)
def test_undecodable_text_is_refused_with_decode(es256: TestSigner, text: str) -> None:
    result = verify(text, trusting(es256), DURING)

    assert (result.reason, result.decoded, result.signature_valid) == (Reason.DECODE, False, False)


def test_a_payload_that_is_not_a_cwt_map_is_refused_with_decode(es256: TestSigner) -> None:
    result = verify(seal(es256, cbor2.dumps([1, 2])), trusting(es256), DURING)

    assert result.reason is Reason.DECODE


def test_a_tampered_payload_is_refused_with_signature(es256: TestSigner) -> None:
    result = verify(seal(es256, claims(), tamper=True), trusting(es256), DURING)

    assert (result.reason, result.decoded, result.signature_valid) == (
        Reason.SIGNATURE,
        True,
        False,
    )
    assert result.payload["nam"]["gn"] == "Erica"  # type: ignore[index]


def test_an_unsupported_algorithm_is_refused_with_signature(es256: TestSigner) -> None:
    result = verify(seal(es256, claims(), alg=-8), trusting(es256), DURING)  # EdDSA

    assert result.reason is Reason.SIGNATURE


def test_an_es256_header_on_an_rsa_signature_is_refused_with_signature(ps256: TestSigner) -> None:
    result = verify(seal(ps256, claims(), alg=-7), trusting(ps256), DURING)

    assert result.reason is Reason.SIGNATURE


@pytest.mark.parametrize("placement", ["nowhere", "protected"])
def test_a_missing_or_unknown_key_id_is_refused_with_unknown_key(
    es256: TestSigner, placement: str
) -> None:
    stranger = make_signer("ES256")

    result = verify(seal(stranger, claims(), kid_in=placement), trusting(es256), DURING)

    assert (result.reason, result.signature_valid) == (Reason.UNKNOWN_KEY, False)
    assert result.kid == (None if placement == "nowhere" else stranger.kid)


@pytest.mark.parametrize(
    "certificate",
    [
        {"ver": "1.3.0", "nam": {"fnt": "X"}, "dob": "1990-01-01"},  # no entry
        {**vaccination(), "t": test_result()["t"]},  # two kinds
        {**vaccination(), "nam": {"gn": "no fnt"}},
        {**vaccination(), "dob": None},
        {**vaccination(), "v": []},
        {**vaccination(), "v": [{**vaccination()["v"][0], "tg": "1234"}]},
        {**vaccination(), "v": [{**vaccination()["v"][0], "dn": "2"}]},
        {**vaccination(), "v": [{**vaccination()["v"][0], "dt": "June"}]},
        {**test_result(), "t": [{**test_result()["t"][0], "tt": "LP0000-0"}]},
        {**test_result(), "t": [{**test_result()["t"][0], "tr": "1"}]},
        {**test_result(), "t": [{**test_result()["t"][0], "sc": "2021-06-01T08:00:00"}]},
        recovery(df="2021-06-01", du="2021-05-01"),
    ],
    ids=[
        "no-entry",
        "two-kinds",
        "no-fnt",
        "dob-not-text",
        "empty-v",
        "not-covid",
        "dose-not-number",
        "bad-date",
        "unknown-test-type",
        "unknown-result",
        "naive-sample-time",
        "until-before-from",
    ],
)
def test_an_unreadable_certificate_is_refused_with_payload(
    es256: TestSigner, certificate: dict[str, object]
) -> None:
    result = verify(seal(es256, claims(certificate)), trusting(es256), DURING)

    assert (result.reason, result.signature_valid) == (Reason.PAYLOAD, True)


def test_a_cwt_without_expiry_is_refused_with_payload(es256: TestSigner) -> None:
    without_expiry = {k: v for k, v in claims().items() if k != 4}

    result = verify(seal(es256, without_expiry), trusting(es256), DURING)

    assert (result.reason, result.expired) == (Reason.PAYLOAD, None)


@pytest.mark.parametrize(
    ("usage", "certificate", "allowed"),
    [
        ((VACCINATION_EKU,), vaccination(), True),
        ((VACCINATION_EKU,), test_result(), False),
        ((TEST_EKU,), test_result(), True),
        ((TEST_EKU, VACCINATION_EKU), recovery(), False),
        ((RECOVERY_EKU_ALTERNATIVE,), recovery(), True),
        ((RECOVERY_EKU_ALTERNATIVE,), vaccination(), False),
        (("1.3.6.1.5.5.7.3.1",), test_result(), True),  # no HCERT usage named: any type
        (None, recovery(), True),
    ],
    ids=[
        "vaccination-signs-v",
        "vaccination-not-t",
        "test-signs-t",
        "test-and-vaccination-not-r",
        "alternative-oid-recovery-signs-r",
        "alternative-oid-recovery-not-v",
        "unrelated-usage-signs-all",
        "no-extension-signs-all",
    ],
)
def test_extended_key_usage_limits_what_a_signer_may_sign(
    usage: tuple[str, ...] | None, certificate: dict[str, object], allowed: bool
) -> None:
    signer = make_signer("ES256", key_usage=usage)

    result = verify(seal(signer, claims(certificate)), trusting(signer), DURING)

    assert result.key_usage_valid is allowed
    assert result.reason is (None if allowed else Reason.KEY_USAGE)


@pytest.mark.parametrize(
    ("at", "expired"),
    [
        (EXPIRES - timedelta(seconds=1), False),
        (EXPIRES, False),  # the expiry instant itself is still valid
        (EXPIRES + timedelta(seconds=1), True),
    ],
    ids=["a-second-before", "at-expiry", "a-second-after"],
)
def test_expiry_is_checked_at_the_given_instant(
    es256: TestSigner, at: datetime, expired: bool
) -> None:
    result = verify(seal(es256, claims()), trusting(es256), at)

    assert result.expired is expired
    assert result.reason is (Reason.EXPIRED if expired else None)


def test_a_revoked_uvci_is_refused_with_revoked(es256: TestSigner) -> None:
    uvci = "URN:UVCI:01:DE:TEST/1#X"
    expected = base64.b64encode(hashlib.sha256(uvci.encode()).digest()[:16]).decode()
    assert revocation_hash(uvci) == expected

    result = verify(seal(es256, claims()), trusting(es256), DURING, frozenset({expected}))

    assert (result.reason, result.revoked) == (Reason.REVOKED, True)


def test_the_first_failure_in_check_order_is_the_reason(es256: TestSigner) -> None:
    # Expired, revoked and tampered at once: the signature is the reason, the rest reported.
    revoked = frozenset({revocation_hash("URN:UVCI:01:DE:TEST/1#X")})
    later = EXPIRES + timedelta(days=1)

    result = verify(seal(es256, claims(), tamper=True), trusting(es256), later, revoked)

    assert (result.reason, result.expired, result.revoked) == (Reason.SIGNATURE, True, True)


def test_the_json_report_names_every_check(es256: TestSigner) -> None:
    report = verify(seal(es256, claims()), trusting(es256), DURING).as_json()

    assert report["valid"] is True and report["reason"] is None
    assert report["kid"] == base64.b64encode(es256.kid).decode()
    assert (report["decoded"], report["signatureValid"], report["keyUsageValid"]) == (
        True,
        True,
        True,
    )
    assert (report["expired"], report["issuer"]) == (False, "DE")
    assert report["payload"]["v"][0]["mp"] == "EU/1/20/1528"


def test_damaged_passports_are_refused_never_crash(es256: TestSigner) -> None:
    # Given a thousand passports with random damage at every layer: each gets a reason.
    rnd = random.Random(9)
    genuine = zlib.decompress(base45.b45decode(seal(es256, claims())[4:]))
    oddities: list[object] = [None, -1, "x", b"x", [], {}, 1.5, True, 2**70, cbor2.CBORTag(1, "x")]
    reasons = set()
    for _ in range(1000):
        damaged = bytearray(genuine)
        for _ in range(rnd.randint(1, 3)):
            damaged[rnd.randrange(len(damaged))] = rnd.randrange(256)
        text = "HC1:" + base45.b45encode(zlib.compress(bytes(damaged))).decode()
        reasons.add(verify(text, trusting(es256), DURING).reason)
        odd = claims()
        odd[rnd.choice([1, 4, 6, -260])] = rnd.choice(oddities)
        entry = vaccination()
        entry["v"][0][rnd.choice(list(entry["v"][0]))] = rnd.choice(oddities)  # type: ignore[index]
        for certificate in (odd, claims(entry)):
            reasons.add(verify(seal(es256, certificate), trusting(es256), DURING).reason)

    assert {Reason.DECODE, Reason.SIGNATURE, Reason.PAYLOAD} <= reasons
