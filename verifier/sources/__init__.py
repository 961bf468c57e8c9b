"""Adapters that fetch evidence for the verifier (DESIGN §2): the chain, over JSON-RPC.

Only this package may do I/O or import httpx; the verifier's pure core takes what these adapters return. Nothing
is re-exported here, so importing one adapter never loads another's dependencies: import
``verifier.sources.chain`` for the chain.
"""
