"""Adapters that fetch evidence for the verifier (DESIGN §2): the chain over JSON-RPC, the operator's HTTP API.

Only this package may do network I/O or import httpx; the verifier's pure core takes what these adapters
return and trusts none of it. Nothing is re-exported here, so importing one adapter never loads another's
dependencies: import ``verifier.sources.chain`` or ``verifier.sources.api``.
"""
