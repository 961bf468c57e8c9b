"""The page's bundle verifier (bundle.js) in Node, on bundles the ledger produced, and on named mutations.

The chain is a closed port here (step V5 cannot run: incomplete); tests/page/test_browser.py checks the
same code against a real chain. Each mutation must fail at the step that guards against it.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from api.page.trust import page_trust
from ledger.devnet.process import free_port
from tests.api.conftest import TICKET, Api, register, submit_for_dispatch
from tests.page.test_public_bundle import _anchor_everything
from verifier.checkpoint import parse_checkpoint_body, sign_checkpoint
from verifier.note import NoteSigner

SCRIPT = Path(__file__).parent / "js" / "verify_bundle.mjs"
Mutation = Callable[[dict[str, Any]], None]


def _verify(tmp_path: Path, bundle: dict[str, Any], trust: dict[str, Any], ticket: str = TICKET) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed for the page's JavaScript tests"
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    (tmp_path / "trust.json").write_text(json.dumps(trust))
    command = [node, str(SCRIPT), str(tmp_path / "bundle.json"), str(tmp_path / "trust.json"), ticket]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@pytest.fixture
def evidence(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    code = api.post("/v1/transitions", register()).json()["query_code"]
    api.post("/v1/transitions", submit_for_dispatch())
    _anchor_everything(api)
    bundle = api.client.post(f"/v1/public/tickets/{TICKET}/bundle", json={"query_code": code}).json()
    trust = page_trust(api.services).document()
    trust.update(chain_id=bundle["chain"]["chain_id"], contract=bundle["chain"]["contract"])
    trust["rpc_url"] = f"http://127.0.0.1:{free_port()}"  # nothing listens: the chain is unreachable
    return bundle, trust


def test_an_intact_bundle_passes_every_offline_step(evidence: Any, tmp_path: Path) -> None:
    bundle, trust = evidence
    report = _verify(tmp_path, bundle, trust)
    assert report["state"] == "incomplete"
    assert {s["id"]: s["status"] for s in report["steps"]} == {
        "V1": "passed",
        "V4": "passed",
        "V2": "passed",
        "V3": "passed",
        "V7": "passed",
        "V5": "not_run",
    }
    assert set(report["entries"].values()) == {"unanchored"} and len(report["entries"]) == 2


def _flip_data(bundle: dict[str, Any]) -> None:
    data = bytearray(base64.b64decode(bundle["entries"][1]["data"]))
    data[5] ^= 0x20
    bundle["entries"][1]["data"] = base64.b64encode(bytes(data)).decode()


def _flip_proof(bundle: dict[str, Any]) -> None:
    proof = bundle["entries"][0]["proof"]
    proof[0] = ("0" if proof[0][0] != "0" else "1") + proof[0][1:]


def _drop_first_step(bundle: dict[str, Any]) -> None:
    del bundle["entries"][0]  # the remaining step no longer starts the chain at seq 1


def _resign(bundle: dict[str, Any]) -> None:
    text, _, signature = bundle["checkpoint"].partition("\n\n")
    name = signature.removeprefix("— ").split(" ", 1)[0]
    bundle["checkpoint"] = sign_checkpoint(parse_checkpoint_body(text + "\n"), NoteSigner.generate(name))


def _other_contract(bundle: dict[str, Any]) -> None:
    bundle["chain"]["contract"] = "0x" + "cd" * 20


def _not_json(bundle: dict[str, Any]) -> None:
    bundle["v"] = "hotline.bundle/v0"


@pytest.mark.parametrize(
    ("mutate", "step"),
    [
        (_flip_data, "V2"),
        (_flip_proof, "V3"),
        (_drop_first_step, "V7"),
        (_resign, "V4"),
        (_other_contract, "V5"),
        (_not_json, "V1"),
    ],
)
def test_each_mutation_fails_at_its_step(evidence: Any, tmp_path: Path, mutate: Mutation, step: str) -> None:
    bundle, trust = evidence
    mutate(bundle)
    report = _verify(tmp_path, bundle, trust)
    assert report["state"] == "failed"
    assert [s["id"] for s in report["steps"] if s["status"] == "failed"] == [step]


def test_another_tickets_bundle_fails(evidence: Any, tmp_path: Path) -> None:
    bundle, trust = evidence
    report = _verify(tmp_path, bundle, trust, ticket="T-SOMEONE-ELSE")
    assert report["state"] == "failed" and report["steps"][-1]["id"] == "V7"
