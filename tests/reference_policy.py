"""Independent oracle of the status policy, for acceptance tests.

A plain transcription of DOMAIN.md section 3 (policies ``hcmc-2021-10`` and ``hcmc-2021-09``),
working directly on the raw upstream JSON (FHIR R4 Immunization and Observation resources, F0
case objects). It deliberately shares nothing with ``gateway/`` or ``mocks/``: the acceptance
test compares the gateway's answer with this one, so both must be derived from the spec alone.

``None`` for a source list means "that source could not be read".
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

HCMC = ZoneInfo("Asia/Ho_Chi_Minh")
CVX = "http://hl7.org/fhir/sid/cvx"
EU_PRODUCT = "https://ec.europa.eu/health/documents/community-register/html/"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"

# Doses required for a primary series, by CVX code (500 is resolved by product name below).
REQUIRED_BY_CVX = {"212": 1, "210": 2, "208": 2, "207": 2, "510": 2, "505": 2}
REQUIRED_BY_NAME = {"hayat-vax": 2, "abdala": 3}
NEVER = 10**9  # an unknown product can never complete a series

Reasons = list[str]
Result = tuple[str, Reasons, datetime | None]
Dose = tuple[date, int]  # (local date, doses required by its product)
Test = tuple[datetime, bool]  # (sample instant, positive?)
Case = tuple[datetime | None, bool]  # (recovery at or before T, or None; with proof?)


def day(d: date) -> datetime:
    """00:00 of calendar date ``d`` in Asia/Ho_Chi_Minh."""
    return datetime.combine(d, time(0), tzinfo=HCMC)


def instant(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=HCMC)


def codes(concept: dict | None, system: str) -> list[str]:
    """Codes of ``system`` in a CodeableConcept (a coding without a system is accepted)."""
    codings = (concept or {}).get("coding") or []
    return [str(c.get("code")) for c in codings if c.get("system") in (system, None)]


def required_doses(immunization: dict) -> int:
    concept = immunization.get("vaccineCode") or {}
    cvx = codes(concept, CVX)
    for code in cvx:
        if code in REQUIRED_BY_CVX:
            return REQUIRED_BY_CVX[code]
    if "500" in cvx:
        names = [*codes(concept, EU_PRODUCT), str(concept.get("text") or "")]
        for name in names:
            if name.strip().lower() in REQUIRED_BY_NAME:
                return REQUIRED_BY_NAME[name.strip().lower()]
    return NEVER


def read_doses(immunizations: list[dict], at: datetime) -> list[Dose]:
    """(date, required doses of its product) of completed doses not after T, sorted by date."""
    doses: list[Dose] = []
    for imm in immunizations:
        if imm.get("status") != "completed" or not imm.get("occurrenceDateTime"):
            continue
        when = date.fromisoformat(str(imm["occurrenceDateTime"])[:10])
        if day(when) <= at:
            doses.append((when, required_doses(imm)))
    return sorted(doses, key=lambda dose: dose[0])


def read_tests(observations: list[dict], at: datetime) -> list[Test]:
    """(sample instant, positive?) of final PCR/antigen results sampled at or before T."""
    tests: list[Test] = []
    for obs in observations:
        kinds = set(codes(obs.get("code"), LOINC)) & {"94500-6", "94558-4"}
        results = set(codes(obs.get("valueCodeableConcept"), SNOMED))
        positive, negative = "260373001" in results, "260415000" in results
        if obs.get("status") != "final" or not kinds or positive == negative:
            continue
        if not obs.get("effectiveDateTime"):
            continue
        sampled = instant(obs["effectiveDateTime"])
        if sampled <= at:
            tests.append((sampled, positive))
    return tests


def read_cases(f0_cases: list[dict], at: datetime) -> list[Case]:
    """(recovery instant or None if none at or before T, with proof?) of cases confirmed by T."""
    cases: list[Case] = []
    for case in f0_cases:
        if instant(case["confirmedAt"]) > at:
            continue
        recovered = instant(case["recoveredAt"]) if case.get("recoveredAt") else None
        if recovered is not None and recovered > at:
            recovered = None
        cases.append((recovered, recovered is not None and bool(case.get("recoveryProof"))))
    return cases


def red_reasons(tests: list[Test], cases: list[Case], at: datetime) -> Reasons:
    reasons: Reasons = []
    if any(recovered is None for recovered, _ in cases):
        reasons.append("ACTIVE_F0")
    recoveries = [r for r, _ in cases if r is not None]
    for sampled, positive in tests:
        recovered_since = any(r > sampled for r in recoveries)
        if positive and at - timedelta(days=14) < sampled and not recovered_since:
            reasons.append("RECENT_POSITIVE_TEST")
            break
    return reasons


def green(doses: list[Dose], cases: list[Case], at: datetime) -> dict[str, datetime]:
    """Holding GREEN rules mapped to their validUntil."""
    holds: dict[str, datetime] = {}
    ends = [
        day(d + timedelta(days=365))
        for k, (d, need) in enumerate(doses, start=1)
        if k >= need and day(d + timedelta(days=14)) <= at < day(d + timedelta(days=365))
    ]
    if ends:
        holds["FULLY_VACCINATED"] = max(ends)
    recovered = [r for r, proof in cases if proof and at - timedelta(days=180) < r]
    if recovered:
        holds["RECOVERED"] = max(recovered) + timedelta(days=180)
    return holds


def yellow(doses: list[Dose], tests: list[Test], at: datetime) -> dict[str, datetime | None]:
    """Holding YELLOW rules mapped to their validUntil (None: the rule has none)."""
    holds: dict[str, datetime | None] = {}
    if doses and day(doses[0][0] + timedelta(days=14)) <= at:
        holds["PARTIALLY_VACCINATED"] = None
    negatives = [s for s, positive in tests if not positive and at - timedelta(hours=72) < s]
    if negatives:
        holds["RECENT_NEGATIVE_TEST"] = max(negatives) + timedelta(hours=72)
    return holds


def evaluate_raw(
    immunizations: list[dict] | None,
    observations: list[dict] | None,
    f0_cases: list[dict] | None,
    at: datetime,
    policy: str = "hcmc-2021-10",
) -> Result:
    """(colour, sorted reasons, validUntil) of one person at instant ``at`` under ``policy``."""
    if policy not in ("hcmc-2021-10", "hcmc-2021-09"):
        raise ValueError(f"unknown policy {policy!r}")
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    tests = read_tests(observations or [], at)
    cases = read_cases(f0_cases or [], at)
    red = red_reasons(tests, cases, at)
    if red:
        return "RED", sorted(red), None
    if immunizations is None or observations is None or f0_cases is None:
        return "UNKNOWN", ["DATA_UNAVAILABLE"], None
    doses = read_doses(immunizations, at)
    for colour, holds in (
        ("GREEN", green(doses, cases, at)),
        ("YELLOW", yellow(doses, tests, at) if policy == "hcmc-2021-10" else {}),
    ):
        if holds:
            limits = list(holds.values())
            valid = None if None in limits else max(v for v in limits if v is not None)
            return colour, sorted(holds), valid
    return "RED", ["NO_PROTECTION"], None
