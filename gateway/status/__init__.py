"""The status policy engine: facts in, a colour with reasons out. Pure, no I/O.

Policies are versioned JSON files in `policies/` (see `policy.py`); `evaluate` applies one.
"""

from .engine import evaluate, stable_until
from .facts import Color, Dose, F0Case, Facts, LabTest, Status, TestKind
from .policy import (
    DEFAULT_POLICY,
    InvalidPolicyError,
    Policy,
    PolicyError,
    UnknownPolicyError,
    available_policies,
    load_policy,
    policy_from_data,
    policy_from_json,
)

__all__ = [
    "DEFAULT_POLICY",
    "Color",
    "Dose",
    "F0Case",
    "Facts",
    "InvalidPolicyError",
    "LabTest",
    "Policy",
    "PolicyError",
    "Status",
    "TestKind",
    "UnknownPolicyError",
    "available_policies",
    "evaluate",
    "load_policy",
    "policy_from_data",
    "policy_from_json",
    "stable_until",
]
