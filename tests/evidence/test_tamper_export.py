"""The whole tamper suite applied to exports: each attack's bundle is made a signed export — by a dishonest but
trusted exporter, who lists what the bundle holds and signs it — and must still be refused at the attack's own
step, read in memory and streamed from its file (as a large export is read)."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import ORIGIN
from tests.evidence.attacks import ATTACKS, IN_BUNDLES
from tests.evidence.scene import Scene, assert_refused, assert_verified
from tests.evidence.streamed import verify_streamed
from verifier.bundle import ExportManifest, Issued, issued_message, parse_bundle
from verifier.bundle_check import verify_bundle
from verifier.note import NoteSigner
from verifier.report import Report
from verifier.trust import Trust

EXPORTER = NoteSigner.generate(f"{ORIGIN}/export")


def as_export(data: bytes) -> bytes:
    """The bundle as a signed export naming each ticket it holds, with as many entries as it holds."""
    bundle = parse_bundle(data)
    held: Counter[str] = Counter()
    for item in bundle.entries:
        try:
            held[json.loads(item.data)["ticket"]] += 1
        except (ValueError, KeyError):
            continue  # bytes an attack garbled: the exporter lists what it can read
    manifest = ExportManifest("export-tamper-suite", {"reason": "tamper suite"}, tuple(sorted(held.items())))
    issued = Issued("2026-03-31T16:00:00+08:00", "tamper-suite", EXPORTER.vkey, b"\0" * 64)
    unsigned = dataclasses.replace(bundle, export=manifest, issued=issued)
    signature = EXPORTER.sign(issued_message(unsigned.unsigned_digest()))
    return dataclasses.replace(unsigned, issued=dataclasses.replace(issued, sig=signature)).encode()


def exporter_trust(scene: Scene) -> Trust:
    return dataclasses.replace(scene.trust, exporter_keys=(EXPORTER.verifier(),))


def verify(scene: Scene, data: bytes, reader: str, directory: Path, trust: Trust | None = None) -> Report:
    trust = trust or exporter_trust(scene)
    if reader == "in memory":
        return verify_bundle(data, trust, chain=scene.chain, seen=scene.seen)
    return verify_streamed(data, trust, chain=scene.chain, seen=scene.seen, directory=directory)


READERS = ["in memory", "streamed"]


@pytest.mark.parametrize("reader", READERS)
def test_an_untampered_export_verifies_with_its_signature(scene: Scene, reader: str, tmp_path: Path) -> None:
    scene.seal()
    scene.api.disclose = True
    report = verify(scene, as_export(scene.api.ticket_bundle("T-1001")), reader, tmp_path)
    assert_verified(report)
    assert report.ok("V13")


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("name", IN_BUNDLES)
def test_a_tampered_export_is_refused_at_the_attacks_step(scene: Scene, name: str, reader: str, tmp_path: Path) -> None:
    expected = ATTACKS[name](scene)
    data = as_export(scene.api.ticket_bundle(expected.ticket))
    assert_refused(verify(scene, data, reader, tmp_path), expected.step, expected.evidence)


@pytest.mark.parametrize("reader", READERS)
def test_an_export_by_an_unnamed_key_or_changed_after_signing_fails_v13(
    scene: Scene, reader: str, tmp_path: Path
) -> None:
    scene.seal()
    data = as_export(scene.api.ticket_bundle("T-1001"))
    stranger = NoteSigner.generate(f"{ORIGIN}/export").verifier()
    unnamed = verify(scene, data, reader, tmp_path, dataclasses.replace(scene.trust, exporter_keys=(stranger,)))
    assert unnamed.first_failure is not None and unnamed.first_failure.step == "V13", unnamed.lines()
    assert "which the trust file does not name" in unnamed.first_failure.detail
    document = json.loads(data)
    document["export"]["filter"]["reason"] = "另一个理由"  # the entries untouched: only the signature can tell
    edited = verify(scene, json.dumps(document).encode(), reader, tmp_path)
    assert edited.first_failure is not None and edited.first_failure.step == "V13", edited.lines()
    assert "signature does not verify" in edited.first_failure.detail
