"""Adapters that fetch evidence for the verifier: the operator's HTTP API and the chain (JSON-RPC).

Only this package talks to the network; the verifier's core checks what it brings.
"""
