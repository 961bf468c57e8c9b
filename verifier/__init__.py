"""hotline-ledger's verifier: the formats, hashes and proofs, and the checks an auditor runs.

The pure core (every module directly in this package except ``cli``) does no I/O and
imports only the standard library and ``cryptography``. Evidence from files, HTTP or a
chain comes in through ``verifier.sources``.
"""
