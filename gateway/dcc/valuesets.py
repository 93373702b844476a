"""Codes of the EU eHealth Network value sets that HCERTs speak, and how they map to ours.

Vaccines are keyed by the status policy's product keys (`gateway/status/policies/*.json`,
`requiredDoses`); medicinal product codes are those of DOMAIN.md §6.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from gateway.status import TestKind

COVID_19: Final = "840539006"  # disease-agent-targeted (SNOMED CT)

# vaccine-prophylaxis
MRNA_VACCINE: Final = "1119349007"  # SARS-CoV-2 mRNA vaccine
ANTIGEN_VACCINE: Final = "1119305005"  # SARS-CoV-2 antigen vaccine
OTHER_COVID_VACCINE: Final = "J07BX03"  # covid-19 vaccines (ATC), e.g. viral vectors


@dataclass(frozen=True, slots=True)
class Vaccine:
    """How an HCERT names one product: prophylaxis type, medicinal product, manufacturer."""

    prophylaxis: str  # vp
    product: str  # mp
    manufacturer: str  # ma


# Status policy product key → HCERT codes. Manufacturers are from vaccine-mah-manf: the
# ORG- codes are the EU SPOR organisation ids; Gamaleya and CIGB have text codes there.
VACCINES: Final[dict[str, Vaccine]] = {
    "PFIZER": Vaccine(MRNA_VACCINE, "EU/1/20/1528", "ORG-100030215"),  # BioNTech Manufacturing
    "MODERNA": Vaccine(MRNA_VACCINE, "EU/1/20/1507", "ORG-100031184"),  # Moderna Biotech Spain
    "ASTRAZENECA": Vaccine(OTHER_COVID_VACCINE, "EU/1/21/1529", "ORG-100001699"),
    "JANSSEN": Vaccine(OTHER_COVID_VACCINE, "EU/1/20/1525", "ORG-100001417"),
    # Inactivated whole virus (Sinopharm BIBP, and Hayat-Vax, made under licence from it) and
    # the RBD subunit vaccine Abdala carry the antigen itself.
    "SINOPHARM": Vaccine(ANTIGEN_VACCINE, "BBIBP-CorV", "ORG-100020693"),  # Sinopharm Beijing
    "HAYAT_VAX": Vaccine(ANTIGEN_VACCINE, "Hayat-Vax", "ORG-100023050"),  # Gulf Pharmaceutical
    "ABDALA": Vaccine(ANTIGEN_VACCINE, "Abdala", "CIGB"),
    "SPUTNIK_V": Vaccine(OTHER_COVID_VACCINE, "Sputnik-V", "Gamaleya-Research-Institute"),
}

# test-type (LOINC)
NAAT: Final = "LP6464-4"  # nucleic acid amplification with probe detection (PCR)
RAPID_ANTIGEN: Final = "LP217198-3"  # rapid immunoassay
TEST_KINDS: Final[dict[str, TestKind]] = {NAAT: TestKind.PCR, RAPID_ANTIGEN: TestKind.ANTIGEN}

# test-result (SNOMED CT): detected or not
DETECTED: Final = "260373001"
NOT_DETECTED: Final = "260415000"
TEST_POSITIVE: Final[dict[str, bool]] = {DETECTED: True, NOT_DETECTED: False}

# The extended key usages a Document Signer Certificate may carry to limit what it signs; a
# DSC with none of them may sign every type. Both OID forms occur in the wild.
KEY_USAGE_OIDS: Final[dict[str, str]] = {
    "1.3.6.1.4.1.1847.2021.1.1": "t",
    "1.3.6.1.4.1.1847.2021.1.2": "v",
    "1.3.6.1.4.1.1847.2021.1.3": "r",
    "1.3.6.1.4.1.0.1847.2021.1.1": "t",
    "1.3.6.1.4.1.0.1847.2021.1.2": "v",
    "1.3.6.1.4.1.0.1847.2021.1.3": "r",
}
