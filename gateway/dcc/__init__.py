"""Vaccine passports: EU Digital COVID Certificates (HCERT), verified and issued.

codec.py      HC1: + base45 + zlib + COSE_Sign1 + CWT, both ways
hcert.py      the certificate inside (holder, one vaccination / test / recovery entry)
valuesets.py  the EU value-set codes, and how they map to the status policy's facts
keys.py       the signer: a Document Signer Certificate and its key (development: generated)
trust.py      the trust list of signing certificates, and the revocation list
verify.py     signature, key usage, expiry, revocation: a typed `Verification`
facts.py      a verified certificate as the status engine's facts, and its status
issue.py      a resident's passport: UVCI, value-set codes, signature, QR image
service.py    the process's passport service (`Dcc`), built at start
cli.py        `python -m gateway dcc verify TEXT ...`
"""
