"""The mock IdP's development signing key, kept in a file so every process signs alike.

`python -m mocks token` and `python -m mocks serve` run as separate processes: both load the key
from MOCK_IDP_KEY_FILE, so a token printed by the CLI verifies against the server's JWKS.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from joserfc.jwk import ECKey

ALGORITHM = "ES256"


class KeyFileError(ValueError):
    """The key file exists but does not hold a private P-256 JWK."""


def load_signing_key(path: Path) -> ECKey:
    """The private key in `path`, generated there (mode 0600) on first use."""
    if not path.exists():
        _create(path)
    try:
        key = ECKey.import_key(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{path} does not hold a JSON Web Key: {exc}") from exc
    if not key.is_private or key.get("crv") != "P-256":
        raise KeyFileError(f"{path} must hold a private EC P-256 key; delete it to get a new one.")
    key.ensure_kid()
    return key


def public_jwk(key: ECKey) -> dict[str, object]:
    """The public half of `key` as published in the JWKS."""
    return {**key.as_dict(private=False), "kid": key.kid, "alg": ALGORITHM, "use": "sig"}


def _create(path: Path) -> None:
    key = ECKey.generate_key("P-256", private=True)
    key.ensure_kid()  # RFC 7638 thumbprint
    jwk = {**key.as_dict(private=True), "alg": ALGORITHM, "use": "sig"}
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file with mode 0600; the key is written in full before it gets its name.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(jwk, out)
            out.flush()
            os.fsync(out.fileno())
        try:
            # link() never replaces: when two processes race, the first key wins for both.
            os.link(tmp, path)
        except FileExistsError:
            pass
        except OSError:
            os.replace(tmp, path)  # file systems without hard links
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
