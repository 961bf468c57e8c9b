"""Development chains: the Python devnet (``hotline-ledger devnet``), anvil as an alternative engine, and a Besu
QBFT network generator.

The devnet is ``server`` (HTTP) → ``rpc`` (JSON-RPC methods, ``params`` parsing, ``formatting`` of results) →
``node`` (one lock around the ``chain``, the ``permissions`` allowlist and the ``journal``); ``process`` starts
it, or anvil, as a child process.
"""
