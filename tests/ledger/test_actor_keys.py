"""Actor keys in the log (hotline.key/v1) and signed transitions (the producer's side of V9)."""

from __future__ import annotations

import base64
import dataclasses

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.errors import ActorKeyError
from ledger.sequencer import TransitionRequest
from ledger.service import Ledger
from tests.ledger.test_sequencer import register
from verifier.canonical import canonical_bytes
from verifier.entry import Actor, KeyEntry, Transition, parse_entry

ORG = "330100-12345"


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def signed(ledger: Ledger, request: TransitionRequest, key: Ed25519PrivateKey) -> TransitionRequest:
    """Sign the entry the ledger will build for ``request`` (a new ticket, so seq 1, prev null)."""
    record = {
        "v": "hotline.transition/v1",
        "log": ledger.origin,
        "ticket": request.ticket,
        "seq": 1,
        "prev": None,
        "event": request.event,
        "from": None,
        "to": request.to,
        "actor": {"org": request.actor.org, "role": request.actor.role, "key": request.actor.key},
        "at": request.at,
        "policy": ledger.default_policy,
        "attrs": dict(request.attrs),
        "payload": None,
    }
    signature = key.sign(canonical_bytes(record))
    return dataclasses.replace(request, sig=base64.b64encode(signature).decode())


def test_registration_and_revocation_are_entries(ledger: Ledger) -> None:
    key = Ed25519PrivateKey.generate()
    index = ledger.register_actor_key("agent-0042", org=ORG, role="agent", public_key=public_bytes(key))
    stored = ledger.entry(index)
    assert stored is not None
    entry = parse_entry(stored.data)
    assert isinstance(entry, KeyEntry) and entry.op == "register" and entry.public_key == public_bytes(key)
    with pytest.raises(ActorKeyError, match="registered already"):
        ledger.register_actor_key("agent-0042", org=ORG, role="agent", public_key=public_bytes(key))
    revoked = ledger.revoke_actor_key("agent-0042")
    stored = ledger.entry(revoked)
    assert stored is not None
    revocation = parse_entry(stored.data)
    assert isinstance(revocation, KeyEntry) and revocation.op == "revoke"
    with pytest.raises(ActorKeyError, match="revoked already"):
        ledger.revoke_actor_key("agent-0042")
    with pytest.raises(ActorKeyError, match="not registered"):
        ledger.revoke_actor_key("agent-9999")


def test_a_signed_transition_is_accepted_and_its_signature_covers_the_entry(ledger: Ledger) -> None:
    key = Ed25519PrivateKey.generate()
    ledger.register_actor_key("agent-0042", org=ORG, role="agent", public_key=public_bytes(key))
    request = signed(ledger, register(payload=None, actor=Actor(ORG, "agent", "agent-0042")), key)
    receipt = ledger.append_one(request)
    stored = ledger.entry(receipt.index)
    assert stored is not None
    entry = parse_entry(stored.data)
    assert isinstance(entry, Transition) and entry.sig == request.sig
    key.public_key().verify(base64.b64decode(entry.sig), entry.signed_bytes())


@pytest.mark.parametrize("problem", ["forged", "unknown key", "revoked", "other org", "no key id"])
def test_bad_signatures_are_refused(ledger: Ledger, problem: str) -> None:
    key = Ed25519PrivateKey.generate()
    ledger.register_actor_key("agent-0042", org=ORG, role="agent", public_key=public_bytes(key))
    actor = Actor(ORG, "agent", "agent-0042")
    request = register(payload=None, actor=actor)
    if problem == "forged":
        request = signed(ledger, request, Ed25519PrivateKey.generate())
    elif problem == "unknown key":
        request = signed(ledger, dataclasses.replace(request, actor=Actor(ORG, "agent", "agent-7")), key)
    elif problem == "revoked":
        ledger.revoke_actor_key("agent-0042")
        request = signed(ledger, request, key)
    elif problem == "other org":
        request = signed(ledger, dataclasses.replace(request, actor=Actor("330102-zjj", "agent", "agent-0042")), key)
    else:
        request = dataclasses.replace(signed(ledger, request, key), actor=Actor(ORG, "agent"))
    size = ledger.head().tree_size
    with pytest.raises(ActorKeyError):
        ledger.append_one(request)
    assert ledger.head().tree_size == size
